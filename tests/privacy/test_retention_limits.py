"""An age past a century is refused in the admin (form error, not a 500 on
the dry run and the nightly task later), and by the database."""

import pytest
from django.db import IntegrityError, transaction

from privacy.models import RetentionRule
from tests.privacy.test_retention_admin import (
    DRY_RUN,
    change_url,
    comments_rule,
    edit,
)

pytestmark = pytest.mark.django_db


def test_an_age_past_a_century_is_a_form_error(client, manager):
    client.force_login(manager)
    rule = comments_rule()

    refused = client.post(change_url(rule), edit(age_days=800000))

    assert refused.status_code == 200
    assert b"errorlist" in refused.content
    rule.refresh_from_db()
    assert rule.age_days == 730
    assert client.get(DRY_RUN).status_code == 200


def test_the_database_refuses_an_age_past_a_century():
    with pytest.raises(IntegrityError), transaction.atomic():
        RetentionRule.objects.filter(pk=comments_rule().pk).update(age_days=36501)
