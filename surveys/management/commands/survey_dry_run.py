"""`manage.py survey_dry_run SURVEY_ID --days 30`: who a survey would have asked
over the last N days, and why not the others. Sends nothing, writes nothing."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from surveys.models import Invitation, Survey
from surveys.services.dry_run import dry_run


class Command(BaseCommand):
    help = "List who a survey would have asked over the last N days, and why not."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("survey", type=int, help="the survey's id")
        parser.add_argument("--days", type=int, default=30)

    def handle(self, *args: Any, survey: int, days: int, **options: Any) -> None:
        if days < 1:
            raise CommandError("--days must be at least 1.")
        definition = Survey.objects.filter(id=survey).first()
        if definition is None:
            raise CommandError(f"There is no survey with id {survey}.")
        result = dry_run(definition, days=days, now=timezone.now())
        for decision in result.decisions:
            customer = decision.customer
            verdict = decision.reason_label or "would be asked"
            interaction = (
                f" interaction #{decision.interaction.pk}"
                if decision.interaction
                else ""
            )
            when = f"{decision.at:%Y-%m-%d %H:%M}"
            self.stdout.write(
                f"{when} {customer.pk} {customer}{interaction}: {verdict}"
            )
        if len(result.decisions) < result.total:
            self.stdout.write(f"… {result.total - len(result.decisions)} more")
        self.stdout.write(
            f"{definition}: {result.asked} of {result.total} would be asked over "
            f"the last {days} days."
        )
        for reason, count in result.not_asked.most_common():
            label = Invitation.SuppressedReason(reason).label
            self.stdout.write(f"  not asked, {label}: {count}")
