import io

import pytest

from tests.factories import UserFactory


def csv_bytes(text: str, *, bom: bool = False) -> io.BytesIO:
    return io.BytesIO((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))


@pytest.fixture
def staff_owner(db):
    """A staff member that customers in a file name as their owner."""
    return UserFactory.create(username="owen-owner", groups=["Support"])
