"""Build a believable demo company: staff, customers and six months of history.

Idempotent. Staff are keyed by username, touchpoints and surveys by name,
companies and customers by external id ("demo-co-07", "demo-cu-042"); the
history (interactions, invitations, responses, cases) is written only for demo
customers that have none yet. Everything comes from seeded generators (one for
the company, one per customer's history) and times relative to now, so two
runs on the same day build the same company.

Rows are written with bulk_create, which skips `full_clean()`: the plan below
keeps every rule the services keep (`resolved_at` set exactly when resolved,
a suppression reason exactly when suppressed, bands from `band_for`, closed
cases with a root cause and a resolution), and the tests validate every row.
"""

import random
import time
import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from crm import demo_data
from customers.models import (
    Channel,
    Company,
    Customer,
    Interaction,
    Stage,
    Touchpoint,
)
from feedback.models import Case, CaseEvent, RootCause, StaffPreference
from surveys import tokens
from surveys.models import Band, Invitation, Kind, Survey, SurveyResponse, band_for
from surveys.services import rollup

DEFAULT_PASSWORD = "touchloop-demo"  # noqa: S105 - printed on start, DEBUG only
SEED = 2026
CUSTOMER_COUNT = 200
INDEPENDENT_CUSTOMERS = 20
HISTORY_DAYS = 182
GLOBAL_THROTTLE = timedelta(days=30)
CASE_SLA = timedelta(hours=48)
STAGES = [stage.value for stage in Stage]
STAGE_WEIGHTS = [6, 8, 6, 8, 45, 15, 12]
USAGE = STAGES.index(Stage.USAGE)
SEGMENT_WEIGHTS = {"enterprise": 3, "mid-market": 2, "smb": 1}
TAGS = ["vip", "beta", "reference", "at-risk"]
SALES_STAGES = {Stage.PURCHASE, Stage.REPURCHASE}
# How long an interaction on each channel takes to resolve (minutes).
HANDLING_MINUTES = {"email": (1, 72 * 60), "chat": (5, 30), "web": (0, 0)}
DEMO_COMPANIES = {
    f"demo-co-{number:02d}": entry
    for number, entry in enumerate(demo_data.COMPANIES, start=1)
}
Keyed = TypeVar("Keyed", Company, Customer)


@dataclass(frozen=True)
class StaffMember:
    username: str
    first_name: str
    last_name: str
    group: str
    language: str


STAFF = [
    StaffMember("support", "Sam", "Reed", "Support", "en"),
    StaffMember("manager", "Morgan", "Hughes", "Manager", "en"),
    StaffMember("tom.baker", "Tom", "Baker", "Support", "en"),
    StaffMember("li.na", "Na", "Li", "Support", "zh-hans"),
    StaffMember("chen.jie", "Jie", "Chen", "Support", "zh-hans"),
]
OWNERS = {"en": ["support", "tom.baker"], "zh-hans": ["li.na", "chen.jie"]}


class Command(BaseCommand):
    help = "Create (or complete) the demo company, with staff logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--password",
            help=f"password of every demo login (default with DEBUG on: "
            f"{DEFAULT_PASSWORD})",
        )

    def handle(self, *args: Any, password: str | None, **options: Any) -> None:
        password = resolve_password(password)
        started = time.monotonic()
        with transaction.atomic():
            counts = seed(password=password, now=timezone.now())
        seconds = time.monotonic() - started
        summary = ", ".join(f"{count:,} {name}" for name, count in counts.items())
        self.stdout.write(f"Demo data ready in {seconds:.1f} s: {summary}.")
        self.stdout.write(f"Staff login: support / {password} (Support)")
        self.stdout.write(f"Manager login: manager / {password} (Manager)")
        others = ", ".join(m.username for m in STAFF[2:])
        self.stdout.write(f"Other staff ({others}) use the same password.")


def resolve_password(password: str | None) -> str:
    if password:
        return password
    if settings.DEBUG:
        return DEFAULT_PASSWORD
    raise CommandError(
        "seed_demo creates logins with a known password; pass --password or run "
        "with DEBUG=1"
    )


