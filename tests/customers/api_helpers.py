"""What the tests of the customers API share: the moment they run at (their
`pytestmark` pins it) and the endpoints' addresses."""

from datetime import UTC, datetime

NOW = datetime(2025, 1, 31, 8, 0, tzinfo=UTC)
NOW_TEXT = "2025-01-31T08:00:00Z"
CUSTOMERS = "/api/v1/customers/"
COMPANIES = "/api/v1/companies/"
TOUCHPOINTS = "/api/v1/touchpoints/"
INTERACTIONS = "/api/v1/interactions/"
