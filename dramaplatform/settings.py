"""Settings of Drama Platform, read from the environment in this one place.

Nothing needs to be set to run on one machine (SQLite, local media, the django-q2 ORM broker,
the offline `local` providers). Production parts are switched on by environment variables
alone; `ENVIRONMENT=production` refuses an unsafe configuration.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from dramaplatform.env import (
    env_bool,
    env_choice,
    env_int,
    env_limits,
    env_list,
    env_secret,
    env_str,
    env_url,
)
from dramaplatform.storage_settings import s3_storage

BASE_DIR = Path(__file__).resolve().parent.parent

ENVIRONMENT = env_choice("ENVIRONMENT", "development", ("development", "production"))
IS_PRODUCTION = ENVIRONMENT == "production"

SECRET_KEY = env_secret("SECRET_KEY")
DEBUG = env_bool("DEBUG", default=not IS_PRODUCTION)
API_KEYS = env_list("API_KEYS")
# The API is open to requests without a key only in development with no key configured.
API_OPEN = env_bool("API_OPEN", default=not IS_PRODUCTION and not API_KEYS)

if IS_PRODUCTION:
    problems = []
    if not SECRET_KEY:
        problems.append("SECRET_KEY is not set")
    if DEBUG:
        problems.append("DEBUG is on")
    if API_OPEN:
        problems.append("API_OPEN is on (the API would answer without authentication)")
    if problems:
        raise ImproperlyConfigured("Refusing to start in production: " + "; ".join(problems) + ".")
elif not SECRET_KEY:
    # A fixed key is fine for a development machine; production has no default.
    SECRET_KEY = "development-only-secret-key-not-for-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS") or (["*"] if not IS_PRODUCTION else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
PORT = env_int("PORT", 8000, minimum=1)

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
    "django_q",
    "accounts",
    "dramas",
    "generation",
    "assets",
    "viewer",
]

MIDDLEWARE = [
    # Outermost: it sees every answer, Django's own error pages too.
    "dramaplatform.middleware.JsonErrorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "dramaplatform.urls"
WSGI_APPLICATION = "dramaplatform.wsgi.application"
APPEND_SLASH = False

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
            ],
        },
    },
]

# Database: SQLite by default, PostgreSQL (psycopg 3) from DATABASE_URL.
DATABASE_URL = env_url("DATABASE_URL")
SQLITE_PATH = Path(env_str("SQLITE_PATH") or BASE_DIR / "var" / "db.sqlite3")
if DATABASE_URL:
    try:
        DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"DATABASE_URL is not a database URL this product knows: {exc}"
        ) from None
else:
    SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            # Workers and the web process write at once: WAL plus IMMEDIATE transactions stop
            # "database is locked" errors under concurrent writers.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL;",
                "timeout": 20,
            },
            # One test database per test run, so two runs on one machine do not collide.
            "TEST": {"NAME": str(SQLITE_PATH.with_name(f"test-db-{os.getpid()}.sqlite3"))},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Background work: django-q2 on the ORM broker, or Redis from REDIS_URL.
REDIS_URL = env_url("REDIS_URL")
TASK_TIMEOUT = env_int("TASK_TIMEOUT", 600, minimum=1)
Q_CLUSTER = {
    "name": "drama",
    "workers": env_int("WORKERS", 2, minimum=1),
    # The Job table owns retries and leases; django-q2 only wakes workers up. `retry` must
    # exceed queue wait plus run time, so a slow task is not delivered twice.
    "timeout": TASK_TIMEOUT,
    "retry": TASK_TIMEOUT + 300,
    "max_attempts": 1,
    "ack_failures": True,
    "save_limit": 0,
    "catch_up": False,
    "poll": 0.2,
    # Prefetch little: a message waiting behind a busy worker delays a render's poll, and
    # with Redis a prefetched message dies with its cluster.
    "queue_limit": env_int("WORKERS", 2, minimum=1),
    "label": "Background tasks",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT") or BASE_DIR / "var" / "static")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or BASE_DIR / "var" / "media")
OUTPUTS_DIR = Path(env_str("OUTPUTS_DIR") or BASE_DIR / "var" / "outputs")

# Request bodies above this size are refused with 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MAX_REQUEST_BYTES", 2 * 1024 * 1024, minimum=1024)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
        "accounts.authentication.OpenAccessAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.authentication.IsApiUser"],
    "DEFAULT_RENDERER_CLASSES": [
        "djangorestframework_camel_case.render.CamelCaseJSONRenderer",
    ],
    # JSON only; the upload endpoint takes multipart by itself.
    "DEFAULT_PARSER_CLASSES": ["dramaplatform.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "dramaplatform.api.Pagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "dramaplatform.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {"generation": env_str("GENERATION_RATE", "30/minute")},
    "UNAUTHENTICATED_USER": None,
}
# Free-form dictionaries are passed through as they were written.
JSON_CAMEL_CASE = {"JSON_UNDERSCOREIZE": {"ignore_fields": ("metadata", "parameters", "result")}}

SPECTACULAR_SETTINGS = {
    "TITLE": "Drama Platform API",
    "DESCRIPTION": "Turn a one-line premise into a short vertical drama and produce its media.",
    "VERSION": "1.0.0",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "drf_spectacular.contrib.djangorestframework_camel_case.camelize_serializer_fields",
        "dramaplatform.schema.premise_excludes_script",
    ],
    "CAMELIZE_NAMES": False,
    # Open development mode is not a way to authenticate: leave it out of the schema.
    "AUTHENTICATION_WHITELIST": [
        "accounts.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "ENUM_NAME_OVERRIDES": {
        "DramaStatusEnum": "dramas.models.Drama.Status",
        "JobStatusEnum": "generation.models.Job.Status",
        "JobKindEnum": "generation.models.Job.Kind",
        "AssetKindEnum": "assets.models.Asset.Kind",
        "ReviewStatusEnum": "assets.models.Asset.Review",
        "MediaTypeEnum": "assets.models.Asset.MediaType",
        "OwnMediaKindEnum": "assets.serializers.OWN_MEDIA_KIND_CHOICES",
    },
}

# Providers (see PROVIDERS.md). Each kind uses its remote service when the key is set, else the
# offline `local` provider; SCRIPT_PROVIDER / IMAGE_PROVIDER / VIDEO_PROVIDER / SPEECH_PROVIDER
# override.
OPENAI_API_KEY = env_secret("OPENAI_API_KEY")
OPENAI_BASE_URL = env_url("OPENAI_BASE_URL")
# GPT-5 shuts down on 2026-12-11; OpenAI names gpt-6.1-sol as its replacement.
GPT_MODEL = env_str("GPT_MODEL", "gpt-6.1-sol")
# `responses` (OpenAI) or `chat` (Chat Completions, for compatible servers without Responses).
OPENAI_API_MODE = env_choice("OPENAI_API_MODE", "responses", ("responses", "chat"))
GEMINI_API_KEY = env_secret("GEMINI_API_KEY")
GEMINI_API_BASE = env_url("GEMINI_API_BASE")
GEMINI_API_VERSION = env_str("GEMINI_API_VERSION", "v1beta")
GEMINI_IMAGE_MODEL = env_str("GEMINI_IMAGE_MODEL", "gemini-3.1-flash-image")
GEMINI_VIDEO_MODEL = env_str("GEMINI_VIDEO_MODEL", "gemini-omni-1.2-flash")
SORA_API_KEY = env_secret("SORA_API_KEY")
SORA_API_BASE = env_url("SORA_API_BASE")
SORA_MODEL = env_str("SORA_MODEL", "sora-2")
GEMINI_TTS_MODEL = env_str("GEMINI_TTS_MODEL", "gemini-3.8-flash-lite-tts")
# An OpenAI-compatible `/v1/audio/speech`: OpenAI itself (no TTS_BASE_URL) or a self-hosted
# speech server, which may need no key. OpenAI's own speech models shut down on 2027-01-06.
TTS_API_KEY = env_secret("TTS_API_KEY")
TTS_BASE_URL = env_url("TTS_BASE_URL")
TTS_MODEL = env_str("TTS_MODEL", "gpt-4o-mini-tts")
SCRIPT_PROVIDER = env_choice(
    "SCRIPT_PROVIDER", "openai" if OPENAI_API_KEY else "local", ("local", "openai")
)
IMAGE_PROVIDER = env_choice(
    "IMAGE_PROVIDER", "gemini" if GEMINI_API_KEY else "local", ("local", "gemini")
)
VIDEO_PROVIDER = env_choice(
    "VIDEO_PROVIDER",
    "gemini" if GEMINI_API_KEY else "gateway" if SORA_API_KEY else "local",
    ("local", "gemini", "gateway"),
)
SPEECH_PROVIDER = env_choice(
    "SPEECH_PROVIDER",
    "gemini" if GEMINI_API_KEY else "openai" if TTS_API_KEY or TTS_BASE_URL else "local",
    ("local", "gemini", "openai"),
)
for _kind, _choice, _key, _names in (
    ("SCRIPT_PROVIDER", SCRIPT_PROVIDER, OPENAI_API_KEY, {"openai": "OPENAI_API_KEY"}),
    ("IMAGE_PROVIDER", IMAGE_PROVIDER, GEMINI_API_KEY, {"gemini": "GEMINI_API_KEY"}),
    ("VIDEO_PROVIDER", VIDEO_PROVIDER, GEMINI_API_KEY if VIDEO_PROVIDER == "gemini"
     else SORA_API_KEY, {"gemini": "GEMINI_API_KEY", "gateway": "SORA_API_KEY"}),
    # A self-hosted speech server at TTS_BASE_URL may take no key; OpenAI itself needs one.
    ("SPEECH_PROVIDER", SPEECH_PROVIDER, GEMINI_API_KEY if SPEECH_PROVIDER == "gemini"
     else TTS_API_KEY or TTS_BASE_URL, {"gemini": "GEMINI_API_KEY",
     "openai": "TTS_API_KEY (or TTS_BASE_URL, for a speech server that needs no key)"}),
):  # fmt: skip
    if _choice in _names and not _key:
        raise ImproperlyConfigured(f"{_kind}={_choice} needs {_names[_choice]}.")
if VIDEO_PROVIDER == "gateway" and not SORA_API_BASE:
    raise ImproperlyConfigured("VIDEO_PROVIDER=gateway needs SORA_API_BASE (the gateway's URL).")
# Seconds: one remote call, and the longest Retry-After the retry loop will sleep through.
PROVIDER_TIMEOUT = env_int("PROVIDER_TIMEOUT", 120, minimum=1)
PROVIDER_MAX_WAIT = env_int("PROVIDER_MAX_WAIT", 60, minimum=0)
# Price overrides for estimates: {"model": {"per_image": 0.04, "input_per_million": 2}}.
PRICES_JSON = env_str("PRICES_JSON")
LOCAL_PROVIDER_LATENCY_MS = env_int("LOCAL_PROVIDER_LATENCY_MS", 0, minimum=0)
LOCAL_IMAGE_LATENCY_MS = env_int("LOCAL_IMAGE_LATENCY_MS", LOCAL_PROVIDER_LATENCY_MS, minimum=0)
LOCAL_VIDEO_LATENCY_MS = env_int("LOCAL_VIDEO_LATENCY_MS", LOCAL_PROVIDER_LATENCY_MS, minimum=0)

DEFAULT_ASPECT_RATIO = env_str("DEFAULT_ASPECT_RATIO", "9:16")
DEFAULT_VIDEO_DURATION = env_int("DEFAULT_VIDEO_DURATION", 10, minimum=1)
MAX_RETRIES = env_int("MAX_RETRIES", 2, minimum=0)
# A worker renews its lease every third of this while it works, so a dead worker's jobs are
# taken over within one lease; the sweeper re-sends a queued job nobody took after this long.
JOB_LEASE_SECONDS = env_int("JOB_LEASE_SECONDS", 30, minimum=2)
JOB_RESEND_SECONDS = env_int("JOB_RESEND_SECONDS", 20, minimum=1)
# On SIGTERM, how long `manage.py worker` lets the tasks in progress finish before it stops
# them and hands their jobs back.
WORKER_STOP_SECONDS = env_int("WORKER_STOP_SECONDS", 20, minimum=0)
# How often the worker's dispatcher wakes delayed jobs and due render polls, in milliseconds.
JOB_TICK_MS = env_int("JOB_TICK_MS", 500, minimum=10)
# Seconds between polls of a remote render when the service suggests nothing.
VIDEO_POLL_SECONDS = env_int("VIDEO_POLL_SECONDS", 10, minimum=1)
# How many nodes of each provider run at once, across all workers on all machines:
# `kind` or `kind:provider` = limit, e.g. "image=4,video:gemini=8,assembly=2".
PROVIDER_CONCURRENCY = env_limits(
    "PROVIDER_CONCURRENCY", {"image": 4, "video": 8, "speech": 4, "assembly": 2}
)
# `dependency` releases a node as soon as its own inputs are done; `level` waits for the whole
# previous level (the baseline the DAG benchmark compares against).
DAG_SCHEDULING = env_choice("DAG_SCHEDULING", "dependency", ("dependency", "level"))
# When on, a clip waits (awaiting_approval) until a moderator approves its storyboard.
REQUIRE_STORYBOARD_APPROVAL = env_bool("REQUIRE_STORYBOARD_APPROVAL", False)

# Object storage for media: local files by default, Cloudflare R2 when the R2_* variables are
# set, or any S3-compatible service (MinIO, SeaweedFS, AWS) through the S3_* variables.
R2_ACCOUNT_ID = env_str("R2_ACCOUNT_ID")
R2_ACCESS_KEY_ID = env_secret("R2_ACCESS_KEY_ID")
R2_SECRET_ACCESS_KEY = env_secret("R2_SECRET_ACCESS_KEY")
R2_BUCKET = env_str("R2_BUCKET", "sfd-production")
R2_PUBLIC_URL = env_url("R2_PUBLIC_URL")
S3_ENDPOINT_URL = env_url("S3_ENDPOINT_URL")
S3_ACCESS_KEY_ID = env_secret("S3_ACCESS_KEY_ID")
S3_SECRET_ACCESS_KEY = env_secret("S3_SECRET_ACCESS_KEY")
S3_BUCKET = env_str("S3_BUCKET")
S3_REGION = env_str("S3_REGION", "us-east-1")
S3_PUBLIC_URL = env_url("S3_PUBLIC_URL")
SIGNED_URL_SECONDS = env_int("SIGNED_URL_SECONDS", 300, minimum=10)
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 50 * 1024 * 1024, minimum=1024)
# Local media are served only through signed URLs (assets.storage.SignedFileSystemStorage)
# valid this long; on object storage the bucket's presigned URLs last SIGNED_URL_SECONDS.
MEDIA_URL_SECONDS = env_int("MEDIA_URL_SECONDS", 3600, minimum=10)
# Where this site is reached from outside: files made to be opened elsewhere (an episode's
# OpenTimelineIO export) point at its assets by absolute URLs under it.
SITE_URL = env_url("SITE_URL") or "http://127.0.0.1:8000"


if R2_ACCOUNT_ID or R2_ACCESS_KEY_ID or R2_SECRET_ACCESS_KEY:
    if not (R2_ACCOUNT_ID and R2_ACCESS_KEY_ID and R2_SECRET_ACCESS_KEY):
        raise ImproperlyConfigured(
            "Cloudflare R2 needs R2_ACCOUNT_ID, R2_ACCESS_KEY_ID and R2_SECRET_ACCESS_KEY together."
        )
    MEDIA_STORAGE = f"Cloudflare R2 bucket {R2_BUCKET}"
    MEDIA_PUBLIC_URL = R2_PUBLIC_URL
    DEFAULT_STORAGE = s3_storage(
        bucket=R2_BUCKET,
        endpoint=f"https://{R2_ACCOUNT_ID}.r2.cloudflarestorage.com",
        key_id=R2_ACCESS_KEY_ID,
        secret=R2_SECRET_ACCESS_KEY,
        region="auto",
        public_url=R2_PUBLIC_URL,
        signed_url_seconds=SIGNED_URL_SECONDS,
    )
elif S3_BUCKET:
    MEDIA_STORAGE = f"S3 bucket {S3_BUCKET} at {S3_ENDPOINT_URL or 'AWS'}"
    MEDIA_PUBLIC_URL = S3_PUBLIC_URL
    DEFAULT_STORAGE = s3_storage(
        bucket=S3_BUCKET,
        endpoint=S3_ENDPOINT_URL,
        key_id=S3_ACCESS_KEY_ID,
        secret=S3_SECRET_ACCESS_KEY,
        region=S3_REGION,
        public_url=S3_PUBLIC_URL,
        signed_url_seconds=SIGNED_URL_SECONDS,
    )
else:
    MEDIA_STORAGE = f"local files in {MEDIA_ROOT}"
    MEDIA_PUBLIC_URL = ""
    # Sidecars are rewritten in place when an asset changes.
    DEFAULT_STORAGE = {
        "BACKEND": "assets.storage.SignedFileSystemStorage",
        "OPTIONS": {"allow_overwrite": True},
    }

STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO").upper()},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# HTTPS in production, each part overridable: behind a proxy that terminates TLS and sets
# X-Forwarded-Proto (or set SECURE_PROXY_SSL_HEADER=off when nothing sets it).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=IS_PRODUCTION)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if IS_PRODUCTION else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=IS_PRODUCTION)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=IS_PRODUCTION)
if env_bool("SECURE_PROXY_SSL_HEADER", default=IS_PRODUCTION):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=IS_PRODUCTION)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=IS_PRODUCTION)
