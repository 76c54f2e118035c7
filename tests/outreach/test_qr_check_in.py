"""QR check-in: a signed token, only for signed-in residents, only within the session's window, only once."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.extensions import db
from lms.outreach.models import QR, Attendance, OutreachSession
from lms.outreach.operations import check_in_token


def token_for(app, session_id: int) -> str:
    with app.test_request_context():
        return check_in_token(db.session.get(OutreachSession, session_id))


def attendances() -> list[tuple[int, str]]:
    return db.session.execute(select(Attendance.user_id, Attendance.method)).all()


def test_qr_page_carries_the_signed_check_in_address(app, client, auth, leader, make_session):
    session_id = make_session()
    auth.sign_in(leader)
    page = client.get(f"/penyuluhan/{session_id}/qr").get_data(as_text=True)
    assert '<svg role="img" viewBox=' in page and "<title>" in page
    address = re.search(r'href="(http://localhost/penyuluhan/masuk/[^"]+)"', page).group(1)
    assert address.endswith(token_for(app, session_id))


@pytest.mark.parametrize(
    ("starts_in", "status", "message", "stored"),
    [
        (timedelta(hours=1), 409, "Check-in opens when the session starts.", 0),
        (timedelta(hours=-1), 200, "You are checked in. Welcome!", 1),
        (timedelta(hours=-3), 409, "This session has ended; check-in is closed.", 0),
    ],
    ids=["before", "during", "after"],
)
def test_check_in_window(app, client, auth, resident, make_session, starts_in, status, message, stored):
    session_id = make_session(starts_in=starts_in, hours=2)
    url = f"/penyuluhan/masuk/{token_for(app, session_id)}"
    auth.sign_in(resident)
    response = client.post(url, headers={"Accept-Language": "en"})
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert len(attendances()) == stored


def test_a_second_scan_says_already_checked_in(app, client, auth, resident, make_session):
    url = f"/penyuluhan/masuk/{token_for(app, make_session())}"
    auth.sign_in(resident)
    page = client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "I am here" in page
    client.post(url)
    response = client.post(url, headers={"Accept-Language": "en"})
    assert response.status_code == 200 and "You are already checked in to this session." in response.get_data(
        as_text=True
    )
    page = client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "already checked in" in page and "I am here" not in page
    with app.app_context():
        assert attendances() == [(resident, QR)]


def test_check_in_needs_a_signed_in_resident(app, client, auth, leader, make_session):
    url = f"/penyuluhan/masuk/{token_for(app, make_session())}"
    response = client.post(url)
    assert response.status_code == 302 and "/akun/masuk" in response.headers["Location"]
    auth.sign_in(leader)
    assert client.post(url).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attendance)) == 0


def test_a_forged_or_altered_token_finds_nothing(app, client, auth, resident, make_session):
    first, second = make_session(), make_session()
    token = token_for(app, first)
    auth.sign_in(resident)
    assert client.post(f"/penyuluhan/masuk/{second}.{token.split('.')[1]}").status_code == 404
    assert client.post("/penyuluhan/masuk/MQ").status_code == 404
    assert client.post(f"/penyuluhan/masuk/{token}x").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attendance)) == 0
