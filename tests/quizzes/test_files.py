"""quiz.yml goes through the course folders' import and export: a round trip changes nothing, residents lose nothing."""

import shutil
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from lms.courses.files import CourseFileError, export_course, import_courses
from lms.extensions import db
from lms.quizzes import files, operations
from lms.quizzes.models import Answer, Attempt, Option, OptionText, Question, QuestionText, Quiz

COURSES = Path(__file__).resolve().parents[2] / "courses"


def snapshot() -> dict:
    """Return every quiz row as plain tuples, to compare the database before and after."""
    tables = {
        "quizzes": select(Quiz.id, Quiz.pass_mark, Quiz.questions_per_attempt, Quiz.max_attempts, Quiz.review),
        "questions": select(Question.id, Question.key, Question.type, Question.lesson_id, Question.is_retired),
        "question_texts": select(
            QuestionText.id,
            QuestionText.language,
            QuestionText.text,
            QuestionText.explanation,
            QuestionText.source_hash,
        ),
        "options": select(Option.id, Option.key, Option.is_correct, Option.position),
        "option_texts": select(OptionText.id, OptionText.language, OptionText.text, OptionText.feedback),
    }
    return {name: sorted(db.session.execute(statement).all()) for name, statement in tables.items()}


@pytest.fixture
def course_folder(tmp_path) -> Path:
    """A copy of the passport course to edit."""
    target = tmp_path / "paspor"
    shutil.copytree(COURSES / "paspor", target)
    return target


def test_the_built_in_quizzes_import_with_every_language(app_context):
    import_courses(COURSES)
    quizzes = db.session.scalars(select(Quiz)).all()
    assert len(quizzes) == 4
    question = db.session.scalar(select(Question).where(Question.key == "q01").join(Quiz).limit(1))
    assert question.texts and all(option.texts for option in question.options)
    paspor = operations.find_quiz("paspor")
    assert {text.language for text in paspor.questions[0].texts} == {"id", "en", "jv", "su"}
    assert paspor.questions[0].lesson.slug == "siapa-perlu-paspor"


def test_export_then_import_is_a_no_op_and_importing_twice_changes_nothing(app_context, tmp_path):
    import_courses(COURSES)
    db.session.commit()
    before = snapshot()
    for slug in ("paspor", "bekerja-di-luar-negeri", "hak-dan-kewajiban", "orang-asing-di-desa"):
        folder = export_course(slug, tmp_path)
        original = yaml.safe_load((COURSES / slug / "quiz.yml").read_text())
        assert yaml.safe_load((folder / "quiz.yml").read_text()) == original
    import_courses(COURSES)
    assert snapshot() == before
    import_courses(tmp_path)
    assert snapshot() == before


def test_an_edited_file_updates_the_pool_but_never_removes_residents_answers(app_context, course_folder, resident):
    import_courses(course_folder)
    quiz = operations.find_quiz("paspor")
    attempt = operations.start_attempt(quiz, resident, seed=7)
    drawn = [answer.question_id for answer in attempt.answers]
    db.session.commit()
    data = yaml.safe_load((course_folder / "quiz.yml").read_text())
    removed = db.session.get(Question, drawn[0]).key
    data["questions"] = [q for q in data["questions"] if q["key"] != removed]
    data["questions"][0]["text"]["id"] = "Pertanyaan yang diubah?"
    data["pass_mark"] = 80
    (course_folder / "quiz.yml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    import_courses(course_folder)
    db.session.commit()
    retired = db.session.get(Question, drawn[0])
    assert retired.is_retired and retired.texts  # kept, with its texts, for the attempt that drew it
    assert db.session.scalar(select(Answer).where(Answer.attempt_id == attempt.id, Answer.position == 1))
    assert quiz.pass_mark == 80
    first_key = data["questions"][0]["key"]
    changed = db.session.scalar(select(Question).where(Question.quiz_id == quiz.id, Question.key == first_key))
    assert changed.text("id").text == "Pertanyaan yang diubah?"
    # The translations were written from the old source text: they are flagged, the source is not.
    from lms.quizzes.editing import needs_update

    assert needs_update(changed, "en", "id") and not needs_update(changed, "id", "id")
    assert removed not in {q.key for q in operations.usable_questions(quiz)}
    # Putting the question back in the file puts it back in the pool.
    (course_folder / "quiz.yml").write_text((COURSES / "paspor" / "quiz.yml").read_text())
    import_courses(course_folder)
    assert not db.session.get(Question, drawn[0]).is_retired
    assert db.session.get(Attempt, attempt.id).answers


def test_an_unchanged_file_keeps_the_officers_web_edits(app_context):
    import_courses(COURSES)
    quiz = operations.find_quiz("paspor")
    quiz.pass_mark = 90
    db.session.commit()
    import_courses(COURSES)
    assert quiz.pass_mark == 90


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(pass_mark=150), "'pass_mark' must be a whole number from 0 to 100"),
        (lambda d: d.update(review="sometimes"), "'review' must be one of"),
        (lambda d: d["questions"][0].update(type="essay"), "'type' must be one of"),
        (lambda d: d["questions"][1].update(key="q01"), "question 'q01' appears twice"),
        (lambda d: d["questions"][0].update(lesson="tidak-ada"), "no lesson 'tidak-ada'"),
        (lambda d: d["questions"][0]["options"][1].update(correct=True), "Exactly one option must be correct"),
        (lambda d: d["questions"][0]["text"].pop("id"), "no text in the source language 'id'"),
        (lambda d: d["questions"][0]["options"][0].update(correct="ya"), "'correct' must be true or false"),
    ],
)
def test_a_bad_quiz_file_is_refused_with_its_line_and_nothing_is_imported(app_context, course_folder, change, message):
    data = yaml.safe_load((course_folder / "quiz.yml").read_text())
    change(data)
    (course_folder / "quiz.yml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    with pytest.raises(CourseFileError) as error:
        import_courses(course_folder)
    db.session.rollback()
    assert message in str(error.value) and "quiz.yml" in str(error.value)
    assert db.session.scalar(select(Quiz)) is None


def test_a_yaml_error_names_the_line(app_context, course_folder):
    text = (course_folder / "quiz.yml").read_text().splitlines()
    text[9] = text[9] + " : : ["
    (course_folder / "quiz.yml").write_text("\n".join(text))
    with pytest.raises(CourseFileError) as error:
        import_courses(course_folder)
    assert error.value.line is not None


def test_a_course_without_a_quiz_exports_no_file(app_context, tmp_path):
    import_courses(COURSES)
    quiz = operations.find_quiz("paspor")
    course = quiz.course
    db.session.delete(quiz)
    db.session.flush()
    assert files.dump(course) is None
