"""`manage.py rebuild_comment_rollup [--from YYYY-MM-DD] [--to YYYY-MM-DD]
[--check]`: recompute the comment rollup's days from the answers and their
readings, in the database."""

from lib.rollup_command import RebuildRollupCommand
from text import rollup


class Command(RebuildRollupCommand):
    help = (
        "Recompute the comment rollup (day-level counts of the read comments "
        "by sentiment, language and theme, which the dashboard reads) from the "
        "answers and their readings, for the days from --from to --to "
        "(default: every day). Readings keep it current by themselves; run "
        "this after writing answers or readings in bulk, and after changing "
        "TIME_ZONE: its days are dates in TIME_ZONE, so a new zone needs every "
        "day rebuilt. --check compares instead and writes nothing."
    )
    table = "Comment rollup"
    rebuild = staticmethod(rollup.rebuild_comment_rollup)
    stored_rows = staticmethod(rollup.stored_rows)
    recomputed_rows = staticmethod(rollup.recomputed_rows)
