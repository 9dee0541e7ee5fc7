"""Deterministic assignment for pilots Touchloop randomises itself.

A customer's group depends only on the pilot's key and the customer's id:
the first 8 bytes of sha256("<pilot key>:<customer id>") read as a number
in [0, 1), treated below the chosen split. SHA-256 (not Python's hash(),
salted per process by PYTHONHASHSEED) gives the same group in every process,
on every machine, for ever; and a new pilot key reshuffles everyone, so the
groups of two pilots are independent.
"""

import hashlib

from pilots.statistics.measures import Group

_BUCKETS = 2**64


def assignment_position(pilot_key: str, customer_id: str | int) -> float:
    digest = hashlib.sha256(f"{pilot_key}:{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / _BUCKETS


def assign(pilot_key: str, customer_id: str | int, *, treated_share: float) -> Group:
    if not 0 < treated_share < 1:
        raise ValueError(
            f"The treated share must lie strictly between 0 and 1, not {treated_share}."
        )
    position = assignment_position(pilot_key, customer_id)
    return "treated" if position < treated_share else "control"
