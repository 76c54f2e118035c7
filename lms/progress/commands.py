"""Operator commands for progress: re-evaluate completions after rules changed."""

import click
from flask.cli import AppGroup
from sqlalchemy import select

from lms.courses.models import Course
from lms.extensions import db
from lms.progress.completion import reevaluate_course

progress_cli = AppGroup("progress", help="Learners' progress and completions.")


@progress_cli.command("reevaluate")
@click.option("--course", "slug", default=None, help="Only this course (its slug); default: every course.")
def reevaluate_command(slug: str | None) -> None:
    """Check every learner against the courses' current completion rules; record the completions now met."""
    query = select(Course).order_by(Course.position, Course.id)
    if slug:
        query = query.where(Course.slug == slug)
    courses = list(db.session.scalars(query))
    if slug and not courses:
        raise click.ClickException(f"No course has the slug {slug!r}.")
    for course in courses:
        result = reevaluate_course(course)
        db.session.commit()
        click.echo(
            f"{course.slug}: {result.learners} learners, {result.completed_now} completed now, "
            f"{result.still_met} completions still met, {result.kept_unmet} kept although the rules changed."
        )
