"""Big exports and big roster saves run as background jobs with progress; finished files go after a day."""

import csv
import io
import re
from datetime import timedelta
from pathlib import Path

import openpyxl
from sqlalchemy import func, select

from lms.access import OFFICER, RESIDENT
from lms.accounts.models import User
from lms.clock import utcnow
from lms.courses.files import import_courses
from lms.extensions import db
from lms.progress import background
from lms.progress.models import FileJob, RosterImport
from lms.progress.roster import save_next_batch
from lms.progress.synth import synthesize
from lms.regions.operations import ensure_office
from tests.progress.test_roster_import import upload

COURSES_DIR = Path(__file__).resolve().parents[2] / "courses"
EN = {"Accept-Language": "en"}


def population(app):
    """Two villages of a regency of the demo office, with learners; return their codes."""
    with app.app_context():
        import_courses(COURSES_DIR)
        db.session.commit()
        result = synthesize(villages=2, residents=30, seed=3)
        db.session.commit()
        return result.village_codes


def officer_of(app, create_user, regency: str) -> int:
    with app.app_context():
        office = ensure_office("Kantor Imigrasi Uji", [regency])
        db.session.commit()
        return create_user(OFFICER, "petugas_uji", office_id=office.id)


def start_export(client, region: str, kind: str, **fields):
    data = {"region": region, "format": kind, **fields}
    return client.post("/laporan/ekspor", data=data, headers=EN)


def test_a_regency_export_runs_with_progress_and_gives_every_participant(app, client, auth, create_user):
    codes = population(app)
    regency = codes[0][:5]
    auth.sign_in(officer_of(app, create_user, regency))
    report = client.get(f"/laporan?region={regency}", headers=EN).get_data(as_text=True)
    assert "Export CSV" in report and 'action="/laporan/ekspor"' in report

    response = start_export(client, regency, "csv")
    assert response.status_code == 303
    job_page = response.headers["Location"]
    assert start_export(client, regency, "csv").headers["Location"] == job_page  # a double submit: one job
    page = client.get(job_page, headers=EN).get_data(as_text=True)
    assert "Finished" in page and ">100</span>%" in page and "Download the file" in page
    status = client.get(job_page + "/status", headers=EN).get_json()
    assert status["status"] == "done" and status["percent"] == 100.0 and status["download_url"]

    download = client.get(status["download_url"])
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith(f"attachment; filename=peserta-{regency}.csv")
    rows = list(csv.reader(io.StringIO(download.get_data().decode("utf-8-sig"))))
    with app.app_context():
        expected = db.session.scalars(
            select(User.name).where(User.role == RESIDENT, User.village_code.startswith(regency + "."))
        ).all()
        assert db.session.scalar(select(func.count()).select_from(FileJob)) == 1
    assert rows[0][:3] == ["Name", "Username or phone", "Mobile number"]
    assert sorted(row[0] for row in rows[1:]) == sorted(expected)
    assert {row[4] for row in rows[1:]} <= {"yes", "no"}


def test_an_xlsx_export_for_one_course_opens_in_a_spreadsheet(app, client, auth, create_user):
    codes = population(app)
    province = codes[0][:2]
    auth.sign_in(officer_of(app, create_user, codes[0][:5]))
    response = start_export(client, province, "xlsx", course="paspor")
    page = client.get(response.headers["Location"], headers=EN).get_data(as_text=True)
    link = re.search(r'href="(/pekerjaan/\d+/berkas)"', page).group(1)
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(link).get_data()), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows[0]) == 7  # five columns about the person, one course, the last activity
    with app.app_context():
        in_area = select(func.count()).where(User.role == RESIDENT, User.village_code.startswith(codes[0][:5] + "."))
        assert len(rows) - 1 == db.session.scalar(in_area) > 0


def test_bad_export_requests_are_refused_and_start_nothing(app, client, auth, create_user):
    codes = population(app)
    regency = codes[0][:5]
    auth.sign_in(officer_of(app, create_user, regency))
    response = start_export(client, regency, "pdf")
    assert response.status_code == 422
    assert "Choose CSV or XLSX, and a course from the list." in response.get_data(as_text=True)
    assert start_export(client, regency, "csv", course="no-such-course").status_code == 422
    assert start_export(client, "31.71", "csv").status_code == 404  # outside the office's area
    assert start_export(client, "99.99", "csv").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(FileJob)) == 0


