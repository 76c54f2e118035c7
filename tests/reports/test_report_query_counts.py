"""The number of SQL queries a dashboard or report makes does not grow with the number of participants."""

from pathlib import Path

from sqlalchemy import select

from lms.access import OFFICER
from lms.courses.files import import_courses
from lms.extensions import db
from lms.outreach.models import OutreachSession
from lms.progress.synth import synthesize
from tests.sql import recorded_statements

COURSES_DIR = Path(__file__).resolve().parents[2] / "courses"
DEMO_PASSWORD = "kelas-imigrasi-demo"


def measure(app, client, paths: list[str]) -> dict[str, int]:
    counts = {}
    for path in paths:
        client.get(path)  # warm: the first request of a session loads its own things once
        with recorded_statements(app) as statements:
            response = client.get(path)
        assert response.status_code == 200, path
        counts[path] = len(statements)
    return counts


def test_queries_do_not_grow_with_the_population(app, client, auth, create_user):
    with app.app_context():
        import_courses(COURSES_DIR)
        db.session.commit()
        small = synthesize(villages=3, residents=9, seed=1)
        db.session.commit()
        codes = small.village_codes
        session_id = db.session.scalar(select(OutreachSession.id).where(OutreachSession.village_code == codes[0]))
    village, district, regency, province = codes[0], codes[0][:8], codes[0][:5], codes[0][:2]
    officer_paths = [
        "/laporan",
        f"/laporan?region={province}",
        f"/laporan?region={regency}",
        f"/laporan?region={district}",
        f"/laporan?region={village}",
        f"/laporan?region={regency}&format=csv",
        f"/laporan?region={village}&format=xlsx",
        f"/laporan?region={regency}&course=paspor",
    ]
    leader_paths = [
        "/desa",
        "/desa?format=csv",
        "/desa?course=paspor&status=completed",
        f"/penyuluhan/{session_id}",
        "/penyuluhan/",
    ]
    resident_paths = ["/belajar"]

    def measure_all() -> dict[str, int]:
        auth.sign_in(create_user(OFFICER))
        counts = measure(app, client, officer_paths)
        auth.sign_out()
        auth.sign_in("sx1v0000k", DEMO_PASSWORD)  # the first village's synthetic leader
        counts |= measure(app, client, leader_paths)
        auth.sign_out()
        auth.sign_in("sx1v0000r0000", DEMO_PASSWORD)
        counts |= measure(app, client, resident_paths)
        auth.sign_out()
        return counts

    before = measure_all()
    with app.app_context():
        synthesize(villages=3, residents=150, seed=2, village_codes=codes)  # 17 times as many residents
        db.session.commit()
    after = measure_all()
    assert after == before
    assert max(before.values()) < 40, before
