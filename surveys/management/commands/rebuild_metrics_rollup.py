"""`manage.py rebuild_metrics_rollup [--from YYYY-MM-DD] [--to YYYY-MM-DD]`:
recompute the score rollup's days from the raw answers, in the database."""

from lib.rollup_command import RebuildRollupCommand
from surveys.services import rollup


class Command(RebuildRollupCommand):
    help = (
        "Recompute the score rollup (day-level band counts the metrics read) "
        "from the answers, for the days from --from to --to (default: every "
        "day). Answers keep it current by themselves; run this after writing "
        "answers in bulk, and after changing TIME_ZONE: the rollup's days are "
        "dates in TIME_ZONE, so a new zone needs every day rebuilt. --check "
        "compares instead and writes nothing."
    )
    table = "Score rollup"
    rebuild = staticmethod(rollup.rebuild_rollup)
    stored_rows = staticmethod(rollup.stored_rows)
    recomputed_rows = staticmethod(rollup.recomputed_rows)
