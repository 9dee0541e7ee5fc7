"""Touchloop settings: one file, every value from the environment.

The variables are listed in `.env.example` and in DESIGN.md's interface table.
Without any of them Touchloop runs embedded: SQLite, a filesystem broker and
mail files under `var/`. Production values switch each part to its server.
"""

import os
import re
import zoneinfo
from pathlib import Path
from urllib.parse import unquote, urlsplit

import dj_database_url
from celery.schedules import crontab
from csp import constants as csp
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(
        f"{name} must be a boolean (1/0, true/false), got {value!r}"
    )


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be an integer, got {value!r}"
        ) from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_rate(name: str, default: str) -> str | None:
    """A DRF rate, "N/min" (or s, hour, day), or None for "off"."""
    value = os.environ.get(name, "").strip() or default
    if value.lower() == "off":
        return None
    if not re.fullmatch(r"[1-9][0-9]*/(s|sec|m|min|h|hour|d|day)", value):
        raise ImproperlyConfigured(
            f'{name} must be N/s, N/min, N/hour, N/day or "off", got {value!r}'
        )
    return value


DEBUG = env_bool("DEBUG")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off. Set SECRET_KEY to a long random "
            "string (python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or DEBUG=1 for local development."
        )
    SECRET_KEY = "insecure-development-key-only-used-when-DEBUG-is-on"  # noqa: S105
# Survey links and sessions are signed with it: a short or repetitive key
# could be guessed. Django's deploy check only warns; here it is refused.
if not DEBUG and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
    raise ImproperlyConfigured(
        "SECRET_KEY is too weak: use at least 50 characters, at least 5 of them "
        "different (python -c 'import secrets; print(secrets.token_urlsafe(50))')."
    )
# Rotating the key: the old one goes here (comma-separated) for as long as
# its survey links, sessions and password-reset links should keep working.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", [])

SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
_site = urlsplit(SITE_URL)
if _site.scheme not in {"http", "https"} or not _site.hostname:
    raise ImproperlyConfigured(f"SITE_URL must be an http(s) URL, got {SITE_URL!r}")
SITE_IS_HTTPS = _site.scheme == "https"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [_site.hostname, "localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = [f"{_site.scheme}://{_site.netloc}"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    # Who looked at whom (privacy/access_log.py, lib/access_log.py).
    "auditlog",
    "crm",
    "demo",
    "customers",
    "surveys",
    "feedback",
    "text",
    "pilots",
    "privacy",
    "idempotency",
    "imports",
    "webhooks",
    "tokens",
]

# Messages live in the session (the database), not in a cookie: the admin
# shows a new API key once in a message.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "crm.middleware.permissions_policy",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "crm.middleware.refuse_nul_in_query_string",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After the user is known: a staff member's own language over the cookie's.
    "crm.middleware.staff_language",
    # After the user is known: the change history's actor (an API token's
    # user is added by the API, lib.access_log.attribute_changes_to).
    "auditlog.middleware.AuditlogMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a login refused for too many failures into its page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "crm.urls"
WSGI_APPLICATION = "crm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "crm.views.version",
            ],
        },
    },
]


def database_config() -> dict[str, object]:
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        config: dict[str, object] = dict(
            dj_database_url.parse(url, conn_max_age=600, conn_health_checks=True)
        )
        if config["ENGINE"] != "django.db.backends.postgresql":
            raise ImproperlyConfigured("DATABASE_URL must be a postgres:// URL")
        return config
    VAR_DIR.mkdir(exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": VAR_DIR / "touchloop.sqlite3",
        # The web server and the Celery worker write at the same time: WAL lets
        # readers go on during a write, IMMEDIATE takes the write lock at BEGIN
        # (no deadlock on lock upgrade) and the timeout makes writers queue
        # instead of failing with "database is locked".
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
        "TEST": {"NAME": VAR_DIR / "test.sqlite3"},
    }


