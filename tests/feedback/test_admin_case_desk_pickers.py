"""The case desk names its buttons apart and picks staff members by typing:
the owner of a case opened by hand, the new owner of the reassign action and
quick action, and the staff member of a mail preference."""

import json

import pytest
from django.urls import reverse

from feedback.models import Case, StaffPreference
from tests.factories import CustomerFactory, UserFactory
from tests.feedback.admin_helpers import NOW, case_url

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]

OWNER_SEARCH = "/admin/feedback/case/staff-autocomplete/"


def owner_picker_in(html: str, field_id: str) -> bool:
    start = html.index(f'id="{field_id}"')
    tag = html[html.rindex("<select", 0, start) : html.index(">", start)]
    return "admin-autocomplete" in tag and f'data-ajax--url="{OWNER_SEARCH}"' in tag


def search_owners(client, term: str) -> list[str]:
    response = client.get(
        OWNER_SEARCH,
        {
            "term": term,
            "app_label": "feedback",
            "model_name": "case",
            "field_name": "owner",
        },
    )
    assert response.status_code == 200
    return [row["text"] for row in json.loads(response.content)["results"]]


def test_the_case_page_leaves_for_the_list_by_a_link_not_named_close(
    client, owner, case
):
    client.force_login(owner)

    html = client.get(case_url(case)).content.decode()

    changelist = reverse("admin:feedback_case_changelist")
    assert f'<a href="{changelist}" class="closelink">Back to the list</a>' in html
    assert ">Close<" not in html
    assert 'value="Close the case"' in html


def test_the_leaving_link_is_not_the_closing_button_in_chinese(client, owner, case):
    StaffPreference.objects.create(user=owner, language="zh-hans")
    client.force_login(owner)

    html = client.get(case_url(case)).content.decode()

    assert 'value="关闭跟进工单"' in html
    assert ">关闭<" not in html


def test_the_add_page_picks_the_owner_by_typing(client, support):
    client.force_login(support)

    html = client.get(reverse("admin:feedback_case_add")).content.decode()

    assert owner_picker_in(html, "id_owner")
    assert 'data-placeholder="The usual rule' in html


def test_the_reassign_quick_action_picks_the_new_owner_by_typing(client, owner, case):
    client.force_login(owner)

    html = client.get(case_url(case)).content.decode()

    assert owner_picker_in(html, "id_reassign-owner")
    assert "admin/js/autocomplete.js" in html


def test_the_reassign_action_picks_the_new_owner_by_typing(client, manager, case):
    client.force_login(manager)

    response = client.post(
        reverse("admin:feedback_case_changelist"),
        {"action": "reassign", "_selected_action": [case.pk]},
    )

    html = response.content.decode()
    assert owner_picker_in(html, "id_owner")
    assert "admin/js/autocomplete.js" in html


def test_the_owner_search_offers_only_those_who_may_own_cases(client, support):
    UserFactory.create(username="sue-support", groups=["Support"])
    UserFactory.create(username="sue-no-role", is_staff=True)  # may not see cases
    UserFactory.create(username="sue-left", groups=["Support"], is_active=False)
    client.force_login(support)

    assert search_owners(client, "sue") == ["sue-support"]


def test_the_owner_search_is_refused_to_staff_who_may_not_see_cases(client):
    client.force_login(UserFactory.create(username="olly", is_staff=True))

    response = client.get(
        OWNER_SEARCH,
        {"term": "", "app_label": "feedback", "model_name": "case"}
        | {"field_name": "owner"},
    )

    assert response.status_code == 403


def test_a_case_opened_by_hand_with_an_owner_that_is_no_id_is_a_form_error(
    client, support
):
    customer = CustomerFactory.create()
    client.force_login(support)

    response = client.post(
        reverse("admin:feedback_case_add"),
        {"customer": customer.pk, "priority": "normal", "owner": "nobody"},
    )

    assert response.status_code == 200
    assert "owner" in response.context["adminform"].form.errors
    assert not Case.objects.exists()


def test_a_staff_preference_picks_the_staff_member_by_typing(client, manager):
    client.force_login(manager)

    html = client.get(reverse("admin:feedback_staffpreference_add")).content.decode()

    start = html.index('id="id_user"')
    tag = html[html.rindex("<select", 0, start) : html.index(">", start)]
    assert "admin-autocomplete" in tag
    assert "staffpreference/staff-autocomplete/" in tag
