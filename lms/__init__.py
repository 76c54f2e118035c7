"""Kelas Imigrasi: immigration literacy courses for Indonesian villages."""

import secrets
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from werkzeug.routing import IntegerConverter

from config import Config, config_for_environment
from lms import access, commands, demo, i18n, jobs
from lms.core import stored_pages
from lms.core.sessions import RememberingSessionInterface
from lms.core.static import cache_static_files
from lms.extensions import babel, compress, csrf, db, limiter, login_manager, migrate, sqlite_settings

#: Domain packages, each with a blueprint in views.py; the order is the order of registration.
BLUEPRINTS = (
    "core",
    "accounts",
    "regions",
    "admin",
    "courses",
    "quizzes",
    "media",
    "progress",
    "outreach",
    "reports",
    "certificates",
    "evaluation",
    "community",
)


def create_app(config: type[Config] | None = None) -> Flask:
    """Create the application with a configuration class (default: chosen by APP_ENV)."""
    app = Flask(__name__)
    app.session_interface = RememberingSessionInterface()
    app.url_map.converters["int"] = DatabaseIntegerConverter  # before any route is added
    app.config.from_object(config or config_for_environment())
    Path(app.config["INSTANCE_DIR"]).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(Path(app.config["INSTANCE_DIR"]))
    is_sqlite = app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
    if is_sqlite:
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**app.config["SQLALCHEMY_ENGINE_OPTIONS"], "pool_pre_ping": False}

    db.init_app(app)
    if is_sqlite:
        with app.app_context():
            event.listen(db.engine, "connect", sqlite_settings(app.config["SQLITE_SYNCHRONOUS"]))
    migrate.init_app(app, db, render_as_batch=True, directory=str(Path(app.root_path).parent / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    compress.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app, babel)
    jobs.init_app(app)

    from importlib import import_module

    for name in BLUEPRINTS:
        module = import_module(f"lms.{name}.views")
        app.register_blueprint(module.bp)
        if hasattr(module, "init_app"):
            module.init_app(app)

    commands.init_app(app)
    demo.init_app(app)
    app.before_request(access.enforce_access)
    app.after_request(cache_static_files)
    stored_pages.init_app(app)
    return app


class DatabaseIntegerConverter(IntegerConverter):
    """An id or number in an address, at most what a 32-bit database integer holds: larger ones are not found."""

    def __init__(self, map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):  # noqa: A002 - werkzeug's names
        super().__init__(map, fixed_digits, min, max, signed)


def _instance_secret_key(instance_dir: Path) -> str:
    """Read the secret key kept in the instance folder, creating it on first start."""
    key_file = instance_dir / "secret-key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip()
