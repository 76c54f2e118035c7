"""Load-independent page costs: CPU milliseconds per request, SQL statements per request, bytes sent.

Runs the app in process (Flask's test client, production configuration, the database named by
DATABASE_URL, which `flask setup` must have filled) and times N requests of each page with
time.process_time, so other work on a busy machine barely moves the figures. A bare Flask
"hello world" is measured the same way as the yardstick.

    DATABASE_URL=sqlite:////tmp/kelas.sqlite .venv/bin/python bench/cpu.py [--requests 500] [--profile lesson]

Prints `CPU <page> <ms>/request <statements> statements <bytes> bytes` per page. The home page, catalogue,
course, lesson and leader dashboard are stored pages (lms/core/stored_pages.py): asked for again, they are
sent as kept; with STORED_PAGES_BYTES=0 every request renders its page (what a first view costs).
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: As a phone sends them; the test client speaks https (the production configuration), so posts need a Referer.
HEADERS = {"Accept-Encoding": "br, gzip", "Accept-Language": "id-ID,id", "Referer": "https://localhost/"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500, help="requests per page")
    parser.add_argument("--profile", help="profile this page with pyinstrument instead of timing all")
    parser.add_argument("--only", help="time only these pages (comma-separated), e.g. under valgrind")
    arguments = parser.parse_args()
    os.environ.setdefault("APP_ENV", "production")
    os.environ.setdefault("SESSION_COOKIE_SECURE", "0")
    os.environ.setdefault("HSTS_ENABLED", "0")
    os.environ.setdefault("RATELIMIT_ENABLED", "0")
    os.environ.setdefault("JOBS_BACKEND", "immediate")
    sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

    from hello import app as hello_app
    from sqlalchemy import event

    from lms import create_app
    from lms.extensions import db

    app = create_app()
    statements = [0]
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *args: statements.__setitem__(0, statements[0] + 1))

    anonymous = app.test_client()
    resident = app.test_client()
    password = "bench-" + secrets.token_hex(8)
    username = "bench" + secrets.token_hex(6)
    with app.app_context():  # a resident of their own, with every quiz attempt still to use
        from lms.accounts.operations import create_user
        from lms.demo import DEMO_VILLAGE

        create_user(name="Warga Bench", username=username, password=password, village_code=DEMO_VILLAGE, language="id")
        db.session.commit()
    if not sign_in(resident, username, password):
        raise SystemExit("signing in failed: run `flask setup` first")
    pages = _pages(anonymous, resident)
    leader = app.test_client()
    if sign_in(leader, "kades1", app.config["DEMO_PASSWORD"]):
        pages["leader_dashboard"] = (leader, "GET", "/desa", None)
    hello = hello_app.test_client()
    pages = {"hello": (hello, "GET", "/", None), **pages}
    if arguments.only:
        pages = {name: pages[name] for name in arguments.only.split(",")}

    if arguments.profile:
        from pyinstrument import Profiler

        client, method, path, data = pages[arguments.profile]
        _request(client, method, path, data)

        def repeat():
            for _ in range(arguments.requests):
                _request(client, method, path, data)

        if os.environ.get("PROFILE_CPROFILE"):  # exact call counts and own times instead of samples
            import cProfile
            import pstats

            profile = cProfile.Profile()
            profile.runcall(repeat)
            if os.environ.get("PROFILE_OUT"):
                profile.dump_stats(os.environ["PROFILE_OUT"])
            pstats.Stats(profile).sort_stats(os.environ["PROFILE_CPROFILE"]).print_stats(60)
            return
        profiler = Profiler(interval=0.001)
        profiler.start()
        repeat()
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=bool(os.environ.get("PROFILE_ALL"))))
        return

    for name, (client, method, path, data) in pages.items():
        response = _request(client, method, path, data)  # warm caches once
        statements[0] = 0
        started = time.process_time()
        for _ in range(arguments.requests):
            response = _request(client, method, path, data)
        elapsed = time.process_time() - started
        per_request = statements[0] / arguments.requests
        size = len(response.get_data())
        print(
            f"CPU {name} {elapsed * 1000 / arguments.requests:.2f} ms/request "
            f"{per_request:.1f} statements {size} bytes ({response.status_code}, "
            f"{response.headers.get('Content-Encoding', 'identity')})",
            flush=True,
        )


def sign_in(client, username: str, password: str) -> bool:
    """Sign a test client in through the sign-in form; tell whether it worked."""
    form = client.get("/akun/masuk").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    fields = {"identifier": username, "password": password, "csrf_token": token}
    return client.post("/akun/masuk", data=fields, headers=HEADERS).status_code == 302


def _request(client, method: str, path: str, data):
    if callable(data):
        data = data()
    return client.open(path, method=method, data=data, headers=HEADERS)


def _pages(anonymous, resident) -> dict:
    """Find the pages a resident uses, as the load benchmark does: catalogue, course, lesson, quiz."""
    catalogue = resident.get("/kursus").get_data(as_text=True)
    slug = re.search(r'href="/kursus/([^/"]+)"', catalogue).group(1)
    course = resident.get(f"/kursus/{slug}").get_data(as_text=True)
    listed = re.search(r'<ol class="lesson-list">(.*?)</ol>', course, re.S).group(1)  # not the pre-test link
    lesson = re.search(rf'href="(/kursus/{slug}/[^/"]+)"', listed).group(1)
    pages = {
        "home_anonymous": (anonymous, "GET", "/", None),
        "catalogue_anonymous": (anonymous, "GET", "/kursus", None),
        "catalogue": (resident, "GET", "/kursus", None),
        "course": (resident, "GET", f"/kursus/{slug}", None),
        "lesson_anonymous": (anonymous, "GET", lesson, None),
        "lesson": (resident, "GET", lesson, None),
    }
    token = re.search(r'name="csrf_token" value="([^"]+)"', course).group(1)
    started = resident.post(f"/kursus/{slug}/kuis", data={"csrf_token": token}, headers=HEADERS)
    match = re.search(r"/kuis/(\d+)/", started.headers.get("Location", ""))
    if match is None:
        return pages
    attempt = match.group(1)
    question = resident.get(f"/kursus/{slug}/kuis/{attempt}/1").get_data(as_text=True)
    option = re.search(r'name="choice" value="(\d+)"', question).group(1)
    sequence = iter(range(1, 10**9))
    pages["quiz_question"] = (resident, "GET", f"/kursus/{slug}/kuis/{attempt}/1", None)
    pages["quiz_save"] = (
        resident,
        "POST",
        f"/kursus/{slug}/kuis/{attempt}/simpan",
        lambda: {"position": "1", "sequence": str(next(sequence)), "choice": option, "total": "8", "csrf_token": token},
    )
    pages["quiz_save_repeat"] = (
        resident,
        "POST",
        f"/kursus/{slug}/kuis/{attempt}/simpan",
        {"position": "1", "sequence": "1", "choice": option, "total": "8", "csrf_token": token},
    )
    # The warm-up request grades the attempt; the timed ones are the double-submit path the load benchmark hits.
    pages["quiz_submit_repeat"] = (
        resident,
        "POST",
        f"/kursus/{slug}/kuis/{attempt}/kirim",
        {"token": "bench", "csrf_token": token},
    )
    return pages


if __name__ == "__main__":
    main()
