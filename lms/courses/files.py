"""The courses/ folder format: import it into the database in one transaction, export a course back.

Other packages add a file to each course folder (quiz.yml, …) with `register_course_file`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sqlalchemy import select

from lms.admin.forms import LANGUAGE_TAG  # the admin's rule for a content language tag
from lms.clock import utcnow
from lms.courses.content import render_markdown, text_hash
from lms.courses.models import PUBLISHED, Course, CourseText, Lesson, LessonText, LessonVersion
from lms.extensions import db

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
COURSE_FILE = "course.yml"


class CourseFileError(Exception):
    """A course file is not in the expected form; names the file and, when known, the line."""

    def __init__(self, path: Path | str, message: str, line: int | None = None) -> None:
        self.path, self.message, self.line = str(path), message, line
        super().__init__(f"{self.path}:{line}: {message}" if line else f"{self.path}: {message}")


# --- Registry of further files in a course folder ------------------------------------------------


@dataclass(frozen=True)
class CourseFile:
    """A file another package keeps in each course folder."""

    filename: str
    #: Called with the course, the file's parsed YAML and its path, inside the import's transaction.
    load: Callable[[Course, dict, Path], None]
    #: Returns the data to write for a course, or None to write no file.
    dump: Callable[[Course], dict | None]


COURSE_FILES: dict[str, CourseFile] = {}


def register_course_file(
    filename: str, load: Callable[[Course, dict, Path], None], dump: Callable[[Course], dict | None]
) -> None:
    """Add a file to every course folder: `load` reads it on import, `dump` writes it on export."""
    if "/" in filename or filename == COURSE_FILE:
        raise ValueError(f"not a file name another package may register: {filename!r}")
    COURSE_FILES[filename] = CourseFile(filename, load, dump)


# --- YAML with line numbers ------------------------------------------------------------------------


class Mapping(dict):
    """A YAML mapping that remembers the lines it and its values start on."""

    line: int | None = None
    lines: dict

    def line_of(self, key: str) -> int | None:
        """Return the line a key's value starts on, else the mapping's own line."""
        return self.lines.get(key, self.line)


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode):
    data = Mapping()
    data.line = node.start_mark.line + 1
    data.lines = {}
    yield data
    data.update(loader.construct_mapping(node))
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode):
            data.lines[key_node.value] = value_node.start_mark.line + 1


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_yaml(text: str, path: Path | str):
    """Parse YAML, turning a syntax error into a CourseFileError with its line."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or str(error)
        raise CourseFileError(path, f"YAML error: {problem}", mark.line + 1 if mark else None) from None
    except yaml.YAMLError as error:
        raise CourseFileError(path, f"YAML error: {error}") from None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise CourseFileError(path, f"not UTF-8 text ({error.reason})") from None


def read_yaml_file(path: Path) -> Mapping:
    """Read a YAML file whose top level must be a mapping."""
    data = parse_yaml(_read(path), path)
    if not isinstance(data, Mapping):
        raise CourseFileError(path, "expected a mapping of keys and values", 1)
    return data


# --- Parsing a course folder -----------------------------------------------------------------------


@dataclass
class LessonFile:
    """One language's text of a lesson, as read from lessons/<slug>/<language>.md."""

    language: str
    title: str
    body: str
    minutes: int | None
    path: Path

    @property
    def content_hash(self) -> str:
        return text_hash(self.title, self.body, str(self.minutes))


@dataclass
class CourseFolder:
    """A course folder read and checked, before anything touches the database."""

    path: Path
    slug: str
    source_language: str
    position: int
    estimated_minutes: int
    completion: dict
    titles: dict[str, str]
    summaries: dict[str, str]
    lessons: list[tuple[str, list[LessonFile]]]
    extra: dict[str, tuple[Path, Mapping]] = field(default_factory=dict)

    @property
    def content_hash(self) -> str:
        meta = {
            "slug": self.slug,
            "source_language": self.source_language,
            "position": self.position,
            "estimated_minutes": self.estimated_minutes,
            "completion": self.completion,
            "titles": self.titles,
            "summaries": self.summaries,
            "lessons": [slug for slug, _ in self.lessons],
        }
        return text_hash(json.dumps(meta, sort_keys=True, ensure_ascii=False))


