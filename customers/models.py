import functools
import zoneinfo
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils.crypto import salted_hmac
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from lib.validation import single_line


class Stage(models.TextChoices):
    """Journey stages, in the order a customer lives them."""

    AWARENESS = "awareness", _("Awareness")
    CONSIDERATION = "consideration", _("Consideration")
    DECISION = "decision", _("Decision")
    PURCHASE = "purchase", _("Purchase")
    USAGE = "usage", _("Usage")
    REPURCHASE = "repurchase", _("Repurchase")
    ADVOCACY = "advocacy", _("Advocacy")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    CHAT = "chat", _("Chat")
    MEETING = "meeting", _("Meeting")
    IN_PERSON = "in_person", _("In person")
    SOCIAL = "social", _("Social media")
    WEB = "web", _("Web")
    OTHER = "other", _("Other")


class Language(models.TextChoices):
    EN = "en", "English"
    ZH_HANS = "zh-hans", "简体中文"


@functools.cache
def known_timezones() -> frozenset[str]:
    """The IANA names; listing them reads the disk, so only once."""
    return frozenset(zoneinfo.available_timezones())


def validate_timezone(value: str) -> None:
    if value not in known_timezones():
        raise ValidationError(
            _("%(value)s is not a known time zone (use a name like Asia/Shanghai)."),
            params={"value": value},
        )


def validate_jurisdiction(value: str) -> None:
    if not (
        len(value) == 2 and value.isascii() and value.isalpha() and value.isupper()
    ):
        raise ValidationError(
            _("Use a two-letter country code in capitals, like CN or DE."),
            code="invalid",
        )


def default_timezone() -> str:
    return str(settings.TIME_ZONE)


class Company(models.Model):
    name = models.CharField(_("name"), max_length=200, validators=[single_line])
    domain = models.CharField(
        _("domain"), max_length=253, blank=True, validators=[single_line]
    )
    segment = models.CharField(
        _("segment"), max_length=50, blank=True, validators=[single_line]
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        limit_choices_to={"is_staff": True},
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_companies",
    )
    external_id = models.CharField(
        _("external id"), max_length=100, blank=True, validators=[single_line]
    )
    created_at = models.DateTimeField(_("created at"), default=now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~models.Q(external_id=""),
                name="company_external_id_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["name"], name="company_name_idx"),
            models.Index(fields=["updated_at", "id"], name="company_updated_idx"),
        ]

    def __str__(self) -> str:
        return self.name


SUPPRESSION_SALT = "touchloop.customers.SuppressedAddress"


def normalised_email(address: str) -> str:
    return address.strip().lower()


def suppression_digest(address: str, *, secret: str | bytes | None = None) -> str:
    """The keyed hash that stands for an address on the suppression list:
    HMAC-SHA256 with a key derived from SECRET_KEY (its own salt), of the
    address lower-cased and trimmed. Without the server's secret a dump of
    the list cannot be checked against a guessed address."""
    return salted_hmac(
        SUPPRESSION_SALT,
        normalised_email(address),
        secret=secret,
        algorithm="sha256",
    ).hexdigest()


def suppression_digests(address: str) -> list[str]:
    """The address's digest under SECRET_KEY and under each fallback key, so
    that rotating the secret does not forget the list."""
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [suppression_digest(address, secret=secret) for secret in secrets]


class SuppressedAddressQuerySet(models.QuerySet["SuppressedAddress"]):
    def matching(self, address: str) -> "SuppressedAddressQuerySet":
        if not address.strip():
            return self.none()
        return self.filter(digest__in=suppression_digests(address))

    def is_suppressed(self, address: str) -> bool:
        return bool(address.strip()) and self.matching(address).exists()

    def suppressed_among(self, addresses: "set[str]") -> set[str]:
        """Those of `addresses` on the list, in one query (an import chunk)."""
        by_digest = {
            digest: address
            for address in addresses
            if address.strip()
            for digest in suppression_digests(address)
        }
        if not by_digest:
            return set()
        found = self.filter(digest__in=by_digest).values_list("digest", flat=True)
        return {by_digest[digest] for digest in found}


