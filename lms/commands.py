"""Operator commands: set up a fresh installation, serve it with its job worker."""

import atexit
import os
import subprocess
import sys

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from flask_migrate import upgrade
from werkzeug.serving import run_simple

from lms import jobs
from lms.extensions import db

jobs_cli = AppGroup("jobs", help="Background jobs.")


@jobs_cli.command("worker")
@click.option("--workers", type=int, default=None, help="Worker threads (default: JOBS_WORKERS).")
def worker_command(workers: int | None) -> None:
    """Run the background job worker."""
    jobs.run_worker(workers or current_app.config["JOBS_WORKERS"])


@click.command("setup")
@click.option("--demo/--no-demo", default=True, help="Also create the demo accounts and content.")
@with_appcontext
def setup_command(demo: bool) -> None:
    """Bring the database up to date, load regions, languages and courses; safe to run again."""
    from lms import demo as demo_data
    from lms.regions.operations import import_regions

    upgrade(revision="heads")
    result = import_regions()
    db.session.commit()
    click.echo(f"Regions: {sum(result['counts'].values())} ({result['inserted']} new).")
    demo_data.ensure_languages()
    db.session.commit()
    for step in demo_data.SETUP_STEPS:
        step()
        db.session.commit()
    if demo:
        demo_data.seed()
        db.session.commit()
        click.echo("Demo accounts: warga1, warga2, kades1, petugas1, petugas2, admin (password: $DEMO_PASSWORD).")


@click.command("serve")
@click.option("--host", default="127.0.0.1")
@click.option("--port", type=int, default=lambda: int(os.environ.get("PORT", "5000")))
@with_appcontext
def serve_command(host: str, port: int) -> None:
    """Serve the application with a job worker beside it."""
    worker = None
    if current_app.config["JOBS_BACKEND"] != "immediate":
        worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "lms", "jobs", "worker"])
        atexit.register(worker.terminate)
    click.echo(f"Kelas Imigrasi on http://{host}:{port}/")
    try:
        run_simple(host, port, current_app._get_current_object(), threaded=True)
    finally:
        if worker is not None:
            worker.terminate()


def init_app(app) -> None:
    """Register the operator commands."""
    app.cli.add_command(jobs_cli)
    app.cli.add_command(setup_command)
    app.cli.add_command(serve_command)
