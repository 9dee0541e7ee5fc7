"""Benchmarks of Touchloop's pages and API against the current database."""
