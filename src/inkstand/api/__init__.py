"""Inkstand's JSON APIs: the native one under /api/v1 and the RealWorld one under /api."""