class SuppressedAddress(models.Model):
    """An email address that must never become a customer again, nor be
    asked anything: erased under a privacy request. Only its keyed hash is
    kept (suppression_digest), never the address."""

    class Source(models.TextChoices):
        ERASURE = "erasure", _("Erasure request")
        STAFF = "staff", _("Staff")

    digest = models.CharField(_("digest"), max_length=64, unique=True)
    source = models.CharField(
        _("source"), max_length=20, choices=Source.choices, default=Source.ERASURE
    )
    created_at = models.DateTimeField(_("created at"), default=now)

    objects = SuppressedAddressQuerySet.as_manager()

    class Meta:
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")

    def __str__(self) -> str:
        return self.digest[:12]


SUPPRESSED_MESSAGE = _(
    "This address was erased under a privacy request and is on the suppression "
    "list; it cannot be added again."
)


class CustomerQuerySet(models.QuerySet["Customer"]):
    def with_email(self, address: str) -> "CustomerQuerySet":
        """The customer with this address, ignoring case. Spelt like the unique
        index, LOWER(email) WHERE email <> '', so that PostgreSQL answers from it."""
        return (
            self.alias(email_lower=Lower("email"))
            .filter(email_lower=address.strip().lower())
            .exclude(email="")
        )


class Customer(models.Model):
    name = models.CharField(_("name"), max_length=200, validators=[single_line])
    # Blank when the customer has no address; unique ignoring case otherwise.
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(
        _("phone"), max_length=50, blank=True, validators=[single_line]
    )
    company = models.ForeignKey(
        Company,
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customers",
    )
    segment = models.CharField(
        _("segment"), max_length=50, blank=True, validators=[single_line]
    )
    stage = models.CharField(
        _("journey stage"), max_length=20, choices=Stage.choices, blank=True
    )
    language = models.CharField(
        _("language"), max_length=10, choices=Language.choices, default=Language.EN
    )
    timezone = models.CharField(
        _("time zone"),
        max_length=64,
        default=default_timezone,
        validators=[validate_timezone],
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        limit_choices_to={"is_staff": True},
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_customers",
    )
    external_id = models.CharField(
        _("external id"), max_length=100, blank=True, validators=[single_line]
    )
    tags = models.JSONField(_("tags"), default=list, blank=True)
    # Where the customer's data-protection law comes from (ISO 3166-1 alpha-2,
    # upper case; blank: not known). Decides whether profiling needs explicit
    # consent (settings.PRIVACY_PROFILING_CONSENT_JURISDICTIONS).
    jurisdiction = models.CharField(
        _("jurisdiction"),
        max_length=2,
        blank=True,
        validators=[validate_jurisdiction],
        help_text=_("Country code of the law protecting the customer (CN, DE…)."),
    )
    # Set while the customer's survey consent is withdrawn (an unsubscribe,
    # or a withdrawal recorded by staff, the API or an import): the consent
    # history's latest survey event, kept on the row by customers.consent so
    # that survey eligibility reads it without a query per customer.
    email_opted_out_at = models.DateTimeField(
        _("email opted out at"), null=True, blank=True
    )
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="customer_email_ci_unique",
                violation_error_message=_("A customer with this email already exists."),
            ),
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~models.Q(external_id=""),
                name="customer_external_id_unique",
                violation_error_message=_(
                    "A customer with this external id already exists."
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["name"], name="customer_name_idx"),
            models.Index(fields=["updated_at", "id"], name="customer_updated_idx"),
        ]

    def __str__(self) -> str:
        return self.name or self.email or f"#{self.pk}"

    def clean(self) -> None:
        """Every door that creates a customer or changes an address validates
        (lib.validation.save_validated; the importer asks is_suppressed
        itself), so the suppression list is checked here once: for a new
        customer, or a new address. (A customer whose address was put on the
        list by staff stays editable.)"""
        super().clean()
        if (
            self.email
            and self._email_is_new()
            and SuppressedAddress.objects.is_suppressed(self.email)
        ):
            raise ValidationError({"email": SUPPRESSED_MESSAGE}, code="suppressed")

    def _email_is_new(self) -> bool:
        if self.pk is None:
            return True
        stored = Customer.objects.filter(pk=self.pk).values_list("email", flat=True)
        return (stored.first() or "").lower() != self.email.lower()


