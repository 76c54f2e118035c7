"""Operator commands: load the built-in courses from files, write a course back to files."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from lms.courses.files import CourseFileError, export_course, import_courses
from lms.extensions import db

courses_cli = AppGroup("courses", help="Courses as files (the courses/ folder format).")


def import_builtin_courses() -> None:
    """Load the courses in COURSES_DIR; a setup step, safe to run again."""
    result = import_courses(Path(current_app.config["COURSES_DIR"]))
    click.echo(
        f"Courses: {len(result.slugs)} ({result.courses_created} new, {result.courses_updated} updated, "
        f"{result.versions_created} new lesson versions)."
    )


@courses_cli.command("import")
@click.argument("path", required=False, type=click.Path(file_okay=False, path_type=Path))
def import_command(path: Path | None) -> None:
    """Load courses from PATH (a course folder or a folder of them; default COURSES_DIR), all or nothing."""
    try:
        result = import_courses(path or Path(current_app.config["COURSES_DIR"]))
    except CourseFileError as error:
        db.session.rollback()
        raise click.ClickException(f"{error}\nNothing was imported.") from None
    db.session.commit()
    if result.changed:
        click.echo(
            f"Imported {len(result.slugs)} course(s): {result.courses_created} new, "
            f"{result.courses_updated} updated, {result.versions_created} new lesson versions."
        )
    else:
        click.echo(f"{len(result.slugs)} course(s) already up to date; nothing changed.")


@courses_cli.command("export")
@click.argument("slug")
@click.argument("path", type=click.Path(file_okay=False, path_type=Path))
def export_command(slug: str, path: Path) -> None:
    """Write course SLUG's published content to PATH/SLUG (or to PATH itself when it is named SLUG)."""
    try:
        folder = export_course(slug, path)
    except LookupError:
        raise click.ClickException(f"No course has the slug {slug!r}.") from None
    click.echo(f"Wrote {folder}.")
