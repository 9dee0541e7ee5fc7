"""The answer page's floor: Touchloop's settings and middleware, and one view
that does one INSERT. Served by gunicorn next to the real app
(`gunicorn bench.floor_wsgi`) by bench/answer_page.py, which creates the table
(harness.FLOOR_TABLE) before and drops it after.
"""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from bench.harness import FLOOR_TABLE


@csrf_exempt
@require_POST
def answer(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {FLOOR_TABLE} (token, score, answered_at)"  # noqa: S608 (a constant)
            " VALUES (%s, %s, %s)",
            [request.POST["token"], int(request.POST["score"]), timezone.now()],
        )
    return JsonResponse({"saved": True})


urlpatterns = [path("floor/", answer)]

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
settings.ROOT_URLCONF = __name__
application = get_wsgi_application()
