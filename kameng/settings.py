"""Settings from environment variables; no variable at all gives the embedded default.

Embedded default: SQLite in WAL mode under ./var, keys generated on first use.
Production: set DATABASE_URL (PostgreSQL), REDIS_URL, KAMENG_SECRET_KEY,
KAMENG_CARD_KEYS, KAMENG_CARD_DIGEST_KEY and KAMENG_PUBLIC_URL (https); with PostgreSQL
Kameng refuses to start without the shared keys and Redis unless KAMENG_SINGLE_HOST=1
(kameng/config.py). `kameng check --deploy` reviews the result.
"""

import json
import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from cryptography.fernet import Fernet
from kombu import Queue

from kameng import config

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("KAMENG_DATA_DIR", BASE_DIR / "var"))


def _env_bool(name: str, default: bool) -> bool:
    return config.env_bool(os.environ, name, default)


def _local_secrets() -> dict[str, str]:
    """Keys for the embedded default, generated once and kept in DATA_DIR (mode 600)."""
    path = DATA_DIR / "secrets.json"
    if path.exists():
        return json.loads(path.read_text())
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    generated = {
        "secret_key": secrets.token_urlsafe(50),
        "card_key": Fernet.generate_key().decode(),
        "card_digest_key": secrets.token_urlsafe(32),
    }
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process started at the same moment and won
        return json.loads(path.read_text())
    with os.fdopen(fd, "w") as fh:
        json.dump(generated, fh)
    return generated


