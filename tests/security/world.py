"""Two villages, two offices, eight parties and their records: the world the security tests attack.

Village X (Kelurahan Dempo Makmur, Kota Pagar Alam) is covered by office P; village Y lies in
another province's regency, covered by office Q. Every record is tagged with who may read it
(the read routes) and who may manage it (the staff-only routes). Record kinds whose package does
not exist yet are skipped and counted, so the suite grows with the code without edits.
"""

import hashlib
import re
import shutil
from dataclasses import dataclass, field
from importlib import import_module

from sqlalchemy import inspect, select, text

from lms import demo
from lms.access import ADMIN, ANYONE, LEADER, OFFICER, RESIDENT, STAFF
from lms.extensions import db

PASSWORD = "kata-sandi-rahasia"
PARTIES = ("anonymous", "resident_a", "resident_b", "leader_x", "leader_y", "officer_p", "officer_q", "admin")
ROLE_OF = {
    "anonymous": None,
    "resident_a": RESIDENT,
    "resident_b": RESIDENT,
    "leader_x": LEADER,
    "leader_y": LEADER,
    "officer_p": OFFICER,
    "officer_q": OFFICER,
    "admin": ADMIN,
}
#: Personal markers: each resident's name carries one, and only these parties may ever see it.
PERSON_MARKERS = {
    "resident_a": ("ZQWARGAA", {"resident_a", "leader_x", "officer_p", "admin"}),
    "resident_b": ("ZQWARGAB", {"resident_b", "leader_y", "officer_q", "admin"}),
}
PHONES = {"resident_a": "+6281311110001", "resident_b": "+6281311110002"}
OFFICE_Q = "Kantor Imigrasi Uji Q"
#: Bugs found in colleagues' packages, per endpoint: (what the failure says, the bug). Each gets a test marked
#: xfail(strict=True) that turns red the day the bug is fixed; elsewhere its failures are not counted twice.
KNOWN_BUGS: dict[str, tuple[str, str]] = {}
#: Columns that change on every visit and say nothing about stored data.
VOLATILE_COLUMNS = {"last_seen_dt", "last_active_dt", "heartbeat_dt"}
#: Tables too large to fingerprint and never written by a request.
UNWATCHED_TABLES = {"regions", "alembic_version"}


@dataclass
class Record:
    """One object of the world: URL variable values, who may read it and who may manage it."""

    kind: str
    values: dict
    readers: set
    managers: set
    #: Text that appears in pages showing it, and must appear nowhere else.
    marker: str | None = None
    #: The variables that name this record (the others only lead to it); all of them when empty.
    keys: frozenset = frozenset()
    #: Beginnings of the rules this record fills, when its variable names mean other things elsewhere.
    paths: tuple = ()

    def url_for_rule(self, rule: str) -> str | None:
        """Fill a rule that names this record; None when the rule names something else."""
        names = variables(rule)
        if self.keys and not self.keys & set(names):
            return None
        if self.paths and not rule.startswith(self.paths):
            return None
        return fill(rule, self.values)


@dataclass
class World:
    """The parties' user ids and the records they own."""

    users: dict = field(default_factory=dict)
    records: list = field(default_factory=list)
    #: Kinds of record that could not be made because their package or table does not exist yet.
    missing: list = field(default_factory=list)
    village_x: str = demo.DEMO_VILLAGE
    village_y: str = ""

    def markers_hidden_from(self, party: str, managing: bool) -> list[str]:
        """Return the markers a party must never see (on a staff page when managing)."""
        hidden = [marker for owner, (marker, seers) in PERSON_MARKERS.items() if party not in seers]
        for record in self.records:
            allowed = record.managers if managing else record.readers
            if record.marker and party not in allowed and ANYONE not in allowed:
                hidden.append(record.marker)
        return hidden


def has_table(name: str) -> bool:
    """Tell whether the migrated database has a table."""
    return inspect(db.engine).has_table(name)


def _module(name: str):
    try:
        return import_module(name)
    except ImportError:
        return None


def second_village() -> str:
    """Return a village in Kabupaten Lampung Barat (another province, another regency)."""
    from lms.regions.models import VILLAGE, Region

    return db.session.scalar(
        select(Region.code).where(Region.level == VILLAGE, Region.code.startswith("18.04.")).order_by(Region.code)
    )


