"""Randomised pilots assign customers by a hash of the pilot and the
customer: the same in every process, at the chosen split."""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pilots.statistics.assignment import assign, assignment_position

ROOT = Path(__file__).resolve().parents[2]
PRINT_GROUPS = (
    "from pilots.statistics.assignment import assign;"
    "print(''.join(assign('mail-text-2027', i, treated_share=0.5)[0]"
    " for i in range(300)))"
)


def test_the_position_is_the_first_eight_bytes_of_sha256_of_pilot_and_customer():
    digest = hashlib.sha256(b"reminder-delay:1042").digest()

    assert assignment_position("reminder-delay", 1042) == (
        int.from_bytes(digest[:8], "big") / 2**64
    )


def test_the_same_pilot_and_customer_always_get_the_same_group():
    first = [
        assign("sla-pilot", customer, treated_share=0.5) for customer in range(500)
    ]
    again = [
        assign("sla-pilot", customer, treated_share=0.5) for customer in range(500)
    ]

    assert first == again
    assert {"treated", "control"} == set(first)


def test_10000_customers_split_within_tolerance_of_the_chosen_share():
    treated = sum(
        assign("sla-pilot", customer, treated_share=0.3) == "treated"
        for customer in range(10_000)
    )

    # 3 SD of a binomial(10,000, 0.3) is 137.
    assert abs(treated - 3_000) < 137


def test_another_pilot_key_reshuffles_the_customers():
    one = [assign("pilot-a", c, treated_share=0.5) for c in range(1_000)]
    two = [assign("pilot-b", c, treated_share=0.5) for c in range(1_000)]

    agreement = sum(a == b for a, b in zip(one, two, strict=True)) / 1_000
    assert 0.4 < agreement < 0.6


def test_groups_do_not_depend_on_pythonhashseed():
    runs = {
        seed: subprocess.run(
            [sys.executable, "-c", PRINT_GROUPS],
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in ("0", "1", "4242")
    }
    here = "".join(
        assign("mail-text-2027", i, treated_share=0.5)[0] for i in range(300)
    )

    assert set(runs.values()) == {here}


@pytest.mark.parametrize("share", [0.0, 1.0, 1.5, -0.2])
def test_a_split_outside_zero_to_one_is_refused(share):
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        assign("p", 1, treated_share=share)
