"""Settings, all read through django-environ.

Defaults give the embedded developer setup (SQLite, in-process tasks, e-mails to
var/mail/). Production sets DATABASE_URL, REDIS_URL, EMAIL_URL, SECRET_KEY and
DEBUG=0; without a SECRET_KEY and with DEBUG off the app refuses to start.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "accounts",
    "invoices",
    "payments",
    "credits",
    "certificates",
    "timestamps",
    # The top floor's demo data: `manage.py seed_demo` (run by `make run`).
    "billing_portal.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "billing_portal.urls"
WSGI_APPLICATION = "billing_portal.wsgi.application"

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

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "cs"
LANGUAGES = [("cs", _("Czech")), ("sk", _("Slovak")), ("fi", _("Finnish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Prague")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"

# The cache keeps portal login throttling; shared between workers through Redis.
REDIS_URL = env.str("REDIS_URL", default="")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Celery: no REDIS_URL means tasks run in-process (developer default, `make run`).
if not REDIS_URL and not DEBUG and not env.bool("ALLOW_IN_PROCESS_TASKS", default=False):
    raise ImproperlyConfigured(
        "REDIS_URL must be set when DEBUG is off: periodic jobs, e-mail delivery and "
        "login throttling need Redis in production."
    )
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = None
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    # Like a real worker: a failing task is logged, it does not break the request.
    CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]

EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(BASE_DIR / "var" / "mail"))
_email = env.email_url("EMAIL_URL", default="filemail://")
if _email.get("EMAIL_BACKEND", "").endswith("filebased.EmailBackend"):
    _email["EMAIL_FILE_PATH"] = _email.get("EMAIL_FILE_PATH") or EMAIL_FILE_PATH
vars().update(_email)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="billing@example.com")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Who may call the partner API is said by its views (billing_portal/api/
    # authentication.py: staff sessions until partners get credentials); these
    # defaults only keep anything else closed to all but staff.
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "EXCEPTION_HANDLER": "billing_portal.api.exceptions.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Billing back office API",
    "DESCRIPTION": "Partner API: customers' orders, invoices, payments, credit and timestamps.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
}

# Production hardening: on whenever DEBUG is off (`check --deploy` is clean then).
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # WeasyPrint and fontTools log every rendering step at INFO.
    "loggers": {
        name: {"level": "WARNING"} for name in ("weasyprint", "fontTools", "fontTools.subset")
    },
}

# --- Business settings (defaults of domain.md; each one can be overridden) ---
BILLING = {
    # The seller printed on every document; brand-neutral demo values.
    "SELLER": {
        "name": env.str("SELLER_NAME", default="Example Hosting s.r.o."),
        "street": env.str("SELLER_STREET", default="Na Příkopě 1"),
        "city": env.str("SELLER_CITY", default="Praha 1"),
        "postal_code": env.str("SELLER_POSTAL_CODE", default="110 00"),
        "country": env.str("SELLER_COUNTRY", default="CZ"),
        "ico": env.str("SELLER_ICO", default="25596641"),
        "dic": env.str("SELLER_DIC", default="CZ25596641"),
        "register": env.str("SELLER_REGISTER", default="C 12345 vedená u Městského soudu v Praze"),
        "email": env.str("SELLER_EMAIL", default="billing@example.com"),
        "web": env.str("SELLER_WEB", default="https://www.example.com"),
    },
    "PAYMENT_DUE_DAYS": env.int("PAYMENT_DUE_DAYS", default=14),
    "RENEWAL_DAYS_AHEAD": env.int("RENEWAL_DAYS_AHEAD", default=30),
    "JOB_BATCH_SIZE": env.int("JOB_BATCH_SIZE", default=500),
    "PAIRING_BATCH_SIZE": env.int("PAIRING_BATCH_SIZE", default=200),
    "FIO_OVERLAP_DAYS": env.int("FIO_OVERLAP_DAYS", default=7),
    # Payer accounts many customers pay from (post-office cash deposits): never paired
    # automatically, as their VS is usually wrong and their history is not one customer's.
    # IBAN or domestic "prefix-number/bank", comma-separated: compared by account key.
    "SHARED_PAYER_ACCOUNTS": env.list("SHARED_PAYER_ACCOUNTS", default=[]),
    "UNPAIRED_RETURN_AFTER_DAYS": env.int("UNPAIRED_RETURN_AFTER_DAYS", default=30),
    # Dunning: notices relative to the due date (negative = before), per product kind
    # overrides in DUNNING_LEVELS_BY_KIND; a contract is blocked when a document is more
    # than BLOCK_AFTER_DAYS overdue; its certificates are revoked REVOKE_AFTER_DAYS later.
    "DUNNING_LEVELS": [("before_due", -7), ("overdue_1", 1), ("overdue_14", 14)],
    "DUNNING_LEVELS_BY_KIND": {},
    "BLOCK_AFTER_DAYS": env.int("BLOCK_AFTER_DAYS", default=30),
    "REVOKE_AFTER_DAYS": env.int("REVOKE_AFTER_DAYS", default=60),
    "CANCELLATION_NOTICE_MONTHS": env.int("CANCELLATION_NOTICE_MONTHS", default=1),
    "PORTAL_LOGIN_MAX_FAILURES": env.int("PORTAL_LOGIN_MAX_FAILURES", default=5),
    "PORTAL_LOGIN_WINDOW_SECONDS": env.int("PORTAL_LOGIN_WINDOW_SECONDS", default=15 * 60),
    "PORTAL_PASSWORD_MIN_LENGTH": env.int("PORTAL_PASSWORD_MIN_LENGTH", default=10),
}
