"""The evaluation's reach on known data: sessions held, residents reached once each, completions, certificates."""

from datetime import timedelta

from lms.accounts.models import User
from lms.clock import utcnow
from lms.courses.models import Course
from lms.evaluation import summary
from lms.extensions import db
from lms.outreach.models import OutreachSession
from lms.outreach.operations import save_roster
from lms.progress.completion import enrol
from tests.certificates.conftest import signing_key  # noqa: F401 - a key, so a completion issues a certificate
from tests.evaluation.conftest import FAR_VILLAGE, OTHER_VILLAGE, take


def _session(village: str, days_ago: float, officer_id: int, attendees: set[int] = frozenset()) -> None:
    starts = utcnow() - timedelta(days=days_ago)
    session = OutreachSession(
        village_code=village, topic="Penyuluhan paspor", starts_dt=starts, ends_dt=starts + timedelta(hours=2)
    )
    db.session.add(session)
    db.session.flush()
    if attendees:
        save_roster(session, set(attendees), set(attendees), db.session.get(User, officer_id))


def test_reach_on_known_data(app, client, auth, create_user, officer, signing_key, course_slug):  # noqa: F811
    first, second = (create_user("resident", f"hadir{n}", village_code=OTHER_VILLAGE) for n in range(2))
    enrolled_only = create_user("resident", "daftar_saja")
    far = create_user("resident", "warga_jauh", village_code=FAR_VILLAGE)
    with app.app_context():
        _session(OTHER_VILLAGE, 1, officer, {first, second})  # held yesterday, in the area
        _session(OTHER_VILLAGE, -2, officer)  # the day after tomorrow: not held yet
        _session(OTHER_VILLAGE, 200, officer)  # before the period
        _session(FAR_VILLAGE, 1, officer, {far})  # outside the area
        course_id = db.session.scalar(db.select(Course.id).where(Course.slug == course_slug))
        enrol(enrolled_only, course_id)
        db.session.commit()
    take(app, course_slug, first, right=4)  # passes: enrolled (reached once), completed, certified
    take(app, course_slug, far, right=4)
    with app.app_context():
        period = summary.Period.default(summary.local_today())
        reach = summary.reach(["16.72", "16.03"], period)
        figures = lambda r: (r.sessions, r.reached, r.completions, r.certificates)  # noqa: E731
        assert figures(reach) == (1, 3, 1, 1)
        assert figures(summary.reach(None, period)) == (2, 4, 2, 2)  # an admin's view: Jakarta too
    auth.sign_in(officer)
    page = client.get("/evaluasi").get_data(as_text=True)
    assert "<strong>1</strong> penyuluhan diadakan" in page and "<strong>3</strong> warga terjangkau" in page
    assert "<strong>1</strong> kursus diselesaikan" in page and "<strong>1</strong> sertifikat diterbitkan" in page
