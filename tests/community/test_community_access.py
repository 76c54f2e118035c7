"""Who sees which question and concern: the asker, the officers of their area, and nobody else."""

import pytest
from sqlalchemy import select

from lms.access import ADMIN, LEADER, RESIDENT
from lms.community.models import Concern, ResidentQuestion
from lms.extensions import db
from tests.community.conftest import ask, form_token


def _report(client, body: str, kind: str = "recruiter"):
    return client.post("/lapor", data={"kind": kind, "body": body, "form_token": form_token(client, "/lapor")})


@pytest.fixture
def posts(app, client, auth, resident):
    """A private question and a concern of the demo resident: their ids."""
    auth.sign_in(resident)
    ask(client, "Pertanyaan rahasia warga satu")
    _report(client, "Laporan rahasia tentang calo di pasar")
    auth.sign_out()
    with app.app_context():
        return db.session.scalar(select(ResidentQuestion.id)), db.session.scalar(select(Concern.id))


def test_a_resident_sees_their_own_question_and_another_residents_is_not_found(
    client, auth, resident, create_user, posts
):
    question_id, concern_id = posts
    auth.sign_in(resident)
    assert client.get(f"/tanya/{question_id}").status_code == 200
    assert client.get(f"/lapor/{concern_id}").status_code == 200
    auth.sign_out()
    auth.sign_in(create_user(RESIDENT, "tetangga"))
    assert client.get(f"/tanya/{question_id}").status_code == 404
    assert client.get(f"/lapor/{concern_id}").status_code == 404
    assert client.get("/tanya/999999").status_code == 404
    for path in ("/tanya", "/lapor", "/"):
        page = client.get(path).get_data(as_text=True)
        assert "rahasia" not in page
    for path in ("/tanya/petugas", f"/tanya/petugas/{question_id}", "/lapor/petugas", f"/lapor/petugas/{concern_id}"):
        assert client.get(path).status_code == 403


def test_leaders_never_see_concern_reports(client, auth, leader, posts):
    question_id, concern_id = posts
    auth.sign_in(leader)
    for path in ("/lapor", f"/lapor/{concern_id}", "/lapor/petugas", f"/lapor/petugas/{concern_id}"):
        assert client.get(path).status_code == 403, path
    assert client.post(f"/lapor/petugas/{concern_id}", data={"note": "x"}).status_code == 403
    assert client.get(f"/tanya/{question_id}").status_code == 404  # not a question they asked
    for path in ("/", "/tanya", "/desa"):
        assert "Laporan rahasia" not in client.get(path).get_data(as_text=True)


def test_admins_do_not_read_concerns_either(client, auth, create_user, posts):
    auth.sign_in(create_user(ADMIN, "adminsatu"))
    _question_id, concern_id = posts
    assert client.get("/lapor/petugas").status_code == 403
    assert client.get(f"/lapor/petugas/{concern_id}").status_code == 403


def test_officers_see_their_area_and_another_office_gets_not_found(
    client, auth, officer, palembang_officer, palembang_resident, posts
):
    question_id, concern_id = posts
    auth.sign_in(palembang_resident)
    ask(client, "Pertanyaan dari Palembang")
    auth.sign_out()
    auth.sign_in(officer)
    queue = client.get("/tanya/petugas").get_data(as_text=True)
    assert "Pertanyaan rahasia warga satu" in queue and "Pertanyaan dari Palembang" not in queue
    assert "Laporan rahasia" in client.get("/lapor/petugas").get_data(as_text=True)
    assert client.get(f"/tanya/petugas/{question_id}").status_code == 200
    assert client.get(f"/lapor/petugas/{concern_id}").status_code == 200
    auth.sign_out()
    auth.sign_in(palembang_officer)
    queue = client.get("/tanya/petugas").get_data(as_text=True)
    assert "Pertanyaan dari Palembang" in queue and "Pertanyaan rahasia" not in queue
    assert "Laporan rahasia" not in client.get("/lapor/petugas").get_data(as_text=True)
    for path in (f"/tanya/petugas/{question_id}", f"/lapor/petugas/{concern_id}"):
        assert client.get(path).status_code == 404
    assert client.post(f"/tanya/petugas/{question_id}", data={"answer": "x"}).status_code == 404
    assert client.post(f"/tanya/petugas/{question_id}/sembunyikan", data={"hide": "1"}).status_code == 404
    assert client.post(f"/lapor/petugas/{concern_id}", data={"note": "x"}).status_code == 404