def build_world(app) -> World:
    """Create the eight parties and every kind of record the installed packages offer."""
    from lms.accounts.operations import create_user
    from lms.regions.operations import ensure_office, get_region

    world = World()
    with app.app_context():
        demo.ensure_languages()
        world.village_y = second_village()
        office_p = ensure_office(demo.DEMO_OFFICE, list(demo.DEMO_OFFICE_REGENCIES))
        office_q = ensure_office(OFFICE_Q, [world.village_y.rsplit(".", 2)[0]])
        people = {
            "resident_a": {"name": "Siti ZQWARGAA", "phone": PHONES["resident_a"], "village_code": world.village_x},
            "resident_b": {"name": "Budi ZQWARGAB", "phone": PHONES["resident_b"], "village_code": world.village_y},
            "leader_x": {"name": "Kades Dempo", "username": "kades-x"},
            "leader_y": {"name": "Kades Lampung", "username": "kades-y"},
            "officer_p": {"name": "Petugas Muara Enim", "username": "petugas-p", "office_id": office_p.id},
            "officer_q": {"name": "Petugas Uji Q", "username": "petugas-q", "office_id": office_q.id},
            "admin": {"name": "Admin Uji", "username": "admin-uji"},
        }
        for party, fields in people.items():
            user = create_user(password=PASSWORD, role=ROLE_OF[party], consent_version="test", **fields)
            world.users[party] = user.id
        db.session.flush()
        from lms.accounts.models import User

        db.session.get(User, world.users["leader_x"]).led_villages = [get_region(world.village_x)]
        db.session.get(User, world.users["leader_y"]).led_villages = [get_region(world.village_y)]
        db.session.commit()
        world.records.append(
            Record("user", {"user_id": world.users["resident_a"]}, {"admin"}, {"admin"}),
        )
        world.records.append(Record("office", {"office_id": office_q.id}, {"admin"}, {"admin"}))
        _add_courses(world, office_p.id, office_q.id)
        db.session.commit()
    return world


def _add_courses(world: World, office_p: int, office_q: int) -> None:
    models = _module("lms.courses.models")
    if models is None or not has_table("courses"):
        world.missing.append("courses")
        return
    staff_of = {"p": {"officer_p", "admin"}, "q": {"officer_q", "admin"}}
    everyone = set(PARTIES)
    for owner, office_id in (("p", office_p), ("q", office_q)):
        marker = f"ZQDRAF{owner.upper()}"
        course, lesson, text_row, version = _course(models, f"draf-{owner}", office_id, False, marker)
        values = {
            "slug": course.slug,
            "lesson_slug": lesson.slug,
            "language": "id",
            "lesson_id": lesson.id,
            "version_id": version.id,
            "number": 1,
        }
        # Any officer may preview a draft in the reader; only its own office manages it.
        world.records.append(
            Record("draft course", values, {"officer_p", "officer_q", "admin"}, staff_of[owner], marker)
        )
        video = _video(world, lesson, f"ZQVIDEO{owner.upper()}")
        if video is not None:
            world.records.append(
                Record("draft video", {**values, "video_id": video, "name": "index.m3u8"},
                       {"officer_p", "officer_q", "admin"}, staff_of[owner], keys=frozenset({"video_id"}))
            )  # fmt: skip
    course, lesson, _, version = _course(models, "umum", None, True, None)
    public = {"slug": course.slug, "lesson_slug": lesson.slug, "language": "id", "lesson_id": lesson.id}
    world.records.append(Record("published course", public, everyone, {"officer_p", "officer_q", "admin"}))
    _add_attempts(world, course)
    _add_certificates(world, course)
    _add_outreach(world, course)
    _add_rosters(world)
    _add_export_job(world)
    _add_community(world, lesson)
    _add_feedback(world, course)


def _course(models, slug: str, office_id: int | None, is_published: bool, marker: str | None):
    title = f"Kursus {marker or slug}"
    course = models.Course(slug=slug, is_published=is_published, office_id=office_id, source_language="id")
    course.texts.append(models.CourseText(language="id", title=title, summary=f"Ringkasan {marker or ''}"))
    lesson = models.Lesson(slug=f"pelajaran-{slug}", position=1)
    course.lessons.append(lesson)
    text_row = models.LessonText(language="id", title=title, status="published")
    lesson.texts.append(text_row)
    db.session.add(course)
    db.session.flush()
    version = models.LessonVersion(
        text_id=text_row.id, title=title, body_markdown=f"Isi {marker}.", body_html=f"<p>Isi {marker}.</p>",
        status="published",
    )  # fmt: skip
    db.session.add(version)
    db.session.flush()
    text_row.published_version_id = version.id
    db.session.flush()
    return course, lesson, text_row, version


