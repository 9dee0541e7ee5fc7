"""gunicorn's settings for Touchloop's web server.

The image, docker-compose.yml and `make prod-check` run
`gunicorn --config gunicorn.conf.py crm.wsgi`; gunicorn also reads this file
by itself when it starts in this directory. A command-line option or
GUNICORN_CMD_ARGS (e.g. `--workers 5`) overrides a setting of this file.
"""

import logging

# Every module-level name that is a setting's is read as one (`config` too):
# the imports take other names.
from gunicorn import glogging  # type: ignore[import-untyped]
from gunicorn.config import Config  # type: ignore[import-untyped]

from lib.logs import RedactingFilter

bind = "0.0.0.0:8000"
workers = 3
# An admin CSV import of 100,000 rows takes about 25 s.
timeout = 120
# Every request to stdout (the error log goes to stderr): a container's output.
accesslog = "-"

REDACTING = RedactingFilter()


class RedactingLogger(glogging.Logger):  # type: ignore[misc]
    """gunicorn's logger, with no survey token, API key or email address in
    its lines (lib/logs.py): the access log holds every request's path, query
    string and Referer, the error log the path of a request that failed."""

    def setup(self, cfg: Config) -> None:
        super().setup(cfg)
        logs: list[logging.Logger] = [self.error_log, self.access_log]
        for log in logs:
            # The same filter object: a configuration reload adds it once.
            log.addFilter(REDACTING)


logger_class = RedactingLogger
