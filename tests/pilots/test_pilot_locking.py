"""At go-live the design is locked: an edit of a locked field is refused,
through the API and the admin, and the attempt stays in the audit trail."""

import json
from datetime import timedelta

import pytest

from pilots.models import Kpi, Pilot, PilotEvent
from pilots.services.pilots import lock_due_pilots
from pilots.tasks import lock_due_pilots_task
from tests.factories import UserFactory
from tests.pilots.seeding import today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

URL = "/api/v1/pilots/"


@pytest.fixture
def live_pilot(company_factory):
    kpi = Kpi.objects.create(name="NPS", formula="nps")
    day = today()
    return Pilot.objects.create(
        name="Callback within an hour",
        hypothesis="Calling back within an hour lifts NPS by 10 points.",
        primary_kpi=kpi,
        unit="company",
        treatment=[company_factory.create().pk],
        control=[company_factory.create().pk],
        baseline_start=day - timedelta(days=60),
        go_live=day,
        planned_end=day + timedelta(days=60),
        min_effect=10,
        decision_rule="Roll out if the lower bound is above 0.",
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("hypothesis", "Calling back lifts NPS by 3 points."),
        ("min_effect", 3),
        ("analysis", "sequential"),
        ("planned_end", "2999-01-01"),
        ("alpha", 0.1),
        ("power", 0.9),
        ("decision_rule", "Roll out whatever happens."),
    ],
)
def test_a_locked_field_is_refused_and_the_attempt_recorded(
    manager_api, manager, live_pilot, field, value
):
    before = Pilot.objects.values().get(pk=live_pilot.pk)

    response = manager_api.patch(
        f"{URL}{live_pilot.pk}/", {field: value}, format="json"
    )

    assert response.status_code == 400
    assert "can no longer change" in str(response.json()[field])
    assert Pilot.objects.values().get(pk=live_pilot.pk) == before
    refused = PilotEvent.objects.get(pilot=live_pilot, action="refused_edit")
    assert refused.actor == manager
    assert refused.fields == [field]
    assert "can no longer change" in refused.message
    assert PilotEvent.objects.filter(pilot=live_pilot, action="locked").count() == 1


def test_the_primary_kpi_is_locked_too(manager_api, live_pilot):
    other = Kpi.objects.create(name="CSAT", formula="csat")

    response = manager_api.patch(
        f"{URL}{live_pilot.pk}/", {"primary_kpi": other.pk}, format="json"
    )

    assert response.status_code == 400
    assert Pilot.objects.get().primary_kpi_id == live_pilot.primary_kpi_id


def test_the_name_and_the_decision_may_still_change(manager_api, live_pilot):
    response = manager_api.patch(
        f"{URL}{live_pilot.pk}/",
        {"name": "Callback pilot", "decision": "Rolled out on 1 March."},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["is_locked"] is True
    event = PilotEvent.objects.get(pilot=live_pilot, action="edited")
    assert event.fields == ["name", "decision"]


def test_a_put_repeating_the_locked_values_is_accepted(manager_api, live_pilot):
    current = manager_api.get(f"{URL}{live_pilot.pk}/").json()

    response = manager_api.put(
        f"{URL}{live_pilot.pk}/", {**current, "decision": "Wait."}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert not PilotEvent.objects.filter(action="refused_edit").exists()


def test_before_go_live_the_design_may_change(manager_api, live_pilot):
    Pilot.objects.filter(pk=live_pilot.pk).update(go_live=today() + timedelta(1))

    response = manager_api.patch(
        f"{URL}{live_pilot.pk}/", {"min_effect": 5}, format="json"
    )

    assert response.status_code == 200
    assert Pilot.objects.get().min_effect == 5


def test_the_lock_is_recorded_once(live_pilot):
    assert lock_due_pilots(today=today()) == 1
    assert lock_due_pilots(today=today()) == 0
    assert live_pilot.events.filter(action="locked").count() == 1


def test_the_admin_refuses_a_locked_edit_with_a_form_error(client, live_pilot):
    admin = UserFactory.create(is_staff=True, is_superuser=True)
    client.force_login(admin)
    url = f"/admin/pilots/pilot/{live_pilot.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {
        name: form[name].value()
        for name in form.fields
        if form[name].value() is not None
    }
    # As the page sends them: JSON, with the hidden initial value Django adds
    # to a field whose default is callable.
    for name in ("treatment", "control"):
        data[name] = data[f"initial-{name}"] = json.dumps(getattr(live_pilot, name))
    data["hypothesis"] = "Something else after the fact."
    data.update(
        {
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
            "events-MIN_NUM_FORMS": "0",
            "events-MAX_NUM_FORMS": "1000",
        }
    )

    response = client.post(url, data)

    assert response.status_code == 200
    assert "can no longer change" in response.content.decode()
    assert Pilot.objects.get().hypothesis == live_pilot.hypothesis
    refused = PilotEvent.objects.get(action="refused_edit")
    assert refused.fields == ["hypothesis"]
    assert refused.actor == admin


def test_the_lock_task_is_safe_to_run_twice(live_pilot):
    assert lock_due_pilots_task() == 1
    assert lock_due_pilots_task() == 0