def _database() -> dict:
    url = os.environ.get("DATABASE_URL")
    if url:
        db = dj_database_url.parse(url, conn_max_age=int(os.environ.get("KAMENG_CONN_MAX_AGE", 0)))
    else:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        db = {"ENGINE": "django.db.backends.sqlite3", "NAME": DATA_DIR / "kameng.sqlite3"}
    # PostgreSQL: server-side binding plus a prepare threshold, so psycopg prepares the
    # statements every order repeats (after 5 uses) and PostgreSQL stops re-planning
    # them. Behind a transaction-pooling PgBouncer set KAMENG_PG_PREPARE=0: nothing is
    # prepared then (kameng.db's psycopg cursors included: threshold None).
    if db["ENGINE"] == "django.db.backends.postgresql":
        prepare = _env_bool("KAMENG_PG_PREPARE", True)
        db.setdefault("OPTIONS", {}).update(
            {"server_side_binding": prepare, "prepare_threshold": 5 if prepare else None}
        )
    if db["ENGINE"] == "django.db.backends.sqlite3":
        # One writer at a time: take the write lock at BEGIN so concurrent writers queue
        # instead of failing with "database is locked" when they upgrade a read lock.
        db.setdefault("OPTIONS", {}).update(
            {
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            }
        )
        # Tests run a Celery worker and a live server in threads: a file, not the
        # shared in-memory database, so they wait for locks like production does.
        db["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
    return db


DATABASES = {"default": _database()}
# Several hosts on one PostgreSQL must share keys and Redis: refuse to start without them
# (before generating any key of this host's own).
config.require_shared_services(os.environ, DATABASES["default"]["ENGINE"])

_KEY_VARS = config.SHARED_KEYS
_needs_local = not all(os.environ.get(name) for name in _KEY_VARS)
_local = _local_secrets() if _needs_local else {}
# For `kameng check --deploy` (kameng/checks.py): where the keys came from, and whether
# the operator said this machine is the only one.
KAMENG_KEYS_IN_DATA_DIR = _needs_local
KAMENG_SINGLE_HOST = _env_bool(config.SINGLE_HOST, False)

SECRET_KEY = os.environ.get("KAMENG_SECRET_KEY") or _local["secret_key"]
# Comma-separated Fernet keys; the first encrypts, all decrypt (rotation: prepend a new key,
# run `kameng rotate-card-keys`, then drop the old one).
CARD_KEYS = [
    k.strip() for k in (os.environ.get("KAMENG_CARD_KEYS") or _local["card_key"]).split(",") if k
]
# Keys the hash that detects duplicate card secrets; never rotated (it would forget them).
CARD_DIGEST_KEY = os.environ.get("KAMENG_CARD_DIGEST_KEY") or _local["card_digest_key"]

DEBUG = _env_bool("KAMENG_DEBUG", False)
# Where suppliers, payment gateways and browsers reach us (callbacks, links); https here
# turns on secure cookies, HSTS, the SSL redirect and the proxy header (config.py).
KAMENG_PUBLIC_URL = os.environ.get("KAMENG_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
ALLOWED_HOSTS = config.allowed_hosts(os.environ, KAMENG_PUBLIC_URL)
_http_security = config.http_security(os.environ, KAMENG_PUBLIC_URL)
CSRF_TRUSTED_ORIGINS = _http_security["CSRF_TRUSTED_ORIGINS"]
SECURE_PROXY_SSL_HEADER = _http_security["SECURE_PROXY_SSL_HEADER"]
SECURE_SSL_REDIRECT = _http_security["SECURE_SSL_REDIRECT"]
SESSION_COOKIE_SECURE = _http_security["SESSION_COOKIE_SECURE"]
CSRF_COOKIE_SECURE = _http_security["CSRF_COOKIE_SECURE"]
SECURE_HSTS_SECONDS = _http_security["SECURE_HSTS_SECONDS"]
SECURE_HSTS_INCLUDE_SUBDOMAINS = _http_security["SECURE_HSTS_INCLUDE_SUBDOMAINS"]
SECURE_HSTS_PRELOAD = _http_security["SECURE_HSTS_PRELOAD"]
# Browsers' preload lists are a commitment the domain's owner makes on purpose
# (KAMENG_HSTS_PRELOAD=1), not a default a check should nag about.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

INSTALLED_APPS = [
    # Django's admin, whose `admin.site` asks operators who set up TOTP for the code
    # (kameng/console/adminsite.py).
    "kameng.console.apps.OperatorAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "ninja",  # its API docs page and assets, served locally
    "kameng",  # platform-wide commands and checks (kameng/management)
    "kameng.ledger",
    "kameng.catalog",
    "kameng.risk",  # scores every order before money moves (below orders: it imports none)
    "kameng.supply",  # historical migrations only (see kameng/supply/apps.py)
    "kameng.suppliers",
    "kameng.stock",
    "kameng.upstream",
    "kameng.agents",
    "kameng.orders",
    "kameng.topup",
    "kameng.webhooks",
    "kameng.payments",
    "kameng.reporting",
    "kameng.docking",  # another Kameng site's goods resold here (货源对接)
    "kameng.storefront",
    "kameng.console",
    "kameng.demo",
    "captcha",  # django-simple-captcha: the checkout's captcha after a burst of orders
    "axes",  # django-axes: lockout after repeated failed log-ins (consoles and admin)
    "django_otp",  # operators' optional second factor
    "django_otp.plugins.otp_totp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "kameng.i18n.ChineseFirstLocaleMiddleware",  # zh-hans unless English was chosen
    "django.middleware.common.CommonMiddleware",
    "kameng.api.middleware.json_method_not_allowed",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): the TOTP code given
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # a locked-out log-in gets the lockout page (last)
]

ROOT_URLCONF = "kameng.urls"
WSGI_APPLICATION = "kameng.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Django's usual four; kameng.agents.services.create_agent applies them to agents too.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "kameng" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise expects it before collectstatic
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

REDIS_URL = os.environ.get("REDIS_URL", "")
# Where `make demo` runs the bundled simulated top-up supplier.
KAMENG_DEMO_SIM_URL = os.environ.get("KAMENG_DEMO_SIM_URL", "http://127.0.0.1:9100")
# Where `make demo` runs the bundled simulated 易支付 provider (`kameng sim-pay`).
KAMENG_DEMO_PAY_URL = os.environ.get("KAMENG_DEMO_PAY_URL", "http://127.0.0.1:9300")

MEDIA_ROOT = Path(os.environ.get("KAMENG_MEDIA_ROOT", DATA_DIR / "media"))
MEDIA_URL = "media/"

# --- Background work (Celery) ------------------------------------------------------
# Production: Redis is the broker, any number of workers (`celery -A kameng worker`) and
# one beat. Embedded default: a broker kept in files under DATA_DIR, which needs no
# server; `make demo` runs one worker (with beat) beside the web server.
# The file broker's URL names a host, which it ignores: kombu's virtual transports
# default to 'localhost' and log "No hostname was supplied" on every connection (every
# command that queues a task) when the URL has none.
_FILE_BROKER_URL = "filesystem://localhost/"
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or REDIS_URL or _FILE_BROKER_URL
if CELERY_BROKER_URL == _FILE_BROKER_URL:
    CELERY_BROKER_TRANSPORT = "kameng.broker:Transport"  # kombu's, writing atomically
    _queue_dir = DATA_DIR / "broker"
    (_queue_dir / "processed").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_queue_dir / "processed"),
        "control_folder": str(_queue_dir / "control"),
        "store_processed": False,
        "polling_interval": 0.05,
    }
