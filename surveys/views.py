"""The public survey pages: no login, the link's token is the credential.

A GET never records an answer (mail scanners open every link). The answer
page shows the clicked score pre-selected; its own script POSTs that score once
the page is shown in a browser, and its Submit button POSTs score and comment
without script. Unknown tokens get a 404 page and closed invitations a 410
page, and neither says anything about anyone.
"""

import functools
from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from lib import rates
from lib.http import client_address
from surveys.models import SCALE_LABELS, Invitation, SurveyResponse
from surveys.services import answers, sending

View = Callable[..., HttpResponse]
# Why a settled answer (answers.is_settled) can no longer change.
FOLLOWED_UP = _(
    "Someone from our team has already followed up on your answer, "
    "so it can no longer be changed."
)


def rate_limited(view: View) -> View:
    """At most SURVEY_RATE_LIMIT_PER_MINUTE requests per client in any minute,
    counted atomically by lib.rates (in Redis when there is one, shared by
    every web process). If Redis is down the page still answers."""

    @functools.wraps(view)
    def limited(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        verdict = rates.hit(
            f"survey:{client_address(request)}",
            rates.Rate(limit=settings.SURVEY_RATE_LIMIT_PER_MINUTE, seconds=60),
        )
        if not verdict.allowed:
            response = page(request, "too_many", status=429)
            response["Retry-After"] = str(verdict.retry_after)
            return response
        return view(request, *args, **kwargs)

    return limited


class AnswerForm(forms.Form):
    score = forms.TypedChoiceField(coerce=int, choices=[])
    comment = forms.CharField(
        required=False,
        max_length=answers.COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, scale: range, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        score = self.fields["score"]
        assert isinstance(score, forms.TypedChoiceField)  # noqa: S101 (for mypy)
        score.choices = [(value, str(value)) for value in scale]
        message = _("Choose a score from %(low)s to %(high)s.") % {
            "low": scale[0],
            "high": scale[-1],
        }
        score.error_messages.update(invalid_choice=message, required=message)


def page_language(request: HttpRequest, invitation: Invitation) -> str:
    """The customer's own language, unless this visitor chose one in the
    page's language menu (the cookie of Django's set_language)."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if chosen in dict(settings.LANGUAGES):
        return chosen
    return invitation.customer.language or settings.LANGUAGE_CODE


def page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
) -> HttpResponse:
    context = {"brand": settings.BRAND_NAME, **(context or {})}
    return render(request, f"surveys/{template}.html", context, status=status)


def not_found(request: HttpRequest) -> HttpResponse:
    return page(request, "not_found", status=404)


def closed(request: HttpRequest) -> HttpResponse:
    return page(request, "closed", status=410)


def preselected_score(request: HttpRequest, scale: range) -> int | None:
    """`?score=` from the mail's button, when it is a score of this scale.

    Compared as text: int() of a long digit string raises (Python's limit on
    integer string conversion), and "07" or "٣" is not a button's value."""
    value = request.GET.get("score", "")
    scores = {str(score): score for score in scale}
    return scores.get(value)


@never_cache
@rate_limited
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    invitation = answers.find_by_token(token)
    if invitation is None:
        return not_found(request)
    with translation.override(page_language(request, invitation)):
        return answer_in_language(request, invitation)


def answer_in_language(request: HttpRequest, invitation: Invitation) -> HttpResponse:
    now = timezone.now()
    response = answers.response_of(invitation)
    if response is None and (
        not invitation.is_answerable or answers.is_expired(invitation, now=now)
    ):
        return closed(request)
    if response is not None and now > answers.edit_window_closes(response, invitation):
        return thanks(request, invitation, response, can_edit=False)
    scale = invitation.survey.scale
    if request.method == "GET":
        if response is not None and answers.is_settled(response):
            # Someone from the team has followed the answer up: show it as
            # they saw it, and offer no change (nor send the mail's score).
            return thanks(request, invitation, response, can_edit=False, settled=True)
        answers.note_opened(invitation, now=now)
        score = preselected_score(request, scale)
        initial = {
            "score": score if score is not None else getattr(response, "score", None)
        }
        if response is not None:
            initial["comment"] = response.comment
        form = AnswerForm(initial=initial, scale=scale)
        # Only the first click in the mail sends the automatic POST: on an
        # answered link the page shows the recorded answer and a clicked other
        # score waits for the Submit button, so that an answer never changes
        # without the customer having seen what it was.
        return answer_page(
            request,
            invitation,
            form,
            auto_submit=score is not None and response is None,
            status_text=answered_status(response, clicked=score),
        )
    form = AnswerForm(request.POST, scale=scale)
    wants_json = request.headers.get("Accept", "").startswith("application/json")
    if form.is_valid():
        comment = form.cleaned_data["comment"] if "comment" in request.POST else None
        try:
            recorded = answers.record_response(
                invitation, score=form.cleaned_data["score"], comment=comment, now=now
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return answered(request, invitation, recorded, wants_json=wants_json)
    if wants_json:
        return JsonResponse({"saved": False, "errors": form.errors}, status=400)
    return answer_page(request, invitation, form, auto_submit=False, status=400)


def answered(
    request: HttpRequest,
    invitation: Invitation,
    recorded: answers.Recorded,
    *,
    wants_json: bool,
) -> HttpResponse:
    """The page after a POST: the answer as recorded, which is not the one
    posted when it is settled."""
    score = recorded.response.score
    if recorded.settled:
        if wants_json:
            message = str(FOLLOWED_UP)
            return JsonResponse(
                {"saved": False, "score": score, "message": message}, status=409
            )
        return thanks(
            request, invitation, recorded.response, can_edit=False, settled=True
        )
    if wants_json:
        return JsonResponse({"saved": True, "score": score})
    return thanks(request, invitation, recorded.response, can_edit=True)


def answered_status(response: SurveyResponse | None, *, clicked: int | None) -> str:
    """What the answer page says on opening an answered link: that the answer
    is saved, and which score is recorded (and, after a click in the mail on
    another score, that Submit changes it)."""
    if response is None:
        return ""
    saved = _("Thank you, your answer is saved. You can change it below.")
    if clicked is None or clicked == response.score:
        recorded = _("Your answer: %(score)s.") % {"score": response.score}
    else:
        recorded = _(
            "Your recorded answer is %(recorded)s. Submit to change it to %(chosen)s."
        ) % {"recorded": response.score, "chosen": clicked}
    return f"{saved} {recorded}"


def answer_page(
    request: HttpRequest,
    invitation: Invitation,
    form: AnswerForm,
    *,
    auto_submit: bool,
    status_text: str = "",
    status: int = 200,
) -> HttpResponse:
    survey = invitation.survey
    low, high = SCALE_LABELS[survey.kind]
    selected = form["score"].value()
    context = {
        "question": mailed_question(request, invitation),
        "form": form,
        "scale": list(survey.scale),
        "selected": str(selected) if selected not in (None, "") else "",
        "low_label": low,
        "high_label": high,
        "auto_submit": auto_submit,
        "status_text": status_text,
        "kind": survey.kind,
    }
    return page(request, "answer", context, status=status)


def mailed_question(request: HttpRequest, invitation: Invitation) -> str:
    """The question as the mail asked it: a pilot's variant as it stood
    when the mail went out, not as it stands now (a pilot that went live or
    ended since would ask a different one, and mix its groups)."""
    return sending.question_for(
        invitation,
        page_language(request, invitation),
        now=invitation.sent_at or timezone.now(),
    )


def thanks(
    request: HttpRequest,
    invitation: Invitation,
    response: SurveyResponse,
    *,
    can_edit: bool,
    settled: bool = False,
) -> HttpResponse:
    context = {
        "response": response,
        "can_edit": can_edit,
        "followed_up": FOLLOWED_UP if settled else "",
        "question": mailed_question(request, invitation),
    }
    return page(request, "thanks", context)


@never_cache
@csrf_exempt  # RFC 8058: mail providers POST here without any token but the URL's
@rate_limited
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    invitation = answers.find_by_token(token)
    if invitation is None:
        return not_found(request)
    with translation.override(page_language(request, invitation)):
        if request.method == "GET":
            return page(request, "unsubscribe")
        answers.unsubscribe(
            invitation.customer,
            now=timezone.now(),
            ip_address=client_address(request),
            user_agent=request.headers.get("User-Agent", ""),
        )
        return page(request, "unsubscribed")
