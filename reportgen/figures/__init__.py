"""Exhibits: one registered builder per exhibit, drawn in the house style."""
