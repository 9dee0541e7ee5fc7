"""The figures managers decide from, computed in the database.

- `filters`: which answers (survey, kind, dates, dimensions, latest per
  customer) and the form that reads them from a URL's query string.
- `scores`: NPS / CSAT % / CES % with margin, low-sample flag and change;
  trends per period, breakdowns by one dimension, the journey map.
- `statistics`: the formulas behind them (score, margin, z-test), plain
  arithmetic on band counts, with no Django.
- `counting`: the band counts, from the rollup when it holds exactly the
  answers asked for, else from the raw answers.
- `funnel`: from scheduled to answered.
- `loop`: how fast and how well cases close the loop.
"""

from feedback.metrics.loop import MISSING_LABEL, LoopFigures, loop_metrics

__all__ = ["MISSING_LABEL", "LoopFigures", "loop_metrics"]
