"""Bulk printing: a leader prints a village's certificates for a ceremony, one PDF, with visible progress."""

import subprocess
import threading
import time

import pytest

from lms.access import LEADER, OFFICER, RESIDENT
from lms.accounts.models import User
from lms.certificates.models import BulkPrint, Certificate
from lms.certificates.printing import run_bulk_print, start_bulk_print
from lms.courses.models import Course
from lms.demo import DEMO_VILLAGE
from lms.extensions import db

OTHER_VILLAGE = "31.71.06.1001"


def add_residents(app, count: int, village: str = DEMO_VILLAGE) -> list[int]:
    """Add residents of a village in one go (no password hashing: they never sign in here)."""
    with app.app_context():
        users = [
            User(name=f"Warga Desa Nomor {index}", username=f"massal{index}", password_hash="!", village_code=village)
            for index in range(count)
        ]
        db.session.add_all(users)
        db.session.commit()
        return [user.id for user in users]


def pdf_pages(pdf: bytes, tmp_path) -> int:
    path = tmp_path / "print.pdf"
    path.write_bytes(pdf)
    output = subprocess.run(["pdfinfo", path], capture_output=True, text=True, check=True).stdout
    return int(next(line for line in output.splitlines() if line.startswith("Pages:")).split()[1])


@pytest.mark.slow
def test_bulk_print_of_200_certificates_completes_with_progress(
    app, client, auth, leader, course, signing_key, complete, tmp_path
):
    residents = add_residents(app, 200)
    complete(residents, course)
    with app.app_context():
        run = start_bulk_print(db.session.get(User, leader), db.session.get(Course, course), DEMO_VILLAGE, residents)
        db.session.commit()
        run_id = run.id
    auth.sign_in(leader)
    status_url = f"/sertifikat/cetak/{run_id}/status"
    waiting = client.get(f"/sertifikat/cetak/{run_id}", headers={"Accept-Language": "id"}).get_data(as_text=True)
    assert "0 dari 200 halaman" in waiting
    assert f'href="/sertifikat/cetak/{run_id}">Muat ulang</a>' in waiting  # refreshing works without JavaScript
    assert "js/job-progress.js" in waiting

    def work():
        with app.app_context():
            run_bulk_print(run_id)

    worker = threading.Thread(target=work)
    started = time.perf_counter()
    worker.start()
    seen = []
    while worker.is_alive():
        response = client.get(status_url)
        if response.status_code == 200:
            seen.append(response.json["done"])
        time.sleep(0.2)
    worker.join()
    elapsed = time.perf_counter() - started

    final = client.get(status_url).json
    assert (final["status"], final["done"], final["total"]) == ("done", 200, 200)
    assert seen == sorted(seen), "progress never goes back"
    assert len({done for done in seen if 0 < done < 200}) >= 3, seen
    pdf = client.get(final["download_url"])
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf_pages(pdf.data, tmp_path) == 200
    print(f"bulk print: {elapsed * 1000 / 200:.0f} ms per certificate (issue + lay out + write), {len(pdf.data)} bytes")
    page = client.get(f"/sertifikat/cetak/{run_id}", headers={"Accept-Language": "id"}).get_data(as_text=True)
    assert "Unduh PDF" in page and "Muat ulang" not in page