DATABASES = {"default": database_config()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# django-axes first: a locked-out login is refused before any password is
# hashed (README "Security").
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

_VALIDATORS = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{_VALIDATORS}.UserAttributeSimilarityValidator"},
    {"NAME": f"{_VALIDATORS}.MinimumLengthValidator"},
    {"NAME": f"{_VALIDATORS}.CommonPasswordValidator"},
    {"NAME": f"{_VALIDATORS}.NumericPasswordValidator"},
]
# Where a login goes when its `next` is missing or points off the site
# (Django's default, /accounts/profile/, is no page here).
LOGIN_REDIRECT_URL = "admin:index"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# One date format per language on every page and in every mail (crm/formats/).
FORMAT_MODULE_PATH = "crm.formats"
# The language menu's choice (Django's set_language) is kept in a cookie for
# a year, so a visitor's choice outlives the browser session; a staff
# member's is kept in their StaffPreference too (crm.middleware.staff_language).
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = SITE_IS_HTTPS and not DEBUG
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Security: everything secure unless DEBUG asks otherwise. Cookies and
# redirects that need TLS follow SITE_URL, so an https site gets all of them.
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# With an https SITE_URL, Touchloop runs behind a TLS-terminating proxy and
# trusts the headers it sets (X-Forwarded-Proto, X-Forwarded-For).
BEHIND_PROXY = SITE_IS_HTTPS and not DEBUG
if BEHIND_PROXY:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    # Touchloop runs behind a TLS-terminating proxy (see docker-compose.yml).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Login throttling (django-axes, lib/logins.py): LOGIN_FAILURE_LIMIT failed
# logins for one username from one address lock that pair out for
# LOGIN_LOCKOUT_MINUTES, each further lockout twice as long (at most a day);
# the failures count within the same span. Counted in the database, so every
# web process sees them; a success starts again; managers lift lockouts in
# the admin (Axes › Access attempts).
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15)
if LOGIN_FAILURE_LIMIT < 1 or LOGIN_LOCKOUT_MINUTES < 1:
    raise ImproperlyConfigured(
        "LOGIN_FAILURE_LIMIT and LOGIN_LOCKOUT_MINUTES must be whole numbers above 0."
    )
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = "lib.logins.cool_off"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "lib.http.client_address"
AXES_USERNAME_CALLABLE = "lib.logins.username"
# Attempts are deleted when their own expiry passes, which a new lockout
# pushes to its end (lib.logins.hold_the_lockout), not when a shorter
# cool-off computed for someone else's login has passed.
AXES_USE_ATTEMPT_EXPIRATION = True
AXES_RESET_ON_SUCCESS = True
# Tries during a lockout are refused without being counted: the lockout ends
# when it said it would, and one logged failure is one lockout (lib/logins.py).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "lib.logins.lockout_response"
# Its start-up banner only.
AXES_VERBOSE = False

# Content-Security-Policy (django-csp): only this site's scripts and the
# survey page's one inline script, by its per-response nonce. Styles may be
# inline: the admin, the dashboard's cells and the mail preview use style
# attributes, and CSS cannot run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF, csp.NONCE],
        "style-src": [csp.SELF, csp.UNSAFE_INLINE],
        # data: for the icons the API's documentation page draws.
        "img-src": [csp.SELF, "data:"],
        "object-src": [csp.NONE],
        "base-uri": [csp.NONE],
        "frame-ancestors": [csp.NONE],
        "form-action": [csp.SELF],
    }
}
# No page needs these; an injected one gets nothing.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in [
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    ]
)

# Mail: SMTP_URL (smtp://user:pass@host:port, smtps:// for implicit TLS,
# ?starttls=1 for STARTTLS), else one file per message under var/mail/.
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "Touchloop <touchloop@localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = 30


def configure_smtp(url: str) -> dict[str, object]:
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        raise ImproperlyConfigured(f"SMTP_URL must be smtp:// or smtps://, got {url!r}")
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": parts.port or (465 if parts.scheme == "smtps" else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_SSL": parts.scheme == "smtps",
        "EMAIL_USE_TLS": "starttls=1" in parts.query,
    }


