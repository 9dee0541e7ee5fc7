"""Benchmark customers in batches, drawn in Python: their companies,
interactions, invitations, answers and cases, with ids handed out from each
table's block; and the cases opened by hand of `--cases`."""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import Group, User
from django.db import models

from customers.models import Company, Customer, Interaction, Stage
from demo import catalogue, seeding
from demo.bench.writing import (
    TABLES,
    Row,
    lock_tables,
    move_sequences,
    next_ids,
    write_rows,
)
from feedback.models import Case, RootCause
from surveys import tokens
from surveys.models import Invitation, Kind, Survey, SurveyResponse, band_for

SEED = 2026
CUSTOMERS_PER_COMPANY = 20
STAFF_COUNT = 8
HISTORY_DAYS = 365
CUSTOMER_PREFIX = "bench-"
COMPANY_PREFIX = "bench-co-"
STAGES = [stage.value for stage in Stage]
STAGE_WEIGHTS = [4, 6, 5, 8, 52, 15, 10]
# A third of interactions happen at a surveyed touchpoint (the first four).
TOUCHPOINT_WEIGHTS = {
    "Support ticket": 14,
    "Support chat": 9,
    "Support call": 6,
    "Onboarding call": 4,
    "Website visit": 9,
    "Webinar": 4,
    "Trade show": 3,
    "Product demo": 6,
    "Free trial": 6,
    "Pricing call": 6,
    "Proposal review": 4,
    "Checkout": 7,
    "Contract signing": 4,
    "Renewal meeting": 6,
    "Upgrade request": 4,
    "Referral programme": 3,
    "Case study interview": 1,
    "Product review": 4,
}
SEGMENTS = ["enterprise", "mid-market", "mid-market", "smb", "smb", "smb"]


def highest_index(model: type[Company | Customer], prefix: str) -> int:
    # The numbers are zero-padded: the highest key is the highest number.
    rows = model.objects.filter(external_id__startswith=prefix)
    key = rows.aggregate(models.Max("external_id"))["external_id__max"]
    return int(key.removeprefix(prefix)) if key else 0


def customer_key(index: int) -> str:
    return f"{CUSTOMER_PREFIX}{index:09d}"


def company_key(index: int) -> str:
    return f"{COMPANY_PREFIX}{index:09d}"


def company_of(customer_index: int) -> int:
    return (customer_index - 1) // CUSTOMERS_PER_COMPANY + 1


def company_traits(index: int) -> tuple[str, str]:
    """A company's language and segment: the same whichever batch asks."""
    language = "zh-hans" if index * 7919 % 10 < 4 else "en"
    return language, SEGMENTS[index * 31 % len(SEGMENTS)]


class Catalog:
    """What every batch needs: now, staff, touchpoints, surveys, root causes."""

    def __init__(self, *, now: datetime) -> None:
        self.now = now
        self.staff = ensure_staff()
        touchpoints = seeding.ensure_touchpoints()
        surveys = seeding.ensure_surveys(touchpoints)
        self.touchpoints = list(touchpoints.values())
        self.weights = [TOUCHPOINT_WEIGHTS[t.name] for t in self.touchpoints]
        self.survey_after: dict[int, Survey] = {}
        for survey in surveys.values():
            for touchpoint in survey.touchpoints.all():
                self.survey_after[touchpoint.pk] = survey
        self.root_causes = list(RootCause.objects.values_list("id", "name"))


def ensure_staff() -> list[int]:
    """Benchmark agents, owners and loggers of the rows; they cannot log in."""
    support = Group.objects.get(name="Support")
    ids = []
    for number in range(1, STAFF_COUNT + 1):
        user, created = User.objects.get_or_create(
            username=f"bench.agent{number}",
            defaults={"first_name": "Agent", "last_name": str(number)},
        )
        if created:
            user.is_staff = True
            user.set_unusable_password()
            user.save()
            user.groups.add(support)
        ids.append(user.pk)
    return ids


