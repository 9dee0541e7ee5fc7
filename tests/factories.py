from datetime import timedelta
from typing import Any

import factory
from django.contrib.auth.models import Group, User
from django.utils import timezone

from customers.models import Channel, Company, Customer, Interaction, Stage, Touchpoint
from feedback.models import Case, CaseEvent, RootCause
from idempotency.models import IdempotencyKey
from surveys import tokens
from surveys.models import Invitation, Kind, Survey, SurveyResponse, band_for
from surveys.services import rollup
from tokens.models import ApiToken
from tokens.services import hash_key as hash_api_key
from tokens.services import new_key
from webhooks.models import Subscription


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def groups(user: User, create: bool, names: list[str] | None, **kwargs):  # noqa: N805
        if create and names:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
            user.groups.add(*(Group.objects.get(name=name) for name in names))


# Any: the token it makes carries its key, which the model has no field for.
class ApiTokenFactory(factory.django.DjangoModelFactory[Any]):
    """A token in use: `token.key` is its key (the row holds only the hash),
    last used a moment ago, so that a request with it makes no last-used write
    (tests of that write set `last_used_at=None`)."""

    class Meta:
        model = ApiToken

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Token {n}")
    scope = ApiToken.Scope.WRITE
    last_used_at = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class: type[ApiToken], *args: Any, **kwargs: Any):
        key = new_key()
        token = super()._create(
            model_class, *args, prefix=key[:8], key_hash=hash_api_key(key), **kwargs
        )
        token.key = key
        return token


class CompanyFactory(factory.django.DjangoModelFactory[Company]):
    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"Company {n}")
    domain = factory.Sequence(lambda n: f"company{n}.example")
    segment = "smb"


class CustomerFactory(factory.django.DjangoModelFactory[Customer]):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Customer {n}")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    company = factory.SubFactory(CompanyFactory)
    segment = "smb"
    stage = Stage.USAGE
    timezone = "UTC"


class TouchpointFactory(factory.django.DjangoModelFactory[Touchpoint]):
    class Meta:
        model = Touchpoint

    name = factory.Sequence(lambda n: f"Touchpoint {n}")
    stage = Stage.USAGE
    default_channel = Channel.PHONE


class InteractionFactory(factory.django.DjangoModelFactory[Interaction]):
    class Meta:
        model = Interaction

    customer = factory.SubFactory(CustomerFactory)
    touchpoint = factory.SubFactory(TouchpointFactory)
    channel = Channel.PHONE
    subject = factory.Sequence(lambda n: f"Call {n}")
    occurred_at = factory.LazyFunction(timezone.now)
    status = Interaction.Status.RESOLVED
    resolved_at = factory.LazyAttribute(lambda interaction: interaction.occurred_at)


class SurveyFactory(factory.django.DjangoModelFactory[Survey]):
    class Meta:
        model = Survey

    name = factory.Sequence(lambda n: f"Survey {n}")
    kind = Kind.NPS


class InvitationFactory(factory.django.DjangoModelFactory[Invitation]):
    class Meta:
        model = Invitation

    survey = factory.SubFactory(SurveyFactory)
    interaction = factory.SubFactory(InteractionFactory)
    customer = factory.SelfAttribute("interaction.customer")
    nonce = factory.LazyFunction(tokens.new_nonce)
    token_hash = factory.LazyAttribute(
        lambda invitation: tokens.hash_token(tokens.token_for(invitation.nonce))
    )
    status = Invitation.Status.SENT
    scheduled_for = factory.LazyFunction(timezone.now)
    sent_at = factory.LazyFunction(timezone.now)


class SurveyResponseFactory(factory.django.DjangoModelFactory[SurveyResponse]):
    class Meta:
        model = SurveyResponse

    invitation = factory.SubFactory(
        InvitationFactory, status=Invitation.Status.ANSWERED
    )
    customer = factory.SelfAttribute("invitation.customer")
    survey = factory.SelfAttribute("invitation.survey")
    kind = factory.SelfAttribute("survey.kind")
    score = 9
    band = factory.LazyAttribute(
        lambda response: band_for(response.kind, response.score)
    )
    channel = Channel.PHONE
    answered_at = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(
        cls, model_class: type[SurveyResponse], *args: Any, **kwargs: Any
    ) -> SurveyResponse:
        # Counted in the score rollup as the answer service would, so that
        # figures read from it see the factory's answers too.
        response = super()._create(model_class, *args, **kwargs)
        rollup.count_new(response)
        return response


class RootCauseFactory(factory.django.DjangoModelFactory[RootCause]):
    class Meta:
        model = RootCause
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Cause {n}")


class CaseFactory(factory.django.DjangoModelFactory[Case]):
    class Meta:
        model = Case

    response = factory.SubFactory(SurveyResponseFactory, score=3)
    kind = factory.LazyAttribute(
        lambda case: case.response.kind if case.response else ""
    )
    customer = factory.SelfAttribute("response.customer")
    reason = Case.Reason.DETRACTOR
    due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=48))


class CaseEventFactory(factory.django.DjangoModelFactory[CaseEvent]):
    class Meta:
        model = CaseEvent

    case = factory.SubFactory(CaseFactory)
    kind = CaseEvent.Kind.OPENED


class IdempotencyKeyFactory(factory.django.DjangoModelFactory[IdempotencyKey]):
    """A POST answered with a 201, kept for replays."""

    class Meta:
        model = IdempotencyKey

    owner = factory.SubFactory(UserFactory)
    key = factory.Sequence(lambda n: f"key-{n}")
    method = "POST"
    path = "/api/v1/interactions/"
    request_hash = "0" * 64
    status = IdempotencyKey.Status.COMPLETED
    response_status = 201
    response_headers = factory.LazyFunction(
        lambda: {"Content-Type": "application/json"}
    )
    response_body = b"{}"
    created_at = factory.LazyFunction(timezone.now)


class SubscriptionFactory(factory.django.DjangoModelFactory[Subscription]):
    class Meta:
        model = Subscription

    owner = factory.SubFactory(UserFactory)
    url = "http://127.0.0.1:9/hook"
    event_types = factory.LazyFunction(lambda: ["case.opened"])
