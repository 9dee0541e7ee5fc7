"""A demo customer's history: the journey from awareness to their stage, each
interaction, the survey it triggered, the answer and the case it opened."""

import random
import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.auth.models import User

from customers.models import Channel, Customer, Interaction, Stage, Touchpoint
from demo import catalogue
from demo.seeding import (
    CASE_SLA,
    HANDLING_MINUTES,
    OWNERS,
    SEED,
    STAGES,
    USAGE,
    members_among,
)
from demo.staff import LANGUAGE_OF
from feedback.models import Case, CaseEvent, RootCause
from surveys import tokens
from surveys.models import Band, Invitation, Kind, Survey, SurveyResponse, band_for

HISTORY_DAYS = 182
GLOBAL_THROTTLE = timedelta(days=30)
SALES_STAGES = {Stage.PURCHASE, Stage.REPURCHASE}


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
    band_mix: catalogue.BandMix = field(default_factory=catalogue.BandMix)
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
        if touchpoint.name in catalogue.SUPPORT_TOUCHPOINTS:
            return self.surveys[catalogue.NPS_SURVEY_NAME]
        if touchpoint.name in catalogue.ONBOARDING_TOUCHPOINTS:
            return self.surveys[catalogue.CSAT_SURVEY_NAME]
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
            rng.choice(catalogue.TOUCHPOINTS_BY_STAGE[stage]).name
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
            journey.append((catalogue.ONBOARDING_TOUCHPOINTS[0], onboarded_at))
            # Days between support contacts: bigger accounts call more often.
            mean_gap = {"enterprise": 20, "mid-market": 30}.get(customer.segment, 45)
            moment = onboarded_at
            while True:
                moment += timedelta(days=25 + rng.expovariate(1 / mean_gap))
                if moment >= self.now:
                    break
                name = rng.choices(catalogue.SUPPORT_TOUCHPOINTS, [5, 3, 2])[0]
                journey.append((name, moment))
            for stage in STAGES[USAGE + 1 : reached + 1]:
                for _ in range(rng.randint(1, 2)):
                    later = (self.now - onboarded_at) * rng.uniform(0.3, 1.0)
                    name = rng.choice(catalogue.TOUCHPOINTS_BY_STAGE[stage]).name
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
        entry = catalogue.TOUCHPOINTS_BY_NAME[touchpoint.name]
        english = customer.language == "en"
        channel = entry.channel
        if rng.random() < 0.1 and touchpoint.stage == Stage.USAGE:
            channel = rng.choice(["email", "phone", "chat"])
        logger = customer.owner
        if rng.random() < 0.25 or logger is None:
            loggers = members_among(self.staff, OWNERS[customer.language])
            logger = rng.choice(loggers) if loggers else None
        manager = self.staff.get("manager")
        if rng.random() < 0.3 and touchpoint.stage in SALES_STAGES and manager:
            logger = manager
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
        comment, cause = catalogue.comment(rng, survey.kind, band, customer.language)
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
        owner = customer.owner or self.staff.get("support")
        language = LANGUAGE_OF.get(owner.username, "en") if owner else "en"
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
            assignment_rule=assignment_rule(customer, owner),
            due_at=due_at,
            created_at=opened_at,
        )
        rows.cases.append(case)
        events = rows.events
        events.append(event(case, CaseEvent.Kind.OPENED, None, opened_at))
        if owner is not None:
            events.append(
                event(case, CaseEvent.Kind.ASSIGNED, None, opened_at, owner=owner.pk)
            )
        # Without an owner (someone else holds the demo's names), nobody
        # works on it.
        if owner is None or stuck == 0 or contacted_at > self.now:
            if due_at < self.now:
                case.escalation_level, case.escalated_at = 1, due_at
                events.append(
                    event(case, CaseEvent.Kind.ESCALATED, None, due_at, level=1)
                )
            return
        case.status, case.first_contact_at = Case.Status.CONTACTED, contacted_at
        case.contact_channel = rng.choice([Channel.PHONE, Channel.EMAIL])
        note = catalogue.CONTACT_NOTES[language]
        events.append(event(case, CaseEvent.Kind.CONTACTED, owner, contacted_at, note))
        if stuck == 1 or closed_at > self.now:
            return
        case.status, case.closed_at = Case.Status.CLOSED, closed_at
        case.root_cause = root_cause
        resolutions = catalogue.RESOLUTIONS.get(root_cause.name)
        case.resolution = (resolutions or catalogue.RESOLUTIONS["Other"])[language]
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


def assignment_rule(customer: Customer, owner: User | None) -> str:
    if customer.owner is not None:
        return Case.AssignmentRule.CUSTOMER_OWNER
    if owner is not None:
        return Case.AssignmentRule.ROUND_ROBIN
    return Case.AssignmentRule.NOBODY


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
