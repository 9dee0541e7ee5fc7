"""The statistics of pilots (issue 19): pure computation, no Django.

The Django layer aggregates answers per unit and period in the database
(`measures.UnitPeriod` rows: n, sum, sum of squares of the scored answers)
and hands them here:

- `cells`: each group and period's value and standard error;
- `effects`: difference, difference-in-differences (independent cells,
  cluster-robust regression on per-unit aggregates, or a permutation test
  over units when there are fewer than 20), `estimate_effect`;
- `sequential`: the always-valid confidence sequence;
- `power`: answers and weeks needed before go-live;
- `checks`: pre-trend, regression to the mean, sample ratio, low samples,
  Holm;
- `matching`: a matched control and its balance table;
- `assignment`: deterministic randomisation by hash;
- `result`: the whole `/result/` object.
"""
