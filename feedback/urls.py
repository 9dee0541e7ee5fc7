from django.urls import path

from feedback import dashboard, digest_views

app_name = "dashboard"

urlpatterns = [
    path("", dashboard.dashboard, name="index"),
    path("answers/", dashboard.answers_list, name="answers"),
    path("answers.csv", dashboard.answers_csv, name="answers-csv"),
    path("digest/", digest_views.digest_settings, name="digest"),
]
