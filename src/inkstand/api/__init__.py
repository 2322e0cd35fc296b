"""JSON APIs: thin adapters over the feature services."""
