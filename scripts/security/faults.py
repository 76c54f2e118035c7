"""Inject faults into a real server and count how many were survived; nothing acknowledged may be lost.

Serves the app with gunicorn on 127.0.0.1 (a spare port) with a real job worker, on a throwaway
SQLite database holding the security tests' world, then injects:

- duplicate and out-of-order replays of answer saves and video positions (the newest acknowledged
  answer stays, progress never decreases);
- clients that disconnect in the middle of a save or a quiz submission (raw sockets);
- the database locked by another connection (a clear 503, nothing half-written);
- Redis stopped under a server configured for it (a redis-server on a spare port of ours);
- the job worker killed in the middle of a transcode (the job is retried and finishes).

Prints `FAULTS <n> injected, <survived> survived` and exits 1 when any fault was not survived.
Loopback only; every loop is bounded; every process it starts is stopped at the end.
"""

import contextlib
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
VENV_BIN = Path(sys.executable).parent
HOST = "127.0.0.1"


def spare_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class Tally:
    """Faults injected and the ones not survived, with why."""

    def __init__(self):
        self.injected = 0
        self.lost: list[str] = []

    def check(self, survived: bool, what: str) -> None:
        self.injected += 1
        if not survived:
            self.lost.append(what)
            print(f"  NOT SURVIVED: {what}", flush=True)