def _video(world: World, lesson, marker: str) -> int | None:
    models = _module("lms.media.models")
    if models is None or not has_table("videos"):
        world.missing.append("videos")
        return None
    video = models.Video(lesson_id=lesson.id, status=models.READY, original_filename=f"{marker}.mp4", duration_s=10)
    db.session.add(video)
    db.session.flush()
    return video.id


def _add_attempts(world: World, course) -> None:
    files = _module("lms.quizzes.files")
    operations = _module("lms.quizzes.operations")
    if files is None or operations is None or not has_table("quiz_attempts"):
        world.missing.append("quiz attempts")
        return
    from lms.quizzes.models import Quiz

    quiz = Quiz(course_id=course.id)
    db.session.add(quiz)
    db.session.flush()
    questions = [
        files.QuestionData(
            key=f"q{n}",
            type="single",
            lesson=None,
            texts={"id": f"Pertanyaan {n}?"},
            explanations={"id": "Penjelasan."},
            options=[
                files.OptionData(key=k, is_correct=k == "a", texts={"id": f"Pilihan {k}"}, feedback={"id": "Ya."})
                for k in ("a", "b", "c")
            ],
        )
        for n in (1, 2, 3)
    ]
    settings = {"pass_mark": 70, "questions_per_attempt": 3, "max_attempts": 0, "time_limit_minutes": 0}
    if hasattr(Quiz, "has_pretest"):
        settings["has_pretest"] = True
    files.apply_quiz(quiz, course, {**settings, "review": "always"}, questions)
    db.session.flush()
    for party in ("resident_a", "resident_b"):
        attempt = operations.start_attempt(quiz, world.users[party])
        db.session.flush()
        values = {"slug": course.slug, "attempt_id": attempt.id, "number": 1}
        world.records.append(Record("quiz attempt", values, {party}, set(), keys=frozenset({"attempt_id"})))
    world.records.append(
        Record("quiz question", {"slug": course.slug, "key": "q1", "number": 1}, set(PARTIES),
               {"officer_p", "officer_q", "admin"}, keys=frozenset({"key", "number"}))
    )  # fmt: skip


#: Who looks after each resident: the leader of their village and the officer of its office (and the admin).
CARERS = {"resident_a": {"leader_x", "officer_p", "admin"}, "resident_b": {"leader_y", "officer_q", "admin"}}


def _add_certificates(world: World, course) -> None:
    """A certificate per resident (holder, their leader and officer, admin) and a bulk print per village."""
    if _module("lms.certificates.printing") is None or not has_table("certificates"):
        world.missing.append("certificates")
        return
    from lms.accounts.models import User
    from lms.certificates.keys import ensure_signing_key
    from lms.certificates.operations import issue_certificate
    from lms.certificates.printing import run_bulk_print, start_bulk_print

    ensure_signing_key()  # in the folder of the app's configuration; empty_tables() removes it again
    for party, leader, village in (
        ("resident_a", "leader_x", world.village_x),
        ("resident_b", "leader_y", world.village_y),
    ):
        holder = db.session.get(User, world.users[party])
        certificate = issue_certificate(holder, course)
        db.session.flush()
        values = {"serial": certificate.serial, "token": certificate.token}
        world.records.append(
            Record("certificate", values, {party} | CARERS[party], CARERS[party] - {leader}, paths=("/sertifikat/",))
        )
        # Anyone may check a certificate: its serial and its token are meant to be shown.
        world.records.append(Record("certificate check", values, set(PARTIES), set(), paths=("/verify/", "/v/")))
        run = start_bulk_print(db.session.get(User, world.users[leader]), course, village, [holder.id])
        db.session.commit()
        if party == "resident_a":
            run_bulk_print(run.id)  # one finished PDF is enough to guard its download; the other stays queued
        world.records.append(
            Record("bulk print", {"print_id": run.id}, CARERS[party] - {party}, set(), paths=("/sertifikat/cetak/",))
        )


