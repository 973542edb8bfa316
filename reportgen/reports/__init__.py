"""Report types (registered) and report definitions (declared in data/reports/)."""
