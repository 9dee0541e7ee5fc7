"""The forms of the case desk: the case page's quick actions, each a form and
the case service it calls, and the form of a case opened by hand."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin import widgets
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from customers.models import Channel
from feedback import permissions
from feedback.models import Case, RootCause
from feedback.services import cases
from lib.forms import LocalSplitDateTimeField

Status = Case.Status


def staff_name(user: User | None) -> str:
    if user is None:
        return str(_("Nobody"))
    return user.get_full_name() or user.get_username()


def active_staff() -> QuerySet[User]:
    """Who may own a case (permissions.may_own_cases)."""
    return permissions.case_owners().order_by("username")


class StaffChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: User) -> str:
        return staff_name(obj)


# The quick actions of the case page


class ContactForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("channel"), choices=Channel.choices, initial=Channel.PHONE
    )
    at = LocalSplitDateTimeField(
        label=_("when"),
        required=False,
        widget=widgets.AdminSplitDateTime,
        help_text=_("Now, unless you reached the customer earlier."),
    )
    note = forms.CharField(
        label=_("note"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["at"].initial = timezone.now


class CloseForm(forms.Form):
    root_cause = forms.ModelChoiceField(
        label=_("root cause"),
        queryset=RootCause.objects.filter(is_active=True),
        error_messages={"required": _("Choose the root cause.")},
    )
    resolution = forms.CharField(
        label=_("resolution"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say how the case was resolved.")},
    )
    recovery_days = forms.IntegerField(
        label=_("re-survey after (days)"), required=False, min_value=0, max_value=365
    )
    skip_resurvey = forms.BooleanField(label=_("Do not re-survey"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["recovery_days"].initial = settings.CASE_RECOVERY_DAYS


class ReopenForm(forms.Form):
    note = forms.CharField(
        label=_("why"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReassignForm(forms.Form):
    owner = StaffChoiceField(label=_("new owner"), queryset=active_staff())


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("note"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write the note.")},
    )


Perform = Callable[[Case, Any, dict[str, Any]], object]


@dataclass(frozen=True)
class QuickAction:
    name: str
    title: str | Promise
    button: str | Promise
    form_class: type[forms.Form]
    perform: Perform
    done: str | Promise
    is_for: Callable[[Case], bool]
    # Shown unfolded on the case page; the others are one click away.
    is_main: bool = False


def record_contact(case: Case, by: Any, data: dict[str, Any]) -> object:
    return cases.record_contact(
        case, by=by, channel=data["channel"], at=data["at"], note=data["note"]
    )


def close(case: Case, by: Any, data: dict[str, Any]) -> object:
    return cases.close_case(
        case,
        by=by,
        root_cause=data["root_cause"],
        resolution=data["resolution"],
        recovery_days=data["recovery_days"],
        resurvey=not data["skip_resurvey"],
    )


def is_unresolved(case: Case) -> bool:
    return case.status != Status.CLOSED


def is_closed(case: Case) -> bool:
    return case.status == Status.CLOSED


QUICK_ACTIONS = {
    action.name: action
    for action in [
        QuickAction(
            name="contact",
            is_main=True,
            title=_("Record contact"),
            button=_("Record contact"),
            form_class=ContactForm,
            perform=record_contact,
            done=_("The contact was recorded."),
            is_for=is_unresolved,
        ),
        QuickAction(
            name="close",
            is_main=True,
            title=_("Close with root cause"),
            button=_("Close the case"),
            form_class=CloseForm,
            perform=close,
            done=_("The case was closed."),
            is_for=is_unresolved,
        ),
        QuickAction(
            name="reopen",
            is_main=True,
            title=_("Reopen"),
            button=_("Reopen the case"),
            form_class=ReopenForm,
            perform=lambda case, by, data: cases.reopen_case(
                case, by=by, note=data["note"]
            ),
            done=_("The case was reopened."),
            is_for=is_closed,
        ),
        QuickAction(
            name="reassign",
            title=_("Reassign"),
            button=_("Reassign"),
            form_class=ReassignForm,
            perform=lambda case, by, data: cases.assign_case(
                case, owner=data["owner"], by=by
            ),
            done=_("The case was reassigned."),
            is_for=lambda case: True,
        ),
        QuickAction(
            name="note",
            title=_("Add note"),
            button=_("Add note"),
            form_class=NoteForm,
            perform=lambda case, by, data: cases.add_note(
                case, by=by, note=data["note"]
            ),
            done=_("The note was added."),
            is_for=lambda case: True,
        ),
    ]
}


def quick_actions_for(user: Any, case: Case) -> list[QuickAction]:
    if not permissions.may_work_on(user, case):
        return []
    return [action for action in QUICK_ACTIONS.values() if action.is_for(case)]


def add_service_error(form: forms.BaseForm, error: ValidationError) -> None:
    """A service's ValidationError on the form: on the fields it names when
    the form has them, above the form otherwise."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def error_text(form: forms.BaseForm) -> str:
    return " ".join(
        str(message) for errors in form.errors.values() for message in errors
    )


# Manual cases


class OpenCaseForm(forms.ModelForm):  # type: ignore[type-arg]
    note = forms.CharField(
        label=capfirst(_("note")),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 40}),
        help_text=_("Why the case is opened; it starts the timeline."),
    )

    class Meta:
        model = Case
        fields = ["customer", "interaction", "response", "priority", "owner"]
