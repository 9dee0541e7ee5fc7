"""`/api/v1/metrics/`: the dashboard's figures for other tools.

Each endpoint reads the dashboard's query string (`MetricsQueryForm`) and
returns what the metric functions computed, serialized as they are: a figure
here is the figure on the dashboard, never computed a second time. Managers
only; someone else who is signed in gets a 403, with the reason.

- `views`: the MetricsViewSet (crm/api.py registers it) and its query string.
- `serializers`: the shapes of its answers.
"""
