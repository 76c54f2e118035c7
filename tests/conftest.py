"""Fixtures shared by every test: the app on a real database, accounts per role, a browser."""

import os
import shutil
import threading

import pytest
from flask_migrate import upgrade
from sqlalchemy import text
from werkzeug.serving import make_server

from config import TestConfig
from lms import create_app, demo
from lms.access import ADMIN, LEADER, OFFICER, RESIDENT
from lms.accounts.operations import create_user as create_account
from lms.extensions import db
from lms.i18n import compile_catalogs
from lms.regions.operations import ensure_office, import_regions

PASSWORD = "kata-sandi-rahasia"
#: Tables whose rows outlive a single test: the region list and the schema version.
KEPT_TABLES = {"regions", "alembic_version"}


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    """Create the application on a migrated database with every region loaded."""
    compile_catalogs()
    media = tmp_path_factory.mktemp("media")
    instance = tmp_path_factory.mktemp("instance")

    class SessionConfig(TestConfig):
        INSTANCE_DIR = str(instance)
        MEDIA_ROOT = str(media)
        CERTIFICATE_KEYS_DIR = str(instance / "certificate-keys")
        SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{instance / 'test.sqlite'}"
        JOBS_SQLITE_PATH = str(instance / "jobs.sqlite")

    if SessionConfig.SQLALCHEMY_DATABASE_URI.startswith("postgresql://"):
        SessionConfig.SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://" + SessionConfig.SQLALCHEMY_DATABASE_URI[13:]
    app = create_app(SessionConfig)
    with app.app_context():
        _reset_schema()
        upgrade(revision="heads")
        import_regions()
        db.session.commit()
    return app


def _reset_schema() -> None:
    """Start from an empty database, so a rerun on PostgreSQL begins clean."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    else:
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture(autouse=True)
def _clean_database(request):
    """Give each test empty tables (regions stay) and the default languages."""
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        demo.ensure_languages()
        db.session.commit()
    yield
    with app.app_context():
        db.session.remove()
        tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in KEPT_TABLES]
        with db.engine.begin() as connection:
            if db.engine.dialect.name == "postgresql":
                names = ", ".join(f'"{t.name}"' for t in tables)
                connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    connection.execute(table.delete())
        # Files a test left behind (signing keys made through the admin page) must not change the next test.
        shutil.rmtree(app.config["CERTIFICATE_KEYS_DIR"], ignore_errors=True)
        app.extensions["stored_pages"].clear()  # pages kept from a database that is gone
        limiter = app.extensions.get("limiter")
        if limiter:
            for extension in limiter if isinstance(limiter, set) else [limiter]:
                extension.reset()


@pytest.fixture
def app_context(app):
    """Run the test inside an application context."""
    with app.app_context():
        yield
        db.session.rollback()


@pytest.fixture
def client(app):
    """A test client: a browser without JavaScript."""
    return app.test_client()


@pytest.fixture
def create_user(app):
    """Return a factory that creates an account (committed) and returns its id."""

    def factory(role: str = RESIDENT, username: str | None = None, **fields) -> int:
        factory.count += 1
        with app.app_context():
            if role == LEADER and "villages" not in fields:
                fields["villages"] = [demo.DEMO_VILLAGE]
            villages = fields.pop("villages", [])
            if role == OFFICER and "office_id" not in fields:
                fields["office_id"] = ensure_office(demo.DEMO_OFFICE, list(demo.DEMO_OFFICE_REGENCIES)).id
            if role == RESIDENT:
                fields.setdefault("village_code", demo.DEMO_VILLAGE)
            user = create_account(
                username=username or f"{role}{factory.count}",
                name=fields.pop("name", f"{role.capitalize()} Nomor {factory.count}".replace("1", "Satu")),
                password=fields.pop("password", PASSWORD),
                role=role,
                consent_version="test",
                **fields,
            )
            from lms.regions.operations import get_region

            user.led_villages = [get_region(code) for code in villages]
            db.session.commit()
            return user.id

    factory.count = 0
    return factory


@pytest.fixture
def resident(create_user):
    """A resident of Kelurahan Dempo Makmur (the demo village)."""
    return create_user(RESIDENT, "warga")


@pytest.fixture
def leader(create_user):
    """A community leader of Kelurahan Dempo Makmur."""
    return create_user(LEADER, "kades")


@pytest.fixture
def officer(create_user):
    """An officer of Kantor Imigrasi Muara Enim."""
    return create_user(OFFICER, "petugas")


@pytest.fixture
def admin(create_user):
    """An admin."""
    return create_user(ADMIN, "admin")


class Auth:
    """Sign a test client in and out, as a person would."""

    def __init__(self, client, app):
        self.client = client
        self.app = app

    def sign_in(self, user_id_or_name, password: str = PASSWORD):
        identifier = user_id_or_name
        if isinstance(user_id_or_name, int):
            from lms.accounts.models import User

            with self.app.app_context():
                identifier = db.session.get(User, user_id_or_name).sign_in_name
        response = self.client.post("/akun/masuk", data={"identifier": identifier, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    def sign_out(self):
        return self.client.post("/akun/keluar")


@pytest.fixture
def auth(client, app):
    """Sign the test client in as a given user."""
    return Auth(client, app)


# --- Browser -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def live_server(app):
    """Serve the app on a free local port for the browser tests."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Use Debian's Chromium: Playwright's own browser download does not exist here."""
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM", "/usr/bin/chromium"),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """Browse on a small phone's screen, in Indonesian."""
    return {**browser_context_args, "viewport": {"width": 360, "height": 740}, "locale": "id-ID"}
