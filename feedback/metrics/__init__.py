"""The figures managers decide from, computed in the database.

- `filters`: which answers (survey, kind, dates, dimensions, latest per
  customer) and the form that reads them from a URL's query string.
- `scores`: NPS / CSAT % / CES % with margin, low-sample flag and change;
  trends per period, breakdowns by one dimension, the journey map.
- `funnel`: from scheduled to answered.
- `loop`: how fast and how well cases close the loop.
"""

from feedback.metrics.loop import MISSING_LABEL, LoopFigures, loop_metrics

__all__ = ["MISSING_LABEL", "LoopFigures", "loop_metrics"]
