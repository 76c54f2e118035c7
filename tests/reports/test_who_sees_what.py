"""Leaders see only their villages, officers only their office's area, residents only themselves.

Every report, export, roster and attendance route is tried by every kind of person, including with
guessed ids and codes (another village's code, another session's id, another leader's import): the
answer is the page, 403 or 404, and never another area's data.
"""

from datetime import timedelta

import pytest

from lms.access import ADMIN, LEADER, OFFICER, RESIDENT
from lms.clock import utcnow
from lms.extensions import db
from lms.outreach.models import OutreachSession
from lms.progress.models import RosterImport
from lms.regions.operations import ensure_office

HOME = "16.72.01.1018"  # Dempo Makmur, in the demo office's area
AWAY = "16.71.01.1001"  # Palembang: another office's area
SECRET = "Rahasia Desa Lain"  # the name of a resident of AWAY, which must never leak into HOME's people's pages


@pytest.fixture
def world(app, create_user):
    """People of two areas and the records each may or may not see."""
    with app.app_context():
        other_office = ensure_office("Kantor Imigrasi Palembang", ["16.71"]).id
        db.session.commit()
    people = {
        "anonymous": None,
        "resident": create_user(RESIDENT, village_code=HOME),
        "leader": create_user(LEADER, villages=[HOME]),
        "other_leader": create_user(LEADER, villages=[AWAY]),
        "officer": create_user(OFFICER),
        "other_officer": create_user(OFFICER, office_id=other_office),
        "admin": create_user(ADMIN),
    }
    home_villager = create_user(RESIDENT, village_code=HOME, is_assisted=True, name="Warga Dibantu")
    away_villager = create_user(RESIDENT, village_code=AWAY, is_assisted=True, name=SECRET)
    with app.app_context():
        now = utcnow()
        sessions = {}
        for key, code in (("home", HOME), ("away", AWAY)):
            window = {"starts_dt": now - timedelta(hours=1), "ends_dt": now + timedelta(hours=1)}
            session = OutreachSession(village_code=code, topic=f"Sesi {key}", **window)
            db.session.add(session)
            db.session.flush()
            sessions[key] = session.id
        imports = {}
        for key, leader in (("home", people["leader"]), ("away", people["other_leader"])):
            record = RosterImport(token=f"token-{key}", leader_id=leader, rows=[], refused=[])
            db.session.add(record)
            imports[key] = record.token
        db.session.commit()
    return {"people": people, "sessions": sessions, "imports": imports, "villagers": (home_villager, away_villager)}


def routes(world) -> list[tuple[str, str, dict]]:
    """Return (method, path, who may use it) for the home area's pages; `who` maps a person to the status."""
    home, away = world["sessions"]["home"], world["sessions"]["away"]
    home_villager, away_villager = world["villagers"]
    organisers = {"leader": 200, "officer": 200, "admin": 200}
    leader_only = {"leader": 200, "other_leader": 200}  # each their own villages
    staff = {"officer": 200, "admin": 200}
    return [
        ("GET", "/belajar", {"resident": 200}),
        ("GET", "/desa", leader_only),
        ("GET", "/desa?format=csv", leader_only),
        ("GET", "/desa?format=xlsx", leader_only),
        ("GET", "/desa?format=print", leader_only),
        ("GET", f"/desa?village={HOME}", {"leader": 200, "other_leader": 404}),
        ("GET", f"/desa?village={AWAY}&format=csv", {"leader": 404, "other_leader": 200}),
        ("GET", f"/desa/warga/{home_villager}", {"leader": 200, "other_leader": 404}),
        ("POST", "/desa/kartu?user_id=0", {"leader": 404, "other_leader": 404}),
        ("GET", "/desa/impor/token-home", {"leader": 200, "other_leader": 404}),
        ("POST", "/desa/impor/token-home", {"leader": 200, "other_leader": 404}),
        ("GET", f"/penyuluhan/{home}", {**organisers, "other_leader": 404, "other_officer": 404}),
        ("GET", f"/penyuluhan/{home}/qr", {**organisers, "other_leader": 404, "other_officer": 404}),
        ("GET", f"/penyuluhan/{home}/daftar-hadir.csv", {**organisers, "other_leader": 404, "other_officer": 404}),
        ("GET", f"/penyuluhan/{home}/daftar-hadir.xlsx", {**organisers, "other_leader": 404, "other_officer": 404}),
        ("GET", f"/penyuluhan/{home}/cetak", {**organisers, "other_leader": 404, "other_officer": 404}),
        ("POST", f"/penyuluhan/{home}/hadir", {**organisers, "other_leader": 404, "other_officer": 404}),
        (
            "GET",
            f"/penyuluhan/{away}",
            {"leader": 404, "officer": 404, "other_leader": 200, "other_officer": 200, "admin": 200},
        ),
        ("GET", "/penyuluhan/999999", {"leader": 404, "officer": 404, "admin": 404}),
        ("GET", "/laporan", {**staff, "other_officer": 200}),
        ("GET", f"/laporan?region={HOME}", {**staff, "other_officer": 404}),
        ("GET", f"/laporan?region={HOME}&format=csv", {**staff, "other_officer": 404}),
        ("GET", f"/laporan?region={AWAY}&format=xlsx", {"officer": 404, "other_officer": 200, "admin": 200}),
        ("GET", "/laporan?region=16.72&format=print", {**staff, "other_officer": 404}),
        ("GET", f"/desa/warga/{away_villager}", {"leader": 404, "other_leader": 200}),
    ]


ROLES_OF = {
    "anonymous": None,
    "resident": RESIDENT,
    "leader": LEADER,
    "other_leader": LEADER,
    "officer": OFFICER,
    "other_officer": OFFICER,
    "admin": ADMIN,
}


@pytest.mark.parametrize("who", list(ROLES_OF))
def test_every_route_for_every_person(app, client, auth, world, who):
    person = world["people"][who]
    if person is not None:
        auth.sign_in(person)
    for method, path, allowed in routes(world):
        response = client.open(path, method=method)
        expected = allowed.get(who)
        if who == "anonymous":
            assert response.status_code == 302 and "/akun/masuk" in response.headers["Location"], path
            continue
        if expected is None:
            # A role the route is not for at all is refused; a right role in the wrong place gets a 404.
            assert response.status_code in (403, 404), (who, method, path, response.status_code)
        else:
            accepted = {expected, 302} if method == "POST" else {expected}
            assert response.status_code in accepted, (who, method, path, response.status_code)
        if who in ("resident", "leader", "officer") and not response.mimetype.endswith("sheet"):
            assert SECRET not in response.get_data(as_text=True), (who, path)


def test_check_in_is_for_residents_only(app, client, auth, world):
    from lms.outreach.operations import check_in_token

    with app.test_request_context():
        token = check_in_token(db.session.get(OutreachSession, world["sessions"]["home"]))
    for who in ("leader", "officer", "admin"):
        auth.sign_in(world["people"][who])
        assert client.post(f"/penyuluhan/masuk/{token}").status_code == 403
        auth.sign_out()
    auth.sign_in(world["people"]["resident"])
    assert client.post(f"/penyuluhan/masuk/{token}").status_code == 200
    assert client.get("/penyuluhan/masuk/999999").status_code == 404