SMTP_URL = os.environ.get("SMTP_URL", "").strip()
if SMTP_URL:
    globals().update(configure_smtp(SMTP_URL))
else:
    # One .eml file per message (lib/mailfiles.py), listed at /admin/mail/.
    EMAIL_BACKEND = "lib.mailfiles.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"

# Celery: Redis when REDIS_URL is set, else kombu's filesystem transport, which
# needs no server and works with beat (messages are files under var/broker/).
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # Longer than any task may run, so a slow task is not delivered twice.
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {"visibility_timeout": 3600}
else:
    BROKER_DIR = VAR_DIR / "broker"
    for folder in ("queue", "processed"):
        (BROKER_DIR / folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A worker process that has grown past this (in KB) is replaced after its
# task: the weekly theme suggestions load scikit-learn (about 150 MB), which
# the comment readings of every day need not carry.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = 250 * 1024
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery would close the database connection before and after every task;
# crm/celery.py applies Django's CONN_MAX_AGE rule instead (Celery counts
# its closes, and closes every 2 × this many: never, in practice).
CELERY_DB_REUSE_MAX = 10**9
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
DISPATCH_INTERVAL_SECONDS = env_int("DISPATCH_INTERVAL_SECONDS", 60)
# Periodic work, static. The database holds every due time; beat only wakes
# the services that look for what is due (never a Celery ETA or countdown).
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "dispatch-surveys": {
        "task": "surveys.tasks.dispatch_task",
        "schedule": DISPATCH_INTERVAL_SECONDS,
    },
    "schedule-recurring-surveys": {
        "task": "surveys.tasks.schedule_recurring_task",
        "schedule": 60 * 60,
    },
    # Escalates cases past their deadline and re-queues alerts whose message
    # was lost (the alert rows hold what is due).
    "escalate-overdue-cases": {
        "task": "feedback.tasks.escalate_task",
        "schedule": 5 * 60,
    },
    "deliver-pending-alerts": {
        "task": "feedback.tasks.deliver_pending_alerts_task",
        "schedule": DISPATCH_INTERVAL_SECONDS,
    },
    # Hourly: once WEEKLY_DIGEST_WEEKDAY/HOUR has come, writes the week's
    # digest rows (once per manager) and sends what is due, retries included.
    "send-weekly-digests": {
        "task": "feedback.tasks.send_weekly_digests_task",
        "schedule": crontab(minute=5),
    },
    # Privacy requests: the overdue escalated to the managers (and their
    # mail retried), lost fulfilments queued again, expired exports deleted.
    "sweep-privacy-requests": {
        "task": "privacy.tasks.sweep_requests_task",
        "schedule": 5 * 60,
    },
    # Deletes the Idempotency-Key records past their day (idempotency/).
    "purge-idempotency-keys": {
        "task": "idempotency.tasks.purge_idempotency_keys_task",
        "schedule": crontab(minute=35),
    },
    # Re-queues webhook deliveries whose retry is due or whose message was
    # lost, and gives up those past WEBHOOK_RETRY_HOURS.
    "deliver-pending-webhooks": {
        "task": "webhooks.tasks.deliver_pending_webhooks_task",
        "schedule": DISPATCH_INTERVAL_SECONDS,
    },
    "purge-webhook-events": {
        "task": "webhooks.tasks.purge_webhook_events_task",
        "schedule": crontab(minute=35),
    },
    # Reads the comments whose reading was never queued (a broker outage
    # when their answer committed) or is stale (text.services).
    "read-missed-comments": {
        "task": "text.tasks.read_missed_comments_task",
        "schedule": 10 * 60,
    },
    # Mondays at 04:00: recurring topics among the last 90 days' untagged
    # comments, offered to managers as theme suggestions.
    "suggest-themes": {
        "task": "text.tasks.suggest_themes_task",
        "schedule": crontab(minute=0, hour=4, day_of_week="mon"),
    },
    # Daily just after midnight: the `locked` event of every pilot going
    # live today, written on the day (the lock itself holds by date).
    "lock-due-pilots": {
        "task": "pilots.tasks.lock_due_pilots_task",
        "schedule": crontab(minute=15, hour=0),
    },
    # Nightly at 02:30: the retention rules (privacy/services/retention.py),
    # in short batches, after the day's work and before the morning's mail.
    "apply-retention": {
        "task": "privacy.tasks.apply_retention_task",
        "schedule": crontab(minute=30, hour=2),
    },
}

