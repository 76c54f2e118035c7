"""A resident downloads everything held about them and can delete their account."""

import json

from sqlalchemy import select

from lms.accounts.models import User, UserSession
from lms.extensions import db
from tests.conftest import PASSWORD


def test_data_export_is_json_with_every_table_that_refers_to_the_person(app, client, auth, create_user):
    me = create_user(phone="+6281299998888", username="", name="Siti Aminah")
    create_user(name="Orang Lain")
    auth.sign_in(me)
    response = client.get("/akun/profil/data")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    data = json.loads(response.get_data(as_text=True))
    users = data["tables"]["users"]
    assert [u["name"] for u in users] == ["Siti Aminah"]
    assert users[0]["phone"] == "+6281299998888" and "password_hash" not in users[0]
    assert "Orang Lain" not in response.get_data(as_text=True)
    assert "user_sessions" in data["tables"] and "token" not in data["tables"]["user_sessions"][0]


def test_deleting_the_account_removes_personal_data_and_sessions(app, client, auth, create_user):
    me = create_user(phone="+6281299998888", username="sitiaminah", name="Siti Aminah")
    auth.sign_in(me)
    page = client.get("/akun/profil/hapus")
    assert page.status_code == 200
    wrong = client.post("/akun/profil/hapus", data={"password": "salah-salah", "confirm": "y"})
    assert wrong.status_code == 422
    response = client.post("/akun/profil/hapus", data={"password": PASSWORD, "confirm": "y"})
    assert response.status_code == 302
    with app.app_context():
        user = db.session.get(User, me)
        assert user.is_deleted and user.phone is None and user.username is None and user.village_code is None
        assert "Siti" not in user.name
        assert db.session.scalar(select(UserSession).where(UserSession.user_id == me)) is None
    assert client.post("/akun/masuk", data={"identifier": "sitiaminah", "password": PASSWORD}).status_code == 422
    assert client.get("/akun/profil").status_code == 302


def test_profile_changes_name_and_language(app, client, auth, resident):
    auth.sign_in(resident)
    response = client.post("/akun/profil", data={"name": "Siti Nurhaliza", "language": "ljp"})
    assert response.status_code == 302
    with app.app_context():
        user = db.session.get(User, resident)
        assert (user.name, user.language) == ("Siti Nurhaliza", "ljp")
    bad = client.post("/akun/profil", data={"name": "<b>x</b>", "language": "xx"})
    assert bad.status_code == 422
