"""Who may see the dashboard's pages, and the admin's frame around them."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from feedback import permissions

View = Callable[..., HttpResponseBase]


def manager_required(view: View) -> View:
    """Anonymous: to the admin's login. Logged in but not a manager: a page
    that says why (403)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if not permissions.is_manager(request.user):
            context = page_context(request, title=_("Dashboard"))
            return render(
                request, "feedback/dashboard_forbidden.html", context, status=403
            )
        return view(request, *args, **kwargs)

    return wrapper


def page_context(request: HttpRequest, *, title: str) -> dict[str, Any]:
    """The admin's header and user tools around a page of our own."""
    return {
        **admin.site.each_context(request),
        "is_nav_sidebar_enabled": False,
        "title": title,
    }
