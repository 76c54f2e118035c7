"""The scale pages in process: the village dashboard and the regency reports on a synthetic population.

Runs the app with Flask's test client (production configuration) against DATABASE_URL, which
`flask setup` and `flask demo synth --villages 840 --residents 84000` must have filled (1/100 of a
national rollout), signs in as the demo leader and officer, and times N requests of each page:
wall-clock median and p95, CPU milliseconds per request (time.process_time, barely moved by other
work on a busy machine), SQL statements per request and the database time of the slowest ones.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/scale_pg .venv/bin/python bench/scale.py [--requests 50]

Prints `SCALE <page> p50 <ms> p95 <ms> cpu <ms> statements <n> sql <ms>` per page; --statements lists
each page's statements with their time. With --gunicorn the pages are served as `make bench` serves
them (gunicorn, production configuration) and loaded with wrk at 2 connections, 3 runs of --seconds
each: `SCALE-GUNICORN <page> p50 <ms> p95 <ms> (median of the runs) <requests/s>`, then the leader
dashboard's requests/s at 16 connections as a ratio to a bare Flask hello world, in alternation.

Every timed request computes its page: in process the stored pages are off (STORED_PAGES_BYTES=0), and
under gunicorn each request names another user agent, so none gets the page kept for the one before
(lms/core/stored_pages.py); only the ratio, like `make bench`'s, measures a leader asking again.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from cpu import HEADERS  # noqa: E402 - the bench folder is not a package
from cpu import sign_in as sign_in_client  # noqa: E402

#: page name -> (user, path)
PAGES = {
    "village_dashboard": ("sx1v0000k", "/desa"),  # a synthetic village of ~100 residents
    "leader_dashboard_500": ("kades1", "/desa"),  # the demo village, given 500 participants by `make bench`
    "regency_report": ("petugas1", "/laporan?region=16.72"),
    "largest_regency_report": ("petugas1", "/laporan?region=16.04"),
    "office_report": ("petugas1", "/laporan"),
    "village_report": ("petugas1", "/laporan?region=16.72.01.1018"),
}


def sign_in(app, username: str):
    client = app.test_client()
    if not sign_in_client(client, username, os.environ.get("DEMO_PASSWORD", "kelas-imigrasi-demo")):
        raise SystemExit(f"signing in as {username} failed: run `flask setup` first")
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50, help="requests per page")
    parser.add_argument("--statements", action="store_true", help="list each page's statements with their time")
    parser.add_argument("--gunicorn", action="store_true", help="serve with gunicorn and load with wrk instead")
    parser.add_argument("--seconds", type=float, default=5, help="seconds of each wrk run (with --gunicorn)")
    parser.add_argument("pages", nargs="*", default=list(PAGES), help="pages to measure")
    arguments = parser.parse_args()
    if arguments.gunicorn:
        return served(arguments.pages, arguments.seconds)
    for name, value in {
        "APP_ENV": "production",
        "SESSION_COOKIE_SECURE": "0",
        "HSTS_ENABLED": "0",
        "RATELIMIT_ENABLED": "0",
        "JOBS_BACKEND": "immediate",
        "STORED_PAGES_BYTES": "0",
    }.items():
        os.environ.setdefault(name, value)
    sys.path.insert(0, str(ROOT))

    from sqlalchemy import event

    from lms import create_app
    from lms.extensions import db

    app = create_app()
    timings: list[tuple[float, str]] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["started"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        timings.append((time.perf_counter() - conn.info.pop("started"), statement))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", before)
        event.listen(db.engine, "after_cursor_execute", after)
    clients = {}
    for page in arguments.pages:
        user, path = PAGES[page]
        client = clients.get(user) or clients.setdefault(user, sign_in(app, user))
        assert client.get(path, headers=HEADERS).status_code == 200, path  # warm
        walls, cpus, counts, sql = [], [], [], []
        for _ in range(arguments.requests):
            timings.clear()
            wall, cpu = time.perf_counter(), time.process_time()
            response = client.get(path, headers=HEADERS)
            cpus.append(time.process_time() - cpu)
            walls.append(time.perf_counter() - wall)
            assert response.status_code == 200, (path, response.status_code)
            counts.append(len(timings))
            sql.append(sum(seconds for seconds, _ in timings))
        p95 = statistics.quantiles(walls, n=20)[-1] if len(walls) > 1 else walls[0]
        print(
            f"SCALE {page} p50 {1000 * statistics.median(walls):.1f} p95 {1000 * p95:.1f} "
            f"cpu {1000 * statistics.median(cpus):.1f} statements {max(counts)} "
            f"sql {1000 * statistics.median(sql):.1f} ms",
            flush=True,
        )
        if arguments.statements:
            for seconds, statement in sorted(timings, reverse=True)[:8]:
                print(f"  {1000 * seconds:7.1f} ms  {' '.join(statement.split())[:300]}")


def served(pages: list[str], seconds: float) -> None:
    """Time the pages under gunicorn with wrk, as `make bench` does for its scale figures."""
    import tempfile

    from run import REPORT_CONNECTIONS, Server, Session, app_environment, wrk

    work = Path(tempfile.mkdtemp(prefix="kelas-scale-"))
    server = Server("app", "lms:create_app()", app_environment(work))
    try:
        server.wait_ready()
        people = {}
        for page in pages:
            user, path = PAGES[page]
            person = people.get(user) or people.setdefault(user, Session(server.base, user))
            runs = [
                wrk(work, server.base + path, seconds, connections=REPORT_CONNECTIONS, cookie=person.cookie, fresh=True)
                for _ in range(3)
            ]
            assert all(run["errors"] == 0 for run in runs), runs
            p50, p95 = (statistics.median(run[key] for run in runs) for key in ("p50_ms", "p95_ms"))
            rps = statistics.median(run["rps"] for run in runs)
            print(f"SCALE-GUNICORN {page} p50 {p50:.1f} p95 {p95:.1f} ms {rps:.1f} requests/s", flush=True)
        # The leader dashboard's requests/s against hello world's, in alternation, as `make bench` measures it.
        hello = Server("hello", "hello:app", app_environment(work), pythonpath=ROOT / "bench")
        try:
            hello.wait_ready()
            leader = Session(server.base, PAGES["leader_dashboard_500"][0])
            ratios = []
            for _ in range(3):
                base = wrk(work, hello.base + "/", seconds)["rps"]
                page = wrk(work, server.base + PAGES["leader_dashboard_500"][1], seconds, cookie=leader.cookie)
                ratios.append(page["rps"] / base)
                print(f"  hello {base:.0f} requests/s, leader dashboard {page['rps']:.1f} requests/s", flush=True)
            print(f"SCALE-GUNICORN leader_dashboard_ratio {statistics.median(ratios):.3f} x hello", flush=True)
        finally:
            hello.stop()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
