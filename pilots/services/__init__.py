"""The pilots' services, one job per module:

- `sources`: where each KPI formula's rows live and how a row is scored;
- `kpis`: writing KPIs and their values against target (`kpi_status`,
  `kpi_statuses` for a page of them);
- `groups`: a pilot's treated and control units (given, matched or
  assigned by Touchloop) and the assignment itself;
- `panels`: the per-unit, per-period, per-week sums aggregated in SQL;
- `results`: `pilot_result`, `weekly_lines`, `cell_answers`;
- `power`: `pilot_power` before go-live;
- `pilots`: creating and editing pilots, locking and the audit trail;
- `variants`: a randomised pilot's variant of one of Touchloop's own
  settings, answered to surveys and feedback through the "variant" hook.
"""
