"""A synthetic population for load and scale tests: `flask demo synth --villages N --residents M`.

Villages are drawn across the regencies the demo office covers (neighbouring regencies of South
Sumatra are added to its area when more villages are asked for than it has). Each village gets a
leader, residents, enrolments, lesson progress, quiz attempts with answers (each question with its
own difficulty, so pass rates are realistic), completions by the courses' rules, and an outreach
session with attendance. Rows go in with bulk inserts in batches; nothing is issued one by one, and
no certificate is made (that is the certificates' own load test).
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import JSON, func, insert, or_, select

from lms.access import LEADER, RESIDENT
from lms.accounts.models import User, leader_villages
from lms.accounts.operations import hash_password
from lms.clock import utcnow
from lms.courses.models import Course, Lesson
from lms.extensions import db
from lms.outreach.models import QR, ROSTER, Attendance, OutreachSession
from lms.progress.completion import readable_lessons_condition
from lms.progress.models import LEADER as VIA_LEADER
from lms.progress.models import SELF, CourseCompletion, Enrolment, LessonProgress
from lms.regions.models import VILLAGE, Region
from lms.regions.operations import ensure_office

#: Regencies next to the demo office's area, added to it (in this order) when more villages are wanted.
NEIGHBOURING_REGENCIES = ("16.04", "16.12", "16.13", "16.74", "16.09", "16.06", "16.02", "16.07", "16.08")
FIRST_NAMES = (
    "Siti Agus Budi Dewi Eko Fitri Gita Hadi Indah Joko Kartini Lestari Made Nur Putri Rahmat Sri Tri Wahyu Yanti "
    "Ahmad Aminah Bambang Citra Dian Endang Fajar Hasan Iwan Kurnia Lina Maya Nining Rina Sari Teguh Umar Wati Yusuf"
).split()
LAST_NAMES = (
    "Santoso Wijaya Hidayat Lestari Pratama Saputra Kusuma Rahayu Susanti Nugroho Setiawan Wulandari Siregar Harahap "
    "Nasution Lubis Simanjuntak Putra Permata Utami Handayani Maharani Gunawan Firmansyah Kurniawan"
).split()
#: Share of residents enrolled in the course at each catalogue position (the first course is the popular one).
ENROL_SHARE = (0.7, 0.35, 0.25, 0.2, 0.15)
BATCH = 5000


@dataclass
class QuizShape:
    """What synthesising attempts needs to know about a course's quiz."""

    id: int
    pass_mark: int
    per_attempt: int
    max_attempts: int
    #: (question id, option keys, correct keys, chance a resident gets it right)
    questions: list[tuple[int, list[str], set[str], float]]


@dataclass
class CourseShape:
    id: int
    lesson_ids: list[int]
    lessons_needed: int
    needs_quiz: bool
    needs_attendance: bool
    quiz: QuizShape | None


@dataclass
class SynthResult:
    """What was made, and how long it took."""

    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    added_regencies: list[str] = field(default_factory=list)
    village_codes: list[str] = field(default_factory=list)


class Inserter:
    """Collect rows per table and insert them in batches; attempts first, so their answers know their ids."""

    def __init__(self, counts: dict[str, int]) -> None:
        self.pending: dict[str, list[dict]] = {}
        self.tables: dict[str, object] = {}
        self.counts = counts
        #: Attempts waiting for their ids, each with its answers.
        self.attempts: list[tuple[dict, list[dict]]] = []

    def add_attempt(self, attempt: dict, answers: list[dict]) -> None:
        self.attempts.append((attempt, answers))
        if len(self.attempts) >= BATCH // 4:
            self.flush_attempts()

    def flush_attempts(self) -> None:
        from lms.quizzes.models import Answer, Attempt

        if not self.attempts:
            return
        table = Attempt.__table__
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        ids = db.session.scalars(statement, [attempt for attempt, _ in self.attempts]).all()
        self.counts[table.name] = self.counts.get(table.name, 0) + len(ids)
        waiting, self.attempts = self.attempts, []
        for attempt_id, (_, answers) in zip(ids, waiting, strict=True):
            for answer in answers:
                self.add(Answer.__table__, {**answer, "attempt_id": attempt_id})

    def add(self, table, row: dict) -> None:
        rows = self.pending.setdefault(table.name, [])
        self.tables[table.name] = table
        rows.append(row)
        if len(rows) >= BATCH:
            self.flush(table.name)

    def flush(self, name: str | None = None) -> None:
        if name is None:
            self.flush_attempts()
        for key in [name] if name else list(self.pending):
            rows = self.pending.get(key)
            if rows:
                if db.engine.dialect.name == "postgresql":
                    _copy(self.tables[key], rows)
                else:
                    db.session.execute(insert(self.tables[key]), rows)
                self.counts[key] = self.counts.get(key, 0) + len(rows)
                self.pending[key] = []