def seed(*, password: str, now: datetime) -> dict[str, int]:
    rng = random.Random(SEED)
    staff = ensure_staff(password)
    touchpoints = ensure_touchpoints()
    surveys = ensure_surveys(touchpoints)
    companies = ensure_companies(staff)
    customers = ensure_customers(rng, companies, staff, now)
    with_history = set(
        Interaction.objects.filter(customer__in=customers).values_list(
            "customer_id", flat=True
        )
    )
    plan = HistoryPlan(
        now=now,
        staff=staff,
        touchpoints=touchpoints,
        surveys=surveys,
        root_causes={cause.name: cause for cause in RootCause.objects.all()},
    )
    new_rows = Rows()
    for customer in customers:
        if customer.pk not in with_history:
            new_rows.extend(plan.draw(customer))
    new_rows.save()
    if new_rows.responses:
        # bulk_create bypasses the answer service, which keeps the rollup.
        days = [rollup.day_of(response.answered_at) for response in new_rows.responses]
        rollup.rebuild_rollup(start=min(days), end=max(days))
    return {
        "companies": len(companies),
        "customers": len(customers),
        "touchpoints": len(touchpoints),
        "surveys": len(surveys),
        "interactions": Interaction.objects.filter(customer__in=customers).count(),
        "invitations": Invitation.objects.filter(customer__in=customers).count(),
        "responses": SurveyResponse.objects.filter(customer__in=customers).count(),
        "cases": Case.objects.filter(customer__in=customers).count(),
    }


def ensure_staff(password: str) -> dict[str, User]:
    staff = {}
    for member in STAFF:
        user, _ = User.objects.get_or_create(
            username=member.username,
            defaults={
                "first_name": member.first_name,
                "last_name": member.last_name,
                "email": f"{member.username}@touchloop.example",
            },
        )
        user.is_staff = True
        user.is_active = True
        # Reset on every run, so that the login printed at the end works.
        user.set_password(password)
        user.save()
        user.groups.add(Group.objects.get(name=member.group))
        # Case alerts go out in the staff member's language.
        StaffPreference.objects.update_or_create(
            user=user, defaults={"language": member.language}
        )
        staff[member.username] = user
    return staff


def ensure_touchpoints() -> dict[str, Touchpoint]:
    touchpoints = {}
    for entry in demo_data.TOUCHPOINTS:
        touchpoints[entry.name], _ = Touchpoint.objects.get_or_create(
            name=entry.name,
            defaults={"stage": entry.stage, "default_channel": entry.channel},
        )
    return touchpoints


def ensure_surveys(touchpoints: dict[str, Touchpoint]) -> dict[str, Survey]:
    definitions = [
        # (name, kind, delay in minutes, touchpoints that trigger it)
        (demo_data.NPS_SURVEY_NAME, Kind.NPS, 60, demo_data.SUPPORT_TOUCHPOINTS),
        (demo_data.CSAT_SURVEY_NAME, Kind.CSAT, 1440, demo_data.ONBOARDING_TOUCHPOINTS),
    ]
    surveys = {}
    for name, kind, delay_minutes, touchpoint_names in definitions:
        survey, created = Survey.objects.get_or_create(
            name=name,
            defaults={
                "kind": kind,
                "trigger": Survey.Trigger.INTERACTION,
                "delay_minutes": delay_minutes,
            },
        )
        if created:
            survey.touchpoints.add(*(touchpoints[n] for n in touchpoint_names))
        surveys[name] = survey
    return surveys


def ensure_companies(staff: dict[str, User]) -> list[Company]:
    planned = []
    for number, (external_id, entry) in enumerate(DEMO_COMPANIES.items()):
        owners = OWNERS[entry.language]
        planned.append(
            Company(
                external_id=external_id,
                name=entry.name,
                domain=entry.domain,
                segment=entry.segment,
                owner=staff[owners[number % len(owners)]],
            )
        )
    return ensure_all(Company, planned)


def ensure_all(model: type[Keyed], planned: list[Keyed]) -> list[Keyed]:
    """Insert the planned rows whose external id is new; return all, in plan order."""
    keys = [row.external_id for row in planned]
    rows = model.objects.filter(external_id__in=keys)
    existing = set(rows.values_list("external_id", flat=True))
    model.objects.bulk_create(
        [row for row in planned if row.external_id not in existing]
    )
    saved = {row.external_id: row for row in rows.select_related(*RELATED[model])}
    return [saved[key] for key in keys]


RELATED = {Company: ["owner"], Customer: ["owner", "company"]}


