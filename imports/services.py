"""Importing customers and interactions from CSV files.

One pipeline for the admin page, the API and `manage.py import_csv`: read the
file (reading.py), map its columns to fields, validate each row with the
models' own field rules, then write the valid rows in chunks of CHUNK rows:
the keys of a chunk are looked up in a few bulk queries and its rows written
by `bulk_create` / `bulk_update` in one transaction, so that 100,000 rows take
seconds, not a query per row. A row that fails is reported with its line and
column and the others go in. A dry run does the same reads and writes nothing.

Customers merge: a row whose email (ignoring case) or external id matches a
customer updates it, whether that customer existed or came from an earlier
row of the same file. A non-empty cell overwrites the field; an empty cell
leaves it as it was (a sparse file fills gaps without blanking what is known).

Interactions are history: they are written as `customers.services` would
write them (`resolved_at` true to `status`), but by default without the
`interaction_saved` and `interaction_created` hooks, so that importing last
year's calls schedules no survey (and no suppressed invitation) for them and
sends no `interaction.created` webhook for each. `schedule_surveys=True` saves
them one by one through `customers.services.save_interaction` instead, hook
and all: slower, and meant for a small file of recent interactions.

The work is split by kind: `imports.customers`, `imports.interactions`, and
the pipeline they share, `imports.pipeline`. This module is the entry point
the admin, the API and the command call.
"""

from imports.customers import CustomerImport, import_customers
from imports.interactions import InteractionImport, import_interactions
from imports.pipeline import (
    CHUNK,
    CUSTOMER_FIELDS,
    INTERACTION_FIELDS,
    ImportReport,
    MappingError,
    default_mapping,
    lines_of,
)

__all__ = [
    "CHUNK",
    "CUSTOMER_FIELDS",
    "INTERACTION_FIELDS",
    "CustomerImport",
    "ImportReport",
    "InteractionImport",
    "MappingError",
    "default_mapping",
    "import_customers",
    "import_interactions",
    "lines_of",
]
