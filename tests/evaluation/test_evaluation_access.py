"""Officer pages: residents and leaders are refused; officers see their office's area only; admins choose."""

import pytest

from lms.extensions import db
from lms.regions.models import Office
from tests.evaluation.conftest import FAR_OFFICE, FAR_VILLAGE, take

PAGES = ("/evaluasi", "/evaluasi/umpan-balik", "/evaluasi?format=csv", "/evaluasi/umpan-balik?format=xlsx")


@pytest.mark.parametrize("path", PAGES)
def test_residents_and_leaders_are_refused(client, auth, resident, leader, path):
    assert client.get(path).status_code == 302  # signed out: to the sign-in page
    for user in (resident, leader):
        auth.sign_in(user)
        assert client.get(path).status_code == 403
        auth.sign_out()


def test_an_officer_of_another_office_sees_none_of_this_offices_numbers(
    app, client, auth, create_user, officer, far_officer, course_slug
):
    near = create_user("resident", "warga_dekat")
    take(app, course_slug, near, right=1, pretest=True)
    take(app, course_slug, near, right=4)
    auth.sign_in(near)
    client.post(f"/kursus/{course_slug}/umpan-balik", data={"clarity": "3", "hard_text": "Rahasia desa dekat"})
    auth.sign_out()
    auth.sign_in(officer)
    assert "Dempo Makmur" in client.get("/evaluasi").get_data(as_text=True)
    auth.sign_out()
    auth.sign_in(far_officer)
    with app.app_context():
        near_office = db.session.scalar(db.select(Office.id).where(Office.name != FAR_OFFICE))
    for path in ("/evaluasi", f"/evaluasi?kantor={near_office}"):  # asking for another office changes nothing
        page = client.get(path).get_data(as_text=True)
        assert FAR_OFFICE in page and "Dempo Makmur" not in page and "Belum ada warga" in page
    feedback = client.get(f"/evaluasi/umpan-balik?kantor={near_office}").get_data(as_text=True)
    assert "Rahasia desa dekat" not in feedback and "Dempo Makmur" not in feedback
    for which in ("kursus", "komentar"):
        export = client.get(f"/evaluasi/umpan-balik?format=csv&daftar={which}").get_data(as_text=True)
        assert "Dempo Makmur" not in export and "Rahasia" not in export
    assert "Dempo Makmur" not in client.get("/evaluasi?format=csv").get_data(as_text=True)


def test_admins_see_every_office_or_the_chosen_one(app, client, auth, create_user, admin, far_officer, course_slug):
    for username, village in (("warga_dekat", None), ("warga_jauh", FAR_VILLAGE)):
        user = create_user("resident", username, **({"village_code": village} if village else {}))
        take(app, course_slug, user, right=1, pretest=True)
        take(app, course_slug, user, right=3)
    auth.sign_in(admin)
    everywhere = client.get("/evaluasi").get_data(as_text=True)
    assert "Dempo Makmur" in everywhere and "Gambir" in everywhere
    with app.app_context():
        far = db.session.scalar(db.select(Office.id).where(Office.name == FAR_OFFICE))
    chosen = client.get(f"/evaluasi?kantor={far}").get_data(as_text=True)
    assert "Gambir" in chosen and "Dempo Makmur" not in chosen
    for unknown in ("999999", "0", str(10**30)):
        assert client.get(f"/evaluasi?kantor={unknown}").status_code == 404


@pytest.mark.parametrize(
    "query", ["dari=kemarin", "dari=2026-13-45", "dari=2026-05-01&sampai=2026-04-01", "sampai=" + "9" * 500]
)
def test_a_wrong_period_is_explained_in_indonesian(client, auth, officer, query):
    auth.sign_in(officer)
    response = client.get(f"/evaluasi?{query}")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Tulis tanggal sebagai tahun-bulan-tanggal" in page or "Tanggal akhir sebelum tanggal awal." in page


def test_an_officer_without_an_office_is_told_so(client, auth, create_user):
    lonely = create_user("officer", "petugas_sendiri", office_id=None)
    auth.sign_in(lonely)
    assert "belum terhubung ke kantor" in client.get("/evaluasi").get_data(as_text=True)
