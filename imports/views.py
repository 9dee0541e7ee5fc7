"""The admin's "Import CSV" and "Export CSV" pages.

Import in three steps on one page: upload the file; map each column to a
field (prefilled from the header's names); preview (a dry run: counts, errors
and the first rows) as often as needed, then import. The uploaded file waits
between the steps in a private folder (`imports.uploads`), under a random
name that only the uploader's session knows; it is deleted once imported, and
files left behind are deleted after a day. The import itself runs inside the
request: a file too large for the server's timeout goes through
`manage.py import_csv`.
"""

import secrets
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings as django_settings
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import Customer, Interaction
from feedback.models import Case
from imports import exports, services, uploads
from imports.reading import CsvFile, UnreadableFileError
from surveys.models import SurveyResponse

SESSION_KEY = "imports_uploads"
ERRORS_SHOWN = 500
KINDS: dict[str, dict[str, Any]] = {
    "customers": {
        "model": Customer,
        # An import merges into existing customers: it adds and changes them.
        "permissions": ("customers.add_customer", "customers.change_customer"),
        "fields": services.CUSTOMER_FIELDS,
        "run": services.import_customers,
    },
    "interactions": {
        "model": Interaction,
        "permissions": ("customers.add_interaction",),
        "fields": services.INTERACTION_FIELDS,
        "run": services.import_interactions,
    },
}
EXPORT_MODELS: dict[str, type[Model]] = {
    "customers": Customer,
    "responses": SurveyResponse,
    "cases": Case,
}


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy(
            "UTF-8 (with or without BOM), comma or semicolon separated; the "
            "first line names the columns."
        ),
    )

    def clean_file(self) -> Any:
        file = self.cleaned_data["file"]
        limit = django_settings.IMPORT_MAX_BYTES
        if file.size > limit:
            raise forms.ValidationError(
                _(
                    "This file is %(size)s; the admin takes files up to "
                    "%(limit)s. Import larger files with manage.py import_csv."
                )
                % {"size": filesizeformat(file.size), "limit": filesizeformat(limit)}
            )
        return file


def kind_of(request: HttpRequest, kind: str) -> dict[str, Any]:
    if kind not in KINDS:
        raise Http404
    if not request.user.has_perms(KINDS[kind]["permissions"]):
        raise PermissionDenied
    return KINDS[kind]


def stored_upload(request: HttpRequest, kind: str, token: str) -> Path:
    """The file this session uploaded under `token`; 404 for anyone else's."""
    if request.session.get(SESSION_KEY, {}).get(token) != kind:
        raise Http404
    path = uploads.upload_dir() / f"{token}.csv"
    if not path.exists():
        raise Http404
    return path


def page(
    request: HttpRequest, kind: str, title: str, **context: Any
) -> TemplateResponse:
    model = KINDS[kind]["model"]
    return TemplateResponse(
        request,
        "imports/import.html",
        {
            **admin.site.each_context(request),
            "title": title,
            "opts": model._meta,
            "kind": kind,
            **context,
        },
    )


def upload(request: HttpRequest, kind: str) -> HttpResponse:
    kind_of(request, kind)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        uploads.remove_stale()
        token = secrets.token_urlsafe(18)
        # Copied chunk by chunk: Django has already put a large upload in a
        # temporary file, and this one outlives the request.
        uploads.store(token, form.cleaned_data["file"].chunks())
        tokens = request.session.get(SESSION_KEY, {})
        tokens[token] = kind
        request.session[SESSION_KEY] = tokens
        return redirect("imports:map", kind=kind, token=token)
    return page(
        request, kind, _("Import %(kind)s from CSV") % {"kind": kind}, form=form
    )


def mapping_form(header: list[str], fields: list[str], data: Any = None) -> forms.Form:
    """One select per column of the file, prefilled by its name."""
    initial = services.default_mapping(header, fields)
    choices = [("", _("— leave out —")), *((name, name) for name in fields)]
    form = forms.Form(data)
    for index, column in enumerate(header):
        form.fields[f"column_{index}"] = forms.ChoiceField(
            label=column or _("(unnamed column %(number)d)") % {"number": index + 1},
            choices=choices,
            required=False,
            initial=initial.get(column, ""),
        )
    return form


def mapping_of(form: forms.Form, header: list[str]) -> dict[str, str]:
    return {
        column: form.cleaned_data[f"column_{index}"]
        for index, column in enumerate(header)
    }


def map_columns(request: HttpRequest, kind: str, token: str) -> HttpResponse:
    settings = kind_of(request, kind)
    path = stored_upload(request, kind, token)
    title = _("Import %(kind)s from CSV") % {"kind": kind}
    try:
        with open(path, "rb") as file:
            header = CsvFile(services.lines_of(file)).header
    except UnreadableFileError as error:
        path.unlink(missing_ok=True)
        messages.error(request, str(error))
        return redirect("imports:upload", kind=kind)
    form = mapping_form(header, settings["fields"], request.POST or None)
    report = None
    if request.method == "POST" and form.is_valid():
        is_import = "import" in request.POST
        if is_import:
            path = uploads.claim(path)
        try:
            with open(path, "rb") as file:
                report = settings["run"](
                    file,
                    mapping=mapping_of(form, header),
                    dry_run=not is_import,
                    user=request.user,
                )
        except (UnreadableFileError, services.MappingError) as error:
            if is_import:
                path.rename(path.with_suffix(".csv"))  # back, to map again
            messages.error(request, str(error))
        else:
            if is_import:
                path.unlink(missing_ok=True)
                request.session[SESSION_KEY] = {
                    key: value
                    for key, value in request.session.get(SESSION_KEY, {}).items()
                    if key != token
                }
                messages.success(
                    request,
                    _(
                        "Imported: %(created)d created, %(updated)d updated, "
                        "%(merged)d merged, %(failed)d rows failed."
                    )
                    % {
                        "created": report.created,
                        "updated": report.updated,
                        "merged": report.merged,
                        "failed": report.failed,
                    },
                )
    preview_fields = list(report.mapping.values()) if report else []
    return page(
        request,
        kind,
        title,
        mapping_form=form,
        report=report,
        errors=report.errors[:ERRORS_SHOWN] if report else [],
        preview_fields=preview_fields,
        preview_rows=[
            (
                row["line"],
                row["action"],
                [row["values"].get(name, "") for name in preview_fields],
            )
            for row in (report.preview if report else [])
        ],
        imported=report is not None and not report.dry_run,
        changelist_url=reverse(
            f"admin:customers_{settings['model']._meta.model_name}_changelist"
        ),
    )


def export(request: HttpRequest, name: str) -> HttpResponseBase:
    """The changelist's rows as CSV, with its filters and search applied."""
    if name not in EXPORT_MODELS:
        raise Http404
    model_admin = admin.site.get_model_admin(EXPORT_MODELS[name])
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    try:
        changelist = model_admin.get_changelist_instance(request)
    except IncorrectLookupParameters:
        opts = model_admin.opts
        return HttpResponseRedirect(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist") + "?e=1"
        )
    # With the BOM: the admin's downloads are opened in a spreadsheet.
    return exports.csv_response(name, changelist.queryset, bom=True)