def ensure_customers(
    rng: random.Random,
    companies: list[Company],
    staff: dict[str, User],
    now: datetime,
) -> list[Customer]:
    weights = [SEGMENT_WEIGHTS[company.segment] for company in companies]
    employed = CUSTOMER_COUNT - INDEPENDENT_CUSTOMERS
    # Every company gets someone; bigger ones get more people.
    employers: list[Company | None] = list(companies)
    employers += rng.choices(companies, weights, k=employed - len(companies))
    employers += [None] * INDEPENDENT_CUSTOMERS
    emails: set[str] = set()
    planned = []
    for number, company in enumerate(employers, start=1):
        if company is None:
            language = rng.choice(["en", "en", "en", "zh-hans", "zh-hans"])
            zone = rng.choice(demo_data.timezone_choices(language))
            domain, segment = "mail.example", "smb"
        else:
            entry = DEMO_COMPANIES[company.external_id]
            language, zone = entry.language, entry.timezone
            if rng.random() < 0.15:
                zone = rng.choice(demo_data.timezone_choices(language))
            domain, segment = company.domain, company.segment
        name, local_part = demo_data.person_name(rng, language)
        email = unique_email(local_part, domain, emails)
        if rng.random() < 0.03:
            email = ""
        stage = rng.choices(STAGES, STAGE_WEIGHTS)[0]
        # Customers still buying are recent; users may be with us for years.
        joined_days = 540 if STAGES.index(stage) >= USAGE else 150
        created_at = now - timedelta(days=rng.uniform(5, joined_days))
        opted_out_at = None
        if email and rng.random() < 0.04:
            opted_out_at = created_at + (now - created_at) * rng.uniform(0.2, 0.9)
        owner = staff[rng.choice(OWNERS[language])]
        if company is not None and company.owner is not None and rng.random() < 0.8:
            owner = company.owner
        planned.append(
            Customer(
                external_id=f"demo-cu-{number:03d}",
                name=name,
                email=email,
                phone=fiction_phone(rng, zone),
                company=company,
                segment=segment,
                stage=stage,
                language=language,
                timezone=zone,
                owner=owner,
                tags=[rng.choice(TAGS)] if rng.random() < 0.15 else [],
                email_opted_out_at=opted_out_at,
                created_at=created_at,
            )
        )
    return ensure_all(Customer, planned)


def unique_email(local_part: str, domain: str, taken: set[str]) -> str:
    email, number = f"{local_part}@{domain}", 1
    while email in taken:
        number += 1
        email = f"{local_part}{number}@{domain}"
    taken.add(email)
    return email


def fiction_phone(rng: random.Random, zone: str) -> str:
    if zone not in demo_data.FICTION_PHONES:
        return ""
    prefix, digits = demo_data.FICTION_PHONES[zone]
    return prefix + "".join(rng.choice("0123456789") for _ in range(digits))


@dataclass
class Rows:
    """Rows of one or more customers' histories, linked by object, not by id."""

    interactions: list[Interaction] = field(default_factory=list)
    invitations: list[Invitation] = field(default_factory=list)
    responses: list[SurveyResponse] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    events: list[CaseEvent] = field(default_factory=list)

    def extend(self, other: "Rows") -> None:
        self.interactions += other.interactions
        self.invitations += other.invitations
        self.responses += other.responses
        self.cases += other.cases
        self.events += other.events

    def save(self) -> None:
        # bulk_create sets the new primary keys, which the next rows point at.
        Interaction.objects.bulk_create(self.interactions)
        Invitation.objects.bulk_create(self.invitations)
        SurveyResponse.objects.bulk_create(self.responses)
        Case.objects.bulk_create(self.cases)
        CaseEvent.objects.bulk_create(self.events)