def _copy(table, rows: list[dict]) -> None:
    """Insert rows with PostgreSQL's COPY, in the session's transaction (several times faster than INSERT)."""
    columns = list(rows[0])
    json_columns = {column.name for column in table.columns if isinstance(column.type, JSON)}
    connection = db.session.connection().connection.driver_connection
    names = ", ".join(columns)
    with connection.cursor() as cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([json.dumps(row[c]) if c in json_columns else row[c] for c in columns])


def _course_shapes(rng: random.Random) -> list[CourseShape]:
    from lms.quizzes.models import Option, Question, Quiz

    courses = list(db.session.scalars(select(Course).where(Course.is_published).order_by(Course.position, Course.id)))
    shapes = []
    for course in courses:
        lessons = list(
            db.session.scalars(
                select(Lesson.id)
                .where(Lesson.course_id == course.id, readable_lessons_condition())
                .order_by(Lesson.position)
            )
        )
        quiz = db.session.scalar(select(Quiz).where(Quiz.course_id == course.id))
        quiz_shape = None
        if quiz is not None:
            options: dict[int, list[tuple[str, bool]]] = {}
            for question_id, key, is_correct in db.session.execute(
                select(Option.question_id, Option.key, Option.is_correct)
                .join(Question, Question.id == Option.question_id)
                .where(Question.quiz_id == quiz.id, ~Question.is_retired)
                .order_by(Option.question_id, Option.position)
            ):
                options.setdefault(question_id, []).append((key, is_correct))
            questions = [
                (qid, [key for key, _ in opts], {key for key, ok in opts if ok}, rng.uniform(0.45, 0.93))
                for qid, opts in options.items()
                if any(ok for _, ok in opts)
            ]
            if questions:
                per_attempt = quiz.questions_per_attempt or len(questions)
                quiz_shape = QuizShape(
                    quiz.id, quiz.pass_mark, min(per_attempt, len(questions)), quiz.max_attempts, questions
                )
        needed = len(lessons) if course.lessons_to_read is None else min(course.lessons_to_read, len(lessons))
        shapes.append(
            CourseShape(
                course.id, lessons, needed, course.is_quiz_required and quiz_shape is not None,
                course.is_attendance_required, quiz_shape,
            )
        )  # fmt: skip
    return shapes


def _choose_villages(count: int, rng: random.Random) -> tuple[list[str], list[str]]:
    """Pick villages across the demo office's regencies, widening its area when it has too few."""
    from lms.demo import DEMO_OFFICE, DEMO_OFFICE_REGENCIES

    office = ensure_office(DEMO_OFFICE, list(DEMO_OFFICE_REGENCIES))
    added = []

    def villages_of(codes: list[str]) -> list[str]:
        conditions = [Region.code.startswith(code + ".") for code in codes]
        return list(db.session.scalars(select(Region.code).where(Region.level == VILLAGE, or_(*conditions))))

    covered = [region.code for region in office.regions]
    available = villages_of(covered)
    for regency in NEIGHBOURING_REGENCIES:
        if len(available) >= count:
            break
        if regency not in covered:
            office = ensure_office(DEMO_OFFICE, [regency])
            covered.append(regency)
            added.append(regency)
            available = villages_of(covered)
    if len(available) < count:
        raise click.ClickException(f"Only {len(available)} villages are available; ask for fewer.")
    by_regency: dict[str, list[str]] = {}
    for code in sorted(available):
        by_regency.setdefault(code[:5], []).append(code)
    for codes in by_regency.values():
        rng.shuffle(codes)
    chosen: list[str] = []
    while len(chosen) < count:  # round robin over regencies, so every regency gets its share
        for codes in by_regency.values():
            if codes and len(chosen) < count:
                chosen.append(codes.pop())
    return sorted(chosen), added


