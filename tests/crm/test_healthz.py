import pytest
from celery import Celery

from crm import __version__, views

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "broker": "ok",
        "version": __version__,
    }
    assert "no-cache" in response["Cache-Control"]


def test_healthz_is_503_and_names_the_failing_part(client, monkeypatch):
    monkeypatch.setattr(views, "broker_status", lambda: "error: OperationalError")

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "database": "ok",
        "broker": "error: OperationalError",
        "version": __version__,
    }


def test_healthz_reports_an_unreachable_broker(client, monkeypatch):
    # Not the current app: the tasks that later tests queue must keep theirs.
    nothing_listens = Celery(broker="redis://127.0.0.1:1/0", set_as_current=False)
    monkeypatch.setattr(views, "celery_app", nothing_listens)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["broker"].startswith("error:")


def test_the_admin_footer_shows_the_version(client, support):
    client.force_login(support)

    page = client.get("/admin/").content.decode()

    assert f'<p class="touchloop-version">Touchloop {__version__}</p>' in page