@dataclass
class HistoryPlan:
    """Draws a customer's journey and everything that followed from it."""

    now: datetime
    staff: dict[str, User]
    touchpoints: dict[str, Touchpoint]
    surveys: dict[str, Survey]
    root_causes: dict[str, RootCause]
    rng: random.Random = field(default_factory=random.Random)
    band_mix: demo_data.BandMix = field(default_factory=demo_data.BandMix)
    cases_opened: int = 0

    def draw(self, customer: Customer) -> Rows:
        # A generator of its own, so that a customer's history does not
        # depend on how many numbers the customers before it drew.
        self.rng = random.Random(f"{SEED}:{customer.external_id}")
        rows = Rows()
        last_invited: datetime | None = None
        for touchpoint, occurred_at in self.journey(customer):
            interaction = self.interaction(customer, touchpoint, occurred_at)
            rows.interactions.append(interaction)
            survey = self.survey_after(touchpoint)
            resolved_at = interaction.resolved_at
            if survey is None or resolved_at is None:
                continue
            invitation = self.invitation(survey, interaction, resolved_at, last_invited)
            rows.invitations.append(invitation)
            if invitation.scheduled_for is not None:
                last_invited = invitation.scheduled_for
            if invitation.answered_at is not None:
                self.answer(rows, invitation.answered_at, invitation, interaction)
        return rows

    def survey_after(self, touchpoint: Touchpoint) -> Survey | None:
        if touchpoint.name in demo_data.SUPPORT_TOUCHPOINTS:
            return self.surveys[demo_data.NPS_SURVEY_NAME]
        if touchpoint.name in demo_data.ONBOARDING_TOUCHPOINTS:
            return self.surveys[demo_data.CSAT_SURVEY_NAME]
        return None

    def journey(self, customer: Customer) -> list[tuple[Touchpoint, datetime]]:
        """The customer's touchpoints in time order, from awareness to their stage.

        Buying takes a few weeks; using (support, renewals, referrals) fills the
        rest of the time. Only the last six months are kept: the history of
        older customers starts in the middle of their usage.
        """
        rng = self.rng
        reached = STAGES.index(customer.stage)
        start, span = customer.created_at, self.now - customer.created_at
        buying = span
        if reached >= USAGE:
            buying = min(timedelta(days=rng.uniform(14, 60)), span * 0.4)
        names = [
            rng.choice(demo_data.TOUCHPOINTS_BY_STAGE[stage]).name
            for stage in STAGES[: min(reached + 1, USAGE)]
            for _ in range(rng.randint(1, 2))
        ]
        offsets = sorted(rng.random() for _ in names)
        journey = [
            (name, start + buying * offset)
            for name, offset in zip(names, offsets, strict=True)
        ]
        if reached >= USAGE:
            onboarded_at = start + buying + timedelta(days=rng.uniform(1, 7))
            journey.append((demo_data.ONBOARDING_TOUCHPOINTS[0], onboarded_at))
            # Days between support contacts: bigger accounts call more often.
            mean_gap = {"enterprise": 20, "mid-market": 30}.get(customer.segment, 45)
            moment = onboarded_at
            while True:
                moment += timedelta(days=25 + rng.expovariate(1 / mean_gap))
                if moment >= self.now:
                    break
                name = rng.choices(demo_data.SUPPORT_TOUCHPOINTS, [5, 3, 2])[0]
                journey.append((name, moment))
            for stage in STAGES[USAGE + 1 : reached + 1]:
                for _ in range(rng.randint(1, 2)):
                    later = (self.now - onboarded_at) * rng.uniform(0.3, 1.0)
                    name = rng.choice(demo_data.TOUCHPOINTS_BY_STAGE[stage]).name
                    journey.append((name, onboarded_at + later))
        zone = zoneinfo.ZoneInfo(customer.timezone)
        window_start = self.now - timedelta(days=HISTORY_DAYS)
        timed = sorted(
            (self.business_time(moment, zone), name) for name, moment in journey
        )
        if reached >= USAGE and rng.random() < 0.15:
            # Today's chats: some of their surveys are still waiting to go out.
            moment = self.now - timedelta(minutes=rng.randint(20, 55))
            timed.append((moment, "Support chat"))
        return [
            (self.touchpoints[name], moment)
            for moment, name in timed
            if moment >= window_start
        ]

    def business_time(self, moment: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
        """A moment of the same day, in the customer's office hours."""
        rng = self.rng
        local = moment.astimezone(zone)
        local = local.replace(
            hour=rng.randint(9, 17),
            minute=rng.randint(0, 59),
            second=rng.randint(0, 59),
        )
        if local.weekday() >= 5:
            local -= timedelta(days=local.weekday() - 4)
        return min(local.astimezone(UTC), self.now - timedelta(hours=2))

    def interaction(
        self, customer: Customer, touchpoint: Touchpoint, occurred_at: datetime
    ) -> Interaction:
        rng = self.rng
        entry = demo_data.TOUCHPOINTS_BY_NAME[touchpoint.name]
        english = customer.language == "en"
        channel = entry.channel
        if rng.random() < 0.1 and touchpoint.stage == Stage.USAGE:
            channel = rng.choice(["email", "phone", "chat"])
        logger = customer.owner
        if rng.random() < 0.25 or logger is None:
            logger = self.staff[rng.choice(OWNERS[customer.language])]
        if rng.random() < 0.3 and touchpoint.stage in SALES_STAGES:
            logger = self.staff["manager"]
        low, high = HANDLING_MINUTES.get(channel, (15, 60))
        resolved_at = occurred_at + timedelta(minutes=rng.randint(low, high))
        is_open = resolved_at > self.now - timedelta(minutes=2)
        skip = rng.random() < 0.04
        notes = rng.choice(entry.notes_en if english else entry.notes_zh)
        return Interaction(
            customer=customer,
            touchpoint=touchpoint,
            channel=channel,
            direction=entry.direction,
            subject=rng.choice(entry.subjects_en if english else entry.subjects_zh),
            notes=notes if rng.random() < 0.7 else "",
            occurred_at=occurred_at,
            logged_by=logger,
            status=Interaction.Status.OPEN if is_open else Interaction.Status.RESOLVED,
            survey_mode=Interaction.SurveyMode.SKIP
            if skip
            else Interaction.SurveyMode.AUTO,
            resolved_at=None if is_open else resolved_at,
            created_at=occurred_at,
        )

    def invitation(
        self,
        survey: Survey,
        interaction: Interaction,
        resolved_at: datetime,
        last_invited: datetime | None,
    ) -> Invitation:
        rng = self.rng
        due = resolved_at + timedelta(minutes=survey.delay_minutes)
        sent_after = timedelta(seconds=rng.randint(20, 90))
        answers, late, opens = rng.random() < 0.5, rng.random() < 0.3, rng.random()
        hours = rng.uniform(24, 96) if late else rng.uniform(0.1, 10)
        nonce = tokens.new_nonce()
        invitation = Invitation(
            survey=survey,
            customer=interaction.customer,
            interaction=interaction,
            nonce=nonce,
            token_hash=tokens.hash_token(tokens.token_for(nonce)),
            created_at=interaction.created_at,
        )
        reason = suppression_reason(interaction, due, last_invited)
        if reason:
            invitation.status = Invitation.Status.SUPPRESSED
            invitation.suppressed_reason = reason
            return invitation
        invitation.scheduled_for = due
        if due > self.now:
            invitation.status = Invitation.Status.SCHEDULED
            return invitation
        sent_at = due + sent_after
        invitation.sent_at, invitation.attempts = sent_at, 1
        reminder_at = sent_at + timedelta(days=survey.reminder_delay_days)
        reacted_at = sent_at + timedelta(hours=hours)
        if answers and reacted_at < self.now:
            invitation.status = Invitation.Status.ANSWERED
            invitation.answered_at = reacted_at
            invitation.opened_at = reacted_at - timedelta(seconds=30)
            invitation.reminders_sent = int(reacted_at > reminder_at)
            return invitation
        invitation.reminders_sent = int(reminder_at < self.now)
        if opens < 0.35 and reacted_at < self.now:
            invitation.opened_at = reacted_at
        expires_at = sent_at + timedelta(days=survey.expires_after_days)
        invitation.expires_at = expires_at
        if not invitation.reminders_sent and reminder_at < expires_at:
            invitation.next_reminder_at = reminder_at
        invitation.status = (
            Invitation.Status.EXPIRED
            if expires_at < self.now
            else Invitation.Status.SENT
        )
        return invitation

    def answer(
        self,
        rows: Rows,
        answered_at: datetime,
        invitation: Invitation,
        interaction: Interaction,
    ) -> None:
        rng = self.rng
        customer, survey = interaction.customer, invitation.survey
        age = (self.now - answered_at) / timedelta(days=HISTORY_DAYS)
        score = self.band_mix.draw_score(rng, survey.kind, min(age, 1.0))
        band = band_for(survey.kind, score)
        comment, cause = demo_data.comment(rng, survey.kind, band, customer.language)
        touchpoint = interaction.touchpoint
        response = SurveyResponse(
            invitation=invitation,
            score=score,
            comment=comment if rng.random() < 0.75 else "",
            band=band,
            is_confirmed=True,
            answered_at=answered_at,
            language=customer.language,
            customer=customer,
            survey=survey,
            kind=survey.kind,
            channel=interaction.channel,
            touchpoint=touchpoint,
            stage=touchpoint.stage if touchpoint else customer.stage,
            segment=customer.segment,
            company=customer.company,
            staff=interaction.logged_by,
        )
        rows.responses.append(response)
        if band == Band.DETRACTOR:
            self.open_case(rows, response, cause)

    def open_case(self, rows: Rows, response: SurveyResponse, cause: str) -> None:
        """The case the answer opened, taken as far as it got by now."""
        rng = self.rng
        customer = response.customer
        owner = customer.owner or self.staff["support"]
        language = "zh-hans" if owner.username in OWNERS["zh-hans"] else "en"
        opened_at = response.answered_at + timedelta(seconds=5)
        due_at = opened_at + CASE_SLA
        on_time = rng.random() < 0.8
        hours = rng.uniform(1, 40) if on_time else rng.uniform(50, 120)
        contacted_at = opened_at + timedelta(hours=hours)
        closed_at = contacted_at + timedelta(days=rng.uniform(0.5, 6))
        # Every tenth case stalls before contact, every tenth after it.
        self.cases_opened += 1
        stuck = self.cases_opened % 10
        root_cause = self.root_causes.get(cause) or rng.choice(
            list(self.root_causes.values())
        )
        nps = response.kind == Kind.NPS
        urgent = response.score <= (3 if nps else 1)
        case = Case(
            response=response,
            kind=response.kind,
            customer=customer,
            reason=Case.Reason.DETRACTOR if nps else Case.Reason.LOW_CSAT,
            priority=Case.Priority.URGENT if urgent else Case.Priority.NORMAL,
            owner=owner,
            assignment_rule=Case.AssignmentRule.CUSTOMER_OWNER
            if customer.owner
            else Case.AssignmentRule.ROUND_ROBIN,
            due_at=due_at,
            created_at=opened_at,
        )
        rows.cases.append(case)
        events = rows.events
        events.append(event(case, CaseEvent.Kind.OPENED, None, opened_at))
        events.append(
            event(case, CaseEvent.Kind.ASSIGNED, None, opened_at, owner=owner.pk)
        )
        if stuck == 0 or contacted_at > self.now:
            if due_at < self.now:
                case.escalation_level, case.escalated_at = 1, due_at
                events.append(
                    event(case, CaseEvent.Kind.ESCALATED, None, due_at, level=1)
                )
            return
        case.status, case.first_contact_at = Case.Status.CONTACTED, contacted_at
        case.contact_channel = rng.choice([Channel.PHONE, Channel.EMAIL])
        note = demo_data.CONTACT_NOTES[language]
        events.append(event(case, CaseEvent.Kind.CONTACTED, owner, contacted_at, note))
        if stuck == 1 or closed_at > self.now:
            return
        case.status, case.closed_at = Case.Status.CLOSED, closed_at
        case.root_cause = root_cause
        resolutions = demo_data.RESOLUTIONS.get(root_cause.name)
        case.resolution = (resolutions or demo_data.RESOLUTIONS["Other"])[language]
        events.append(
            event(
                case,
                CaseEvent.Kind.CLOSED,
                owner,
                closed_at,
                case.resolution,
                root_cause=root_cause.pk,
            )
        )


def event(
    case: Case,
    kind: str,
    actor: User | None,
    at: datetime,
    note: str = "",
    **data: Any,
) -> CaseEvent:
    return CaseEvent(
        case=case, kind=kind, actor=actor, note=note, data=data, created_at=at
    )


def suppression_reason(
    interaction: Interaction, due: datetime, last_invited: datetime | None
) -> str:
    """Why this customer is not asked, in the order the survey service checks."""
    customer = interaction.customer
    reasons = Invitation.SuppressedReason
    if interaction.survey_mode == Interaction.SurveyMode.SKIP:
        return reasons.SKIPPED_BY_STAFF
    if not customer.email:
        return reasons.NO_EMAIL
    if customer.email_opted_out_at and customer.email_opted_out_at <= due:
        return reasons.OPTED_OUT
    if last_invited is not None and due - last_invited < GLOBAL_THROTTLE:
        return reasons.THROTTLED
    return ""
