from django.contrib import admin
from django.urls import path

from imports import views

app_name = "imports"
urlpatterns = [
    path("import/<str:kind>/", admin.site.admin_view(views.upload), name="upload"),
    path(
        "import/<str:kind>/<str:token>/",
        admin.site.admin_view(views.map_columns),
        name="map",
    ),
    path("export/<str:name>.csv", admin.site.admin_view(views.export), name="export"),
]
