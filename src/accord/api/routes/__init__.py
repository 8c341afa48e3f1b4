"""Route modules, one per concept, each a thin adapter over a service."""