# The survey loop (surveys/services). Durations are whole units, from the
# environment so that tests and small deployments can shorten them.
BRAND_NAME = os.environ.get("BRAND_NAME", "Touchloop")
SURVEY_REPLY_TO = os.environ.get("SURVEY_REPLY_TO", "")
# The global throttle: one survey per customer per N days, and whatever N is
# set to, never two within the minimum gap.
SURVEY_THROTTLE_DAYS = env_int("SURVEY_THROTTLE_DAYS", 30)
SURVEY_MIN_GAP_HOURS = env_int("SURVEY_MIN_GAP_HOURS", 24)
# A first mail more than this overdue expires instead of going out late.
SURVEY_MAX_LATENESS_DAYS = env_int("SURVEY_MAX_LATENESS_DAYS", 7)
# A claim older than the lease belonged to a dead worker and is taken back.
SURVEY_SEND_LEASE_SECONDS = env_int("SURVEY_SEND_LEASE_SECONDS", 600)
# Backoff after a transient error: base · 2^(attempt-1), at most an hour.
SURVEY_RETRY_BASE_SECONDS = env_int("SURVEY_RETRY_BASE_SECONDS", 60)
SURVEY_DISPATCH_BATCH_SIZE = env_int("SURVEY_DISPATCH_BATCH_SIZE", 100)
SURVEY_DISPATCH_LIMIT = env_int("SURVEY_DISPATCH_LIMIT", 50_000)
# Local morning window for recurring surveys, in the customer's time zone.
SURVEY_MORNING_HOURS = (9, 11)
# Requests per client per minute on the public survey pages.
SURVEY_RATE_LIMIT_PER_MINUTE = env_int("SURVEY_RATE_LIMIT_PER_MINUTE", 60)

# Consent (customers/consent.py). Every consent event records the privacy
# policy version in force when it was given.
PRIVACY_POLICY_VERSION = os.environ.get("PRIVACY_POLICY_VERSION", "1").strip()[:50]
# Customers under these jurisdictions (ISO country codes) are not profiled
# until they grant profiling consent (PIPL Art. 24, 29). "CN" also covers
# customers of unknown jurisdiction who read Simplified Chinese.
PRIVACY_PROFILING_CONSENT_JURISDICTIONS = [
    code.upper() for code in env_list("PRIVACY_PROFILING_CONSENT_JURISDICTIONS", ["CN"])
]

# Closing the loop (feedback/services). First-contact deadlines by priority,
# in clock hours, or in business hours (weekdays, CASE_BUSINESS_HOURS local
# time in CASE_BUSINESS_TIME_ZONE, skipping the holidays listed in the admin).
CASE_SLA_HOURS = {
    "normal": env_int("CASE_SLA_NORMAL_HOURS", 48),
    "urgent": env_int("CASE_SLA_URGENT_HOURS", 4),
}
CASE_SLA_BUSINESS_HOURS = env_bool("CASE_SLA_BUSINESS_HOURS", False)
CASE_BUSINESS_HOURS = (
    env_int("CASE_BUSINESS_START_HOUR", 9),
    env_int("CASE_BUSINESS_END_HOUR", 18),
)
CASE_BUSINESS_TIME_ZONE = os.environ.get("CASE_BUSINESS_TIME_ZONE", TIME_ZONE)
# Checked here: a bad value found while an answer is recorded would lose it.
if not 0 <= CASE_BUSINESS_HOURS[0] < CASE_BUSINESS_HOURS[1] <= 24:
    raise ImproperlyConfigured(
        "CASE_BUSINESS_START_HOUR must come before CASE_BUSINESS_END_HOUR, "
        "both from 0 to 24."
    )