def _require(data: Mapping, key: str, path: Path, kind: type | tuple, kind_name: str):
    if key not in data or data[key] is None:
        raise CourseFileError(path, f"missing key '{key}'", data.line)
    value = data[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise CourseFileError(path, f"'{key}' must be {kind_name}", data.line_of(key))
    return value


def _optional(data: Mapping, key: str, path: Path, kind: type | tuple, kind_name: str, default):
    if key not in data or data[key] is None:
        return default
    return _require(data, key, path, kind, kind_name)


def _texts(data: Mapping, key: str, path: Path, required: bool) -> dict[str, str]:
    if not required and key not in data:
        return {}
    texts = _require(data, key, path, dict, "a mapping of language tags to texts")
    result = {}
    for language, value in texts.items():
        language = str(language)
        if not LANGUAGE_TAG.match(language):
            raise CourseFileError(path, f"'{key}': '{language}' is not a language tag", texts.line_of(language))
        if not isinstance(value, str) or not value.strip():
            raise CourseFileError(path, f"'{key}.{language}' must be a text", texts.line_of(language))
        result[language] = value.strip()
    return result


def _completion(data: Mapping, path: Path) -> dict:
    rules = _optional(data, "completion", path, dict, "a mapping", None)
    if rules is None:
        return {"lessons_read": "all", "video_share": 0.9, "quiz_passed": False, "attendance": False}
    lessons_read = rules.get("lessons_read", "all")
    if lessons_read != "all" and (
        not isinstance(lessons_read, int) or isinstance(lessons_read, bool) or lessons_read < 0
    ):
        raise CourseFileError(
            path, "'completion.lessons_read' must be 'all' or a number", rules.line_of("lessons_read")
        )
    share = rules.get("video_share", 0.9)
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share <= 1:
        raise CourseFileError(
            path, "'completion.video_share' must be a number from 0 to 1", rules.line_of("video_share")
        )
    flags = {}
    for key in ("quiz_passed", "attendance"):
        value = rules.get(key, False)
        if not isinstance(value, bool):
            raise CourseFileError(path, f"'completion.{key}' must be true or false", rules.line_of(key))
        flags[key] = value
    return {"lessons_read": lessons_read, "video_share": float(share), **flags}


FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?\r?\n)?---[ \t]*(?:\r?\n|\Z)", re.DOTALL)


def read_lesson_file(path: Path, language: str) -> LessonFile:
    """Read a lesson file: YAML front matter (title, minutes) between --- lines, then Markdown."""
    text = _read(path)
    match = FRONT_MATTER.match(text)
    if not match:
        raise CourseFileError(path, "missing front matter: the file must start with '---', a title and '---'", 1)
    # A blank first line keeps the YAML's line numbers equal to the file's.
    front = parse_yaml("\n" + (match.group(1) or ""), path)
    if not isinstance(front, Mapping):
        raise CourseFileError(path, "missing key 'title' in the front matter", 2)
    title = _require(front, "title", path, str, "a text").strip()
    if not title:
        raise CourseFileError(path, "'title' must not be empty", front.line_of("title"))
    minutes = _optional(front, "minutes", path, int, "a whole number", None)
    body = text[match.end() :].replace("\r\n", "\n").strip("\n")
    return LessonFile(language=language, title=title, body=body, minutes=minutes, path=path)