def test_a_concern_is_handled_by_the_office_and_the_reporter_reads_the_status(
    app, client, auth, resident, officer, posts
):
    _question_id, concern_id = posts
    auth.sign_in(resident)
    page = client.get("/lapor").get_data(as_text=True)
    assert "110" in page and "SAPA 129" in page and "Yang terjadi selanjutnya" in page
    assert "Laporan Anda dikirim ke Kantor Imigrasi Muara Enim." in page
    assert "Diterima" in client.get(f"/lapor/{concern_id}").get_data(as_text=True)
    auth.sign_out()
    auth.sign_in(officer)
    empty = client.post(f"/lapor/petugas/{concern_id}", data={"note": ""})
    assert empty.status_code == 422 and "Tulis apa yang dilakukan kantor." in empty.get_data(as_text=True)
    done = client.post(f"/lapor/petugas/{concern_id}", data={"note": "Sudah kami teruskan ke Timpora."})
    assert done.status_code == 302
    assert "Laporan rahasia" not in client.get("/lapor/petugas").get_data(as_text=True)
    assert "Laporan rahasia" in client.get("/lapor/petugas?lihat=selesai").get_data(as_text=True)
    auth.sign_out()
    auth.sign_in(resident)
    status = client.get(f"/lapor/{concern_id}").get_data(as_text=True)
    assert "Sudah ditangani" in status and "Sudah kami teruskan ke Timpora." in status


def test_concern_bad_input_double_submit_and_rate_limit(app, client, auth, resident, counts):
    auth.sign_in(resident)
    no_kind = client.post("/lapor", data={"body": "Ada calo", "form_token": form_token(client, "/lapor")})
    assert no_kind.status_code == 422 and "Pilih tentang apa laporan ini." in no_kind.get_data(as_text=True)
    too_long = _report(client, "x" * 2001)
    assert too_long.status_code == 422 and "Paling banyak 2000 karakter." in too_long.get_data(as_text=True)
    bad_kind = _report(client, "Ada calo", kind="spam")
    assert bad_kind.status_code == 422
    assert counts() == (0, 0)
    data = {"kind": "foreigner", "body": "Ada orang asing menginap", "form_token": form_token(client, "/lapor")}
    assert client.post("/lapor", data=data).status_code == client.post("/lapor", data=data).status_code == 302
    assert counts() == (0, 1)
    app.config["CONCERN_LIMIT_PER_USER"] = "2 per hour"
    try:
        assert _report(client, "Laporan kedua").status_code == 302
        assert _report(client, "Laporan ketiga").status_code == 302
        refused = _report(client, "Laporan keempat")
        assert refused.status_code == 429 and "Terlalu banyak percobaan" in refused.get_data(as_text=True)
    finally:
        app.config.pop("CONCERN_LIMIT_PER_USER")
    assert counts() == (0, 3)


def test_a_leader_without_assisted_villagers_cannot_ask(client, auth, create_user, counts):
    auth.sign_in(create_user(LEADER, "kadestanpawarga"))
    page = client.get("/tanya").get_data(as_text=True)
    assert "Anda belum mendaftarkan" in page
    assert ask(client, "Pertanyaan").status_code == 422
    assert counts() == (0, 0)


def test_a_resident_whose_village_no_office_covers_is_told_so(client, auth, create_user):
    auth.sign_in(create_user(RESIDENT, "wargajakarta", village_code="31.71.01.1001"))
    for path in ("/lapor", "/tanya"):
        assert "Belum ada kantor imigrasi yang melayani desa Anda" in client.get(path).get_data(as_text=True)


def test_numbers_no_id_can_have_name_nothing_rather_than_failing(client, auth, resident, officer, counts):
    huge = str(2**63)
    auth.sign_in(resident)
    assert client.get(f"/tanya?pelajaran={huge}").status_code == 200
    assert client.get("/tanya?pelajaran=-5").status_code == 200
    refused = ask(client, "Pertanyaan", lesson_id=huge, course_id=huge)
    assert refused.status_code == 302  # an impossible lesson or course is simply no lesson or course
    assert client.get(f"/tanya/{huge}").status_code == 404
    auth.sign_out()
    auth.sign_in(officer)
    assert client.get(f"/tanya/petugas?kursus={huge}&desa={huge}").status_code == 200
    assert client.get(f"/lapor/petugas/{huge}").status_code == 404
    assert counts() == (1, 0)
