"""A resident signs up with a phone number or a username, a village, and consent."""

import pytest
from sqlalchemy import func, select

from lms.accounts.models import User
from lms.extensions import db

VILLAGE = "16.72.01.1018"


def form(**overrides):
    data = {
        "name": "Siti Aminah",
        "phone": "0812 3456 7890",
        "username": "",
        "password": "rahasia-sekali",
        "confirm": "rahasia-sekali",
        "village_code": VILLAGE,
        "consent": "y",
        "action": "sign_up",
    }
    data.update(overrides)
    return data


def user_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count(User.id)))


def test_sign_up_with_phone_stores_e164_consent_and_village(app, client):
    response = client.post("/akun/daftar", data=form())
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.phone == "+6281234567890"
        assert user.username is None
        assert user.village_code == VILLAGE
        assert user.consent_version == app.config["CONSENT_VERSION"] and user.consent_dt is not None
        assert user.password_hash.startswith("$argon2id$")
    assert "Siti Aminah" in client.get("/").get_data(as_text=True)


def test_sign_up_with_username_only(app, client):
    response = client.post("/akun/daftar", data=form(phone="", username="  Siti.Desa "))
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User.username)) == "siti.desa"


def test_sign_up_page_shows_consent_before_the_form(client):
    page = client.get("/akun/daftar").get_data(as_text=True)
    assert "NIK" in page and page.index("consent-title") < page.index('name="name"')
    assert "email" not in page.lower().replace("e-mail", "")


def test_village_search_without_javascript_keeps_what_was_typed(client):
    response = client.post("/akun/daftar", data=form(action="search", village_query="dempo makmur", village_code=""))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Dempo Makmur, Pagar Alam Utara, Kota Pagar Alam, Sumatera Selatan" in page
    assert 'value="Siti Aminah"' in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "Silakan tulis nama Anda."),
        ("name", "x" * 81, "Paling banyak 80 karakter."),
        ("name", "Siti 😀", "Nama hanya boleh berisi huruf, spasi, dan . ' - ,"),
        ("name", "<script>alert(1)</script>", "Nama hanya boleh berisi huruf, spasi, dan . ' - ,"),
        ("phone", "12345", "Ini bukan nomor HP Indonesia (contoh 0812 3456 7890)."),
        ("phone", "0812" + "9" * 30, "Paling banyak 24 karakter."),
        ("username", "a<b>", "3 sampai 30 karakter: huruf a–z, angka, dan . _ - (diawali huruf atau angka)."),
        ("password", "pendek", "Antara 8 dan 128 karakter."),
        ("confirm", "lain-sekali", "Kedua kata sandi berbeda."),
        ("village_code", "99.99.99.9999", "Pilih desa Anda dari daftar."),
        ("village_code", "16.72", "Pilih desa Anda dari daftar."),
        ("consent", "", "Mohon setujui sebelum mendaftar."),
    ],
)
def test_bad_input_gets_a_clear_message_and_stores_nothing(app, client, field, value, message):
    response = client.post("/akun/daftar", data=form(**{field: value}), headers={"Accept-Language": "id"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    from markupsafe import escape

    assert str(escape(message)) in page
    assert "<script>alert(1)</script>" not in page
    assert user_count(app) == 0


def test_phone_or_username_is_required(app, client):
    response = client.post("/akun/daftar", data=form(phone="", username=""))
    assert response.status_code == 422
    assert "Isi nomor HP atau nama pengguna." in response.get_data(as_text=True)
    assert user_count(app) == 0


def test_a_number_can_sign_up_only_once_in_any_format(app, client):
    assert client.post("/akun/daftar", data=form()).status_code == 302
    client.post("/akun/keluar")
    response = client.post("/akun/daftar", data=form(phone="+62 812-3456-7890"))
    assert response.status_code == 422
    assert user_count(app) == 1
