"""The courses/ folder format: importing is idempotent and all-or-nothing, exporting reads back the same."""

import shutil

import pytest
from sqlalchemy import func, select

from lms.courses.files import COURSE_FILES, CourseFileError, export_course, import_courses, register_course_file
from lms.courses.models import Course, CourseText, Lesson, LessonText, LessonVersion
from lms.extensions import db
from lms.progress.models import LessonProgress
from lms.progress.operations import record_lesson_read
from tests.courses.conftest import COURSES_DIR, write_course


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _snapshot() -> dict:
    """Everything an import could change, as plain values."""
    return {
        "courses": sorted(
            (c.slug, c.position, c.estimated_minutes, c.lessons_to_read, c.video_share, c.is_quiz_required,
             c.is_published, c.updated_dt)
            for c in db.session.scalars(select(Course))
        ),
        "course_texts": sorted(
            (t.course_id, t.language, t.title, t.summary, t.source_hash, t.updated_dt)
            for t in db.session.scalars(select(CourseText))
        ),
        "lessons": sorted(
            (lesson.course_id, lesson.slug, lesson.position, lesson.minutes, lesson.is_archived)
            for lesson in db.session.scalars(select(Lesson))
        ),
        "texts": sorted(
            (t.lesson_id, t.language, t.title, t.published_version_id, t.status, t.updated_dt)
            for t in db.session.scalars(select(LessonText))
        ),
        "versions": _count(LessonVersion),
    }  # fmt: skip


def test_builtin_courses_import_published(app_context):
    result = import_courses(COURSES_DIR)
    db.session.commit()
    assert result.courses_created == 4 and result.versions_created > 40
    paspor = db.session.scalar(select(Course).where(Course.slug == "paspor"))
    assert paspor.is_published and paspor.office_id is None
    assert [lesson.slug for lesson in paspor.lessons][:2] == ["siapa-perlu-paspor", "dokumen-persyaratan"]
    assert paspor.text("jv").title == "Paspor lan Aplikasi M-Paspor"
    assert paspor.completion == {"lessons_read": "all", "video_share": 0.9, "quiz_passed": True, "attendance": False}
    text = paspor.lessons[0].text("id")
    assert text.published_version.body_html.startswith("<p>") and "<h2>Sumber</h2>" in text.published_version.body_html


def test_importing_twice_changes_nothing(app_context):
    import_courses(COURSES_DIR)
    db.session.commit()
    before = _snapshot()
    result = import_courses(COURSES_DIR)
    db.session.commit()
    assert not result.changed
    assert _snapshot() == before


def test_export_then_import_is_a_no_op(app_context, tmp_path):
    import_courses(COURSES_DIR)
    db.session.commit()
    before = _snapshot()
    for slug in ("paspor", "hak-dan-kewajiban", "bekerja-di-luar-negeri", "orang-asing-di-desa"):
        export_course(slug, tmp_path)
    result = import_courses(tmp_path)
    db.session.commit()
    assert not result.changed and _snapshot() == before
    exported = (tmp_path / "paspor" / "course.yml").read_text(encoding="utf-8")
    assert "Paspor lan Aplikasi M-Paspor" in exported  # unicode kept as written, not escaped
    assert exported.index("slug:") < exported.index("title:") < exported.index("lessons:")


def test_export_writes_what_the_files_said(app_context, tmp_path):
    import_courses(COURSES_DIR)
    export_course("paspor", tmp_path)
    from lms.courses.files import read_course_folder

    original, exported = read_course_folder(COURSES_DIR / "paspor"), read_course_folder(tmp_path / "paspor")
    assert exported.content_hash == original.content_hash
    assert [(slug, [(f.language, f.title, f.body, f.minutes) for f in files]) for slug, files in exported.lessons] == [
        (slug, [(f.language, f.title, f.body, f.minutes) for f in files]) for slug, files in original.lessons
    ]


