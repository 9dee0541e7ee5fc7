from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from crm import views
from crm.api import router
from feedback.views import home

admin.site.site_header = "Touchloop"
admin.site.site_title = "Touchloop"
admin.site.index_title = "Touchloop"
# No "View site": the admin is the site. Those who may see the dashboard find
# it in the header instead (templates/admin/base_site.html).
admin.site.site_url = None

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    # Before the admin's own URLs: its home starts with the user's open cases.
    path("admin/", admin.site.admin_view(home.admin_index)),
    path("admin/csv/", include("imports.urls")),
    path("admin/mail/", admin.site.admin_view(views.mail_files), name="mail-files"),
    path(
        "admin/mail/<str:name>",
        admin.site.admin_view(views.mail_file),
        name="mail-file",
    ),
    path("admin/", admin.site.urls),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/v1/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema"),
        name="api-docs",
    ),
    path("api/v1/", include(router.urls)),
    # Before the dashboard's own: the pilots' pages live under it.
    path("dashboard/pilots/", include("pilots.urls")),
    path("dashboard/", include("feedback.urls")),
    # The language menu of every page posts to /i18n/setlang/ (set_language).
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", views.healthz, name="healthz"),
    path("", include("privacy.urls")),
    path("", include("surveys.urls")),
]
