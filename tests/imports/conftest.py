import io

import pytest
from django.contrib.auth.models import Permission

from tests.factories import UserFactory


def csv_bytes(text: str, *, bom: bool = False) -> io.BytesIO:
    return io.BytesIO((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))


@pytest.fixture
def staff_owner(db):
    """A staff member that customers in a file name as their owner."""
    return UserFactory.create(username="owen-owner", groups=["Support"])


@pytest.fixture(autouse=True)
def private_var_dir(settings, tmp_path):
    """Uploads wait under VAR_DIR/imports: a fresh one per test, not var/."""
    settings.VAR_DIR = tmp_path


def user_with(*codenames: str):
    """A staff user holding exactly these customers permissions."""
    user = UserFactory.create(is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="customers", codename__in=codenames
        )
    )
    return user
