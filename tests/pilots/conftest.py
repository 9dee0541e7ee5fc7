from tests.pilots.seeding import frozen

__all__ = ["frozen"]
