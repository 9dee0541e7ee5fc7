"""The REST API's router: every app's viewsets, behind one prefix."""

from typing import Any

from rest_framework import routers
from rest_framework.viewsets import ViewSetMixin

from customers import api as customers_api
from feedback import api as feedback_api
from feedback.metrics_api import views as metrics_api
from idempotency import api as idempotency_api
from imports import api as imports_api
from pilots import api as pilots_api
from privacy import api as privacy_api
from surveys import api as surveys_api
from text import api as text_api
from tokens import api as tokens_api
from webhooks import api as webhooks_api


class Router(routers.DefaultRouter):
    """DRF's router, honouring an `Idempotency-Key` on every POST of every
    viewset it routes, `@action`s included (idempotency/api.py)."""

    def register(
        self, prefix: str, viewset: type[ViewSetMixin], *args: Any, **kwargs: Any
    ) -> None:
        super().register(prefix, idempotency_api.idempotent(viewset), *args, **kwargs)


router = Router()
router.register("customers", customers_api.CustomerViewSet)
router.register("companies", customers_api.CompanyViewSet)
router.register("touchpoints", customers_api.TouchpointViewSet)
router.register("interactions", customers_api.InteractionViewSet)
router.register("surveys", surveys_api.SurveyViewSet)
router.register("invitations", surveys_api.InvitationViewSet)
# text's: surveys' answers with their comment's reading (text/api.py).
router.register("responses", text_api.SurveyResponseViewSet)
router.register("cases", feedback_api.CaseViewSet)
router.register("root-causes", feedback_api.RootCauseViewSet)
router.register("metrics", metrics_api.MetricsViewSet, basename="metrics")
router.register("imports", imports_api.ImportViewSet, basename="import")
router.register("exports", imports_api.ExportViewSet, basename="export")
router.register("tokens", tokens_api.ApiTokenViewSet)
router.register("webhooks", webhooks_api.SubscriptionViewSet)
router.register("kpis", pilots_api.KpiViewSet)
router.register("pilots", pilots_api.PilotViewSet)
router.register("privacy-requests", privacy_api.PrivacyRequestViewSet)
