from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import FileResponse, Http404, HttpRequest, JsonResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from crm import __version__
from crm.celery import app as celery_app
from feedback import permissions
from lib import mailfiles

# The mail page lists this many, newest first; the folder has the rest.
RECENT_MAILS = 50


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:  # any failure means "not healthy"; say which
        return f"error: {type(error).__name__}"
    return "ok"


def broker_status() -> str:
    try:
        with celery_app.connection_for_write() as broker:
            broker.ensure_connection(max_retries=1, timeout=2)
    except Exception as error:
        return f"error: {type(error).__name__}"
    return "ok"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": database_status(), "broker": broker_status()}
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks, "version": __version__},
        status=200 if healthy else 503,
    )


def version(request: HttpRequest) -> dict[str, str]:
    """Template context: the version, for the admin's footer."""
    return {"touchloop_version": __version__}


# The mail written to files (without SMTP_URL), at /admin/mail/: here, not in
# an app, because it is every app's mail (surveys, case alerts, digests,
# webhook notices). Managers only: the files hold the links that answer a
# survey as its customer, and the managers' digests.


def require_manager(request: HttpRequest) -> None:
    if not permissions.is_manager(request.user):
        raise PermissionDenied


@require_GET
def mail_files(request: HttpRequest) -> TemplateResponse:
    context = {**admin.site.each_context(request), "title": _("Recent mail")}
    if not permissions.is_manager(request.user):
        # Support staff are sent here by the README to read a survey they
        # triggered: say why they may not, and what they can do.
        return TemplateResponse(
            request, "admin/mail_forbidden.html", context, status=403
        )
    folder = mailfiles.mail_directory()
    context = {
        **context,
        "folder": folder,
        "mails": mailfiles.recent(folder, count=RECENT_MAILS) if folder else [],
        "shown": RECENT_MAILS,
    }
    return TemplateResponse(request, "admin/mail_files.html", context)


@require_GET
def mail_file(request: HttpRequest, name: str) -> FileResponse:
    """One mail as its .eml file, for a mail client to open."""
    require_manager(request)
    folder = mailfiles.mail_directory()
    path = mailfiles.mail_path(folder, name) if folder else None
    if path is None:
        raise Http404
    try:
        file = path.open("rb")
    except FileNotFoundError:  # deleted since: as if it had never been
        raise Http404 from None
    return FileResponse(
        file, as_attachment=True, filename=name, content_type="message/rfc822"
    )