def _add_outreach(world: World, course) -> None:
    """A session running now in each village, with its QR check-in; and a forged check-in address."""
    operations = _module("lms.outreach.operations")
    if operations is None or not has_table("outreach_sessions"):
        world.missing.append("outreach sessions")
        return
    from datetime import timedelta

    from lms.accounts.models import User
    from lms.clock import utcnow

    now = utcnow()
    for officer, village, resident in (
        ("officer_p", world.village_x, "resident_a"),
        ("officer_q", world.village_y, "resident_b"),
    ):
        marker = f"ZQSESI{village[-1]}{officer[-1].upper()}"
        session = operations.schedule_session(
            db.session.get(User, world.users[officer]), village_code=village, course_id=course.id,
            topic=f"Penyuluhan {marker}", place="Balai desa", starts_dt=now - timedelta(hours=1),
            ends_dt=now + timedelta(hours=6),
        )  # fmt: skip
        db.session.flush()
        organisers = CARERS[resident] - {resident}
        world.records.append(
            Record("outreach session", {"session_id": session.id, "kind": "csv"}, organisers, organisers, marker,
                   keys=frozenset({"session_id"}), paths=("/penyuluhan/",))
        )  # fmt: skip
        # The signed code in the hall is for any resident who scans it, within the session's hours.
        token = operations.check_in_token(session)
        world.records.append(
            Record("outreach check-in", {"token": token}, {"resident_a", "resident_b"}, set(), paths=("/penyuluhan/",))
        )
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    world.records.append(Record("forged check-in", {"token": forged}, set(), set(), paths=("/penyuluhan/",)))


def _add_rosters(world: World) -> None:
    """A roster waiting for leader X's confirmation, and a villager leader X added (theirs alone)."""
    roster = _module("lms.progress.roster")
    enrolment = _module("lms.progress.enrolment")
    if roster is None or enrolment is None or not has_table("roster_imports"):
        world.missing.append("rosters")
        return
    from lms.accounts.models import User

    leader = db.session.get(User, world.users["leader_x"])
    csv = f"nama,telepon,kode_desa\nRahmat ZQROSTERX,,{world.village_x}\n".encode()
    record = roster.start_import(leader, csv, "warga.csv", None)
    world.records.append(
        Record("roster preview", {"token": record.token}, {"leader_x"}, set(), "ZQROSTERX", paths=("/desa/",))
    )
    card = enrolment.add_villager(leader, name="Wati Dibantu", phone=None, village_code=world.village_x, course_id=None)
    db.session.flush()
    world.records.append(Record("assisted villager", {"user_id": card.user_id}, {"leader_x"}, set(), paths=("/desa/",)))


def _add_export_job(world: World) -> None:
    """Officer P's finished export of their regency's participants: a job only its requester follows."""
    background = _module("lms.progress.background")
    if background is None or not has_table("file_jobs"):
        world.missing.append("export jobs")
        return
    from lms.accounts.models import User

    officer = db.session.get(User, world.users["officer_p"])
    job = background.start_region_export(officer, world.village_x.rsplit(".", 2)[0], "csv", None, "id")
    db.session.commit()
    background.run_file_job(job.id)
    world.records.append(Record("export job", {"job_id": job.id}, {"officer_p"}, set(), paths=("/pekerjaan/",)))


def _add_community(world: World, lesson) -> None:
    """Private questions to officers (one a leader asked for a villager), concerns, and an office's FAQ.

    Residents read only their own questions and concerns; officers only their area's; leaders never see a
    concern, and admins neither (concerns reach the covering office alone).
    """
    operations = _module("lms.community.operations")
    concerns = _module("lms.community.concerns")
    if operations is None or concerns is None or not has_table("resident_questions"):
        world.missing.append("community")
        return
    from lms.accounts.models import User
    from lms.community.models import JOB_OFFER

    for party, officer in (("resident_a", "officer_p"), ("resident_b", "officer_q")):
        letter = party[-1].upper()
        resident = db.session.get(User, world.users[party])
        question, _ = operations.ask_question(
            resident, body=f"Bagaimana ZQTANYA{letter}?", language="id", is_public=False,
            form_token=f"tanya-{party}", lesson_id=lesson.id,
        )  # fmt: skip
        concern, _ = concerns.report_concern(
            resident, kind=JOB_OFFER,
            body=f"Tawaran kerja ZQLAPOR{letter}", form_token=f"lapor-{party}",
        )  # fmt: skip
        db.session.flush()
        world.records.append(
            Record("private question", {"question_id": question.id}, {party}, {officer, "admin"},
                   f"ZQTANYA{letter}", paths=("/tanya/",))
        )  # fmt: skip
        world.records.append(
            Record("concern", {"concern_id": concern.id}, {party}, {officer}, f"ZQLAPOR{letter}", paths=("/lapor/",))
        )
    villager = next(r.values["user_id"] for r in world.records if r.kind == "assisted villager")
    leader = db.session.get(User, world.users["leader_x"])
    asked, _ = operations.ask_question(
        leader, body="Untuk warga ZQTANYAV?", language="id", is_public=False, form_token="tanya-kades",
        lesson_id=lesson.id, villager_id=villager,
    )  # fmt: skip
    officer = db.session.get(User, world.users["officer_p"])
    faq = operations.save_faq(officer, None, lesson_id=lesson.id, language="id", question="Apa?", answer="Ini.")
    db.session.flush()
    world.records.append(
        Record("question for a villager", {"question_id": asked.id}, {"leader_x"}, {"officer_p", "admin"},
               "ZQTANYAV", paths=("/tanya/",))
    )  # fmt: skip
    world.records.append(Record("office FAQ", {"faq_id": faq.id}, set(), {"officer_p", "admin"}, paths=("/tanya/",)))