def synthesize(
    villages: int, residents: int, seed: int = 1, now: datetime | None = None, village_codes: list[str] | None = None
) -> SynthResult:
    """Generate a synthetic population in the current transaction (in given villages, or drawn); the caller commits."""
    started = time.monotonic()
    rng = random.Random(seed)
    now = now or utcnow()
    prefix = f"sx{seed}v"
    if db.session.scalar(select(func.count()).select_from(User).where(User.username.startswith(prefix))):
        raise click.ClickException(f"A population with seed {seed} exists already; use another --seed.")
    shapes = _course_shapes(rng)
    if not shapes:
        raise click.ClickException("No published course: run `flask setup` first.")
    codes, added = (sorted(village_codes), []) if village_codes else _choose_villages(villages, rng)
    villages = len(codes)
    result = SynthResult(added_regencies=added, village_codes=codes)
    rows = Inserter(result.counts)
    password = hash_password(current_app.config["DEMO_PASSWORD"])
    users = User.__table__

    # People: a leader per village and the residents, inserted first so their ids can be read back.
    people = []
    for index, code in enumerate(codes):
        people.append(
            {"username": f"{prefix}{index:04d}k", "name": f"Kepala {rng.choice(FIRST_NAMES)} {index}", "role": LEADER}
        )
        share = residents // villages + (1 if index < residents % villages else 0)
        for number in range(share):
            people.append(
                {
                    "username": f"{prefix}{index:04d}r{number:04d}",
                    "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                    "role": RESIDENT,
                    "village_code": code,
                    "is_assisted": rng.random() < 0.15,
                }
            )
    for person in people:
        joined = now - timedelta(days=rng.uniform(1, 150))
        rows.add(
            users,
            {
                "village_code": None,
                "is_assisted": False,
                **person,
                "phone": None,
                "password_hash": password,
                "language": "id",
                "consent_version": current_app.config["CONSENT_VERSION"],
                "consent_dt": joined,
                "is_disabled": False,
                "is_deleted": False,
                "created_dt": joined,
            },
        )
    rows.flush()
    ids = dict(db.session.execute(select(User.username, User.id).where(User.username.startswith(prefix))).all())
    leaders = [ids[f"{prefix}{index:04d}k"] for index in range(len(codes))]
    for leader_id, code in zip(leaders, codes, strict=True):
        rows.add(leader_villages, {"user_id": leader_id, "region_code": code})
    rows.flush()

    # Outreach sessions first, so attendance can count toward completion.
    sessions = {}
    for index, code in enumerate(codes):
        day = now - timedelta(days=rng.randint(3, 60))
        course = rng.choice(shapes)
        rows.add(
            OutreachSession.__table__,
            {
                "village_code": code,
                "course_id": course.id,
                "topic": "Penyuluhan keimigrasian",
                "place": "Balai desa",
                "starts_dt": day,
                "ends_dt": day + timedelta(hours=2),
                "office_id": None,
                "created_by_id": ids[f"{prefix}{index:04d}k"],
                "created_dt": day - timedelta(days=7),
            },
        )
    rows.flush()
    for session_id, code, course_id, starts in db.session.execute(
        select(
            OutreachSession.id, OutreachSession.village_code, OutreachSession.course_id, OutreachSession.starts_dt
        ).where(OutreachSession.village_code.in_(codes), OutreachSession.created_by_id.in_(leaders))
    ):
        sessions[code] = (session_id, course_id, starts)

    for person in people:
        if person["role"] != RESIDENT:
            continue
        _learn(rng, rows, ids[person["username"]], person["village_code"], shapes, sessions, now)
    rows.flush()
    result.seconds = time.monotonic() - started
    return result


def _learn(rng, rows: Inserter, user_id: int, village: str, shapes: list[CourseShape], sessions, now) -> None:
    """Make one resident's learning: enrolments, lessons read, quiz attempts, attendance, completions."""
    session_id, session_course, session_start = sessions[village]
    attended = rng.random() < 0.25
    if attended:
        method = QR if rng.random() < 0.4 else ROSTER
        rows.add(
            Attendance.__table__,
            {
                "session_id": session_id,
                "user_id": user_id,
                "checked_in_dt": session_start + timedelta(minutes=rng.randint(0, 90)),
                "method": method,
                "marked_by_id": None,
            },
        )
    for position, shape in enumerate(shapes):
        share = ENROL_SHARE[min(position, len(ENROL_SHARE) - 1)]
        if not (rng.random() < share or (attended and shape.id == session_course)):
            continue
        enrolled = now - timedelta(days=rng.uniform(0, 110))
        via = VIA_LEADER if rng.random() < 0.2 else SELF
        rows.add(
            Enrolment.__table__,
            {"user_id": user_id, "course_id": shape.id, "enrolled_dt": enrolled, "via": via, "enrolled_by_id": None},
        )
        if rng.random() > 0.85 or not shape.lesson_ids:
            continue  # enrolled, never started
        total = len(shape.lesson_ids)
        read = total if rng.random() < 0.55 else rng.randint(1, max(total - 1, 1))
        moment = enrolled
        for lesson_id in shape.lesson_ids[:read]:
            moment = min(moment + timedelta(hours=rng.uniform(0.2, 72)), now)
            rows.add(
                LessonProgress.__table__,
                {
                    "user_id": user_id,
                    "lesson_id": lesson_id,
                    "read_dt": moment,
                    "video_position_s": 0.0,
                    "video_furthest_s": 0.0,
                    "updated_dt": moment,
                },
            )
        passed = False
        if shape.quiz is not None and read >= shape.lessons_needed and rng.random() < 0.8:
            passed, moment = _attempts(rng, rows, user_id, shape.quiz, moment, now)
        complete = read >= shape.lessons_needed and (passed or not shape.needs_quiz)
        complete = complete and (not shape.needs_attendance or (attended and shape.id == session_course))
        if complete:
            rows.add(
                CourseCompletion.__table__,
                {"user_id": user_id, "course_id": shape.id, "completed_dt": moment},
            )