def test_another_officers_export_is_not_found(app, client, auth, create_user):
    codes = population(app)
    regency = codes[0][:5]
    auth.sign_in(officer_of(app, create_user, regency))
    job_page = start_export(client, regency, "csv").headers["Location"]
    auth.sign_out()
    with app.app_context():
        other_office = ensure_office("Kantor Imigrasi Lain", ["31.71"])
        db.session.commit()
        other = create_user(OFFICER, "petugas_lain", office_id=other_office.id)
    auth.sign_in(other)
    for path in (job_page, job_page + "/status", job_page + "/berkas"):
        assert client.get(path).status_code == 404, path


def test_a_failed_job_says_why_in_plain_words(app, client, auth, create_user):
    codes = population(app)
    auth.sign_in(officer_of(app, create_user, codes[0][:5]))
    with app.app_context():
        officer = db.session.scalar(select(User).where(User.username == "petugas_uji"))
        # A job whose worker died: the sweep notices it after an hour.
        stuck = FileJob(kind="export", requested_by_id=officer.id, key="export:x", params={"region": codes[0][:5]})
        stuck.created_dt = utcnow() - timedelta(hours=2)
        db.session.add(stuck)
        db.session.commit()
        background.sweep_file_jobs()
        stuck_id = stuck.id
    page = client.get(f"/pekerjaan/{stuck_id}", headers=EN).get_data(as_text=True)
    assert "Stopped" in page and "The server stopped while working on it. Please start it again." in page
    page = client.get(f"/pekerjaan/{stuck_id}", headers={"Accept-Language": "id"}).get_data(as_text=True)
    assert "Server berhenti" in page


def test_finished_files_are_swept_after_a_day(app, client, auth, create_user):
    codes = population(app)
    auth.sign_in(officer_of(app, create_user, codes[0][:5]))
    job_page = start_export(client, codes[0][:5], "csv").headers["Location"]
    with app.app_context():
        file_job = db.session.scalar(select(FileJob))
        path = background.file_path(file_job)
        assert path.is_file()
        assert background.sweep_file_jobs(now=utcnow() + timedelta(hours=23)) == 0
        assert path.is_file()
        assert background.sweep_file_jobs(now=utcnow() + timedelta(hours=25)) == 1
        assert not path.is_file()
    page = client.get(job_page, headers=EN).get_data(as_text=True)
    assert "The file was deleted after a day. Export again to make a new one." in page
    assert client.get(job_page + "/berkas").status_code == 404


def test_a_roster_save_that_stopped_is_resumed_without_saving_a_row_twice(app, client, auth, leader):
    auth.sign_in(leader)
    lines = ["nama,telepon"] + [f"Warga {n},0813{n:08d}" for n in range(25)]
    preview = upload(client, "\n".join(lines).encode()).headers["Location"]
    with app.app_context():
        record = db.session.scalar(select(RosterImport))
        leader_user = db.session.get(User, leader)
        file_job = background.start_roster_save(leader_user, record)
        db.session.info.pop("file_jobs_due")
        # The worker saved one batch, then its machine went down.
        file_job.status, file_job.created_dt = "running", utcnow() - timedelta(hours=2)
        file_job.done = 10  # what the worker wrote after its batch
        assert save_next_batch(leader_user, record, size=10) == (10, 15)
        db.session.commit()
        background.sweep_file_jobs()
        job_id = file_job.id
    page = client.get(f"/pekerjaan/{job_id}", headers=EN).get_data(as_text=True)
    assert "The server stopped while working on it. Please start it again." in page
    assert "10 of 25 villagers saved" in page and "Save the rest" in page

    response = client.post(preview, headers=EN)  # "Save the rest": a new job saves the other 15, once
    page = client.get(response.headers["Location"], headers=EN).get_data(as_text=True)
    assert "Finished" in page and "25 of 25 villagers saved" in page
    assert "This list was saved already" in client.post(preview, headers=EN).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User).where(User.role == RESIDENT)) == 25
        assert db.session.scalar(select(RosterImport)).saved_count == 25