def test_an_edited_course_updates_and_keeps_progress(app_context, tmp_path, resident):
    from lms.accounts.models import User

    folder = write_course(tmp_path)
    import_courses(tmp_path)
    db.session.commit()
    course = db.session.scalar(select(Course).where(Course.slug == "kursus-uji"))
    first = course.lessons[0]
    record_lesson_read(db.session.get(User, resident), first)
    db.session.commit()
    old_version = first.text("id").published_version_id
    english_version = first.text("en").published_version_id

    body = folder / "lessons" / "pelajaran-satu" / "id.md"
    body.write_text(body.read_text(encoding="utf-8").replace("pertama", "pertama yang diperbarui"), encoding="utf-8")
    result = import_courses(tmp_path)
    db.session.commit()

    assert result.versions_created == 1
    text = first.text("id")
    assert text.published_version_id != old_version and "diperbarui" in text.published_version.body_html
    assert len(text.versions) == 2  # the old version is kept
    assert first.text("en").published_version_id == english_version
    assert first.text("en").needs_update(text)  # the source changed after the translation
    progress = db.session.scalar(select(LessonProgress))
    assert progress.lesson_id == first.id and progress.read_dt is not None


def test_a_lesson_taken_out_of_the_list_is_hidden_but_keeps_progress(app_context, tmp_path, resident):
    from lms.accounts.models import User

    folder = write_course(tmp_path)
    import_courses(tmp_path)
    course = db.session.scalar(select(Course).where(Course.slug == "kursus-uji"))
    record_lesson_read(db.session.get(User, resident), course.lessons[1])
    db.session.commit()
    yml = folder / "course.yml"
    yml.write_text(yml.read_text(encoding="utf-8").replace("  - pelajaran-dua\n", ""), encoding="utf-8")
    import_courses(tmp_path)
    db.session.commit()
    assert [lesson.slug for lesson in course.current_lessons] == ["pelajaran-satu"]
    assert _count(LessonProgress) == 1


def test_an_unchanged_file_leaves_web_edits_alone(app_context, tmp_path):
    write_course(tmp_path)
    import_courses(tmp_path)
    course = db.session.scalar(select(Course).where(Course.slug == "kursus-uji"))
    course.position = 3
    course.text("id").title = "Judul dari petugas"
    db.session.commit()
    import_courses(tmp_path)
    assert course.position == 3 and course.text("id").title == "Judul dari petugas"


@pytest.mark.parametrize(
    ("change", "where", "words"),
    [
        (lambda c: (c / "course.yml").write_text("slug: kursus-uji\ntitle: [unclosed\n"), "course.yml:", ["YAML"]),
        (
            lambda c: (c / "course.yml").write_text("slug: kursus-uji\ntitle:\n  id: Judul\n"),
            "course.yml:1",
            ["missing key 'lessons'"],
        ),
        (
            lambda c: (c / "lessons" / "pelajaran-dua" / "id.md").write_text("---\nminutes: 3\n---\nIsi\n"),
            "pelajaran-dua/id.md:2",
            ["missing key 'title'"],
        ),
        (
            lambda c: (c / "lessons" / "pelajaran-dua" / "id.md").write_text("---\ntitle: Judul\nminutes: lima\n---\n"),
            "pelajaran-dua/id.md:3",
            ["'minutes'"],
        ),
        (lambda c: shutil.rmtree(c / "lessons" / "pelajaran-dua"), "pelajaran-dua/id.md", ["source language"]),
    ],
    ids=["yaml-syntax", "missing-lessons", "missing-title", "bad-minutes", "missing-lesson"],
)
def test_a_broken_file_names_file_and_line_and_changes_nothing(app_context, tmp_path, change, where, words):
    write_course(tmp_path / "good", slug="kursus-baik")
    import_courses(tmp_path / "good")
    db.session.commit()
    shutil.copytree(tmp_path / "good" / "kursus-baik", tmp_path / "all" / "kursus-baik")
    (tmp_path / "all" / "kursus-baik" / "course.yml").write_text(
        (tmp_path / "all" / "kursus-baik" / "course.yml").read_text().replace("Kursus Uji", "Kursus Baru")
    )
    broken = write_course(tmp_path / "all")
    change(broken)
    before = _snapshot()
    with pytest.raises(CourseFileError) as raised:
        import_courses(tmp_path / "all")
    db.session.rollback()
    message = str(raised.value)
    assert where in message, message
    assert all(word in message for word in words), message
    assert _snapshot() == before  # the good course in the same folder was not touched either


