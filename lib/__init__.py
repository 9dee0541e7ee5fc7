"""What several apps share, with no models of its own (DESIGN.md's package map)."""
