"""Django settings, all read from GRIDGOV_* environment variables (here and nowhere else; the
README's configuration table lists every one). Code reads ``settings.GRIDGOV_…``, never the
environment.

GRIDGOV_ENV            development (default) | production | test
GRIDGOV_DATABASE_URL   database URL; default: SQLite file var/gridgov.sqlite3 under the working dir
GRIDGOV_SECRET_KEY     required in production; elsewhere generated once into var/secret_key
GRIDGOV_DEBUG          1/0, true/false (default: off; never on in production)
GRIDGOV_ALLOWED_HOSTS  comma-separated (default: 127.0.0.1,localhost outside production)
GRIDGOV_VAR_DIR        where local state lives (default: ./var)
… and the module settings further down (sign-in, serving, register, events, care).
"""

from __future__ import annotations

import os
import re
import secrets
from datetime import time as _time
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

PACKAGE_DIR = Path(__file__).resolve().parent


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r}: expected one of 1/0, true/false, yes/no, on/off")


def _env_int(name: str, default: int, *, minimum: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r}: expected a whole number") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r}: must be at least {minimum}")
    return value


def _env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip() or default


def _env_levels(name: str, default: dict[str, str]) -> dict[str, str]:
    """``district=2d`` (level=limit; the level a case sits at after its first escalation; limits as in
    the taxonomy: 4h, 2d) -> {"district": "2d"}. An empty limit stops escalation at that level."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return dict(default)
    out: dict[str, str] = {}
    for part in raw.split(","):
        level, sep, limit = part.partition("=")
        level, limit = level.strip(), limit.strip()
        if not sep or level != "district":
            raise ImproperlyConfigured(f"{name}: {part.strip()!r} is not district=LIMIT")
        if limit and not re.fullmatch(r"\d+(\.\d+)?[hd]", limit):
            raise ImproperlyConfigured(f"{name}: {limit!r} is not a limit such as 4h or 2d")
        out[level] = limit
    return out


def _env_windows(name: str, default: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``09:00-12:00,13:00-18:00`` -> [("09:00", "12:00"), ("13:00", "18:00")]: sorted, each end after
    its start, no overlap."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    out = []
    for part in raw.split(","):
        start, sep, end = part.strip().partition("-")
        a: _time | None
        b: _time | None
        try:
            a, b = _time.fromisoformat(start.strip()), _time.fromisoformat(end.strip())
        except ValueError:
            a = b = None
        if not sep or a is None or b is None or b <= a:
            raise ImproperlyConfigured(f"{name}={raw!r}: expected windows like 09:00-12:00,13:00-18:00 "
                                       f"(each end after its start)")
        out.append((a, b, start.strip(), end.strip()))
    out.sort()
    if any(nxt[0] < cur[1] for cur, nxt in zip(out, out[1:], strict=False)):
        raise ImproperlyConfigured(f"{name}={raw!r}: working windows overlap")
    return [(s, e) for _, _, s, e in out]


GRIDGOV_ENV = os.environ.get("GRIDGOV_ENV", "development").strip().lower()
if GRIDGOV_ENV not in {"development", "production", "test"}:
    raise ImproperlyConfigured(f"GRIDGOV_ENV={GRIDGOV_ENV!r}: expected development, production or test")
PRODUCTION = GRIDGOV_ENV == "production"

VAR_DIR = Path(os.environ.get("GRIDGOV_VAR_DIR", "var")).resolve()


def _private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 (whatever the umask) if it does not exist yet."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        pass


# The folder holds the SQLite database (identity numbers) and the secret key: created 0700, its
# files 0600 (`gridgov check --deploy` warns about wider modes: gridgov.W110/W111).
if not PRODUCTION:
    VAR_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    (VAR_DIR / "static").mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    key = os.environ.get("GRIDGOV_SECRET_KEY", "").strip()
    if key:
        if PRODUCTION and (len(key) < 50 or len(set(key)) < 5 or key.startswith("django-insecure-")):
            raise ImproperlyConfigured(
                "GRIDGOV_SECRET_KEY: must be at least 50 characters with at least 5 distinct ones "
                "and must not start with 'django-insecure-'"
            )
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("GRIDGOV_SECRET_KEY: required when GRIDGOV_ENV=production")
    path = VAR_DIR / "secret_key"
    if not path.exists():
        _private_file(path)
        path.write_text(secrets.token_urlsafe(64))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_bool("GRIDGOV_DEBUG", False) and not PRODUCTION

_hosts = os.environ.get("GRIDGOV_ALLOWED_HOSTS", "")
ALLOWED_HOSTS = [h.strip() for h in _hosts.split(",") if h.strip()]
if not ALLOWED_HOSTS:
    if PRODUCTION:
        raise ImproperlyConfigured("GRIDGOV_ALLOWED_HOSTS: required when GRIDGOV_ENV=production")
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"]


def _database() -> dj_database_url.DBConfig:
    url = os.environ.get("GRIDGOV_DATABASE_URL", "").strip()
    if not url:
        if PRODUCTION:
            raise ImproperlyConfigured("GRIDGOV_DATABASE_URL: required when GRIDGOV_ENV=production")
        url = f"sqlite:///{VAR_DIR / 'gridgov.sqlite3'}"
    try:
        # health checks: a connection broken since the last request is replaced, not used (503s only
        # for the requests in flight when the database goes away; see core/dbfaults.py)
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    except Exception as exc:  # dj_database_url raises several types
        raise ImproperlyConfigured(f"GRIDGOV_DATABASE_URL: cannot parse ({exc})") from None
    engine = config.get("ENGINE", "")
    if engine not in {"django.db.backends.sqlite3", "django.db.backends.postgresql"}:
        raise ImproperlyConfigured(
            f"GRIDGOV_DATABASE_URL: unsupported scheme for engine {engine!r}; use sqlite:/// or postgres://"
        )
    if engine == "django.db.backends.sqlite3":
        name = str(config.get("NAME") or "")
        if name and name != ":memory:" and not name.startswith("file:") and Path(name).parent.is_dir():
            # SQLite would create it with the umask's mode (0644); its -wal and -shm files take
            # the database file's mode
            _private_file(Path(name))
        config["CONN_MAX_AGE"] = 0
        # IMMEDIATE makes a writing transaction take the write lock at BEGIN: no upgrade deadlocks.
        config["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20,
                             "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
        config["TEST"] = {"NAME": None}
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "gridgov.core",
    "gridgov.accounts",
    "gridgov.geo",
    "gridgov.registry",
    "gridgov.cases",
    "gridgov.safety",
    "gridgov.care",
    "gridgov.quality",
    "gridgov.prevention",
    "gridgov.desk",
    "gridgov.command",
    "gridgov.demo",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_tasks",
    "django_tasks_db",
    "ninja",  # /api/docs served from ninja's own static files (no CDN; allowed by the CSP)
]

# Background work (upload imports, the periodic jobs): django-tasks with its database backend; the
# worker is `gridgov worker` (docs/deployment.md). Tests swap in the immediate backend.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "gridgov.core.middleware.RequestContextMiddleware",
    "gridgov.core.middleware.RejectNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "gridgov.accounts.middleware.SessionLimitsMiddleware",
    # the second factor first (a reset user who must also enrol enrols, then changes the password)
    "gridgov.accounts.twofactor_middleware.TwoFactorMiddleware",
    "gridgov.accounts.middleware.PasswordChangeRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "gridgov.urls"
WSGI_APPLICATION = "gridgov.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "gridgov.accounts.context.current_jurisdiction",
                "gridgov.navigation.navigation",
            ]
        },
    }
]

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["gridgov.accounts.backends.LockoutBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
# The password policy (docs/passwords.md): at least 12 characters, not like the user's names, not a
# common password, not only digits, none of the user's last 5 passwords.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
     "OPTIONS": {"user_attributes": ("username", "display_name", "first_name", "last_name", "email")}},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "gridgov.accounts.passwords.PasswordHistoryValidator", "OPTIONS": {"count": 5}},
]

# Login failure handling (accounts.services.user_login): per account, any IP.
GRIDGOV_LOCKOUT_THRESHOLD = _env_int("GRIDGOV_LOCKOUT_THRESHOLD", 5, minimum=1)
GRIDGOV_LOCKOUT_MINUTES = _env_int("GRIDGOV_LOCKOUT_MINUTES", 15, minimum=1)
# Two-factor sign-in (accounts/twofactor.py, django-otp): the issuer an authenticator app shows.
OTP_TOTP_ISSUER = "gridgov"
# The admin may delete a user's authenticator (lost phone) but never sees its key or QR code.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Step-up (accounts/stepup.py): revealing an identity number or exporting resident data asks for
# the password or an authenticator code again when the last confirmation is older than this.
GRIDGOV_STEPUP_MINUTES = _env_int("GRIDGOV_STEPUP_MINUTES", 15, minimum=1)
# Register imports (registry.imports.limits): refused before parsing above these (413/422).
GRIDGOV_IMPORT_MAX_UPLOAD_MB = _env_int("GRIDGOV_IMPORT_MAX_UPLOAD_MB", 20, minimum=1)
GRIDGOV_IMPORT_MAX_UNCOMPRESSED_MB = _env_int("GRIDGOV_IMPORT_MAX_UNCOMPRESSED_MB", 200, minimum=1)
GRIDGOV_IMPORT_MAX_RATIO = _env_int("GRIDGOV_IMPORT_MAX_RATIO", 100, minimum=2)
GRIDGOV_IMPORT_MAX_ROWS = _env_int("GRIDGOV_IMPORT_MAX_ROWS", 200_000, minimum=1)
GRIDGOV_IMPORT_MAX_CELL_CHARS = _env_int("GRIDGOV_IMPORT_MAX_CELL_CHARS", 1000, minimum=16)
# Refused access to sensitive records (core.denials): at most one audit row per actor, action and
# object type in this many seconds (0: every refusal).
GRIDGOV_AUDIT_DENIED_WINDOW_SECONDS = _env_int("GRIDGOV_AUDIT_DENIED_WINDOW_SECONDS", 60, minimum=0)
# Sessions: 30 minutes idle (sliding, server-side: SessionLimitsMiddleware touches the session at
# most once a minute, so parallel requests of one page do not race on the session row), 12 hours
# absolute.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = False
GRIDGOV_SESSION_TOUCH_SECONDS = _env_int("GRIDGOV_SESSION_TOUCH_SECONDS", 60, minimum=1)
GRIDGOV_SESSION_ABSOLUTE_SECONDS = _env_int("GRIDGOV_SESSION_ABSOLUTE_SECONDS", 12 * 3600, minimum=60)

# Serving (`gridgov serve`, `gridgov demo`): gunicorn worker processes; access log to stdout.
GRIDGOV_WORKERS = _env_int("GRIDGOV_WORKERS", 2, minimum=1)
GRIDGOV_ACCESS_LOG = _env_bool("GRIDGOV_ACCESS_LOG", False)
# `gridgov createadmin` takes the password from here when set (unattended installs), else asks.
GRIDGOV_ADMIN_PASSWORD = os.environ.get("GRIDGOV_ADMIN_PASSWORD", "")
# Register: key of the identity numbers' blind index (registry.identity); empty = derived from
# SECRET_KEY. After setting or changing it run `gridgov reindex-identity`.
GRIDGOV_BLIND_INDEX_KEY = os.environ.get("GRIDGOV_BLIND_INDEX_KEY", "").strip()
# Events: working hours of the deadline calendar; Open311 jurisdiction_id and discovery contact.
GRIDGOV_CASES_WORKING_HOURS = _env_windows("GRIDGOV_CASES_WORKING_HOURS", [("09:00", "12:00"), ("13:00", "18:00")])
# Events: an overdue case rises street -> district at its stage deadline; still overdue after the
# further limit of the level it sits at (working time), it rises again (district -> city).
GRIDGOV_CASES_ESCALATION_AFTER = _env_levels("GRIDGOV_CASES_ESCALATION_AFTER", {"district": "2d"})
GRIDGOV_OPEN311_JURISDICTION = _env_str("GRIDGOV_OPEN311_JURISDICTION", "gridgov")
GRIDGOV_OPEN311_CONTACT = _env_str("GRIDGOV_OPEN311_CONTACT")
# Care: closed records are de-identified after this many days; a transfer between communities is
# accepted within this limit (working days "5d" or hours "40h" of the events' working calendar).
GRIDGOV_CARE_RETENTION_DAYS = _env_int("GRIDGOV_CARE_RETENTION_DAYS", 5 * 365, minimum=1)
GRIDGOV_CARE_TRANSFER_LIMIT = _env_str("GRIDGOV_CARE_TRANSFER_LIMIT", "5d")
if not re.fullmatch(r"[1-9][0-9]*(\.[0-9]+)?[hd]", GRIDGOV_CARE_TRANSFER_LIMIT):
    raise ImproperlyConfigured(f"GRIDGOV_CARE_TRANSFER_LIMIT={GRIDGOV_CARE_TRANSFER_LIMIT!r}: expected working days "
                               "like 5d or working hours like 40h")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# Internationalisation: Chinese first, English second; store UTC, show Asia/Shanghai.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Asia/Shanghai"

MEDIA_ROOT = VAR_DIR / "media"  # uploaded attachments (case photos); never served without a check

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = not PRODUCTION

# Security headers (Django check --deploy)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): scripts, styles, images, fonts and fetches from this site
# only. No inline script or handler and no inline style attribute is allowed (every script is a
# static file; data for scripts is in data- attributes or JSON data blocks). img-src also allows
# data: URLs (Leaflet's empty-tile image); nothing may frame a page, post a form elsewhere or
# change the base URL. tests/core/test_security_headers.py asserts it on every page type and
# that no template carries an inline script, handler or style attribute.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# Permissions-Policy: the browser features a page may use. Geolocation on this site only (the
# report form's 使用我的位置); every other powerful feature off.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    "geolocation": ["self"],
    **{feature: [] for feature in (
        "accelerometer", "ambient-light-sensor", "autoplay", "bluetooth", "browsing-topics", "camera",
        "display-capture", "encrypted-media", "gyroscope", "hid", "idle-detection", "magnetometer",
        "microphone", "midi", "payment", "publickey-credentials-get", "screen-wake-lock", "serial", "usb",
        "xr-spatial-tracking")},
}
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = _env_bool("GRIDGOV_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

NINJA_PAGINATION_MAX_LIMIT = 200
NINJA_PAGINATION_PER_PAGE = 50

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask": {"()": "gridgov.core.masking.MaskingLogFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["mask"]}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"gridgov": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
