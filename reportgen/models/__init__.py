"""Pure arithmetic: pricing metrics, valuation and chip-cost models over plain values."""
