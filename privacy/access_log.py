"""Who looked at whom, and who changed what (README "Privacy"), kept by
django-auditlog without copying the personal data it is about.

- Change history: customers, their answers, cases and interactions are
  registered with auditlog; their personal fields (name, address, phone,
  external id, tags, comments, subjects, notes, resolutions) are masked:
  an entry says that the field changed, never from what to what.
- Names: auditlog names an entry's row with str(row), which is the
  customer's name (and an answer's str ends with it); every entry names its
  row by model and id instead (`customer #42`).
- Access: lib.access_log writes the reads (pages, API, exports);
  `entries_about` reads back what concerns one customer, for the customer's
  page ("who accessed this customer", managers only) and the access export.
- Erasure: `forget` repoints the entries about the person to the anonymous
  customer that takes over their rows, or deletes them with the rows.
"""

import functools
from collections.abc import Callable, Sequence
from typing import Any, ParamSpec, TypeVar

from auditlog.context import disable_auditlog
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.signals import pre_save
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from customers.models import Customer, Interaction
from feedback.models import Case
from lib.access_log import Via, object_repr
from surveys.models import SurveyResponse

MASK = "[masked]"
# The fields that hold the person (or what they typed, or what was typed
# about them); the rest of each row is kept as it changes.
PERSONAL_FIELDS: dict[type[models.Model], list[str]] = {
    Customer: ["name", "email", "phone", "external_id", "tags"],
    SurveyResponse: ["comment"],
    Case: ["resolution"],
    Interaction: ["subject", "notes"],
}
# Every save stamps it: an entry per save would say only "saved".
UNTRACKED_FIELDS = ["updated_at"]
# The customer's page shows this many of the latest reads.
PANEL_ROWS = 20


def masked(value: str) -> str:
    """auditlog's own mask keeps half of the value (half an address is
    still the person's): nothing of it is kept."""
    return MASK


def own_columns(model: type[models.Model]) -> list[str]:
    """The row's own fields: auditlog would also read each row pointing at
    a new one (an answer's case, its comment's reading), a query each."""
    return [
        field.name
        for field in model._meta.concrete_fields
        if field.name not in UNTRACKED_FIELDS
    ]


def register_models() -> None:
    """Called once, from PrivacyConfig.ready."""
    for model, fields in PERSONAL_FIELDS.items():
        if not auditlog.contains(model):
            auditlog.register(
                model,
                include_fields=own_columns(model),
                mask_fields=fields,
                mask_callable="privacy.access_log.masked",
            )
    # auditlog offers no option for an entry's name; it sets it just before
    # the entry is saved, which is the one place to replace it.
    pre_save.connect(
        name_row_by_id, sender=LogEntry, dispatch_uid="privacy.access_log.name"
    )


def name_row_by_id(sender: Any, instance: LogEntry, **kwargs: Any) -> None:
    if instance.object_pk:
        model = ContentType.objects.get_for_id(instance.content_type_id).model_class()
        if model is not None:
            instance.object_repr = object_repr(model, instance.object_pk)


def content_type(model: type[models.Model]) -> ContentType:
    return ContentType.objects.get_for_model(model)


def about_rows(
    customer_ids: Any,
    *,
    responses: Any,
    cases: Any,
    interactions: Any,
) -> models.Q:
    """Entries about the customers, their answers, cases and interactions
    (each an id list or a subquery of ids)."""
    return (
        models.Q(content_type=content_type(Customer), object_id__in=customer_ids)
        | models.Q(content_type=content_type(SurveyResponse), object_id__in=responses)
        | models.Q(content_type=content_type(Case), object_id__in=cases)
        | models.Q(content_type=content_type(Interaction), object_id__in=interactions)
    )


def entries_about(customer: Customer | int) -> models.QuerySet[Any]:
    """Every log entry (changes and reads) about the customer, their answers,
    cases and interactions, newest first, with the staff member who made
    it. One query; rows of a list or an export are not named in its entry,
    so those are not among them."""
    pk = customer if isinstance(customer, int) else customer.pk
    entries: models.QuerySet[Any] = (
        LogEntry.objects.filter(
            about_rows(
                [pk],
                responses=SurveyResponse.objects.filter(customer_id=pk).values("pk"),
                cases=Case.objects.filter(customer_id=pk).values("pk"),
                interactions=Interaction.objects.filter(customer_id=pk).values("pk"),
            )
        )
        .select_related("actor", "content_type")
        .order_by("-timestamp", "-pk")
    )
    return entries


def accesses_about(customer: Customer | int) -> models.QuerySet[Any]:
    """The reads among `entries_about`: who looked at the customer."""
    return entries_about(customer).filter(action=LogEntry.Action.ACCESS)


def how_read(entry: LogEntry) -> str:
    via = str((entry.additional_data or {}).get("via"))
    names = {
        Via.ADMIN.value: _("admin page"),
        Via.API.value: _("API"),
        Via.EXPORT.value: _("export"),
    }
    return names.get(via, _("other"))


def what_read(entry: LogEntry) -> str:
    model = entry.content_type.model_class()
    name = model._meta.verbose_name if model else entry.content_type.model
    return f"{name} #{entry.object_pk}"


def staff_name(entry: LogEntry) -> str:
    if entry.actor is None:
        return _("system")
    return str(entry.actor.get_full_name() or entry.actor.get_username())


def access_panel(customer: Customer) -> SafeString:
    """The latest reads of the customer and their rows, as a table (the
    customer's admin page, for managers)."""
    entries = list(accesses_about(customer)[:PANEL_ROWS])
    if not entries:
        return format_html("{}", _("No one has looked at this customer yet."))
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                date_format(localtime(entry.timestamp), "SHORT_DATETIME_FORMAT"),
                staff_name(entry),
                how_read(entry),
                what_read(entry),
            )
            for entry in entries
        ),
    )
    return format_html(
        "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>"
        "</thead><tbody>{}</tbody></table>",
        _("When"),
        _("Who"),
        _("How"),
        _("What"),
        rows,
    )


P = ParamSpec("P")
R = TypeVar("R")


def without_change_history(function: Callable[P, R]) -> Callable[P, R]:
    """`function`'s writes stay out of the change history (an erasure's:
    its ErasureRecord is their proof, and the history would log the
    person's row once more, by its old id)."""

    @functools.wraps(function)
    def unlogged(*args: P.args, **kwargs: P.kwargs) -> R:
        with disable_auditlog():
            return function(*args, **kwargs)

    return unlogged


def forget(
    customer_id: int,
    *,
    responses: Sequence[int],
    cases: Sequence[int],
    interactions: Sequence[int],
    tombstone_id: int | None,
) -> dict[str, int]:
    """On erasure. The entries hold no personal data (masked, named by id),
    but the old customer's id ties them to the person: with a tombstone
    (anonymise) the entries about the customer are the tombstone's, as
    their answers and cases are; without (delete) every entry about the
    person's rows goes with the rows."""
    if tombstone_id is None:
        about = about_rows(
            [customer_id], responses=responses, cases=cases, interactions=interactions
        )
        return {"audit_entries_deleted": LogEntry.objects.filter(about).delete()[0]}
    repointed = LogEntry.objects.filter(
        content_type=content_type(Customer), object_id=customer_id
    ).update(
        object_id=tombstone_id,
        object_pk=str(tombstone_id),
        object_repr=object_repr(Customer, tombstone_id),
    )
    return {"audit_entries_repointed": repointed}