def test_leader_prints_the_residents_of_their_village_through_the_pages(
    app, client, auth, leader, create_user, course, signing_key, complete, tmp_path
):
    chosen = [create_user(RESIDENT, name="Ani Suryani"), create_user(RESIDENT, name="Bambang Irawan")]
    complete(chosen, course)
    auth.sign_in(leader)
    form_url = f"/sertifikat/cetak?course=paspor-pekerja-migran&village={DEMO_VILLAGE}"

    page = client.get(form_url, headers={"Accept-Language": "id"}).get_data(as_text=True)
    assert "Ani Suryani" in page and "Bambang Irawan" in page

    nobody = client.post(form_url, data={}, headers={"Accept-Language": "id"})
    assert nobody.status_code == 422 and "Pilih paling sedikit satu warga" in nobody.get_data(as_text=True)

    response = client.post(form_url, data={"user_id": [str(user_id) for user_id in chosen]})
    assert response.status_code == 302
    page = client.get(response.headers["Location"], headers={"Accept-Language": "id"}).get_data(as_text=True)
    assert "Siap diunduh" in page and "2 dari 2 halaman" in page
    run_id = int(response.headers["Location"].rsplit("/", 1)[1])
    pdf = client.get(f"/sertifikat/cetak/{run_id}/sertifikat.pdf")
    assert pdf_pages(pdf.data, tmp_path) == 2

    # Reprinting makes a new file but never a second certificate.
    assert client.post(form_url, data={"user_id": [str(user_id) for user_id in chosen]}).status_code == 302
    with app.app_context():
        assert db.session.query(Certificate).count() == 2
        assert db.session.query(BulkPrint).count() == 2
    page = client.get(form_url).get_data(as_text=True)
    assert page.count("/sertifikat/KI-") == 2  # each resident's own certificate is there to download


def test_double_submit_while_printing_starts_one_run(app, leader, resident, course, complete):
    complete([resident], course)
    with app.app_context():
        person, subject = db.session.get(User, leader), db.session.get(Course, course)
        first = start_bulk_print(person, subject, DEMO_VILLAGE, [resident])
        db.session.commit()
        assert start_bulk_print(person, subject, DEMO_VILLAGE, [resident]).id == first.id


def test_only_who_looks_after_the_village_prints_and_sees_the_print(
    app, client, auth, leader, create_user, course, signing_key, complete
):
    residents = add_residents(app, 2)
    complete(residents, course)
    with app.app_context():
        run = start_bulk_print(db.session.get(User, leader), db.session.get(Course, course), DEMO_VILLAGE, residents)
        db.session.commit()
        run_id = run.id
    form_url = f"/sertifikat/cetak?course=paspor-pekerja-migran&village={DEMO_VILLAGE}"

    auth.sign_in(create_user(LEADER, villages=[OTHER_VILLAGE]))
    refused = client.post(form_url, data={"user_id": [str(residents[0])]}, headers={"Accept-Language": "id"})
    assert refused.status_code == 422 and "Pilih desa." in refused.get_data(as_text=True)
    assert client.get(f"/sertifikat/cetak/{run_id}").status_code == 404
    assert client.get(f"/sertifikat/cetak/{run_id}/status").status_code == 404
    auth.sign_out()

    auth.sign_in(create_user(OFFICER))
    assert client.get(f"/sertifikat/cetak/{run_id}").status_code == 200
    assert "Dempo Makmur" in client.get("/sertifikat/cetak").get_data(as_text=True)
    auth.sign_out()

    auth.sign_in(create_user(RESIDENT))
    assert client.get("/sertifikat/cetak").status_code == 403
    assert client.get(f"/sertifikat/cetak/{run_id}").status_code == 403
    with app.app_context():
        assert db.session.query(BulkPrint).count() == 1


def test_deleting_an_account_deletes_the_printed_files_that_name_the_person(
    app, client, auth, leader, resident, course, signing_key, complete
):
    from lms.accounts.operations import delete_account

    complete([resident], course)
    auth.sign_in(leader)
    form_url = f"/sertifikat/cetak?course=paspor-pekerja-migran&village={DEMO_VILLAGE}"
    location = client.post(form_url, data={"user_id": [str(resident)]}).headers["Location"]
    assert client.get(location + "/sertifikat.pdf").status_code == 200
    with app.app_context():
        delete_account(db.session.get(User, resident))
        db.session.commit()
    assert client.get(location + "/sertifikat.pdf").status_code == 404
    assert "Berkasnya sudah dihapus" in client.get(location, headers={"Accept-Language": "id"}).get_data(as_text=True)
