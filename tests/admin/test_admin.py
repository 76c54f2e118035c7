"""An admin manages people, roles, offices, their areas and leaders' villages through the pages."""

from sqlalchemy import select

from lms.accounts.models import User
from lms.core.models import Language
from lms.extensions import db
from lms.regions.models import Office


def test_admin_creates_an_office_and_gives_it_regencies(app, client, auth, admin):
    auth.sign_in(admin)
    response = client.post("/admin/kantor/baru", data={"name": "Kantor Imigrasi Kotabumi"})
    assert response.status_code == 302
    with app.app_context():
        office_id = db.session.scalar(select(Office.id).where(Office.name == "Kantor Imigrasi Kotabumi"))
    page = client.get(f"/admin/kantor/{office_id}", query_string={"regency_query": "lampung barat"})
    assert "Kabupaten Lampung Barat" in page.get_data(as_text=True)
    client.post(f"/admin/kantor/{office_id}/wilayah", data={"code": "18.04"})
    refused = client.post(f"/admin/kantor/{office_id}/wilayah", data={"code": "18.04.01"}, follow_redirects=True)
    assert "No regency or city has this code." in refused.get_data(as_text=True) or refused.status_code == 200
    with app.app_context():
        office = db.session.get(Office, office_id)
        assert [r.code for r in office.regions] == ["18.04"]
        assert office.covers("18.04.01.2001") and not office.covers("16.72")
    client.post(f"/admin/kantor/{office_id}/wilayah", data={"code": "18.04", "action": "remove"})
    with app.app_context():
        assert db.session.get(Office, office_id).regions == []


def test_admin_makes_a_resident_a_leader_of_villages(app, client, auth, admin, create_user):
    person = create_user(name="Rahmat Hidayat")
    auth.sign_in(admin)
    response = client.post(
        f"/admin/pengguna/{person}",
        data={"name": "Rahmat Hidayat", "username": "rahmat", "phone": "", "role": "leader", "office_id": "0"},
    )
    assert response.status_code == 302
    page = client.get(f"/admin/pengguna/{person}", query_string={"village_query": "dempo makmur"})
    assert "Dempo Makmur, Pagar Alam Utara" in page.get_data(as_text=True)
    client.post(f"/admin/pengguna/{person}/desa", data={"code": "16.72.01.1018"})
    client.post(f"/admin/pengguna/{person}/desa", data={"code": "16.72.01.1018"})  # a double tap adds it once
    with app.app_context():
        user = db.session.get(User, person)
        assert user.role == "leader" and [v.code for v in user.led_villages] == ["16.72.01.1018"]


def test_an_officer_needs_an_office(app, client, auth, admin, create_user):
    person = create_user()
    auth.sign_in(admin)
    response = client.post(
        f"/admin/pengguna/{person}",
        data={"name": "Petugas Baru", "username": "petugasbaru", "role": "officer", "office_id": "0"},
    )
    assert response.status_code == 422
    with app.app_context():
        assert db.session.get(User, person).role == "resident"


def test_admin_creates_a_staff_account_and_it_can_sign_in(app, client, auth, admin, officer):
    auth.sign_in(admin)
    with app.app_context():
        office_id = db.session.get(User, officer).office_id
    response = client.post(
        "/admin/pengguna/baru",
        data={"name": "Dewi Lestari", "username": "dewi", "role": "officer", "office_id": str(office_id),
              "password": "sandi-petugas-baru"},
    )  # fmt: skip
    assert response.status_code == 302
    auth.sign_out()
    assert client.post("/akun/masuk", data={"identifier": "dewi", "password": "sandi-petugas-baru"}).status_code == 302


def test_admin_adds_a_content_language_with_its_fallback_chain(app, client, auth, admin):
    auth.sign_in(admin)
    response = client.post(
        "/admin/bahasa", data={"code": "ljp", "name": "Bahasa Lampung Api", "fallbacks": "id  en", "is_enabled": "y"}
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Language, "ljp").chain == ["ljp", "id", "en"]
    assert client.post("/admin/bahasa", data={"code": "<script>", "name": "x"}).status_code == 422


def test_admin_finds_people_by_phone_in_any_format(client, auth, admin, create_user):
    create_user(phone="+6281211112222", username="", name="Wati")
    auth.sign_in(admin)
    page = client.get("/admin/pengguna", query_string={"q": "0812-1111-2222"}).get_data(as_text=True)
    assert "Wati" in page
