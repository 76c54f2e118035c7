"""Signing in by phone or username, sessions that really end, and limits on guessing."""

import pytest

from tests.conftest import PASSWORD


@pytest.fixture
def phone_user(create_user):
    return create_user(username="", phone="+6281234567890", name="Budi Santoso")


@pytest.mark.parametrize("typed", ["081234567890", "+62 812 3456 7890", "6281234567890", "0812-3456-7890"])
def test_sign_in_by_phone_in_any_format(client, phone_user, typed):
    response = client.post("/akun/masuk", data={"identifier": typed, "password": PASSWORD})
    assert response.status_code == 302
    assert "Budi Santoso" in client.get("/").get_data(as_text=True)


def test_sign_in_by_username_ignores_case_and_spaces(client, create_user):
    create_user(username="warga7")
    assert client.post("/akun/masuk", data={"identifier": " WARGA7 ", "password": PASSWORD}).status_code == 302


def test_wrong_password_is_refused_with_a_message(client, phone_user):
    response = client.post("/akun/masuk", data={"identifier": "081234567890", "password": "salah-salah"})
    assert response.status_code == 422
    assert "Nomor/nama pengguna atau kata sandi salah." in response.get_data(as_text=True)


def test_session_changes_at_sign_in_and_dies_at_sign_out(client, auth, resident):
    client.get("/akun/masuk")
    before = client.get_cookie("kelas_session")
    auth.sign_in(resident)
    signed_in = client.get_cookie("kelas_session").value
    assert before is None or before.value != signed_in
    assert client.get("/akun/profil").status_code == 200
    auth.sign_out()
    # Replaying the old cookie after sign-out no longer opens the profile.
    client.set_cookie("kelas_session", signed_in)
    response = client.get("/akun/profil")
    assert response.status_code == 302 and "/akun/masuk" in response.headers["Location"]


def test_idle_session_expires(app, client, auth, resident):
    from datetime import timedelta

    from lms.accounts.models import UserSession
    from lms.extensions import db

    auth.sign_in(resident)
    with app.app_context():
        record = db.session.scalar(db.select(UserSession))
        record.last_seen_dt -= timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] + 1)
        db.session.commit()
    assert client.get("/akun/profil").status_code == 302


@pytest.fixture
def limited_app(app, monkeypatch):
    """The application with the production sign-in limits."""
    monkeypatch.setitem(app.config, "SIGN_IN_LIMIT_PER_ACCOUNT", "5 per 15 minutes")
    monkeypatch.setitem(app.config, "SIGN_IN_LIMIT_PER_ADDRESS", "12 per 15 minutes")
    return app


def test_guessing_one_account_is_stopped_whatever_the_spelling(limited_app, phone_user):
    client = limited_app.test_client()
    spellings = ["081234567890", "+6281234567890", "62 812 3456 7890", "0812-3456-7890", " 081234567890 "]
    for typed in spellings:
        response = client.post("/akun/masuk", data={"identifier": typed, "password": "tebakan-salah"})
        assert response.status_code == 422
    response = client.post("/akun/masuk", data={"identifier": "(0812) 3456 7890", "password": PASSWORD})
    assert response.status_code == 429
    assert "Terlalu banyak percobaan" in response.get_data(as_text=True)


def test_guessing_from_one_address_is_stopped(limited_app, create_user):
    client = limited_app.test_client()
    for number in range(12):
        response = client.post("/akun/masuk", data={"identifier": f"orang{number}", "password": "tebakan-salah"})
        assert response.status_code == 422
    response = client.post("/akun/masuk", data={"identifier": "orang-lain", "password": "tebakan-salah"})
    assert response.status_code == 429


def test_case_changes_do_not_bypass_the_account_limit(limited_app, create_user):
    create_user(username="warga9")
    client = limited_app.test_client()
    for typed in ["warga9", "WARGA9", "Warga9", " warga9", "wArGa9"]:
        client.post("/akun/masuk", data={"identifier": typed, "password": "tebakan-salah"})
    assert client.post("/akun/masuk", data={"identifier": "warga9", "password": PASSWORD}).status_code == 429
