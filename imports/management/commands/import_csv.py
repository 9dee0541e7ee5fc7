"""manage.py import_csv customers|interactions FILE [--map col=field ...] [--dry-run]

The way in for files of any size (the admin and the API take up to
IMPORT_MAX_BYTES and import inside the request). It runs with the server's
own rights, with no user: whoever runs it stands in for someone who may add
and change customers (a customer import merges into existing rows), or add
interactions; imported interactions name no one as `logged_by` unless a
column gives an active staff user.
"""

import json
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from imports import services
from imports.reading import UnreadableFileError

IMPORTERS: dict[str, Callable[..., services.ImportReport]] = {
    "customers": services.import_customers,
    "interactions": services.import_interactions,
}


def parse_mapping(pairs: list[str] | None) -> dict[str, str] | None:
    if not pairs:
        return None
    mapping: dict[str, str] = {}
    for pair in pairs:
        column, separator, field_name = pair.partition("=")
        if not separator:
            raise CommandError(f"--map takes column=field, not {pair!r}.")
        mapping[column] = field_name
    return mapping


class Command(BaseCommand):
    help = (
        "Import customers or interactions from a CSV file (UTF-8, comma or "
        "semicolon) and print the report as JSON. Columns named like fields map "
        "to them unless --map is given; interactions are imported as history, "
        "without surveys, unless --schedule-surveys. A customer import creates "
        "and updates customers: run it for someone who may add and change them. "
        "No size limit (IMPORT_MAX_BYTES is for the admin and the API)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(IMPORTERS))
        parser.add_argument("file")
        parser.add_argument(
            "--map",
            action="append",
            metavar="COLUMN=FIELD",
            help="map a column to a field (repeat; FIELD empty leaves it out); "
            "given once, only the columns given are imported",
        )
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument("--schedule-surveys", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        kind = options["kind"]
        extra = {"schedule_surveys": True} if options["schedule_surveys"] else {}
        if extra and kind != "interactions":
            raise CommandError("--schedule-surveys is for interactions.")
        try:
            with open(options["file"], "rb") as file:
                report = IMPORTERS[kind](
                    file,
                    mapping=parse_mapping(options["map"]),
                    dry_run=options["dry_run"],
                    user=None,
                    **extra,
                )
        except OSError as error:
            raise CommandError(str(error)) from None
        except (UnreadableFileError, services.MappingError) as error:
            raise CommandError(str(error)) from None
        summary = report.as_dict()
        summary.pop("preview")
        self.stdout.write(json.dumps(summary, ensure_ascii=False, indent=2))
