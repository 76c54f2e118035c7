"""Sessions, cookies, CSRF on every state-changing route, and security headers on every response."""

import re
from datetime import timedelta
from pathlib import Path

import pytest

import lms
from config import ProductionConfig, TestConfig
from lms import create_app
from lms.access import ANYONE
from lms.extensions import db
from tests.security.hostile import missing_headers
from tests.security.world import PARTIES, PASSWORD, ROLE_OF, fingerprint, sign_in

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def _sibling_app(app, base, **settings):
    """Build another application on the suite's database and folders, with other settings."""
    names = ("SQLALCHEMY_DATABASE_URI", "INSTANCE_DIR", "MEDIA_ROOT", "CERTIFICATE_KEYS_DIR", "JOBS_SQLITE_PATH")
    shared = {name: app.config[name] for name in names if name in app.config}
    config = type("SiblingConfig", (base,), {**shared, "SECRET_KEY": "another-test-key", **settings})
    return create_app(config)


@pytest.fixture(scope="module")
def csrf_app(app):
    """The application with CSRF protection on, as in production."""
    return _sibling_app(app, TestConfig, WTF_CSRF_ENABLED=True)


def _token(client, path="/akun/masuk") -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _signed_in(app, party: str):
    client = app.test_client()
    if party != "anonymous":
        token = _token(client)
        identifier = {"resident_a": "+6281311110001", "resident_b": "+6281311110002"}.get(party)
        identifier = identifier or {"leader_x": "kades-x", "leader_y": "kades-y", "officer_p": "petugas-p",
                                    "officer_q": "petugas-q", "admin": "admin-uji"}[party]  # fmt: skip
        data = {"identifier": identifier, "password": PASSWORD, "csrf_token": token}
        assert client.post("/akun/masuk", data=data).status_code == 302
    return client


@pytest.fixture(scope="module")
def csrf_clients(csrf_app, world):
    """Return a party's client signed in to the CSRF-protected app, signing in once per party."""
    clients = {}

    def client_for(party: str):
        if party not in clients:
            clients[party] = _signed_in(csrf_app, party)
        return clients[party]

    return client_for


STATE_RULES = sorted(
    (rule.rule, rule.endpoint, tuple(sorted(rule.methods & STATE_CHANGING)))
    for rule in create_app(TestConfig).url_map.iter_rules()
    if rule.methods & STATE_CHANGING
)


@pytest.mark.parametrize(("rule", "endpoint", "methods"), STATE_RULES, ids=[r[1] for r in STATE_RULES])
def test_every_state_changing_route_needs_the_csrf_token(app, csrf_app, csrf_clients, world, rule, endpoint, methods):
    allowed = csrf_app.view_functions[endpoint].allowed
    party = next(p for p in PARTIES if ANYONE in allowed or ROLE_OF[p] in allowed)
    client = csrf_clients(party)  # a refused request changes nothing, so one signed-in client serves every route
    url = next((u for r in world.records if (u := r.url_for_rule(rule))), None)
    url = url or re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", "1", rule)
    for method in methods:
        with app.app_context():
            before = fingerprint()
        form = client.open(url, method=method, data={"name": "x", "language": "en"})
        as_json = client.open(url, method=method, json={"position": 1, "choices": [1], "sequence": 99})
        with app.app_context():
            after = fingerprint()
        assert (form.status_code, as_json.status_code) == (400, 400), f"{party} {method} {url}"
        assert before == after, f"{party} {method} {url} stored data without a token"


def test_json_is_accepted_with_the_token_in_a_header(app, csrf_app, world):
    record = next((r for r in world.records if r.kind == "quiz attempt" and "resident_a" in r.readers), None)
    if record is None:
        pytest.skip("no quiz attempts yet")
    client = _signed_in(csrf_app, "resident_a")
    token = _token(client, f"/kursus/{record.values['slug']}/kuis/{record.values['attempt_id']}/1")
    url = f"/kursus/{record.values['slug']}/kuis/{record.values['attempt_id']}/simpan"
    body = {"position": 1, "choices": [1], "sequence": 5}
    assert client.post(url, json=body).status_code == 400
    assert client.post(url, json=body, headers={"X-CSRFToken": token}).status_code == 200


def test_cookies_are_secure_httponly_and_samesite_in_production(app, world):
    production = _sibling_app(app, ProductionConfig, RATELIMIT_STORAGE_URI="memory://", JOBS_BACKEND="immediate")
    client = production.test_client()
    page = client.get("/akun/masuk", base_url="https://localhost")
    assert "max-age=" in page.headers["Strict-Transport-Security"]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    data = {"identifier": "petugas-p", "password": PASSWORD, "csrf_token": token}
    # Over HTTPS, Flask-WTF also checks that the form came from this site (the Referer a browser sends).
    referer = {"Referer": "https://localhost/akun/masuk"}
    response = client.post("/akun/masuk", data=data, base_url="https://localhost", headers=referer)
    assert response.status_code == 302
    cookies = [value for name, value in response.headers.items() if name == "Set-Cookie"]
    assert cookies, "no session cookie set at sign-in"
    for cookie in cookies:
        attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
        assert {"secure", "httponly", "samesite"} <= attributes, cookie
        assert "samesite=lax" in cookie.lower() or "samesite=strict" in cookie.lower()