def write_batch(
    catalog: Catalog, first: int, last: int
) -> dict[type[models.Model], int]:
    """Customers first…last and everything that hangs off them."""
    lock_tables()
    batch = Batch(catalog, random.Random(SEED + first), next_ids())
    companies_present = highest_index(Company, COMPANY_PREFIX)
    wanted = range(company_of(first), company_of(last) + 1)
    company_ids = {
        int(key.removeprefix(COMPANY_PREFIX)): pk
        for key, pk in Company.objects.filter(
            external_id__in=[company_key(i) for i in wanted]
        ).values_list("external_id", "id")
    }
    for index in range(first, last + 1):
        company = company_of(index)
        if company > companies_present and company not in company_ids:
            company_ids[company] = batch.company(company)
        batch.customer(index, company, company_ids.get(company))
    for model, rows in batch.rows.items():
        write_rows(model, rows)
    move_sequences()
    return {model: len(rows) for model, rows in batch.rows.items()}


@dataclass(slots=True)
class Person:
    """What a customer's interactions, answers and cases copy from it."""

    id: int
    owner: int
    company: int | None
    segment: str
    language: str
    created_at: datetime
    opted_out_at: datetime | None


@dataclass(slots=True)
class Visit:
    """The interaction's dimensions that an answer to it freezes."""

    id: int
    touchpoint: int
    channel: str
    stage: str
    logged_by: int
    skipped: bool
    resolved_at: datetime


