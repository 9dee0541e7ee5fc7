from django.urls import path

from privacy import views

app_name = "privacy"

urlpatterns = [
    path("privacy/download/<str:token>/", views.download, name="download"),
]