def test_session_ends_at_the_absolute_limit_even_when_used(app, world):
    from lms.accounts.models import UserSession

    client = app.test_client()
    sign_in(client, "resident_a")
    assert client.get("/akun/profil").status_code == 200
    with app.app_context():
        record = db.session.scalars(db.select(UserSession).where(UserSession.user_id == world.users["resident_a"]))
        for session in record:
            session.created_dt -= timedelta(days=app.config["SESSION_ABSOLUTE_DAYS"], minutes=1)
        db.session.commit()  # last_seen_dt stays recent: the session is in use, and still it ends
    response = client.get("/akun/profil")
    assert response.status_code == 302 and "/akun/masuk" in response.headers["Location"]


def test_a_stolen_cookie_value_from_another_key_opens_nothing(app, world):
    client = app.test_client()
    client.set_cookie("kelas_session", "eyJfdXNlcl9pZCI6ImZha2UifQ.forged.signature")
    response = client.get("/akun/profil")
    assert response.status_code == 302 and "/akun/masuk" in response.headers["Location"]


def test_a_cookie_checked_before_still_expires_at_its_age_limit(app, world, monkeypatch):
    import time

    client = app.test_client()
    sign_in(client, "resident_a")
    assert client.get("/akun/profil").status_code == 200  # this worker has now checked the cookie
    later = time.time() + app.permanent_session_lifetime.total_seconds() + 60
    monkeypatch.setattr(time, "time", lambda: later)
    response = client.get("/akun/profil")
    assert response.status_code == 302 and "/akun/masuk" in response.headers["Location"]


def test_a_cookie_checked_before_opens_nothing_once_the_signing_key_is_replaced(app, world, monkeypatch):
    client = app.test_client()
    sign_in(client, "resident_a")
    assert client.get("/akun/profil").status_code == 200
    old_key = app.secret_key
    monkeypatch.setattr(app, "secret_key", "a-new-key-after-a-leak")
    response = client.get("/akun/profil")
    assert response.status_code == 302 and "/akun/masuk" in response.headers["Location"]
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [old_key])  # rotated, with the old key still honoured
    assert client.get("/akun/profil").status_code == 200


def test_security_headers_on_errors_files_and_static(app, world, party_clients):
    client = app.test_client()
    static = sorted(
        p.relative_to(Path(lms.__file__).parent / "static")
        for p in (Path(lms.__file__).parent / "static").rglob("*")
        if p.is_file()
    )
    responses = {f"static {name}": client.get(f"/static/{name}") for name in static}
    responses["404"] = client.get("/tidak-ada-halaman-ini")
    responses["405"] = client.put("/")
    responses["403"] = party_clients["resident_a"].get("/admin/")
    too_big = create_app(type("Small", (TestConfig,), {"MAX_CONTENT_LENGTH": 10, **{
        k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "INSTANCE_DIR", "MEDIA_ROOT")}}))  # fmt: skip
    responses["413"] = too_big.test_client().post("/akun/masuk", data={"identifier": "x" * 100})
    responses["json error"] = client.get("/tidak-ada", headers={"Accept": "application/json"})
    for record in world.records:
        if "video_id" in record.values:
            responses["video file"] = party_clients["officer_p"].get(
                f"/video/{record.values['video_id']}/berkas/x.m3u8"
            )
    statuses = {name: r.status_code for name, r in responses.items()}
    assert statuses["404"] == 404 and statuses["405"] == 405 and statuses["413"] == 413
    missing = {name: gaps for name, r in responses.items() if (gaps := missing_headers(r.headers))}
    assert missing == {}
    assert all(r.status_code < 500 for r in responses.values()), statuses


def test_a_kept_page_is_never_sent_for_a_cookie_signed_out_or_another_persons(app, world):
    """A leader's dashboard (residents' names and progress) is kept per cookie: a cookie that signed out gets
    nothing from it, replayed from anywhere, and another leader's cookie gets their own villages."""
    client = app.test_client()
    sign_in(client, "leader_x")
    client.get("/")  # the welcome message, shown once
    page = client.get("/desa").get_data(as_text=True)
    assert client.get("/desa").get_data(as_text=True) == page  # kept now
    other = app.test_client()
    sign_in(other, "leader_y")
    assert other.get("/desa").get_data(as_text=True) != page
    cookie = client.get_cookie("kelas_session").value
    client.post("/akun/keluar")
    replayed = app.test_client()
    replayed.set_cookie("kelas_session", cookie)
    response = replayed.get("/desa")
    assert response.status_code == 302 and "/akun/masuk" in response.headers["Location"]