CELERY_TASK_IGNORE_RESULT = True
# Two queues: "celery" (top-ups, offers, escrow, the ledger) and "webhooks" (tries to
# distributors' URLs, and the poller that re-queues them), so work for suppliers and
# money never waits behind a slow receiver. A worker started without -Q consumes both;
# production runs workers per queue (README).
CELERY_TASK_DEFAULT_QUEUE = "celery"
# Each queue under its own routing key (left out, Celery binds both under "celery").
CELERY_TASK_QUEUES = [Queue(name, routing_key=name) for name in ("celery", "webhooks")]
CELERY_TASK_ROUTES = {"kameng.webhooks.tasks.*": {"queue": "webhooks"}}
# A task is acknowledged only once it has run: a worker that dies half-way leaves the
# message for another worker. Every task is written to be safe to run twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes the database connection around every task by default (a
# fresh PostgreSQL session per task cost ~12 ms of CPU, more than the task's queries);
# keep each worker thread's connection for this many tasks instead.
CELERY_DB_REUSE_MAX = int(os.environ.get("KAMENG_WORKER_DB_REUSE", 200))
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "poll-open-topups": {"task": "kameng.topup.tasks.poll_open_attempts", "schedule": 15.0},
    "refresh-remote-offers": {
        "task": "kameng.upstream.tasks.refresh_remote_offers",
        "schedule": 300.0,
    },
    "release-due-escrow": {"task": "kameng.orders.tasks.release_due_escrow", "schedule": 300.0},
    "expire-unpaid-orders": {"task": "kameng.orders.tasks.expire_unpaid", "schedule": 30.0},
    "reconcile-ledger": {"task": "kameng.ledger.tasks.reconcile", "schedule": 3600.0},
    "poll-due-webhooks": {"task": "kameng.webhooks.tasks.poll_due_deliveries", "schedule": 30.0},
    "sync-docked-sites": {"task": "kameng.docking.tasks.sync_connections", "schedule": 300.0},
    "reconcile-docked-sites": {"task": "kameng.docking.tasks.reconcile", "schedule": 3600.0},
}

