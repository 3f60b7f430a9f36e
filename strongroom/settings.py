"""Strongroom settings. Every value comes from an environment variable documented in README.md."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from strongroom.config import (
    development_secret_key,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_path,
    env_str,
    production_problems,
    refuse_unsafe_production,
)

BASE_DIR = Path(__file__).resolve().parent.parent

STRONGROOM_ENV = env_choice("STRONGROOM_ENV", ("development", "production"), "development")
PRODUCTION = STRONGROOM_ENV == "production"

DATA_DIR = env_path("STRONGROOM_DATA_DIR", BASE_DIR / "var" / "data")
KEY_DIR = env_path("STRONGROOM_KEY_DIR", BASE_DIR / "var" / "keys")
BLOB_DIR = DATA_DIR / "blobs"
OUTBOX_DIR = DATA_DIR / "outbox"

KEY_PROVIDER = env_choice("STRONGROOM_KEY_PROVIDER", ("file", "pkcs11"), "file")
PKCS11_MODULE = env_str("STRONGROOM_PKCS11_MODULE")
PKCS11_TOKEN_LABEL = env_str("STRONGROOM_PKCS11_TOKEN_LABEL", "strongroom")
PKCS11_PIN = env_str("STRONGROOM_PKCS11_PIN")

DEBUG = env_bool("STRONGROOM_DEBUG", False)
# A trial installation: owners may read the sealed outbox (every workspace's mail) in the browser.
DEMO = env_bool("STRONGROOM_DEMO", False)
ALLOWED_HOSTS = env_list("STRONGROOM_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")

# The embedded server speaks TLS itself unless a reverse proxy does (STRONGROOM_TLS=off); the proxy
# then says which requests came over HTTPS in a header it always overwrites.
TLS = env_bool("STRONGROOM_TLS", True)
TLS_CERT = env_str("STRONGROOM_TLS_CERT")
TLS_KEY = env_str("STRONGROOM_TLS_KEY")
if bool(TLS_CERT) != bool(TLS_KEY):
    raise ImproperlyConfigured("STRONGROOM_TLS_CERT and STRONGROOM_TLS_KEY must be given together.")
PROXY_SSL_HEADER = env_str("STRONGROOM_PROXY_SSL_HEADER").strip()
# The header by which the reverse proxy passes the client's address (e.g. X-Forwarded-For).
PROXY_CLIENT_IP_HEADER = env_str("STRONGROOM_PROXY_CLIENT_IP_HEADER").strip()
HTTPS = TLS or bool(PROXY_SSL_HEADER)

_secret_key = env_str("STRONGROOM_SECRET_KEY")
if PRODUCTION:
    refuse_unsafe_production(
        production_problems(
            secret_key_given=bool(_secret_key),
            debug=DEBUG,
            data_dir=DATA_DIR,
            key_dir=KEY_DIR,
            key_provider=KEY_PROVIDER,
            allowed_hosts=ALLOWED_HOSTS,
            demo=DEMO,
            tls=TLS,
            proxy_ssl_header=PROXY_SSL_HEADER,
        )
    )
# Outside production the signing key is made on first start and kept beside the master key, so
# every worker process and every restart signs sessions alike. Sealed data never depends on it.
SECRET_KEY = _secret_key or development_secret_key(KEY_DIR)

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "strongroom.crypto",
    "strongroom.accounts",
    "strongroom.audit",
    "strongroom.vault",
    "strongroom.privacy",
    "strongroom.mail",
    "strongroom.collection",
    "strongroom.portal",
    "strongroom.jobs",
    "strongroom.rights",
    "strongroom.twofactor",
    "strongroom.operator",
    "strongroom.signin",
    "django_tasks_db",
]

# Background work: the database-backed queue, so the embedded default needs nothing but the app.
# Tasks take ids only; their arguments, results and tracebacks never hold personal data.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Everything that sets a response header comes before WhiteNoise: it answers static files itself,
# and the middleware after it never sees those responses.
MIDDLEWARE = [
    "strongroom.transport.proxy.ForwardedClientMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "strongroom.transport.headers.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "strongroom.transport.headers.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "strongroom.signin.middleware.StaffSessionMiddleware",
    "strongroom.twofactor.middleware.RequireTwoFactorMiddleware",
    "strongroom.audit.middleware.RequestContextMiddleware",
    "strongroom.operator.middleware.SupportAccessMiddleware",
]

ROOT_URLCONF = "strongroom.urls"
WSGI_APPLICATION = "strongroom.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "strongroom" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "strongroom.accounts.admin_views.staff_nav",
            ]
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'strongroom.sqlite3'}",
        conn_max_age=env_int("STRONGROOM_DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["strongroom.accounts.backends.AuditedEmailBackend"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "strongroom.signin.passwords.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# A reset link works once (it is made from the password hash) and for one hour.
PASSWORD_RESET_TIMEOUT = 3600

# Uploads never touch the disk in plaintext: each file is sealed chunk by chunk as it arrives
# (Django's default handlers spool plaintext to temporary files).
FILE_UPLOAD_HANDLERS = ["strongroom.vault.uploads.SealingUploadHandler"]
# Limits on what a request body may hold besides file contents (each item sets its own file sizes);
# over them Django answers 400 before any view runs. Stated here so they are not left to defaults.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # 2.5 MiB of form fields: long messages, never files
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000  # the largest checklist editor posts a few hundred
DATA_UPLOAD_MAX_NUMBER_FILES = 100  # files in one request; a browser sends a few at a time

if env_str("STRONGROOM_SMTP_HOST"):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": env_str("STRONGROOM_SMTP_HOST"),
                "port": env_int("STRONGROOM_SMTP_PORT", 587),
                "username": env_str("STRONGROOM_SMTP_USER") or None,
                "password": env_str("STRONGROOM_SMTP_PASSWORD") or None,
                "use_tls": env_bool("STRONGROOM_SMTP_STARTTLS", True),
                "timeout": 30,
            },
        }
    }
else:
    # Embedded default: each message is sealed into the outbox folder, for `outbox` to read.
    MAILERS = {
        "default": {
            "BACKEND": "strongroom.mail.backends.SealedOutboxBackend",
            "OPTIONS": {"folder": str(OUTBOX_DIR)},
        }
    }
DEFAULT_FROM_EMAIL = env_str("STRONGROOM_FROM_EMAIL", "Strongroom <no-reply@localhost>")
# Where people reach this installation: the start of every link in e-mails.
_port = env_str("STRONGROOM_PORT", "8000")
_default_base_url = f"https://localhost:{_port}" if TLS else f"http://127.0.0.1:{_port}"
BASE_URL = env_str("STRONGROOM_BASE_URL", _default_base_url).rstrip("/")

# Who runs this installation and where its data is: the processor's record (Art. 30(2)), the
# security page and every workspace's record of processing read these.
OPERATOR_NAME = env_str("STRONGROOM_OPERATOR_NAME")
OPERATOR_CONTACT = env_str("STRONGROOM_OPERATOR_CONTACT")
DATA_LOCATION = env_str("STRONGROOM_DATA_LOCATION")

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Staff sessions end after this long without a request, and this long after signing in, whatever.
STRONGROOM_SESSION_IDLE_MINUTES = env_int("STRONGROOM_SESSION_IDLE_MINUTES", 30)
STRONGROOM_SESSION_MAX_HOURS = env_int("STRONGROOM_SESSION_MAX_HOURS", 12)
# The cookie lasts as long as the longest session may (portal sessions too).
SESSION_COOKIE_AGE = STRONGROOM_SESSION_MAX_HOURS * 3600
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"

LANGUAGE_CODE = "en"
LOCALE_PATHS = [BASE_DIR / "strongroom" / "locale"]
LANGUAGES = [("en", "English"), ("fr", "Français")]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "strongroom" / "static"]
STATIC_ROOT = DATA_DIR / "static"
# Static files are served by the app itself (WhiteNoise) straight from the source folders.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
# A reverse proxy's or load balancer's health probe reaches the app directly, over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if PROXY_SSL_HEADER:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + PROXY_SSL_HEADER.upper().replace("-", "_"), "https")
SECURE_HSTS_SECONDS = env_int("STRONGROOM_HSTS_SECONDS", 365 * 24 * 3600) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("STRONGROOM_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("STRONGROOM_HSTS_PRELOAD", False)
# Preloading is a promise to the browsers' list that only the domain's owner can make:
# off unless asked for, so its deployment check is not a warning here.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
# Same-origin rather than no-referrer: browsers then still send the Origin header that CSRF
# protection checks; no other site ever learns a page's address (portal paths carry tokens).
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# No inline script anywhere; the one inline style (the workspace's accent colour) carries the nonce.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("STRONGROOM_LOG_LEVEL", "INFO")},
    # Django logs every 404 with its path, and portal paths carry link tokens: log errors only.
    "loggers": {"django.request": {"level": "ERROR"}},
}