def _attempts(rng, rows: Inserter, user_id: int, quiz: QuizShape, moment, now) -> tuple[bool, datetime]:
    """Make a resident's attempts until one passes or none are left; answers follow each question's difficulty."""
    skill = rng.uniform(-0.15, 0.15)
    limit = quiz.max_attempts or 3
    for number in range(1, limit + 1):
        drawn = rng.sample(quiz.questions, quiz.per_attempt)
        answers = []
        score = 0
        for question_id, keys, correct, chance in drawn:
            order = keys[:]
            rng.shuffle(order)
            right = rng.random() < chance + skill
            wrong = [key for key in keys if key not in correct]
            selected = sorted(correct) if right or not wrong else [rng.choice(wrong)]
            score += right
            answers.append((question_id, order, selected, 1.0 if right else 0.0))
        started = min(moment + timedelta(hours=rng.uniform(0.1, 48)), now)
        finished = started + timedelta(minutes=rng.uniform(2, 15))
        passed = score * 100 >= quiz.pass_mark * len(drawn)
        rows.add_attempt(
            {
                "quiz_id": quiz.id,
                "user_id": user_id,
                "number": number,
                "started_dt": started,
                "deadline_dt": None,
                "finished_dt": finished,
                "is_expired": False,
                "score": float(score),
                "max_score": len(drawn),
                "is_passed": passed,
                "submit_token": None,
            },
            [
                {
                    "position": position,
                    "question_id": question_id,
                    "option_order": order,
                    "selected": selected,
                    "sequence": 1,
                    "saved_dt": finished,
                    "points": points,
                }
                for position, (question_id, order, selected, points) in enumerate(answers, start=1)
            ],
        )
        moment = finished
        if passed:
            return True, moment
    return False, moment


def refresh_statistics() -> None:
    """Let the database planner know the tables' new sizes (bulk copies leave its statistics stale for a while)."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("ANALYZE")


@click.command("synth")
@click.option("--villages", type=click.IntRange(min=1), default=20, help="Villages to populate.")
@click.option(
    "--residents", type=click.IntRange(min=0), default=2000, help="Residents in all, spread over the villages."
)
@click.option("--seed", type=int, default=1, help="Random seed; one population per seed.")
@click.option(
    "--village",
    "village_codes",
    multiple=True,
    help="Populate this village (repeatable) instead of drawing villages, e.g. the demo village 16.72.01.1018.",
)
@with_appcontext
def synth_command(villages: int, residents: int, seed: int, village_codes: tuple[str, ...]) -> None:
    """Generate a synthetic population of villages, leaders and learning residents (for load and scale tests)."""
    if village_codes:
        statement = select(Region.code).where(Region.code.in_(village_codes), Region.level == VILLAGE)
        known = set(db.session.scalars(statement))
        unknown = sorted(set(village_codes) - known)
        if unknown:
            raise click.BadParameter(f"no village has the code {', '.join(unknown)}", param_hint="--village")
    result = synthesize(villages, residents, seed, village_codes=list(village_codes) or None)
    db.session.commit()
    refresh_statistics()
    for name, count in sorted(result.counts.items()):
        click.echo(f"{name}: {count}")
    if result.added_regencies:
        click.echo(f"Regencies added to the demo office's area: {', '.join(result.added_regencies)}")
    click.echo(f"Done in {result.seconds:.1f} s.")