# --- Business rules an operator may tune -------------------------------------------
# Deepest agent level below the platform (anti-pyramid bound).
KAMENG_MAX_AGENT_DEPTH = int(os.environ.get("KAMENG_MAX_AGENT_DEPTH", 3))
# How long a buyer has to confirm receipt or complain before escrow is released.
KAMENG_ESCROW_CONFIRM_HOURS = int(os.environ.get("KAMENG_ESCROW_CONFIRM_HOURS", 72))
# How long a storefront order waits for its payment, its card codes held for it meanwhile.
KAMENG_PAYMENT_WINDOW_MINUTES = float(os.environ.get("KAMENG_PAYMENT_WINDOW_MINUTES", 15))
# Most codes one order may take.
KAMENG_MAX_ORDER_QUANTITY = int(os.environ.get("KAMENG_MAX_ORDER_QUANTITY", 100))
# Seconds to wait for a supplier's answer; no answer in time means "unknown", then query.
KAMENG_SUPPLIER_TIMEOUT = float(os.environ.get("KAMENG_SUPPLIER_TIMEOUT", 5))
# A top-up still open after this many seconds is queried (callbacks are not trusted
# to arrive); queries back off up to KAMENG_TOPUP_QUERY_MAX_SECONDS apart.
KAMENG_TOPUP_QUERY_AFTER_SECONDS = float(os.environ.get("KAMENG_TOPUP_QUERY_AFTER_SECONDS", 10))
KAMENG_TOPUP_QUERY_MAX_SECONDS = float(os.environ.get("KAMENG_TOPUP_QUERY_MAX_SECONDS", 300))
# A top-up attempt still undecided this many seconds after it was opened goes to the
# operator (待人工处理: `kameng topup-attempts --escalated`, the admin); queries go on.
KAMENG_TOPUP_ESCALATE_AFTER_SECONDS = float(
    os.environ.get("KAMENG_TOPUP_ESCALATE_AFTER_SECONDS", 1800)
)
# Supplier callbacks: the largest body read (a kameng-supply v1 callback is a few hundred
# bytes; larger → 413 without reading it), and how many failed ones (too large, not
# JSON, forged) one address may have recorded: "COUNT/SECONDS"; over it → 429.
KAMENG_CALLBACK_MAX_BYTES = int(os.environ.get("KAMENG_CALLBACK_MAX_BYTES", 65536))
_failed_count, _failed_window = os.environ.get("KAMENG_CALLBACK_FAILURE_LIMIT", "60/60").split("/")
KAMENG_CALLBACK_FAILURE_LIMIT = (int(_failed_count), int(_failed_window))

# Reverse proxies in front of the web processes, each appending to X-Forwarded-For: the
# client's address for per-IP limits is the N-th from the right (kameng/clientip.py).
KAMENG_TRUSTED_PROXIES = int(os.environ.get("KAMENG_TRUSTED_PROXIES", 0))

# --- Open API (distributors) ---------------------------------------------------------
# A signed request's timestamp may be this many seconds off; its nonce is remembered
# for twice as long (Redis with REDIS_URL, else in the one web process).
KAMENG_API_CLOCK_SKEW = 300
# Requests per key: "COUNT/SECONDS", e.g. 50/1 = fifty a second; over it → 429.
_rate_count, _rate_window = os.environ.get("KAMENG_API_RATE_LIMIT", "50/1").split("/")
KAMENG_API_RATE_LIMIT = (int(_rate_count), int(_rate_window))
# Webhooks: the deadline of one try in seconds (all of it: lookup, connect, TLS,
# sending, the answer's status and headers), and the delays before each retry after a
# failed try (7 tries over about an hour by default).
KAMENG_WEBHOOK_TIMEOUT = float(os.environ.get("KAMENG_WEBHOOK_TIMEOUT", 5))
KAMENG_WEBHOOK_RETRY_DELAYS = [
    float(delay)
    for delay in os.environ.get("KAMENG_WEBHOOK_RETRY_DELAYS", "30,120,300,600,900,1800").split(",")
]
# Webhooks go to public addresses only; a single-machine setup whose distributors'
# receivers run on the same host or LAN turns this on (no address is checked then).
KAMENG_WEBHOOK_ALLOW_PRIVATE = _env_bool("KAMENG_WEBHOOK_ALLOW_PRIVATE", False)
# Refuse callback URLs that are not https.
KAMENG_WEBHOOK_REQUIRE_HTTPS = _env_bool("KAMENG_WEBHOOK_REQUIRE_HTTPS", False)
# Manual re-sends of one order in any 24 hours (one at a time in any case); 0: none.
KAMENG_WEBHOOK_RESENDS_PER_DAY = int(os.environ.get("KAMENG_WEBHOOK_RESENDS_PER_DAY", 10))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("KAMENG_LOG_LEVEL", "WARNING")},
}

