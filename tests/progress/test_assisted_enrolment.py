"""A leader adds a villager without a phone: a generated username and short password on a printable card."""

import re

import pytest
from sqlalchemy import func, select

from lms.accounts.models import User
from lms.extensions import db
from lms.progress.models import Enrolment
from tests.outreach.conftest import OTHER_VILLAGE

FORM = {"name": "Ibu Sumarni", "phone": "", "village_code": "16.72.01.1018", "course_id": "0", "consent": "y"}


def card_of(page: str) -> tuple[str, str]:
    secrets = re.findall(r'<dd class="secret">([^<]+)</dd>', page)
    return secrets[0], secrets[1]


def villagers() -> int:
    return db.session.scalar(select(func.count()).select_from(User).where(User.is_assisted))


def test_adding_a_villager_prints_a_card_that_signs_in(app, client, auth, leader, make_course):
    course_id = make_course()
    auth.sign_in(leader)
    form = client.get("/desa/warga/baru").get_data(as_text=True)
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', form).group(1)
    data = {**FORM, "token": token, "course_id": str(course_id)}
    response = client.post("/desa/warga/baru", data=data, headers={"Accept-Language": "en"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Sign-in card of Ibu Sumarni" in page and "@media" not in page
    username, password = card_of(page)
    assert username.startswith("ibu.") and re.fullmatch(r"[a-z]{4}-\d{4}", password)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        assert user.is_assisted and user.village_code == "16.72.01.1018" and user.role == "resident"
        assert user.password_hash != password
        enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == user.id))
        assert (enrolment.course_id, enrolment.via, enrolment.enrolled_by_id) == (course_id, "leader", leader)

    # The same form sent again (a double tap) adds nobody.
    again = client.post("/desa/warga/baru", data={**FORM, "token": token})
    assert again.status_code == 302 and f"/desa/warga/{user.id}" in again.headers["Location"]
    with app.app_context():
        assert villagers() == 1

    auth.sign_out()
    auth.sign_in(username, password)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"phone": "12345"}, "This is not an Indonesian mobile number."),
        ({"name": "=1+1"}, "A name cannot start with =, +, -, or @."),
        ({"name": ""}, "Please fill this in."),
        ({"consent": ""}, "Please confirm the villager agreed."),
        ({"village_code": OTHER_VILLAGE}, "You do not lead this village."),
    ],
)
def test_bad_villager_input_is_explained(app, client, auth, leader, change, message):
    auth.sign_in(leader)
    data = {**FORM, "token": "t1", **change}
    response = client.post("/desa/warga/baru", data=data, headers={"Accept-Language": "en"})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    with app.app_context():
        assert villagers() == 0


def test_a_taken_phone_is_refused(app, client, auth, leader, create_user):
    create_user(phone="081234567890")
    auth.sign_in(leader)
    response = client.post(
        "/desa/warga/baru",
        data={**FORM, "token": "t2", "phone": "0812-3456-7890"},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 422
    assert "This mobile number belongs to another account already." in response.get_data(as_text=True)


def test_a_new_card_replaces_the_old_password(app, client, auth, leader):
    auth.sign_in(leader)
    username, old = card_of(client.post("/desa/warga/baru", data={**FORM, "token": "t3"}).get_data(as_text=True))
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.username == username))
    page = client.get(f"/desa/warga/{user_id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Print a new sign-in card" in page
    _, new = card_of(client.post("/desa/kartu", data={"user_id": user_id}).get_data(as_text=True))
    assert new != old
    auth.sign_out()
    assert client.post("/akun/masuk", data={"identifier": username, "password": old}).status_code != 302
    auth.sign_in(username, new)


def test_cards_only_for_the_leaders_assisted_villagers(app, client, auth, leader, create_user):
    own_account = create_user()  # signed up by themselves: the leader may not reset their password
    elsewhere = create_user(village_code=OTHER_VILLAGE, is_assisted=True)
    auth.sign_in(leader)
    for user_id in (own_account, elsewhere, 999999):
        assert client.get(f"/desa/warga/{user_id}").status_code == 404
        assert client.post("/desa/kartu", data={"user_id": user_id}).status_code == 404


def test_cards_page_prints_with_print_css(client, auth, leader):
    auth.sign_in(leader)
    page = client.post("/desa/warga/baru", data={**FORM, "token": "t4"}).get_data(as_text=True)
    assert 'class="sign-in-card"' in page and "js/print-button.js" in page
    css = client.get("/static/app.css").get_data(as_text=True)
    assert "@media print" in css and ".no-print" in css