class Batch:
    """The rows of one batch, ids handed out in order from each table's block."""

    def __init__(
        self, catalog: Catalog, rng: random.Random, ids: dict[type[models.Model], int]
    ) -> None:
        self.catalog, self.rng, self.now, self.ids = catalog, rng, catalog.now, ids
        self.rows: dict[type[models.Model], list[Row]] = {m: [] for m in TABLES}

    def add(self, model: type[models.Model], **values: Any) -> int:
        values["id"] = pk = self.ids[model]
        self.ids[model] += 1
        self.rows[model].append(values)
        return pk

    def company(self, index: int) -> int:
        rng = self.rng
        language, segment = company_traits(index)
        if language == "en":
            name = " ".join(
                [
                    rng.choice(catalogue.COMPANY_WORDS),
                    rng.choice(catalogue.COMPANY_WORDS),
                    rng.choice(catalogue.COMPANY_KINDS),
                ]
            )
        else:
            name = "".join(
                [
                    rng.choice(catalogue.CHINESE_COMPANY_PLACES),
                    rng.choice(catalogue.CHINESE_COMPANY_WORDS),
                    rng.choice(catalogue.CHINESE_COMPANY_KINDS),
                    "有限公司",
                ]
            )
        created_at = self.now - timedelta(days=rng.uniform(400, 1500))
        return self.add(
            Company,
            name=name,
            domain=f"company{index}.example",
            segment=segment,
            owner=rng.choice(self.catalog.staff),
            external_id=company_key(index),
            created_at=created_at,
            updated_at=created_at,
        )

    def customer(self, index: int, company: int, company_id: int | None) -> None:
        rng, now = self.rng, self.now
        language, segment = company_traits(company)
        if rng.random() < 0.1:
            language = "zh-hans" if language == "en" else "en"
        created_at = now - timedelta(days=rng.uniform(1, 3 * HISTORY_DAYS))
        opted_out_at = None
        if rng.random() < 0.02:
            opted_out_at = created_at + (now - created_at) / 2
        owner = rng.choice(self.catalog.staff)
        pk = self.add(
            Customer,
            name=catalogue.person_name(rng, language)[0],
            email=f"bench-{index}@example.com",
            phone="",
            company=company_id,
            segment=segment,
            stage=rng.choices(STAGES, STAGE_WEIGHTS)[0],
            language=language,
            timezone=rng.choice(catalogue.timezone_choices(language)),
            owner=owner,
            external_id=customer_key(index),
            tags="[]",
            email_opted_out_at=opted_out_at,
            erased_at=None,
            created_at=created_at,
            updated_at=created_at,
        )
        person = Person(
            pk, owner, company_id, segment, language, created_at, opted_out_at
        )
        for _ in range(rng.randint(1, 5)):
            self.interaction(person)

    def interaction(self, person: Person) -> None:
        rng, now, catalog = self.rng, self.now, self.catalog
        touchpoint = rng.choices(catalog.touchpoints, catalog.weights)[0]
        entry = catalogue.TOUCHPOINTS_BY_NAME[touchpoint.name]
        english = person.language == "en"
        start = max(person.created_at, now - timedelta(days=HISTORY_DAYS))
        occurred_at = start + (now - start) * rng.random()
        low, high = seeding.HANDLING_MINUTES.get(entry.channel, (15, 60))
        resolved_at = occurred_at + timedelta(minutes=rng.randint(low, high))
        is_open = resolved_at > now
        skipped = rng.random() < 0.03
        logged_by = person.owner
        if rng.random() < 0.3:
            logged_by = rng.choice(catalog.staff)
        notes = rng.choice(entry.notes_en if english else entry.notes_zh)
        pk = self.add(
            Interaction,
            customer=person.id,
            touchpoint=touchpoint.pk,
            channel=entry.channel,
            direction=entry.direction,
            subject=rng.choice(entry.subjects_en if english else entry.subjects_zh),
            notes=notes if rng.random() < 0.5 else "",
            occurred_at=occurred_at,
            logged_by=logged_by,
            status=Interaction.Status.OPEN if is_open else Interaction.Status.RESOLVED,
            survey_mode=Interaction.SurveyMode.SKIP
            if skipped
            else Interaction.SurveyMode.AUTO,
            resolved_at=None if is_open else resolved_at,
            created_at=occurred_at,
            updated_at=occurred_at if is_open else resolved_at,
        )
        survey = catalog.survey_after.get(touchpoint.pk)
        if survey is not None and not is_open:
            visit = Visit(
                pk,
                touchpoint.pk,
                entry.channel,
                entry.stage,
                logged_by,
                skipped,
                resolved_at,
            )
            self.invitation(person, survey, visit)

    def invitation(self, person: Person, survey: Survey, visit: Visit) -> None:
        rng, now = self.rng, self.now
        due = visit.resolved_at + timedelta(minutes=survey.delay_minutes)
        draw = rng.random()
        reacted_after = timedelta(hours=rng.uniform(0.1, 72))
        reason = ""
        if visit.skipped:
            reason = Invitation.SuppressedReason.SKIPPED_BY_STAFF
        elif person.opted_out_at and person.opted_out_at <= due:
            reason = Invitation.SuppressedReason.OPTED_OUT
        elif draw < 0.12:
            reason = Invitation.SuppressedReason.THROTTLED
        scheduled_for = sent_at = answered_at = None
        attempts = reminders = 0
        if reason:
            status = Invitation.Status.SUPPRESSED
        elif due > now:
            status, scheduled_for = Invitation.Status.SCHEDULED, due
        else:
            scheduled_for, sent_at, attempts = due, due + timedelta(seconds=30), 1
            reacted_at = sent_at + reacted_after
            if draw < 0.6 and reacted_at < now:
                status, answered_at = Invitation.Status.ANSWERED, reacted_at
                reminders = int(reacted_after.days >= survey.reminder_delay_days)
            elif sent_at + timedelta(days=survey.expires_after_days) < now:
                status, reminders = Invitation.Status.EXPIRED, 1
            else:
                status = Invitation.Status.SENT
        nonce = tokens.new_nonce()
        pk = self.add(
            Invitation,
            survey=survey.pk,
            customer=person.id,
            interaction=visit.id,
            nonce=nonce,
            token_hash=tokens.hash_token(tokens.token_for(nonce)),
            status=status,
            suppressed_reason=reason,
            scheduled_for=scheduled_for,
            sent_at=sent_at,
            reminders_sent=reminders,
            opened_at=answered_at,
            answered_at=answered_at,
            attempts=attempts,
            last_error="",
            created_at=visit.resolved_at,
            updated_at=answered_at or sent_at or visit.resolved_at,
        )
        if answered_at is not None:
            self.response(person, survey, visit, pk, answered_at)

    def response(
        self,
        person: Person,
        survey: Survey,
        visit: Visit,
        invitation: int,
        answered_at: datetime,
    ) -> None:
        rng = self.rng
        age = min((self.now - answered_at) / timedelta(days=HISTORY_DAYS), 1.0)
        score = catalogue.draw_score(rng, survey.kind, age)
        band = band_for(survey.kind, score)
        comment, _ = catalogue.comment(rng, survey.kind, band, person.language)
        pk = self.add(
            SurveyResponse,
            invitation=invitation,
            score=score,
            comment=comment if rng.random() < 0.5 else "",
            band=band,
            is_confirmed=True,
            answered_at=answered_at,
            updated_at=answered_at,
            language=person.language,
            customer=person.id,
            survey=survey.pk,
            kind=survey.kind,
            channel=visit.channel,
            touchpoint=visit.touchpoint,
            stage=visit.stage,
            segment=person.segment,
            company=person.company,
            staff=visit.logged_by,
        )
        if band == "detractor":
            self.case(person, survey.kind, pk, score, answered_at)

    def case(
        self,
        person: Person,
        kind: str,
        response: int,
        score: int,
        answered_at: datetime,
    ) -> None:
        rng, now = self.rng, self.now
        opened_at = answered_at + timedelta(seconds=5)
        contacted_at = opened_at + timedelta(hours=rng.uniform(1, 60))
        closed_at = contacted_at + timedelta(days=rng.uniform(0.5, 6))
        closes = rng.random() < 0.95
        root_cause, cause_name = rng.choice(self.catalog.root_causes)
        status = Case.Status.OPEN
        if contacted_at < now:
            status = Case.Status.CONTACTED
        if closes and closed_at < now:
            status = Case.Status.CLOSED
        resolutions = catalogue.RESOLUTIONS.get(
            cause_name, catalogue.RESOLUTIONS["Other"]
        )
        closed = status == Case.Status.CLOSED
        nps = kind == Kind.NPS
        self.add(
            Case,
            response=response,
            kind=kind,
            customer=person.id,
            reason=Case.Reason.DETRACTOR if nps else Case.Reason.LOW_CSAT,
            priority=Case.Priority.URGENT
            if score <= (3 if nps else 1)
            else Case.Priority.NORMAL,
            status=status,
            owner=person.owner,
            assignment_rule=Case.AssignmentRule.CUSTOMER_OWNER,
            due_at=opened_at + seeding.CASE_SLA,
            first_contact_at=None if status == Case.Status.OPEN else contacted_at,
            closed_at=closed_at if closed else None,
            root_cause=root_cause if closed else None,
            resolution=resolutions["en"] if closed else "",
            escalation_level=0,
            outcome="",
            created_at=opened_at,
            updated_at=closed_at if closed else opened_at,
        )

    def manual_case(self, customer: int, owner: int, joined: datetime) -> None:
        """A case opened by hand some time since the customer joined: mostly
        closed, some contacted, some open and a few of those overdue."""
        rng, now = self.rng, self.now
        opened_at = joined + (now - joined) * rng.random()
        contacted_at = opened_at + timedelta(hours=rng.uniform(1, 60))
        closed_at = contacted_at + timedelta(days=rng.uniform(0.5, 6))
        status = Case.Status.OPEN
        if contacted_at < now and rng.random() < 0.9:
            status = Case.Status.CONTACTED
            if closed_at < now and rng.random() < 0.95:
                status = Case.Status.CLOSED
        closed = status == Case.Status.CLOSED
        root_cause, _name = rng.choice(self.catalog.root_causes)
        self.add(
            Case,
            response=None,
            kind="",
            customer=customer,
            reason=Case.Reason.MANUAL,
            priority=Case.Priority.NORMAL,
            status=status,
            owner=owner,
            assignment_rule=Case.AssignmentRule.CUSTOMER_OWNER,
            due_at=opened_at + seeding.CASE_SLA,
            first_contact_at=None if status == Case.Status.OPEN else contacted_at,
            closed_at=closed_at if closed else None,
            root_cause=root_cause if closed else None,
            resolution="Handled by the benchmark." if closed else "",
            escalation_level=0,
            outcome="",
            created_at=opened_at,
            updated_at=closed_at if closed else opened_at,
        )
