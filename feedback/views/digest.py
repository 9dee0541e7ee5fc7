"""The weekly digest page at /dashboard/digest/: each user turns their own
digest on or off."""

from typing import cast

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from feedback.services import digest


class DigestForm(forms.Form):
    receives_weekly_digest = forms.BooleanField(
        label=_("Send me the weekly digest"), required=False
    )


# The staff sign in through the admin: there is no other login page.
@login_required(login_url="admin:login")
@require_http_methods(["GET", "POST"])
def digest_settings(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)  # login_required
    if request.method == "POST":
        form = DigestForm(request.POST)
        if form.is_valid():
            receives = form.cleaned_data["receives_weekly_digest"]
            digest.set_receives_weekly_digest(user, receives=receives)
            messages.success(
                request,
                _("You will receive the weekly digest.")
                if receives
                else _("You will not receive the weekly digest."),
            )
            return redirect(request.path)
    else:
        form = DigestForm(
            initial={"receives_weekly_digest": digest.receives_weekly_digest(user)}
        )
    context = {
        **admin.site.each_context(request),
        "title": _("Weekly digest"),
        "dashboard_url": reverse("dashboard:index"),
        "form": form,
        "is_manager": digest.managers().filter(id=user.pk).exists(),
    }
    return render(request, "feedback/digest_settings.html", context)