# --- Payments (kameng/payments) ------------------------------------------------------
# Unpaid payments are asked about (the gateway's query) in case a notify is late or never
# comes: the beat task runs every 5 s; the first query KAMENG_PAYMENT_QUERY_DELAYS[0] s
# after the buyer is sent to the gateway, then each next one the next delay later, then
# every KAMENG_PAYMENT_QUERY_EVERY s, until KAMENG_PAYMENT_QUERY_HOURS after creation
# (a late payment still pays, or is refunded: never lost).
CELERY_BEAT_SCHEDULE["poll-unpaid-payments"] = {
    "task": "kameng.payments.tasks.poll_unpaid",
    "schedule": 5.0,
}
KAMENG_PAYMENT_QUERY_DELAYS = [
    float(delay)
    for delay in os.environ.get("KAMENG_PAYMENT_QUERY_DELAYS", "5,15,30,60,120,300").split(",")
]
KAMENG_PAYMENT_QUERY_EVERY = float(os.environ.get("KAMENG_PAYMENT_QUERY_EVERY", 1800))
KAMENG_PAYMENT_QUERY_HOURS = float(os.environ.get("KAMENG_PAYMENT_QUERY_HOURS", 24))
# Seconds to wait for the gateway's answer to a query or a refund.
KAMENG_PAYMENT_GATEWAY_TIMEOUT = float(os.environ.get("KAMENG_PAYMENT_GATEWAY_TIMEOUT", 5))
# A refund the gateway could not be reached for is tried again after each of these
# delays (s); still unreached after the last: failed, for the operator (重试退款).
KAMENG_PAYMENT_REFUND_RETRY_DELAYS = [
    float(delay)
    for delay in os.environ.get("KAMENG_PAYMENT_REFUND_RETRY_DELAYS", "10,60,300,1800").split(",")
]
# Notifies: the largest body or query string read (a real one is ~400 bytes; larger →
# 413 unread), the most parameters (more → 400 before parsing), and how many failed ones
# (malformed, forged) one address may have recorded, "COUNT/SECONDS"; over it → 429.
KAMENG_PAYMENT_NOTIFY_MAX_BYTES = int(os.environ.get("KAMENG_PAYMENT_NOTIFY_MAX_BYTES", 16384))
KAMENG_PAYMENT_NOTIFY_MAX_PARAMS = 40
_notify_count, _notify_window = os.environ.get(
    "KAMENG_PAYMENT_NOTIFY_FAILURE_LIMIT", "60/60"
).split("/")
KAMENG_PAYMENT_NOTIFY_FAILURE_LIMIT = (int(_notify_count), int(_notify_window))