class Touchpoint(models.Model):
    """A moment that matters in the journey ("Onboarding call", "Checkout")."""

    name = models.CharField(
        _("name"), max_length=100, unique=True, validators=[single_line]
    )
    stage = models.CharField(_("journey stage"), max_length=20, choices=Stage.choices)
    default_channel = models.CharField(
        _("default channel"),
        max_length=20,
        choices=Channel.choices,
        default=Channel.EMAIL,
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("touchpoint")
        verbose_name_plural = _("touchpoints")
        indexes = [
            models.Index(fields=["updated_at", "id"], name="touchpoint_updated_idx")
        ]

    def __str__(self) -> str:
        return self.name


class Interaction(models.Model):
    class Direction(models.TextChoices):
        INBOUND = "inbound", _("Inbound")
        OUTBOUND = "outbound", _("Outbound")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RESOLVED = "resolved", _("Resolved")

    class SurveyMode(models.TextChoices):
        AUTO = "auto", _("Survey as usual")
        SKIP = "skip", _("Resolve without survey")

    # PROTECT: customers are erased, never deleted, while history points at them.
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        db_index=False,  # leads the composite index below
        on_delete=models.PROTECT,
        related_name="interactions",
    )
    touchpoint = models.ForeignKey(
        Touchpoint,
        verbose_name=_("touchpoint"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="interactions",
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    direction = models.CharField(
        _("direction"),
        max_length=10,
        choices=Direction.choices,
        default=Direction.INBOUND,
    )
    subject = models.CharField(
        _("subject"), max_length=200, blank=True, validators=[single_line]
    )
    notes = models.TextField(_("notes"), blank=True)
    occurred_at = models.DateTimeField(_("occurred at"), default=now)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("logged by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="logged_interactions",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RESOLVED
    )
    survey_mode = models.CharField(
        _("survey"), max_length=10, choices=SurveyMode.choices, default=SurveyMode.AUTO
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="open", resolved_at__isnull=True)
                | models.Q(status="resolved", resolved_at__isnull=False),
                name="interaction_resolved_at_matches_status",
            ),
        ]
        indexes = [
            models.Index(
                fields=["customer", "-occurred_at"], name="interaction_customer_idx"
            ),
            models.Index(fields=["-occurred_at"], name="interaction_occurred_idx"),
            models.Index(fields=["updated_at", "id"], name="interaction_updated_idx"),
        ]

    def __str__(self) -> str:
        return self.subject or f"{self.get_channel_display()} #{self.pk}"


class ConsentPurpose(models.TextChoices):
    SURVEYS = "surveys", _("Surveys")
    MARKETING = "marketing", _("Marketing")
    PROFILING = "profiling", _("Profiling")
    CROSS_BORDER = "cross_border", _("Cross-border transfer")


class ConsentSource(models.TextChoices):
    SURVEY_PAGE = "survey_page", _("Survey page")
    UNSUBSCRIBE = "unsubscribe", _("Unsubscribe link")
    STAFF = "staff", _("Staff")
    IMPORT = "import", _("Import")
    API = "api", _("API")


class AppendOnlyError(Exception):
    """A consent event is history: it is never changed or deleted one by one."""


class ConsentEvent(models.Model):
    """One grant or withdrawal of a customer's consent to one purpose, with
    how it was given and its evidence. Append-only: the current state is the
    latest event per purpose (customers.consent). Only erasure rewrites rows
    in bulk (blanking the evidence)."""

    Purpose = ConsentPurpose
    Source = ConsentSource

    # CASCADE: an erasure that deletes the person takes their history with
    # them; one that anonymises moves it to the anonymous customer first.
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        db_index=False,  # leads the composite index below
        on_delete=models.CASCADE,
        related_name="consent_events",
    )
    purpose = models.CharField(
        _("purpose"), max_length=20, choices=ConsentPurpose.choices
    )
    granted = models.BooleanField(_("granted"))
    source = models.CharField(_("source"), max_length=20, choices=ConsentSource.choices)
    policy_version = models.CharField(
        _("policy version"), max_length=50, blank=True, validators=[single_line]
    )
    # Evidence. Never the full address: its network (IPv4 /24, IPv6 /48).
    ip_network = models.CharField(_("IP network"), max_length=49, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=200, blank=True)
    staff_member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="recorded_consent_events",
    )
    created_at = models.DateTimeField(_("recorded at"), default=now)

    class Meta:
        verbose_name = _("consent event")
        verbose_name_plural = _("consent events")
        indexes = [
            # The latest event per customer and purpose.
            models.Index(
                fields=["customer", "purpose", "-created_at", "-id"],
                name="consent_latest_idx",
            ),
        ]

    def __str__(self) -> str:
        action = _("granted") if self.granted else _("withdrawn")
        return f"{self.get_purpose_display()}: {action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("A consent event is never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("A consent event is never deleted.")
