import pytest

from feedback import tasks
from tests.smtp import closed_smtp_port, smtp_server

__all__ = ["closed_smtp_port", "smtp_server"]


@pytest.fixture(autouse=True)
def queued(monkeypatch):
    """The alert tasks asked for (the broker is the edge of this world)."""
    ids: list[int] = []
    monkeypatch.setattr(tasks.deliver_alert_task, "delay", ids.append)
    return ids