class Browser:
    """A cookie-keeping client that reads CSRF tokens from pages, like a browser without JavaScript."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()), _NoRedirect())
        self.token = ""

    def request(self, method: str, path: str, data=None, json_body=None, timeout=30):
        headers = {"X-CSRFToken": self.token, "Referer": self.base + "/"}
        body = None
        if json_body is not None:
            body, headers["Content-Type"] = json.dumps(json_body).encode(), "application/json"
        elif data is not None:
            data = {"csrf_token": self.token, **data}
            body = urllib.parse.urlencode(data, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        url = self.base + path
        request = urllib.request.Request(url, data=body, method=method, headers=headers)  # noqa: S310 - loopback
        try:
            with self.opener.open(request, timeout=timeout) as response:
                return response.status, response.read().decode("utf-8", "replace"), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace"), dict(error.headers)

    def get(self, path: str):
        status, body, headers = self.request("GET", path)
        if match := re.search(r'name="csrf_token" value="([^"]+)"', body):
            self.token = match.group(1)
        return status, body, headers

    def sign_in(self, identifier: str, password: str) -> None:
        self.get("/akun/masuk")
        status, _, _ = self.request("POST", "/akun/masuk", data={"identifier": identifier, "password": password})
        if status != 302:
            raise RuntimeError(f"could not sign in as {identifier}: {status}")
        self.get("/")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def cookie_header(browser: Browser) -> str:
    jar = next(h for h in browser.opener.handlers if isinstance(h, urllib.request.HTTPCookieProcessor)).cookiejar
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def half_request(port: int, browser: Browser, path: str, body: bytes, content_type: str) -> None:
    """Send the headers and half the body of a POST, then hang up."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nCookie: {cookie_header(browser)}\r\nX-CSRFToken: {browser.token}\r\n"
        f"Referer: http://{HOST}:{port}/\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection((HOST, port), timeout=5) as connection:
        connection.sendall(head + body[: max(len(body) // 2, 1)])
        connection.shutdown(socket.SHUT_RDWR)


class Servers:
    """The processes this script starts, stopped at the end whatever happens."""

    def __init__(self):
        self.processes: list[subprocess.Popen] = []

    def start(self, command: list[str], env: dict, log: Path) -> subprocess.Popen:
        process = subprocess.Popen(  # noqa: S603 - our own binaries, fixed arguments
            command, env=env, cwd=ROOT, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes.append(process)
        return process

    def stop(self, process: subprocess.Popen, sig=signal.SIGTERM) -> None:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)

    def stop_all(self) -> None:
        for process in reversed(self.processes):
            self.stop(process)


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback http only
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


# --- Setting up ------------------------------------------------------------------------------------------


def prepare(folder: Path) -> tuple[dict, object]:
    """Create the database with regions and the world; return the environment for the servers and the world."""
    env = {
        **os.environ,
        "APP_ENV": "development",
        "SECRET_KEY": "faults-secret-key",
        "INSTANCE_DIR": str(folder / "instance"),
        "DATABASE_URL": f"sqlite:///{folder / 'faults.sqlite'}",
        "MEDIA_ROOT": str(folder / "media"),
        "JOBS_BACKEND": "sqlite",
        "JOBS_SQLITE_PATH": str(folder / "jobs.sqlite"),
        "JOBS_WORKERS": "1",
        "RATELIMIT_ENABLED": "0",
        "PYTHONPATH": str(ROOT),
    }
    os.environ.update(env)
    from flask_migrate import upgrade

    from config import Config
    from lms import create_app
    from lms.extensions import db
    from lms.i18n import compile_catalogs
    from lms.regions.operations import import_regions
    from tests.security.world import build_world

    compile_catalogs()
    app = create_app(Config)
    with app.app_context():
        upgrade(revision="heads")
        import_regions()
        db.session.commit()
    world = build_world(app)
    with app.app_context():
        db.engine.dispose()
    return env, world


def database(folder: Path) -> sqlite3.Connection:
    return sqlite3.connect(folder / "faults.sqlite", timeout=30, isolation_level=None)


def answer_state(folder: Path, attempt_id: int, position: int) -> tuple[int, str]:
    with contextlib.closing(database(folder)) as connection:
        row = connection.execute(
            "SELECT sequence, selected FROM quiz_answers WHERE attempt_id = ? AND position = ?", (attempt_id, position)
        ).fetchone()
    return row[0], row[1]


# --- The faults -------------------------------------------------------------------------------------------


def replays(tally: Tally, base: str, folder: Path, world) -> None:
    """Duplicate and out-of-order saves: the newest acknowledged answer stays; positions never go back."""
    from tests.security.world import PASSWORD, PHONES

    attempt = next((r for r in world.records if r.kind == "quiz attempt" and "resident_a" in r.readers), None)
    if attempt is None:
        print("  replays: no quiz attempts yet, skipped")
        return
    browser = Browser(base)
    browser.sign_in(PHONES["resident_a"], PASSWORD)
    slug, attempt_id = attempt.values["slug"], attempt.values["attempt_id"]
    browser.get(f"/kursus/{slug}/kuis/{attempt_id}/1")
    url = f"/kursus/{slug}/kuis/{attempt_id}/simpan"
    rng = random.Random(20261)
    sequence = 0
    for round_number in range(8):
        sequences = [sequence + n for n in range(1, 6)]
        sent = sequences + rng.sample(sequences, 3)  # five saves and three duplicates, shuffled
        rng.shuffle(sent)
        acknowledged = {}
        for value in sent:
            choice = value % 3 + 1
            status, body, _ = browser.request(
                "POST", url, json_body={"position": 1, "choices": [choice], "sequence": value}
            )
            if status == 200 and json.loads(body).get("saved"):
                acknowledged[value] = choice
            tally.check(status == 200, f"replay round {round_number}: save {value} answered {status}")
        stored_sequence, _ = answer_state(folder, attempt_id, 1)
        newest = max(acknowledged) if acknowledged else None
        tally.check(
            stored_sequence == max(sequences) and (newest is None or newest <= stored_sequence),
            f"replay round {round_number}: stored sequence {stored_sequence}, expected {max(sequences)}",
        )
        sequence = max(sequences)
    video = next((r for r in world.records if r.kind == "draft video" and "officer_p" in r.managers), None)
    if video is None:
        print("  position replays: no videos yet, skipped")
        return
    officer = Browser(base)
    officer.sign_in("petugas-p", PASSWORD)
    officer.get("/")
    furthest = 0.0
    positions = [rng.uniform(0, 10) for _ in range(30)]
    for position in positions:
        status, body, _ = officer.request(
            "POST", f"/video/{video.values['video_id']}/posisi", json_body={"position": position}
        )
        reported = json.loads(body).get("furthest", -1) if status == 200 else -1
        tally.check(
            status == 200 and reported >= furthest - 1e-6,
            f"position {position:.2f}: furthest went {furthest} → {reported}",
        )
        furthest = max(furthest, reported)


def disconnects(tally: Tally, base: str, port: int, folder: Path, world) -> None:
    """Clients that hang up mid-request: nothing half-applied, the server keeps answering, the next save works."""
    from tests.security.world import PASSWORD, PHONES

    attempts = {r.readers.copy().pop(): r for r in world.records if r.kind == "quiz attempt"}
    if not attempts:
        print("  disconnects: no quiz attempts yet, skipped")
        return
    browser = Browser(base)
    browser.sign_in(PHONES["resident_a"], PASSWORD)
    record = attempts["resident_a"]
    slug, attempt_id = record.values["slug"], record.values["attempt_id"]
    url = f"/kursus/{slug}/kuis/{attempt_id}/simpan"
    for number in range(40):
        before = answer_state(folder, attempt_id, 2)
        body = json.dumps({"position": 2, "choices": [1], "sequence": 10_000 + number}).encode()
        half_request(port, browser, url, body, "application/json")
        after = answer_state(folder, attempt_id, 2)
        status, reply, _ = browser.request(
            "POST", url, json_body={"position": 2, "choices": [2], "sequence": 20_000 + number}
        )
        stored = answer_state(folder, attempt_id, 2)
        tally.check(
            after == before and status == 200 and stored[0] == 20_000 + number,
            f"disconnect {number} during a save: {before} → {after}, then {status} {stored}",
        )
    other = Browser(base)
    other.sign_in(PHONES["resident_b"], PASSWORD)
    record = attempts["resident_b"]
    slug, attempt_id = record.values["slug"], record.values["attempt_id"]
    other.get(f"/kursus/{slug}/kuis/{attempt_id}/periksa")
    for number in range(20):
        body = b"token=abcdefgh&csrf_token=" + other.token.encode()
        half_request(port, other, f"/kursus/{slug}/kuis/{attempt_id}/kirim", body, "application/x-www-form-urlencoded")
        with contextlib.closing(database(folder)) as connection:
            finished, score = connection.execute(
                "SELECT finished_dt, score FROM quiz_attempts WHERE id = ?", (attempt_id,)
            ).fetchone()
        tally.check(
            finished is None, f"disconnect {number} during a submit left the attempt finished={finished} score={score}"
        )
    status, _, _ = other.request("POST", f"/kursus/{slug}/kuis/{attempt_id}/kirim", data={"token": "final"})
    repeat, _, _ = other.request("POST", f"/kursus/{slug}/kuis/{attempt_id}/kirim", data={"token": "final"})
    with contextlib.closing(database(folder)) as connection:
        (finished,) = connection.execute("SELECT finished_dt FROM quiz_attempts WHERE id = ?", (attempt_id,)).fetchone()
    tally.check(
        status == 303 and repeat == 303 and finished is not None, f"submit after disconnects: {status}, {repeat}"
    )


def locked_database(tally: Tally, base: str, folder: Path, world) -> None:
    """Hold an exclusive lock from another connection: requests get a clear 503 and store nothing."""
    from tests.security.world import PASSWORD

    officer = Browser(base)
    officer.sign_in("petugas-p", PASSWORD)
    officer.get("/akun/profil")
    with contextlib.closing(database(folder)) as connection:
        name_before = connection.execute("SELECT name FROM users WHERE username = 'petugas-p'").fetchone()[0]
    for round_number in range(4):
        results = []

        def change_name(number: int, round_number=round_number, results=results) -> None:
            status, body, headers = officer.request(
                "POST",
                "/akun/profil",
                data={"name": f"Nama Terkunci {'ABCD'[round_number]}{'ABCDEFGHIJKLMNOP'[number]}", "language": "id"},
                timeout=40,
            )
            results.append((status, "Retry-After" in headers or status != 503, body))

        lock = database(folder)
        lock.execute("BEGIN EXCLUSIVE")
        threads = [threading.Thread(target=change_name, args=(n,)) for n in range(16)]
        for thread in threads:
            thread.start()
        time.sleep(8)  # longer than SQLite's 5 s busy timeout in the server
        lock.execute("ROLLBACK")
        lock.close()
        for thread in threads:
            thread.join(timeout=60)
        with contextlib.closing(database(folder)) as connection:
            name_after = connection.execute("SELECT name FROM users WHERE username = 'petugas-p'").fetchone()[0]
        for status, has_retry, body in results:
            clear = status == 503 and has_retry and ("503" in body or "sibuk" in body.lower() or "busy" in body.lower())
            # A request that got the lock after it was released may succeed (302); then its name is stored.
            said = re.findall(r'class="error-text"[^>]*>([^<]*)|<h1>([^<]*)', body)[:2]
            tally.check(clear or status == 302, f"locked database round {round_number}: answered {status} {said}")
        stored_by_success = any(status == 302 for status, _, _ in results)
        tally.check(
            name_after == name_before or stored_by_success, f"locked round {round_number}: half-written {name_after!r}"
        )
        name_before = name_after


def redis_down(tally: Tally, servers: Servers, env: dict, folder: Path) -> None:
    """Stop Redis under a server configured for it: pages still answer, the health check says what is wrong."""
    redis_server = shutil.which("redis-server")
    if redis_server is None:
        print("  redis: redis-server is not installed, skipped")
        return
    from tests.security.world import PASSWORD

    redis_port, web_port = spare_port(), spare_port()
    redis = servers.start(
        [redis_server, "--port", str(redis_port), "--bind", HOST, "--save", "", "--appendonly", "no"],
        env,
        folder / "redis.log",
    )
    time.sleep(0.5)
    redis_env = {
        **env,
        "JOBS_BACKEND": "redis",
        "REDIS_URL": f"redis://{HOST}:{redis_port}/0",
        "RATELIMIT_STORAGE_URI": f"redis://{HOST}:{redis_port}/1",
        "RATELIMIT_ENABLED": "1",
    }
    web = servers.start(
        [str(VENV_BIN / "gunicorn"), "-w", "1", "--threads", "4", "-b", f"{HOST}:{web_port}", "lms:create_app()"],
        redis_env,
        folder / "gunicorn-redis.log",
    )
    base = f"http://{HOST}:{web_port}"
    wait_for(base + "/healthz")
    browser = Browser(base)
    browser.sign_in("petugas-p", PASSWORD)
    status, body, _ = browser.request("GET", "/healthz")
    tally.check(status == 200, f"redis up: health {status} {body[:200]}")
    servers.stop(redis)
    for _number in range(6):
        status, body, _ = browser.request("GET", "/healthz")
        tally.check(
            status == 503 and '"ok": false' in body.replace('"ok":false', '"ok": false'),
            f"redis down: health answered {status} {body[:120]}",
        )
        status, _, _ = browser.request("GET", "/")
        tally.check(status == 200, f"redis down: home page {status}")
        status, _, _ = browser.request("GET", "/kursus")
        tally.check(status == 200, f"redis down: catalogue {status}")
        fresh = Browser(base)
        fresh.get("/akun/masuk")
        status, _, _ = fresh.request("POST", "/akun/masuk", data={"identifier": "petugas-p", "password": PASSWORD})
        tally.check(status in (302, 503), f"redis down: sign-in answered {status} (a 302, or a clear 503)")
    servers.stop(web)


def killed_worker(tally: Tally, servers: Servers, env: dict, base: str, folder: Path, world, worker) -> None:
    """Kill the job worker in the middle of a transcode: the job is retried and finishes."""
    from tests.security.world import PASSWORD

    video = next((r for r in world.records if r.kind == "draft video" and "officer_p" in r.managers), None)
    ffmpeg = shutil.which("ffmpeg")
    if video is None or ffmpeg is None:
        print("  killed worker: no videos or no ffmpeg yet, skipped")
        return worker
    clip = folder / "pelajaran.mp4"
    subprocess.run(
        [
            ffmpeg,
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",  # noqa: S603
            "testsrc2=size=854x480:rate=25:duration=40",
            "-f",
            "lavfi",
            "-i",
            "sine=duration=40",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-c:a",
            "aac",
            "-pix_fmt",
            "yuv420p",
            str(clip),
        ],
        check=True,
        timeout=120,
    )
    officer = Browser(base)
    officer.sign_in("petugas-p", PASSWORD)
    lesson_id = video.values["lesson_id"]
    officer.get(f"/video/pelajaran/{lesson_id}")
    boundary = "----kelasimigrasi"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{officer.token}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="video"; filename="pelajaran.mp4"\r\n'
            "Content-Type: video/mp4\r\n\r\n"
        ).encode()
        + clip.read_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    connection = http.client.HTTPConnection(HOST, int(base.rsplit(":", 1)[1]), timeout=120)
    connection.request(
        "POST",
        f"/video/pelajaran/{lesson_id}/unggah",
        body=body,
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Cookie": cookie_header(officer),
            "Referer": base + "/",
        },
    )
    status = connection.getresponse().status
    connection.close()
    if status != 302:
        tally.check(False, f"killed worker: the upload answered {status}")
        return worker
    with contextlib.closing(database(folder)) as db:
        (video_id,) = db.execute("SELECT max(id) FROM videos WHERE lesson_id = ?", (lesson_id,)).fetchone()
    deadline = time.monotonic() + 120
    state = None
    while time.monotonic() < deadline:
        with contextlib.closing(database(folder)) as db:
            state = db.execute("SELECT status, progress_percent FROM videos WHERE id = ?", (video_id,)).fetchone()
        if state[0] == "processing" and state[1] > 0:
            break
        time.sleep(0.5)
    if state is None or state[0] != "processing":
        tally.check(False, f"killed worker: the transcode never started ({state})")
        return worker
    servers.stop(worker, signal.SIGKILL)
    # Let the heartbeat look as old as a dead worker's would after five minutes, instead of waiting for it.
    with contextlib.closing(database(folder)) as db:
        db.execute("UPDATE videos SET heartbeat_dt = datetime('now', '-10 minutes') WHERE id = ?", (video_id,))
    worker = servers.start(
        [str(VENV_BIN / "python"), "-m", "flask", "--app", "lms", "jobs", "worker"], env, folder / "worker.log"
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        with contextlib.closing(database(folder)) as db:
            state = db.execute("SELECT status, attempts FROM videos WHERE id = ?", (video_id,)).fetchone()
        if state[0] in ("ready", "failed"):
            break
        time.sleep(2)
    tally.check(state[0] == "ready", f"killed worker: the video ended {state} after the worker was killed")
    return worker


def main() -> int:
    tally = Tally()
    servers = Servers()
    folder = Path(tempfile.mkdtemp(prefix="kelas-faults-"))
    try:
        print("faults: preparing a database with the world…", flush=True)
        env, world = prepare(folder)
        port = spare_port()
        base = f"http://{HOST}:{port}"
        servers.start(
            [
                str(VENV_BIN / "gunicorn"),
                "-w",
                "2",
                "--threads",
                "8",
                "-b",
                f"{HOST}:{port}",
                "--timeout",
                "120",
                "lms:create_app()",
            ],
            env,
            folder / "gunicorn.log",
        )
        worker = servers.start(
            [str(VENV_BIN / "python"), "-m", "flask", "--app", "lms", "jobs", "worker"], env, folder / "worker.log"
        )
        wait_for(base + "/healthz")
        steps = [
            ("replays", lambda: replays(tally, base, folder, world)),
            ("disconnects", lambda: disconnects(tally, base, port, folder, world)),
            ("locked database", lambda: locked_database(tally, base, folder, world)),
            ("redis down", lambda: redis_down(tally, servers, env, folder)),
        ]
        for name, step in steps:
            print(f"faults: {name}…", flush=True)
            try:
                step()
            except Exception as error:  # noqa: BLE001 - a crashed step is a fault not survived
                tally.check(False, f"{name}: {type(error).__name__}: {error}")
        print("faults: killed worker…", flush=True)
        try:
            killed_worker(tally, servers, env, base, folder, world, worker)
        except Exception as error:  # noqa: BLE001
            tally.check(False, f"killed worker: {type(error).__name__}: {error}")
    finally:
        servers.stop_all()
    survived = tally.injected - len(tally.lost)
    print(f"FAULTS {tally.injected} injected, {survived} survived")
    for what in tally.lost[:40]:
        print(f"  - {what}")
    if tally.lost:
        print(f"logs kept in {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
    return 1 if tally.lost or tally.injected < 200 else 0


if __name__ == "__main__":
    sys.exit(main())