# --- Storefront (kameng/storefront) --------------------------------------------------
# Unpaid orders one contact, and one address, may hold at once (each holds goods for
# its payment window).
KAMENG_STOREFRONT_MAX_OPEN_ORDERS = int(os.environ.get("KAMENG_STOREFRONT_MAX_OPEN_ORDERS", 3))
# Order lookups (order number + contact + query password) per address: "COUNT/SECONDS".
_lookup_count, _lookup_window = os.environ.get("KAMENG_STOREFRONT_LOOKUPS", "10/600").split("/")
KAMENG_STOREFRONT_LOOKUPS = (int(_lookup_count), int(_lookup_window))
# Checkouts one address may attempt within 10 minutes before it must pass a captcha.
KAMENG_STOREFRONT_CAPTCHA_AFTER = int(os.environ.get("KAMENG_STOREFRONT_CAPTCHA_AFTER", 3))
# Delivery emails that were never queued (broker down), swept up every 5 minutes.
CELERY_BEAT_SCHEDULE["send-unsent-storefront-emails"] = {
    "task": "kameng.storefront.tasks.send_unsent_emails",
    "schedule": 300.0,
}
# Email (buyers' codes): written to files under DATA_DIR/mail unless an SMTP server is
# configured with KAMENG_EMAIL_HOST.
if os.environ.get("KAMENG_EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["KAMENG_EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("KAMENG_EMAIL_PORT", 587))
    EMAIL_HOST_USER = os.environ.get("KAMENG_EMAIL_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("KAMENG_EMAIL_PASSWORD", "")
    EMAIL_USE_TLS = _env_bool("KAMENG_EMAIL_TLS", True)
    EMAIL_TIMEOUT = 10
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = DATA_DIR / "mail"
DEFAULT_FROM_EMAIL = (
    os.environ.get("KAMENG_EMAIL_FROM") or os.environ.get("KAMENG_EMAIL_USER") or "kameng@localhost"
)
# The buyer's result page asks the payment gateway about an unpaid order (check_payment)
# at most once per this many seconds, however many tabs poll it (every 2 s).
KAMENG_STOREFRONT_QUERY_SECONDS = 3
# The checkout's captcha (django-simple-captcha, images drawn here, nothing fetched):
# four letters, legible on a phone; a challenge lasts 10 minutes.
CAPTCHA_LENGTH = 4
CAPTCHA_FONT_SIZE = 30
CAPTCHA_TIMEOUT = 10
CAPTCHA_LETTER_ROTATION = (-20, 20)
CAPTCHA_NOISE_FUNCTIONS = ("captcha.helpers.noise_dots",)

# --- Web pages: templates, static assets, languages ---------------------------------
# Pages share one layout (kameng/templates/kameng/base.html), one stylesheet and the
# built front-end files in kameng/static/kameng/ (`make assets`, committed). The layout
# reads the active language and LANGUAGES (the footer's switch) from Django's i18n
# context processor; the switch posts to /i18n/setlang/, whose cookie keeps the choice.
TEMPLATES[0]["OPTIONS"]["context_processors"].append("django.template.context_processors.i18n")
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_HTTPONLY = True

# --- Risk control (kameng/risk) ------------------------------------------------------
# Every order is scored before money moves (rules as versioned data, velocity counters,
# the anomaly model). KAMENG_RISK_ENABLED=0 turns scoring off: orders are not scored,
# nothing is counted. The counters live in Redis when REDIS_URL is set (shared by every
# web process), else in this process, as kameng/guards.py chooses.
KAMENG_RISK_ENABLED = _env_bool("KAMENG_RISK_ENABLED", True)

# --- Consoles (kameng/console) -------------------------------------------------------
# /console/: one log-in page for distributors, suppliers and the operator; the Django
# admin keeps its own. Both are guarded by django-axes: after KAMENG_LOGIN_FAILURES
# failed log-ins for one account, or from one address (two counts: guessing one
# account's password from many addresses, or many accounts' from one), log-ins are
# refused for KAMENG_LOGIN_LOCKOUT_MINUTES with a page in Chinese (429). A successful
# log-in forgets that account's failures (kameng/console/guard.py).
AUTHENTICATION_BACKENDS = [
    "kameng.console.guard.LoginGuardBackend",  # axes: a locked-out log-in stops here
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "console:login"
LOGIN_REDIRECT_URL = "console:home"
LOGOUT_REDIRECT_URL = "console:login"
AXES_FAILURE_LIMIT = int(os.environ.get("KAMENG_LOGIN_FAILURES", 5))
AXES_COOLOFF_TIME = timedelta(minutes=float(os.environ.get("KAMENG_LOGIN_LOCKOUT_MINUTES", 30)))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each on its own, not the pair
AXES_CLIENT_IP_CALLABLE = "kameng.clientip.client_ip"  # behind KAMENG_TRUSTED_PROXIES too
AXES_HANDLER = "kameng.console.guard.LoginGuardHandler"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "kameng.console.guard.locked_out"
# Operators' optional TOTP (django-otp): the name authenticator apps show.
OTP_TOTP_ISSUER = "Kameng"
# Password reset emails (the console's "忘记密码"): at most COUNT per SECONDS for one
# email address asked about, and from one client address; over it nothing is sent.
_reset_count, _reset_window = os.environ.get("KAMENG_CONSOLE_PASSWORD_RESETS", "5/3600").split("/")
KAMENG_CONSOLE_PASSWORD_RESETS = (int(_reset_count), int(_reset_window))
