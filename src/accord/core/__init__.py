"""The pure core: domain types and decisions. Nothing here performs I/O."""