def test_yaml_syntax_error_carries_the_line(tmp_path):
    course = write_course(tmp_path)
    (course / "course.yml").write_text("slug: kursus-uji\nposition: 1\ntitle:\n  id: [Judul\nlessons: []\n")
    from lms.courses.files import read_course_folder

    with pytest.raises(CourseFileError) as raised:
        read_course_folder(course)
    assert raised.value.line in (4, 5) and raised.value.path.endswith("course.yml")


def test_a_failing_registered_file_rolls_everything_back(app_context, tmp_path):
    course = write_course(tmp_path)
    (course / "extra.yml").write_text("questions: 3\n")
    seen = []

    def load(course, data, path):
        seen.append((course.slug, data["questions"], path.name))
        raise CourseFileError(path, "questions must be a list", data.line_of("questions"))

    register_course_file("extra.yml", load, lambda course: None)
    try:
        with pytest.raises(CourseFileError, match="extra.yml:1"):
            import_courses(tmp_path)
        db.session.rollback()
    finally:
        COURSE_FILES.pop("extra.yml")
    assert seen == [("kursus-uji", 3, "extra.yml")]
    assert _count(Course) == 0


def test_registered_file_is_loaded_and_dumped(app_context, tmp_path):
    course_dir = write_course(tmp_path / "in")
    (course_dir / "extra.yml").write_text("note: Catatan ñ\n")
    notes = {}
    register_course_file(
        "extra.yml",
        lambda course, data, path: notes.update({course.slug: data["note"]}),
        lambda course: {"note": notes.get(course.slug)},
    )
    try:
        import_courses(tmp_path / "in")
        export_course("kursus-uji", tmp_path / "out")
    finally:
        COURSE_FILES.pop("extra.yml")
    assert notes == {"kursus-uji": "Catatan ñ"}
    assert (tmp_path / "out" / "kursus-uji" / "extra.yml").read_text(encoding="utf-8") == "note: Catatan ñ\n"


def test_cli_import_and_export(app, tmp_path):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["courses", "import", str(COURSES_DIR)])
    assert first.exit_code == 0 and "4 new" in first.output
    again = runner.invoke(args=["courses", "import", str(COURSES_DIR)])
    assert again.exit_code == 0 and "nothing changed" in again.output
    exported = runner.invoke(args=["courses", "export", "paspor", str(tmp_path)])
    assert exported.exit_code == 0 and (tmp_path / "paspor" / "lessons" / "biaya-paspor" / "jv.md").exists()
    back = runner.invoke(args=["courses", "import", str(tmp_path)])
    assert back.exit_code == 0 and "nothing changed" in back.output
    missing = runner.invoke(args=["courses", "export", "tidak-ada", str(tmp_path)])
    assert missing.exit_code != 0 and "tidak-ada" in missing.output


def test_cli_import_error_names_file_and_line(app, tmp_path):
    course = write_course(tmp_path)
    (course / "course.yml").write_text("slug: kursus-uji\ntitle:\n  id: Judul\n  en: [\n")
    result = app.test_cli_runner().invoke(args=["courses", "import", str(tmp_path)])
    assert result.exit_code != 0
    assert "course.yml:" in result.output and "Nothing was imported" in result.output


def test_setup_step_loads_the_builtin_courses(app):
    from lms import demo
    from lms.courses.commands import import_builtin_courses

    assert import_builtin_courses in demo.SETUP_STEPS
    with app.app_context():
        import_builtin_courses()
        db.session.commit()
        assert _count(Course) == 4


def test_yaml_cannot_build_python_objects(tmp_path):
    from lms.courses.files import read_course_folder

    course = write_course(tmp_path)
    (course / "lessons" / "pelajaran-dua" / "id.md").write_text(
        '---\ntitle: !!python/object/apply:os.system ["touch /tmp/dibobol"]\n---\nIsi\n'
    )
    with pytest.raises(CourseFileError) as raised:
        read_course_folder(course)
    assert raised.value.line == 2 and "pelajaran-dua/id.md" in raised.value.path
