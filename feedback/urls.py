from django.urls import path

from feedback.views import answers, dashboard, digest, export

app_name = "dashboard"

urlpatterns = [
    path("", dashboard.dashboard, name="index"),
    path("answers/", answers.answers_list, name="answers"),
    path("answers.csv", export.answers_csv, name="answers-csv"),
    path("digest/", digest.digest_settings, name="digest"),
]