def _add_feedback(world: World, course) -> None:
    """Each resident's written feedback: the officers of their area and the admin read it, without a name."""
    operations = _module("lms.evaluation.operations")
    if operations is None or not has_table("course_feedback"):
        world.missing.append("feedback")
        return
    from lms.accounts.models import User

    for party, officer in (("resident_a", "officer_p"), ("resident_b", "officer_q")):
        marker = f"ZQUMPAN{party[-1].upper()}"
        data = {"clarity": 4, "usefulness": 5, "hard_text": "", "wish_text": f"Lebih banyak video {marker}"}
        operations.save_course_feedback(db.session.get(User, world.users[party]), course, data, "id")
        # A record without an address: its marker is what list pages must show only to these parties.
        world.records.append(Record("feedback", {}, {party}, {officer, "admin"}, marker))


# --- Signing in, filling URLs, watching the database ------------------------------------------------


def sign_in(client, party: str) -> None:
    """Sign a test client in as a party of the world (anonymous stays signed out)."""
    if party == "anonymous":
        return
    identifier = {"resident_a": PHONES["resident_a"], "resident_b": PHONES["resident_b"]}.get(party)
    identifier = identifier or {"leader_x": "kades-x", "leader_y": "kades-y", "officer_p": "petugas-p",
                                "officer_q": "petugas-q", "admin": "admin-uji"}[party]  # fmt: skip
    response = client.post("/akun/masuk", data={"identifier": identifier, "password": PASSWORD})
    assert response.status_code == 302, f"{party} could not sign in: {response.status_code}"


RULE_VARIABLE = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def variables(rule: str) -> list[str]:
    """Return the names of a rule's variables."""
    return [match.group(2) for match in RULE_VARIABLE.finditer(rule)]


def fill(rule: str, values: dict) -> str | None:
    """Fill a rule's variables from a record's values; None when the record lacks one."""
    if any(name not in values for name in variables(rule)):
        return None
    return RULE_VARIABLE.sub(lambda m: str(values[m.group(2)]), rule)


def is_staff_route(allowed: frozenset) -> bool:
    """Tell whether only staff may use a route: it manages records rather than reads them."""
    return ANYONE not in allowed and set(allowed) <= set(STAFF)


def fingerprint() -> str:
    """Return a hash of every row the application may write (volatile columns left out)."""
    digest = hashlib.sha256()
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            if table.name in UNWATCHED_TABLES:
                continue
            columns = [c for c in table.columns if c.name not in VOLATILE_COLUMNS]
            primary = list(table.primary_key.columns) or columns[:1]
            rows = connection.execute(select(*columns).order_by(*primary)).all()
            digest.update(f"{table.name}:{rows!r}".encode())
    return digest.hexdigest()


def row_counts() -> tuple:
    """Return the number of rows in every watched table, in one query."""
    tables = [t.name for t in db.metadata.sorted_tables if t.name not in UNWATCHED_TABLES]
    query = "SELECT " + ", ".join(f'(SELECT count(*) FROM "{name}")' for name in tables)  # noqa: S608
    with db.engine.connect() as connection:
        return tuple(connection.execute(text(query)).one())


def empty_tables(app) -> None:
    """Empty every table but the regions, as the suite does after each test."""
    with app.app_context():
        db.session.remove()
        tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in UNWATCHED_TABLES]
        with db.engine.begin() as connection:
            if db.engine.dialect.name == "postgresql":
                names = ", ".join(f'"{t.name}"' for t in tables)
                connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    connection.execute(table.delete())
        limiter = app.extensions.get("limiter")
        for extension in limiter if isinstance(limiter, set) else [limiter] if limiter else []:
            extension.reset()
    # The world's signing key would make the next tests issue certificates.
    shutil.rmtree(app.config["CERTIFICATE_KEYS_DIR"], ignore_errors=True)