try:
    zoneinfo.ZoneInfo(CASE_BUSINESS_TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
    raise ImproperlyConfigured(
        f"CASE_BUSINESS_TIME_ZONE is no time zone: {CASE_BUSINESS_TIME_ZONE!r}"
    ) from error
if min(CASE_SLA_HOURS.values()) <= 0:
    raise ImproperlyConfigured("CASE_SLA_*_HOURS must be whole hours above 0.")
# An NPS answer at or below this (a strong detractor) makes the case urgent.
CASE_URGENT_NPS_AT_MOST = env_int("CASE_URGENT_NPS_AT_MOST", 3)
# Who gets a case when neither the customer nor the company has an owner
# (round robin among the group's active members), and who hears escalations.
CASE_FALLBACK_GROUP = os.environ.get("CASE_FALLBACK_GROUP", "Manager")
CASE_ESCALATION_GROUP = os.environ.get("CASE_ESCALATION_GROUP", "Manager")
CASE_MAX_ESCALATIONS = env_int("CASE_MAX_ESCALATIONS", 3)
CASE_ESCALATION_INTERVAL_MINUTES = env_int("CASE_ESCALATION_INTERVAL_MINUTES", 60)
# Days after closing before the recovery re-survey goes out.
CASE_RECOVERY_DAYS = env_int("CASE_RECOVERY_DAYS", 7)
# A Slack-compatible incoming webhook for a short line per new case (optional).
CASE_CHAT_WEBHOOK_URL = os.environ.get("CASE_CHAT_WEBHOOK_URL", "").strip()
if CASE_CHAT_WEBHOOK_URL and urlsplit(CASE_CHAT_WEBHOOK_URL).scheme not in {
    "http",
    "https",
}:
    raise ImproperlyConfigured("CASE_CHAT_WEBHOOK_URL must be an http(s) URL.")
# A new case's alert waits this long, so that the comment the customer types
# after the one-click score is in it.
CASE_ALERT_DELAY_SECONDS = env_int("CASE_ALERT_DELAY_SECONDS", 120)
# An alert claimed longer ago than this belonged to a dead worker.
CASE_ALERT_LEASE_SECONDS = env_int("CASE_ALERT_LEASE_SECONDS", 300)

# Manager insights. Below this many answers a score carries a warning.
METRICS_MIN_SAMPLE = env_int("METRICS_MIN_SAMPLE", 30)
# Read day-level band counts from the rollup table where a figure allows it
# (all answers, at most one of its dimensions, days in TIME_ZONE); off, every
# figure aggregates the raw answers (the benchmark compares both).
METRICS_USE_ROLLUP = env_bool("METRICS_USE_ROLLUP", True)
# The managers' weekly digest of the week just finished (Monday to Sunday)
# goes out from this weekday (0 = Monday) and hour, local time in TIME_ZONE.
WEEKLY_DIGEST_WEEKDAY = env_int("WEEKLY_DIGEST_WEEKDAY", 0)
WEEKLY_DIGEST_HOUR = env_int("WEEKLY_DIGEST_HOUR", 8)
if not (0 <= WEEKLY_DIGEST_WEEKDAY <= 6 and 0 <= WEEKLY_DIGEST_HOUR <= 23):
    raise ImproperlyConfigured(
        "WEEKLY_DIGEST_WEEKDAY must be 0 (Monday) to 6 (Sunday), "
        "WEEKLY_DIGEST_HOUR 0 to 23."
    )

# Hooks: how a lower app announces an event to higher ones without importing
# them (DESIGN.md). Each handler is called in the announcer's transaction.
HOOKS: dict[str, list[str]] = {
    # customers → surveys: an interaction was logged or changed.
    "interaction_saved": ["surveys.services.scheduling.on_interaction_saved"],
    # surveys → feedback: may this answer still change? A handler says no by
    # raising surveys.services.answers.AnswerSettledError.
    "response_changing": ["feedback.services.cases.on_response_changing"],
    # surveys → feedback: an answer was recorded or changed (close-the-loop).
    "response_recorded": [
        # First, so that response.created comes before the case it opens.
        "webhooks.services.on_response_recorded",
        "feedback.services.cases.on_response_recorded",
        # surveys → text: read the comment once the answer commits.
        "text.services.on_response_recorded",
    ],
    # surveys → text: an answer is being deleted (its reading leaves the
    # comment rollup).
    "response_deleting": ["text.services.on_response_deleting"],
    # Webhook events (webhooks/services.py), written in the change's transaction.
    "interaction_created": ["webhooks.services.on_interaction_created"],
    "invitation_sent": ["webhooks.services.on_invitation_sent"],
    "customer_unsubscribed": ["webhooks.services.on_customer_unsubscribed"],
    # customers → surveys: the customer withdrew survey consent (any source):
    # their pending invitations and reminders are cancelled.
    "survey_consent_withdrawn": [
        "surveys.services.answers.on_survey_consent_withdrawn"
    ],
    "case_event": ["webhooks.services.on_case_event"],
    # The same, for many cases' entries at once (an erasure closes all the
    # customer's open cases): a handler of one handles the other.
    "case_events": ["webhooks.services.on_case_events"],
    # text → webhooks: the reading of a comment was stored, changed or removed.
    "comments_analysed": ["webhooks.services.on_comments_analysed"],
    # Asked with hooks.gather: a lower app's page or rule takes a higher
    # app's part. feedback's dashboard → its panels (HTML) from above.
    "dashboard_panels": [
        "pilots.views.dashboard_panel",
        "privacy.views.dashboard_panel",
    ],
    # feedback's weekly digest → its sections from above.
    "digest_sections": ["pilots.services.digest.digest_section"],
    # The customer's admin page → its panels (HTML) from above.
    "customer_panels": ["pilots.views.customer_panel", "privacy.views.customer_panel"],
    # surveys / feedback → a pilot's variant of one of their settings for
    # one customer (None: the setting as configured).
    "variant": ["pilots.services.variants.variant_for"],
}

# The change history and the access log (django-auditlog, privacy/access_log.py)
# keep no address: a customer answering a survey would leave theirs in it.
AUDITLOG_DISABLE_REMOTE_ADDR = True

# Webhooks (webhooks/delivery.py, webhooks/http.py). A POST that takes longer
# has failed.
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 5)
# A delivery is retried with the survey mail's backoff (doubling, at most an
# hour) until this long after its event, then marked failed.
WEBHOOK_RETRY_HOURS = env_int("WEBHOOK_RETRY_HOURS", 24)
# A claim older than this belonged to a dead worker.
WEBHOOK_LEASE_SECONDS = env_int("WEBHOOK_LEASE_SECONDS", 60)
if WEBHOOK_LEASE_SECONDS <= WEBHOOK_TIMEOUT_SECONDS:
    # Else a slow POST's claim runs out and a second worker posts it too.
    raise ImproperlyConfigured(
        "WEBHOOK_LEASE_SECONDS must be greater than WEBHOOK_TIMEOUT_SECONDS."
    )
