"""Data layer: read data/ files, validate them against declared schemas, derive metrics."""
