"""The feedback app's admin, one module per job:

- `cases`: the case desk: the case page with its quick actions, the list of
  cases, the manual case form, and the customer page's latest cases.
- `workflow`: the settings of the case workflow (root causes, holidays,
  staff mail language and digest).
- `outboxes`: the alert and weekly digest outboxes, to see what went out.

Django's autodiscover imports this package: importing the modules here
registers their admins.
"""

from feedback.admin import cases, outboxes, workflow

__all__ = ["cases", "outboxes", "workflow"]