# Allow subscription URLs on loopback, private and link-local addresses
# (a receiver on the same machine or network). Off: they are refused.
WEBHOOK_ALLOW_PRIVATE_URLS = env_bool("WEBHOOK_ALLOW_PRIVATE_URLS")
# A subscription is disabled (and its owner mailed) once this many attempts
# in a row failed and none succeeded for WEBHOOK_DISABLE_AFTER_HOURS.
WEBHOOK_DISABLE_AFTER_FAILURES = env_int("WEBHOOK_DISABLE_AFTER_FAILURES", 20)
WEBHOOK_DISABLE_AFTER_HOURS = env_int("WEBHOOK_DISABLE_AFTER_HOURS", 24)
# Events, their deliveries and the delivery log are kept this long.
WEBHOOK_KEEP_DAYS = env_int("WEBHOOK_KEEP_DAYS", 30)

# The largest CSV file the admin and the API accept for an import (bytes);
# bigger files go through `manage.py import_csv`.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 50 * 1024 * 1024)
# The most columns a CSV file for an import may have: each is a row of the
# column-mapping page.
IMPORT_MAX_COLUMNS = env_int("IMPORT_MAX_COLUMNS", 200)

# API request rates ("600/min": N per s, min, hour or day; "off": none), per
# API token and per signed-in user of a session, counted in the cache below
# (without REDIS_URL, each process counts alone).
API_TOKEN_RATE = env_rate("API_TOKEN_RATE", "600/min")
API_USER_RATE = env_rate("API_USER_RATE", "1200/min")
# A token's own rate: anyone may lower theirs; only those who may raise rates
# (managers, superusers) go above API_TOKEN_RATE, and nobody above this.
API_TOKEN_RATE_CEILING = env_int("API_TOKEN_RATE_CEILING", 6000)
if API_TOKEN_RATE_CEILING < 1:
    raise ImproperlyConfigured("API_TOKEN_RATE_CEILING must be a whole number above 0.")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tokens.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["lib.api.ModelPermissions"],
    "DEFAULT_THROTTLE_CLASSES": [
        "tokens.throttles.TokenRateThrottle",
        "tokens.throttles.SessionUserRateThrottle",
    ],
    "DEFAULT_PAGINATION_CLASS": "lib.api.IdCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "lib.api_errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # DRF's JSON parser, with a 400 instead of a 500 for too deep nesting and
    # lone surrogate escapes.
    "DEFAULT_PARSER_CLASSES": ["lib.api.JSONParser"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Touchloop API",
    "DESCRIPTION": "Customers, interactions and the feedback loop of Touchloop.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Served from our own static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The Idempotency-Key header on every POST (idempotency/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "idempotency.schema.document_idempotency_key",
        # The error answers of every operation (lib/openapi.py); after the
        # idempotency hook, whose 400 it gives a body.
        "lib.openapi.document_errors",
    ],
    # Interaction.channel and Touchpoint.default_channel share one choice set;
    # interactions and invitations both have a status, and the interactions'
    # keeps the name it was published with.
    "ENUM_NAME_OVERRIDES": {
        "LanguageEnum": "customers.models.Language",
        "ConsentPurposeEnum": "customers.models.ConsentPurpose",
        "ConsentSourceEnum": "customers.models.ConsentSource",
        "CommentLanguageEnum": "text.models.Language",
        "SentimentEnum": "text.models.Label",
        "ChannelEnum": "customers.models.Channel",
        "StatusEnum": "customers.models.Interaction.Status",
        "InvitationStatusEnum": "surveys.models.Invitation.Status",
        # Surveys and case events both have a kind; the surveys' keeps its name.
        "KindEnum": "surveys.models.Kind",
        "CaseEventKindEnum": "feedback.models.CaseEvent.Kind",
        # The metrics' `by`: a dimension of the answers, or the loop's grouping.
        "MetricsDimensionEnum": "feedback.metrics.filters.DIMENSIONS",
        "LoopGroupingEnum": "feedback.metrics.loop.GROUPINGS",
        "PrivacyRequestKindEnum": "privacy.models.PrivacyRequest.Kind",
        "ErasureModeEnum": "privacy.models.PrivacyRequest.Mode",
        # The metrics' mode keeps the name it was published with.
        "ModeEnum": ["all", "latest"],
    },
}

# The rate limit of the public pages counts in the cache: Redis when there is
# one (shared by every web process), else this process's memory.
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# No survey token, API key or email address in any line (lib/logs.py): Django
# logs a failed request's path ("Bad Request: /s/<token>/"), so every handler
# redacts what it writes.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "lib.logs.RedactingFilter"}},
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact"]},
        # runserver's request lines (`make run`), formatted as Django does.
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["redact"],
        },
    },
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Without Django's own handlers (its console with DEBUG on, mail to
        # ADMINS), which would write the same lines unredacted: Django's
        # records reach the root's console.
        "django": {"level": "INFO"},
        "django.server": {
            "handlers": ["django.server"],
            "level": "INFO",
            "propagate": False,
        },
    },
}