def read_course_folder(folder: Path) -> CourseFolder:
    """Read and check one course folder; raise CourseFileError naming the file and line."""
    path = folder / COURSE_FILE
    data = read_yaml_file(path)
    slug = _require(data, "slug", path, str, "a text")
    if not SLUG.match(slug):
        raise CourseFileError(path, "'slug' may hold only a-z, 0-9 and single dashes", data.line_of("slug"))
    source = _optional(data, "source_language", path, str, "a language tag", "id")
    if not LANGUAGE_TAG.match(source):
        raise CourseFileError(
            path, f"'source_language': '{source}' is not a language tag", data.line_of("source_language")
        )
    titles = _texts(data, "title", path, required=True)
    if source not in titles:
        raise CourseFileError(path, f"'title' has no text in the source language '{source}'", data.line_of("title"))
    summaries = _texts(data, "summary", path, required=False)
    lesson_slugs = _require(data, "lessons", path, list, "a list of lesson slugs")
    lessons = []
    for index, lesson_slug in enumerate(lesson_slugs):
        line = (data.line_of("lessons") or 0) + index or None
        if not isinstance(lesson_slug, str) or not SLUG.match(lesson_slug):
            raise CourseFileError(path, f"'lessons': {lesson_slug!r} is not a lesson slug", line)
        if any(lesson_slug == seen for seen, _ in lessons):
            raise CourseFileError(path, f"'lessons': '{lesson_slug}' is listed twice", line)
        lesson_dir = folder / "lessons" / lesson_slug
        files = []
        for file in sorted(lesson_dir.glob("*.md")):
            if not LANGUAGE_TAG.match(file.stem):
                raise CourseFileError(file, f"'{file.stem}' is not a language tag: name lesson files like id.md")
            files.append(read_lesson_file(file, file.stem))
        if not any(f.language == source for f in files):
            raise CourseFileError(
                lesson_dir / f"{source}.md",
                f"missing: lesson '{lesson_slug}' needs its text in the source language",
                None,
            )
        files.sort(key=lambda f: f.language != source)  # the source first, so translations can point at it
        lessons.append((lesson_slug, files))
    course = CourseFolder(
        path=folder,
        slug=slug,
        source_language=source,
        position=_optional(data, "position", path, int, "a whole number", 100),
        estimated_minutes=_optional(data, "estimated_minutes", path, int, "a whole number", 0),
        completion=_completion(data, path),
        titles=titles,
        summaries=summaries,
        lessons=lessons,
    )
    for filename in COURSE_FILES:
        extra = folder / filename
        if extra.exists():
            course.extra[filename] = (extra, read_yaml_file(extra))
    return course


def find_course_folders(path: Path) -> list[Path]:
    """Return the course folders at a path: the path itself if it holds a course.yml, else its sub-folders."""
    path = Path(path)
    if (path / COURSE_FILE).exists():
        return [path]
    if not path.is_dir():
        raise CourseFileError(path, "no such folder")
    return sorted(p for p in path.iterdir() if (p / COURSE_FILE).exists())


# --- Import ----------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    """What an import changed."""

    courses_created: int = 0
    courses_updated: int = 0
    versions_created: int = 0
    slugs: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.courses_created or self.courses_updated or self.versions_created)


def import_courses(path: Path | str) -> ImportResult:
    """Load every course folder at a path; all or nothing, and a file unchanged since last import changes nothing."""
    folders = [read_course_folder(folder) for folder in find_course_folders(Path(path))]
    result = ImportResult()
    with db.session.begin_nested():
        for folder in folders:
            _apply_course(folder, result)
    return result


def _apply_course(folder: CourseFolder, result: ImportResult) -> None:
    course = db.session.scalar(select(Course).where(Course.slug == folder.slug))
    if course is None:
        # Built-in courses are national and published from the start.
        course = Course(slug=folder.slug, is_published=True, office_id=None)
        db.session.add(course)
        result.courses_created += 1
        created = True
    else:
        created = False
    result.slugs.append(folder.slug)
    content_hash = folder.content_hash
    # An unchanged course.yml leaves the course as officers left it (order, titles, rules).
    meta_changed = course.imported_hash != content_hash
    if meta_changed:
        if not created:
            result.courses_updated += 1
        course.source_language = folder.source_language
        course.position = folder.position
        course.estimated_minutes = folder.estimated_minutes
        rules = folder.completion
        course.lessons_to_read = None if rules["lessons_read"] == "all" else rules["lessons_read"]
        course.video_share = rules["video_share"]
        course.is_quiz_required = rules["quiz_passed"]
        course.is_attendance_required = rules["attendance"]
        _apply_course_texts(course, folder)
        course.imported_hash = content_hash
    _apply_lessons(course, folder, meta_changed, result)
    db.session.flush()
    for filename, (path, data) in folder.extra.items():
        COURSE_FILES[filename].load(course, data, path)
        db.session.flush()


def _apply_course_texts(course: Course, folder: CourseFolder) -> None:
    source_hash = text_hash(folder.titles[folder.source_language], folder.summaries.get(folder.source_language, ""))
    for language, title in folder.titles.items():
        summary = folder.summaries.get(language, "")
        text = course.text(language)
        if text is None:
            course.texts.append(CourseText(language=language, title=title, summary=summary, source_hash=source_hash))
        elif (text.title, text.summary) != (title, summary):
            # A changed translation was written from today's source; an unchanged one keeps its old mark.
            text.title, text.summary, text.source_hash = title, summary, source_hash
    course.text(folder.source_language).source_hash = source_hash


