"""Fixtures for the courses tests: the built-in courses, and a small course written in a temporary folder."""

from pathlib import Path

import pytest

from lms.courses.files import import_courses
from lms.extensions import db

COURSES_DIR = Path(__file__).resolve().parents[2] / "courses"


@pytest.fixture
def builtin_courses(app):
    """Import the built-in courses from courses/ (committed)."""
    with app.app_context():
        result = import_courses(COURSES_DIR)
        db.session.commit()
    return result


def import_test_course(app, folder: Path) -> None:
    """Write the small test course (write_course) in a folder and import it, committed."""
    write_course(folder)
    with app.app_context():
        import_courses(folder)
        db.session.commit()


def write_course(folder: Path, slug: str = "kursus-uji", lessons: dict | None = None, **meta) -> Path:
    """Write a small course folder: lessons maps a lesson slug to {language: (title, body)}."""
    lessons = lessons or {
        "pelajaran-satu": {"id": ("Pelajaran satu", "Isi **pertama**."), "en": ("Lesson one", "First **body**.")},
        "pelajaran-dua": {"id": ("Pelajaran dua", "Isi kedua.")},
    }
    course = folder / slug
    course.mkdir(parents=True, exist_ok=True)
    titles = meta.pop("titles", {"id": "Kursus Uji", "en": "Test Course"})
    lines = [f"slug: {slug}", "source_language: id", "position: 9", "estimated_minutes: 12", "title:"]
    lines += [f"  {language}: {title}" for language, title in titles.items()]
    lines += ["summary:", "  id: Ringkasan kursus uji.", "lessons:"]
    lines += [f"  - {lesson}" for lesson in lessons]
    (course / "course.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for lesson, texts in lessons.items():
        (course / "lessons" / lesson).mkdir(parents=True, exist_ok=True)
        for language, (title, body) in texts.items():
            text = f"---\ntitle: {title}\nminutes: 3\n---\n{body}\n"
            (course / "lessons" / lesson / f"{language}.md").write_text(text, encoding="utf-8")
    return course
