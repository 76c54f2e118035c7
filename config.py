"""Configuration: every setting the application reads, from environment variables."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_PATH = Path(os.environ.get("INSTANCE_DIR") or BASE_DIR / "instance")


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _database_url(url: str) -> str:
    # Hosted PostgreSQL URLs usually say postgres:// or postgresql://; psycopg 3 needs its driver named.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class Config:
    """Settings for running the application; each can be overridden by an environment variable."""

    APP_ENV = os.environ.get("APP_ENV", "development")
    SECRET_KEY = os.environ.get("SECRET_KEY")  # when unset, a key file in the instance folder is used
    INSTANCE_DIR = str(INSTANCE_PATH)

    SQLALCHEMY_DATABASE_URI = _database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_PATH / 'kelas-imigrasi.sqlite'}")
    )
    #: A PostgreSQL connection can be dropped by the server, so each is checked when taken from the pool;
    #: create_app leaves the check out for SQLite, whose file never drops one (it would cost a statement a request).
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    #: SQLite keeps a write-ahead log (readers never wait for a writer). FULL makes every commit reach the disk
    #: before the answer is confirmed; NORMAL about doubles the writes a second, but a power cut can undo the
    #: last seconds of saved answers (a crash of the app cannot).
    SQLITE_SYNCHRONOUS = os.environ.get("SQLITE_SYNCHRONOUS", "FULL")

    # Background jobs: "sqlite" (default, a file beside the database), "redis", or "immediate" (tests).
    JOBS_BACKEND = os.environ.get("JOBS_BACKEND", "sqlite")
    JOBS_SQLITE_PATH = os.environ.get("JOBS_SQLITE_PATH", str(INSTANCE_PATH / "jobs.sqlite"))
    REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    JOBS_WORKERS = int(os.environ.get("JOBS_WORKERS", "2"))

    # Rate limits: memory:// is per process; use redis://… with several workers.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_ENABLED = _flag("RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = True
    # With Redis unreachable, limits carry on per process instead of failing the request.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    SIGN_IN_LIMIT_PER_ACCOUNT = os.environ.get("SIGN_IN_LIMIT_PER_ACCOUNT", "5 per 15 minutes")
    SIGN_IN_LIMIT_PER_ADDRESS = os.environ.get("SIGN_IN_LIMIT_PER_ADDRESS", "20 per 15 minutes")
    SIGN_UP_LIMIT_PER_ADDRESS = os.environ.get("SIGN_UP_LIMIT_PER_ADDRESS", "10 per hour")

    # Sessions
    SESSION_COOKIE_NAME = "kelas_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _flag("SESSION_COOKIE_SECURE", False)
    SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", str(60 * 24 * 14)))
    SESSION_ABSOLUTE_DAYS = int(os.environ.get("SESSION_ABSOLUTE_DAYS", "90"))
    REMEMBER_COOKIE_DURATION = 0  # sign-in lasts as long as the server-side session record
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 24 * int(os.environ.get("SESSION_ABSOLUTE_DAYS", "90"))
    HSTS_ENABLED = _flag("HSTS_ENABLED", False)
    #: Bytes of pages kept as sent per worker (home, catalogue, course, lesson, village dashboard), sent again while
    #: nothing they show changed (lms/core/stored_pages.py); 0 keeps none. A compressed lesson page is ~2 KB.
    STORED_PAGES_BYTES = int(os.environ.get("STORED_PAGES_BYTES", str(8 * 1024 * 1024)))
    #: The longest a page is kept: bounds what no stamp sees, such as a session's idle time.
    STORED_PAGE_SECONDS = float(os.environ.get("STORED_PAGE_SECONDS", "60"))

    #: Argon2id cost (argon2-cffi's defaults: RFC 9106 low-memory profile).
    PASSWORD_HASH_COST = {"time_cost": 3, "memory_cost": 65536, "parallelism": 4}

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # a form left open on a slow phone must still submit
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_UPLOAD_BYTES", str(2 * 1024**3)))
    MAX_VIDEO_BYTES = int(os.environ.get("MAX_VIDEO_BYTES", str(2 * 1024**3)))  # largest lesson video upload

    # Languages
    BABEL_DEFAULT_LOCALE = "id"
    BABEL_DEFAULT_TIMEZONE = os.environ.get("TIMEZONE", "Asia/Jakarta")
    UI_LOCALES = ("id", "en", "jv", "su")
    CONSENT_VERSION = "2026-11"

    # Media and tools
    MEDIA_ROOT = os.environ.get("MEDIA_ROOT", str(BASE_DIR / "media"))
    FFMPEG_BINARY = os.environ.get("FFMPEG_BINARY", "")  # empty: system ffmpeg, else imageio-ffmpeg's
    COURSES_DIR = os.environ.get("COURSES_DIR", str(BASE_DIR / "courses"))
    CERTIFICATE_KEYS_DIR = os.environ.get("CERTIFICATE_KEYS_DIR", str(INSTANCE_PATH / "certificate-keys"))
    #: The site's public address, printed in certificates' QR codes: {PUBLIC_BASE_URL}/v/<token>.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    #: Certificate checks allowed per network address (verification pages), so serials cannot be guessed.
    VERIFY_LIMIT = os.environ.get("VERIFY_LIMIT", "60 per minute")

    # Demo data
    DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "kelas-imigrasi-demo")

    SEND_FILE_MAX_AGE_DEFAULT = 60 * 60 * 24 * 365  # static URLs carry a content hash
    # Pages, styles and scripts go compressed over slow links; media are compressed already.
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_MIMETYPES = [
        "text/html",
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/json",
        "text/vtt",
        "text/plain",
        "image/svg+xml",
        "application/vnd.apple.mpegurl",
    ]
    COMPRESS_MIN_SIZE = 500
    # A 64 KB window holds any page whole; the default 4 MB window cost ~80 µs more a page to set up, same bytes.
    COMPRESS_BR_WINDOW = 16


class ProductionConfig(Config):
    """Settings for production: secure cookies and HSTS."""

    SESSION_COOKIE_SECURE = _flag("SESSION_COOKIE_SECURE", True)
    HSTS_ENABLED = _flag("HSTS_ENABLED", True)
    PREFERRED_URL_SCHEME = "https"


class TestConfig(Config):
    """Settings for the test suite: a throwaway database, jobs run at once, no CSRF on forms."""

    TESTING = True
    SECRET_KEY = "test-secret-key"  # noqa: S105 - tests only
    SQLALCHEMY_DATABASE_URI = _database_url(os.environ.get("TEST_DATABASE_URL", "sqlite://"))
    JOBS_BACKEND = os.environ.get("TEST_JOBS_BACKEND", "immediate")
    REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    WTF_CSRF_ENABLED = False
    PASSWORD_HASH_COST = {"time_cost": 1, "memory_cost": 8192, "parallelism": 1}  # fast hashing for the suite
    # Limits stay on, high enough for the suite; a test lowers one to check it bites.
    SIGN_IN_LIMIT_PER_ACCOUNT = "1000 per minute"
    SIGN_IN_LIMIT_PER_ADDRESS = "1000 per minute"
    SIGN_UP_LIMIT_PER_ADDRESS = "1000 per minute"
    DEMO_PASSWORD = "kelas-imigrasi-demo"  # noqa: S105 - the documented demo password


def config_for_environment() -> type[Config]:
    """Pick the configuration class named by APP_ENV."""
    return ProductionConfig if os.environ.get("APP_ENV") == "production" else Config