def _apply_lessons(course: Course, folder: CourseFolder, meta_changed: bool, result: ImportResult) -> None:
    by_slug = {lesson.slug: lesson for lesson in course.lessons}
    listed = {slug for slug, _ in folder.lessons}
    if meta_changed:
        for lesson in course.lessons:
            # Taken out of the list: hidden, but kept with everyone's progress.
            lesson.is_archived = lesson.slug not in listed
    for position, (slug, files) in enumerate(folder.lessons, start=1):
        lesson = by_slug.get(slug)
        if lesson is None:
            lesson = Lesson(slug=slug, position=position)
            course.lessons.append(lesson)
        elif meta_changed:
            lesson.position = position
        source_version_id = None
        for file in files:
            text = lesson.text(file.language)
            if text is None:
                text = LessonText(language=file.language)
                lesson.texts.append(text)
            if text.imported_hash != file.content_hash:
                if file.minutes and (file.language == folder.source_language or lesson.minutes is None):
                    lesson.minutes = file.minutes
                version = text.published_version
                if version is None or (version.title, version.body_markdown) != (file.title, file.body):
                    _publish_imported_version(text, file, source_version_id)
                    result.versions_created += 1
                text.imported_hash = file.content_hash
            if file.language == folder.source_language:
                db.session.flush()
                source_version_id = text.published_version_id


def _publish_imported_version(text: LessonText, file: LessonFile, source_version_id: int | None) -> LessonVersion:
    now = utcnow()
    version = LessonVersion(
        title=file.title,
        body_markdown=file.body,
        body_html=render_markdown(file.body),
        source_version_id=source_version_id,
        status=PUBLISHED,
        saved_dt=now,
        reviewed_dt=now,
    )
    text.versions.append(version)
    db.session.flush()
    text.published_version = version
    text.title = version.title
    text.status = PUBLISHED
    return version


# --- Export ----------------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow=False, indentless=False):
        # Indent list items under their key, as the hand-written files do.
        return super().increase_indent(flow, False)


def dump_yaml(data) -> str:
    """Write YAML that reads back to the same data: keys in their given order, text as written."""
    return yaml.dump(
        data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=float("inf"), default_flow_style=False
    )


def _language_order(course: Course, languages) -> list[str]:
    from lms.core.models import Language

    positions = dict(db.session.execute(select(Language.code, Language.position)).all())
    return sorted(languages, key=lambda tag: (tag != course.source_language, positions.get(tag, 1000), tag))


def course_data(course: Course) -> dict:
    """Return a course's course.yml content."""
    order = _language_order(course, [text.language for text in course.texts])
    texts = {text.language: text for text in course.texts}
    data = {
        "slug": course.slug,
        "source_language": course.source_language,
        "position": course.position,
        "estimated_minutes": course.estimated_minutes,
        "completion": course.completion,
        "title": {language: texts[language].title for language in order},
    }
    summaries = {language: texts[language].summary for language in order if texts[language].summary}
    if summaries:
        data["summary"] = summaries
    data["lessons"] = [lesson.slug for lesson in course.current_lessons]
    return data


def lesson_file_text(version: LessonVersion, minutes: int) -> str:
    """Return a lesson file: front matter, then the Markdown body."""
    front = dump_yaml({"title": version.title, "minutes": minutes})
    return f"---\n{front}---\n{version.body_markdown}\n"


def export_course(slug: str, path: Path | str) -> Path:
    """Write a course's published content to a folder in the courses/ format; return the folder."""
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        raise LookupError(slug)
    folder = Path(path)
    if folder.name != slug and not (folder / COURSE_FILE).exists():
        folder = folder / slug
    folder.mkdir(parents=True, exist_ok=True)
    (folder / COURSE_FILE).write_text(dump_yaml(course_data(course)), encoding="utf-8")
    for lesson in course.current_lessons:
        lesson_dir = folder / "lessons" / lesson.slug
        for text in lesson.texts:
            if text.published_version is None:
                continue
            lesson_dir.mkdir(parents=True, exist_ok=True)
            (lesson_dir / f"{text.language}.md").write_text(
                lesson_file_text(text.published_version, lesson.minutes), encoding="utf-8"
            )
    for course_file in COURSE_FILES.values():
        data = course_file.dump(course)
        if data is not None:
            (folder / course_file.filename).write_text(dump_yaml(data), encoding="utf-8")
    return folder
