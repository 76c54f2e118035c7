"""Measure Kelas Imigrasi on this machine: pages under load, page weight, Lighthouse, video, certificates.

Run with the project's venv: `make bench` (full) or `make bench-smoke` (one short round, no Lighthouse).
Prints `BENCH <name> <value> <unit>` per figure, `BENCH-SKIP <name> <reason>` for a figure whose
feature is not there yet, then `BENCH-FAIL <name>` per missed target; writes bench/results.json.
Every server it talks to is started here, on 127.0.0.1 only, and stopped here.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
PYTHON = sys.executable
VENV_BIN = Path(PYTHON).parent
HOST = "127.0.0.1"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: The same gunicorn settings for the app and for hello world, so the ratio compares only the code.
GUNICORN_SETTINGS = ["-w", "2", "-k", "gthread", "--threads", "4", "--log-level", "warning"]
WRK_THREADS = 2
WRK_CONNECTIONS = 16
#: Latency of the scale reports is a single leader's or officer's wait, not a crowd's.
REPORT_CONNECTIONS = 2
DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "kelas-imigrasi-demo")
DEMO_VILLAGE = "16.72.01.1018"
DEMO_REGENCY = "16.72"

#: name -> (comparison, target, unit); a figure with no entry is reported without a target.
TARGETS = {
    "lesson_ratio": (">=", 0.50, "x hello"),
    "catalogue_ratio": (">=", 0.50, "x hello"),
    "quiz_save_ratio": (">=", 0.30, "x hello"),
    "quiz_submit_ratio": (">=", 0.30, "x hello"),
    "leader_dashboard_ratio": (">=", 0.20, "x hello"),
    "lesson_p95": ("<=", 50.0, "ms"),
    "lesson_p99": ("<=", 100.0, "ms"),
    "lesson_first_load_bytes": ("<=", 30.0, "KB"),
    "lesson_first_load_requests": ("<=", 5, "requests"),
    "lesson_repeat_load_bytes": ("<=", 5.0, "KB"),
    "lighthouse_lesson_performance": (">=", 95, "score"),
    "lighthouse_lesson_accessibility": (">=", 100, "score"),
    "lighthouse_quiz_performance": (">=", 95, "score"),
    "lighthouse_quiz_accessibility": (">=", 100, "score"),
    "village_dashboard_p95_scale": ("<=", 100.0, "ms"),
    "regency_report_p95_scale": ("<=", 300.0, "ms"),
    "transcode_overhead": ("<=", 10.0, "%"),
    "rendition_240p_size": ("<=", 1.5, "MB/min"),
    "rendition_audio_size": ("<=", 0.4, "MB/min"),
    "certificate_page": ("<=", 150.0, "ms/page"),
    "certificate_bulk_page": ("<=", 150.0, "ms/page"),
    "region_import": ("<=", 60.0, "s"),
}


class Skip(Exception):
    """A figure whose feature is not there yet, or whose environment is missing."""


class Results:
    """Collect figures, print them as they come, and judge them against their targets."""

    def __init__(self) -> None:
        self.figures: list[dict] = []

    def add(self, name: str, value: float, unit: str, **detail) -> None:
        """Record and print one measured figure."""
        target = TARGETS.get(name)
        ok = None
        if target is not None:
            op, limit, _ = target
            ok = value >= limit if op == ">=" else value <= limit
        shown = f"{value:.3f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
        print(f"BENCH {name} {shown} {unit}", flush=True)
        self.figures.append(
            {
                "name": name,
                "value": value,
                "unit": unit,
                "target": None if target is None else f"{target[0]} {target[1]}",
                "ok": ok,
                **detail,
            }
        )

    def skip(self, name: str, reason: str) -> None:
        """Record and print a figure that could not be measured yet."""
        print(f"BENCH-SKIP {name} {reason}", flush=True)
        self.figures.append({"name": name, "skipped": reason})

    def error(self, name: str, reason: str) -> None:
        """Record and print a figure whose measurement broke: the harness or the feature is faulty."""
        print(f"BENCH-ERROR {name} {reason}", flush=True)
        self.figures.append({"name": name, "error": reason})

    def failed(self) -> list[str]:
        return [figure["name"] for figure in self.figures if figure.get("ok") is False]

    def errors(self) -> list[str]:
        return [figure["name"] for figure in self.figures if "error" in figure]


def measure(results: Results, names: list[str], function, *args, **kwargs):
    """Run one measurement; a Skip marks its figures skipped, any other failure marks them errors."""
    try:
        return function(*args, **kwargs)
    except Skip as skip:
        for name in names:
            results.skip(name, str(skip))
    except Exception as error:  # noqa: BLE001 - one broken figure must not hide the others
        traceback.print_exc(file=sys.stderr)
        for name in names:
            results.error(name, f"{type(error).__name__}: {str(error)[:200]}".replace("\n", " "))
    return None


# --- the app's environment, database and servers -------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def app_environment(work: Path) -> dict[str, str]:
    """Return the production configuration on loopback: http cookies, jobs inline, no rate limits."""
    env = dict(os.environ)
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://", "postgresql+psycopg://")):
        database_url = f"sqlite:///{work / 'bench.sqlite'}"
    env.update(
        {
            "FLASK_APP": "lms",
            "APP_ENV": "production",
            "SESSION_COOKIE_SECURE": "0",
            "HSTS_ENABLED": "0",
            "JOBS_BACKEND": "immediate",
            "RATELIMIT_ENABLED": "0",
            "DATABASE_URL": database_url,
            "INSTANCE_DIR": str(work / "instance"),
            "MEDIA_ROOT": str(work / "media"),
            "CERTIFICATE_KEYS_DIR": str(work / "instance" / "certificate-keys"),
            "SECRET_KEY": "bench-secret-key-not-for-production",
            "DEMO_PASSWORD": DEMO_PASSWORD,
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


def is_postgres(env: dict[str, str]) -> bool:
    return env["DATABASE_URL"].startswith("postgres")


def flask(env: dict[str, str], *args: str, check: bool = True, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PYTHON, "-m", "flask", "--app", "lms", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=check,
        timeout=timeout,
    )


def app_python(env: dict, script: str, *args: str) -> str:
    """Run a short Python script in the app's environment; return the last line it printed."""
    completed = subprocess.run(
        [PYTHON, "-c", script, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    if completed.returncode != 0:
        raise RuntimeError(completed.stderr[-2000:])
    lines = completed.stdout.strip().splitlines()
    return lines[-1] if lines else ""


def seed(results: Results, env: dict[str, str], smoke: bool) -> dict:
    """Migrate, time the region import, run `flask setup`, and add the synthetic population if possible."""
    flask(env, "translate", "compile", check=False)
    flask(env, "db", "upgrade", "heads")
    started = time.monotonic()
    flask(env, "regions", "import")
    results.add("region_import", round(time.monotonic() - started, 2), "s")
    flask(env, "setup")
    state = {"synth": None}
    synth_help = flask(env, "demo", "synth", "--help", check=False)
    if synth_help.returncode != 0:
        state["synth"] = "no `flask demo synth` command yet"
    else:
        # 1/100 of a national rollout on PostgreSQL (the scale figures), a smaller crowd on SQLite.
        national = is_postgres(env) and not smoke
        villages, residents = (2, 20) if smoke else (840, 84_000) if national else (20, 500)
        villages = int(os.environ.get("BENCH_VILLAGES", villages))
        synth(env, "--villages", str(villages), "--residents", str(residents))
        # The demo leader's village gets its 500 participants (leader_dashboard_ratio).
        demo_village = ["--villages", "1", "--residents", "20" if smoke else "500", "--village", DEMO_VILLAGE]
        synth(env, *demo_village, "--seed", "2")
        state.update(villages=villages, residents=residents)
    return state


def synth(env: dict[str, str], *args: str) -> None:
    """Add a synthetic population; on a PostgreSQL database a run before this one filled, keep the one it made."""
    completed = flask(env, "demo", "synth", *args, check=False, timeout=1800)
    if completed.returncode == 0:
        return
    if "exists already" in completed.stderr:
        print(f"# flask demo synth {' '.join(args)}: the population of an earlier run is kept", flush=True)
        return
    raise RuntimeError(f"flask demo synth {' '.join(args)} failed:\n{completed.stderr[-2000:]}")


def route_urls(env: dict[str, str]) -> dict[str, str]:
    """Ask the app which of the endpoints the harness knows about exist, and their URLs."""
    script = r"""
import json, re
from lms import create_app
app = create_app()
found = {}
fill = {"code": "16.72", "regency": "16.72", "regency_code": "16.72", "village": "16.72.01.1018",
        "village_code": "16.72.01.1018"}
with app.test_request_context():
    from flask import url_for
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        args = {name: fill.get(name) for name in rule.arguments}
        if any(value is None for value in args.values()):
            continue
        try:
            found[rule.endpoint] = url_for(rule.endpoint, **args)
        except Exception:
            pass
print(json.dumps(found))
"""
    return json.loads(app_python(env, script))


class Server:
    """A gunicorn serving an app on loopback in its own process group, stopped by stop()."""

    def __init__(self, name: str, app: str, env: dict[str, str], pythonpath: Path | None = None) -> None:
        self.name = name
        self.port = free_port()
        command = [str(VENV_BIN / "gunicorn"), *GUNICORN_SETTINGS, "--bind", f"{HOST}:{self.port}"]
        if pythonpath is not None:
            command += ["--pythonpath", str(pythonpath)]
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [*command, app], cwd=ROOT, env=env, stdout=self.log, stderr=self.log, start_new_session=True
        )

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(f"{self.name} server exited: {self.log.read().decode(errors='replace')[-2000:]}")
            try:
                status, _, _ = request(self.base, "GET", "/")
                if status < 500:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} server did not answer within {timeout} s")

    def worker_peak_kb(self) -> list[int]:
        """Return VmHWM (peak resident memory) of each gunicorn worker, in kB."""
        peaks = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) != self.process.pid:
                    continue
                status = (stat.parent / "status").read_text()
            except (OSError, IndexError, ValueError):
                continue
            match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
            if match:
                peaks.append(int(match.group(1)))
        return peaks

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
            except ProcessLookupError:
                pass


# --- a small HTTP client: sign in, crawl, read forms ----------------------------------------------


def request(base: str, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    """Send one request to the loopback server; return (status, headers, body)."""
    parts = urlsplit(base)
    if parts.hostname != HOST:
        raise ValueError("the bench only talks to 127.0.0.1")
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


class Form:
    def __init__(self, action: str, method: str) -> None:
        self.action = action
        self.method = method
        self.inputs: list[dict] = []
        self.buttons: list[dict] = []


class FormParser(HTMLParser):
    """Collect forms (inputs, buttons) and links of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._form: Form | None = None
        self._button: dict | None = None
        self._textarea: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {key: value or "" for key, value in attrs}
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "form":
            self._form = Form(attrs.get("action", ""), attrs.get("method", "get").lower())
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input":
            kind = attrs.get("type", "text").lower()
            if kind in {"submit", "image"}:
                self._form.buttons.append({"name": attrs.get("name", ""), "value": attrs.get("value", ""), "text": ""})
            else:
                self._form.inputs.append({**attrs, "type": kind})
        elif tag == "button" and attrs.get("type", "submit").lower() == "submit":
            self._button = {"name": attrs.get("name", ""), "value": attrs.get("value", ""), "text": ""}
            self._form.buttons.append(self._button)
        elif tag == "textarea":
            self._textarea = {"name": attrs.get("name", ""), "type": "textarea", "value": ""}
            self._form.inputs.append(self._textarea)
        elif tag == "select":
            self._form.inputs.append({"name": attrs.get("name", ""), "type": "select", "value": None})
        elif tag == "option" and self._form.inputs and self._form.inputs[-1]["type"] == "select":
            if self._form.inputs[-1]["value"] is None:
                self._form.inputs[-1]["value"] = attrs.get("value", "")

    def handle_data(self, data):
        if self._button is not None:
            self._button["text"] += data.strip()
        if self._textarea is not None:
            self._textarea["value"] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "button":
            self._button = None
        elif tag == "textarea":
            self._textarea = None


def parse(html: bytes) -> FormParser:
    parser = FormParser()
    parser.feed(html.decode("utf-8", errors="replace"))
    return parser


def form_fields(form: Form, button: dict | None) -> list[tuple[str, str]]:
    """Fill a form as a hurried person would: hidden values kept, the first option of each group chosen."""
    fields: list[tuple[str, str]] = []
    chosen_groups: set[str] = set()
    for field in form.inputs:
        name, kind = field.get("name"), field["type"]
        if not name:
            continue
        if kind in {"radio", "checkbox"}:
            if name in chosen_groups and kind == "radio":
                continue
            chosen_groups.add(name)
            fields.append((name, field.get("value") or "on"))
        elif kind == "hidden":
            fields.append((name, field.get("value", "")))
        elif kind in {"text", "textarea", "number", "search"}:
            fields.append((name, field.get("value") or ("1" if kind == "number" else "jawaban")))
        elif kind == "select":
            fields.append((name, field.get("value") or ""))
    if button and button.get("name"):
        fields.append((button["name"], button.get("value", "")))
    return fields


class Session:
    """A signed-in person: the session cookie and the CSRF token of their session."""

    def __init__(self, base: str, username: str) -> None:
        self.base = base
        status, headers, page = request(base, "GET", "/akun/masuk")
        if status != 200:
            raise RuntimeError(f"sign-in page answered {status}")
        self.cookie = self._cookie(headers)
        form = next(form for form in parse(page).forms if form.method == "post")
        fields = dict(form_fields(form, None))
        fields.update(identifier=username, password=DEMO_PASSWORD)
        status, headers, page = self.post("/akun/masuk", list(fields.items()))
        if status != 302:
            raise RuntimeError(f"signing in as {username} answered {status}")
        self.cookie = self._cookie(headers) or self.cookie
        # Where the browser goes next: the page that shows the welcome message once, so no later request does.
        self.get(urlsplit(headers.get("Location", "/")).path or "/")

    @staticmethod
    def _cookie(headers) -> str:
        for value in headers.get_all("Set-Cookie") or []:
            if value.startswith("kelas_session="):
                return value.split(";", 1)[0]
        return ""

    def get(self, path: str):
        status, headers, body = request(self.base, "GET", path, headers={"Cookie": self.cookie})
        self.cookie = self._cookie(headers) or self.cookie
        return status, headers, body

    def post(self, path: str, fields: list[tuple[str, str]]):
        body = urlencode(fields).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": self.cookie}
        status, response_headers, page = request(self.base, "POST", path, body=body, headers=headers)
        self.cookie = self._cookie(response_headers) or self.cookie
        return status, response_headers, page


def discover_pages(resident: Session) -> dict:
    """Find the catalogue, a lesson and the quiz by following links, as a resident would."""
    pages: dict = {}
    status, _, catalogue = resident.get("/kursus")
    if status == 404:
        return pages
    if status != 200:
        raise RuntimeError(f"/kursus answered {status}")
    pages["catalogue"] = "/kursus"
    courses = [link for link in parse(catalogue).links if re.fullmatch(r"/kursus/[^/?#]+/?", link)]
    for course in dict.fromkeys(courses):
        slug = course.strip("/").split("/")[1]
        status, _, course_page = resident.get(course)
        # The lessons are the course page's numbered list; other links there (the pre-test, the quiz) are not lessons.
        listed = re.search(rb'<ol class="lesson-list">(.*?)</ol>', course_page, re.S) if status == 200 else None
        links = parse(listed.group(1)).links if listed else []
        lessons = [link for link in links if re.fullmatch(rf"/kursus/{re.escape(slug)}/[^/?#]+/?", link)]
        if lessons:
            pages.update(slug=slug, lesson=lessons[0])
            status, _, _ = resident.get(f"/kursus/{slug}/kuis")
            if status == 200:
                pages["quiz"] = f"/kursus/{slug}/kuis"
            break
    return pages


SAVE_WORDS = ("simpan", "save")
SUBMIT_WORDS = ("kirim", "submit", "selesai", "finish", "serahkan", "periksa")
START_WORDS = ("mulai", "start", "begin")


def _button_kind(form: Form, button: dict) -> str | None:
    words = " ".join([button.get("name", ""), button.get("value", ""), button.get("text", ""), form.action]).lower()
    for kind, keys in (("save", SAVE_WORDS), ("submit", SUBMIT_WORDS), ("start", START_WORDS)):
        if any(key in words for key in keys):
            return kind
    return None


def quiz_posts(resident: Session, quiz_path: str) -> dict[str, tuple[str, str]]:
    """Return the answer-save and submit requests (path, form body) of the quiz page, starting it if asked."""
    for _ in range(3):
        status, _, page = resident.get(quiz_path)
        if status != 200:
            raise RuntimeError(f"{quiz_path} answered {status}")
        posts: dict[str, tuple[str, str]] = {}
        start = None
        for form in parse(page).forms:
            if form.method != "post":
                continue
            action = urlsplit(urljoin(quiz_path, form.action or quiz_path)).path
            buttons = form.buttons or [{"name": "", "value": "", "text": ""}]
            for button in buttons:
                kind = _button_kind(form, button)
                if kind is None and len(buttons) == 1 and any(field["type"] == "radio" for field in form.inputs):
                    kind = "submit"
                if kind in {"save", "submit"} and kind not in posts:
                    posts[kind] = (action, urlencode(form_fields(form, button)))
                elif kind == "start" and start is None:
                    start = (action, form_fields(form, button))
        if posts or start is None:
            return posts
        resident.post(start[0], start[1])
    return {}


def quiz_targets(kind: str, post: tuple[str, str], resident: Session, env: dict, rounds: int, seconds) -> list[dict]:
    """The load targets of a quiz answer save or an attempt's submission: each as it stores something, and
    each repeated (the "Next" after the script saved the answer, or a double tap on "Submit")."""
    path, body = post
    match = re.fullmatch(r"(/kursus/[^/]+/kuis/)(\d+)/[^/]+", path)
    fields = dict(parse_qsl(body))
    if match is None or "csrf_token" not in fields:
        raise RuntimeError(f"cannot tell the attempt or the CSRF token of {path}")
    prefix, attempt_id = match.group(1), int(match.group(2))
    common = {"path": path, "cookie": resident.cookie}
    if kind == "save":
        return [
            {"name": "quiz_save", **common, "lua": save_script(fields), "counts": "written"},
            {"name": "quiz_save_repeat", **common, "body": body},
        ]
    attempts = OpenAttempts(env, attempt_id, runs=rounds, per_run=int(SUBMITS_PER_SECOND * seconds))
    graded = {"name": "quiz_submit", **common, "body": body, "last": True, "counts": "ran_out"}
    graded.update(lua=attempts.script(prefix), prepare=attempts.open, clean_up=attempts.remove)
    # The attempt the page belongs to: the first request grades it, the rest measure the double-submit path.
    return [graded, {"name": "quiz_submit_repeat", **common, "body": body, "last": True}]


def save_script(fields: dict[str, str]):
    """Return the wrk script of a run: the autosave's JSON with a new answer on every request.

    The questions are shared out between the wrk threads, and each thread goes round its own, switching
    each between two options on every visit, with sequence numbers above every earlier run's. A save that
    reaches the server after a newer one of the same question (two connections of a thread can hold the
    same question) is a late arrival and stores nothing: the share stored is reported."""
    token, per_thread = fields["csrf_token"], max(int(fields.get("total", "2")) // WRK_THREADS, 1)

    def script(run_number: int) -> str:
        return f"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
wrk.headers["X-CSRFToken"] = "{lua_escape(token)}"
local sent = {run_number * 10**7}
request = function()
  sent = sent + 1
  local position = (number - 1) * {per_thread} + sent % {per_thread} + 1
  local choice = math.floor(sent / {per_thread}) % 2 + 1
  wrk.body = string.format('{{"position": %d, "choices": [%d], "sequence": %d}}', position, choice, sent)
  return wrk.format()
end
response = function(status, headers, body)
  if status == 200 and body:find('"saved":true', 1, true) then counted = counted + 1 end
end
"""

    return script


#: Open attempts prepared for each run of the graded submissions: more than the app could grade in it.
SUBMITS_PER_SECOND = 2000


class OpenAttempts:
    """Open attempts of the signed-in resident, copies of one the bench started (its questions and option
    order), each with an answer chosen on every question: one for every graded submission of a run."""

    def __init__(self, env: dict, template_id: int, runs: int, per_run: int) -> None:
        self.env, self.template_id, self.runs, self.per_run = env, template_id, runs, per_run
        self.ids: list[int] = []
        self.first_number = 0

    def open(self) -> None:
        count = str(self.per_run * self.runs)
        opened = json.loads(app_python(self.env, OPEN_ATTEMPTS, str(self.template_id), count))
        self.ids, self.first_number = opened["ids"], opened["first_number"]

    def remove(self) -> None:
        """Delete them again, so the figures measured later (the scale reports) count no bench attempts."""
        if self.ids:
            app_python(self.env, REMOVE_ATTEMPTS, str(self.template_id), str(self.first_number))

    def script(self, prefix: str):
        def for_run(run_number: int) -> str:
            if run_number == 0:
                raise RuntimeError("graded submissions have no warm-up run")
            taken = self.ids[(run_number - 1) * self.per_run : run_number * self.per_run]
            return f"""
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
local ids = {{{",".join(map(str, taken))}}}
local sent = 0
request = function()
  local id = ids[number + {WRK_THREADS} * sent]
  sent = sent + 1
  if id == nil then counted = counted + 1; id = ids[1] end
  return wrk.format(nil, "{prefix}" .. id .. "/kirim")
end
"""

        return for_run


OPEN_ATTEMPTS = r"""
import json, sys
from sqlalchemy import func, insert, select
from lms import create_app
from lms.clock import utcnow
from lms.extensions import db
from lms.quizzes.models import Answer, Attempt

template_id, count = int(sys.argv[1]), int(sys.argv[2])
app = create_app()
with app.app_context():
    template = db.session.get(Attempt, template_id)
    answers = [(a.position, a.question_id, a.option_order) for a in template.answers]
    mine = (Attempt.quiz_id == template.quiz_id, Attempt.user_id == template.user_id)
    top = db.session.scalar(select(func.max(Attempt.number)).where(*mine))
    now = utcnow()
    limit = template.deadline_dt - template.started_dt if template.deadline_dt else None
    rows = [
        {"quiz_id": template.quiz_id, "user_id": template.user_id, "number": top + 1 + n, "is_pretest": False,
         "started_dt": now, "deadline_dt": now + limit if limit else None, "max_score": len(answers)}
        for n in range(count)
    ]
    ids = db.session.scalars(insert(Attempt).returning(Attempt.id), rows).all()
    db.session.execute(insert(Answer), [
        {"attempt_id": attempt_id, "position": position, "question_id": question_id, "option_order": order,
         "selected": [order[(attempt_id + position) % len(order)]], "sequence": 1, "saved_dt": now}
        for attempt_id in ids for position, question_id, order in answers
    ])
    db.session.commit()
print(json.dumps({"ids": ids, "first_number": top + 1}))
"""

REMOVE_ATTEMPTS = r"""
import sys
from sqlalchemy import delete, select
from lms import create_app
from lms.extensions import db
from lms.quizzes.models import Answer, Attempt

template_id, first_number = int(sys.argv[1]), int(sys.argv[2])
app = create_app()
with app.app_context():
    template = db.session.get(Attempt, template_id)
    bench = select(Attempt.id).where(
        Attempt.quiz_id == template.quiz_id, Attempt.user_id == template.user_id, Attempt.number >= first_number
    )
    db.session.execute(delete(Answer).where(Answer.attempt_id.in_(bench)))
    db.session.execute(delete(Attempt).where(Attempt.id.in_(bench)))
    db.session.commit()
"""


# --- load with wrk -----------------------------------------------------------------------------------

#: Every script numbers its threads (`number`, from 1) and may count responses in `counted`; done() adds them up.
WRK_THREADS_LUA = """
local threads = {}
setup = function(thread)
  table.insert(threads, thread)
  thread:set("number", #threads)
  thread:set("counted", 0)
end
"""

WRK_REPORT = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  local counted = 0
  for _, thread in ipairs(threads) do counted = counted + (thread:get("counted") or 0) end
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p95_us":%d,"p99_us":%d,' ..
    '"socket_errors":%d,"status_errors":%d,"counted":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), e.connect + e.read + e.write + e.timeout, e.status, counted))
end
"""


def lua_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def wrk(
    work: Path,
    url: str,
    seconds: float,
    connections: int = WRK_CONNECTIONS,
    cookie: str = "",
    body: str | None = None,
    fresh: bool = False,
    lua: str = "",
) -> dict:
    """Load one URL with wrk; return requests/s, latency percentiles (ms) and error counts.

    fresh: every request names another user agent, so none is answered with a page kept for an earlier one
    (lms/core/stored_pages.py): what a page costs the first time someone opens it.
    """
    if urlsplit(url).hostname != HOST:
        raise ValueError("the bench only loads 127.0.0.1")
    lines = [
        WRK_THREADS_LUA,
        'wrk.headers["Accept-Encoding"] = "gzip, br"',
        'wrk.headers["Accept-Language"] = "id-ID,id"',
    ]
    if cookie:
        lines.append(f'wrk.headers["Cookie"] = "{lua_escape(cookie)}"')
    if body is not None:
        lines += [
            'wrk.method = "POST"',
            f'wrk.body = "{lua_escape(body)}"',
            'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"',
        ]
    if fresh:
        lines += [
            "local sent = 0",
            "request = function()",
            "  sent = sent + 1",
            '  wrk.headers["User-Agent"] = "bench-" .. number .. "-" .. sent',
            "  return wrk.format()",
            "end",
        ]
    script = work / f"wrk-{os.getpid()}-{time.monotonic_ns()}.lua"
    script.write_text("\n".join(lines) + "\n" + lua + "\n" + WRK_REPORT)
    threads = min(WRK_THREADS, connections)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script), url]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True)
    line = next(line for line in completed.stdout.splitlines() if line.startswith("BENCHJSON "))
    data = json.loads(line.removeprefix("BENCHJSON "))
    return {
        "rps": data["requests"] / (data["duration_us"] / 1e6),
        "p50_ms": data["p50_us"] / 1000,
        "p95_ms": data["p95_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
        "requests": data["requests"],
        "errors": data["socket_errors"] + data["status_errors"],
        "counted": data["counted"],
    }


def load_figures(results: Results, work: Path, app: Server, hello: Server, targets: list[dict], rounds: int, seconds):
    """Measure hello world and each page in alternation (hello, page, hello, page, …) for several rounds.

    A target may carry `lua(run_number)` (the wrk script's request() for that run, run 0 being the warm-up),
    `prepare()` and `clean_up()` (called before its first and after its last run), and `counts`: "written"
    (the share of requests the script counted as stored) or "ran_out" (requests the script had nothing for,
    which spoil the figure).
    """
    runs: dict[str, list[dict]] = {target["name"]: [] for target in targets}
    ratios: dict[str, list[float]] = {target["name"]: [] for target in targets}
    hello_runs: list[dict] = []

    def load(target: dict, duration: float, number: int) -> dict:
        lua = target["lua"](number) if "lua" in target else ""
        cookie, body, fresh = target.get("cookie", ""), target.get("body"), target.get("fresh", False)
        return wrk(work, app.base + target["path"], duration, cookie=cookie, body=body, fresh=fresh, lua=lua)

    # One short warm-up each, so first-request costs (imports, caches) are not measured.
    wrk(work, hello.base + "/", 1)
    for target in targets:
        if not target.get("last"):
            load(target, 1, 0)
    # A target marked last (quiz submit) changes state for good, so it runs after every round of the others.
    ordered = [target for target in targets if not target.get("last")]
    last = [target for target in targets if target.get("last")]
    try:
        for batch in [ordered] * rounds + [last] * rounds:
            for target in batch:
                if "prepare" in target and not runs[target["name"]]:
                    target["prepare"]()
                baseline = wrk(work, hello.base + "/", seconds)
                run = load(target, seconds, len(runs[target["name"]]) + 1)
                hello_runs.append(baseline)
                runs[target["name"]].append(run)
                ratios[target["name"]].append(run["rps"] / baseline["rps"])
    finally:
        for target in last:
            if "clean_up" in target:
                target["clean_up"]()
    results.add("hello_rps", round(statistics.median(run["rps"] for run in hello_runs), 1), "req/s")
    for target in targets:
        name, page_runs = target["name"], runs[target["name"]]
        errors = sum(run["errors"] for run in page_runs)
        detail = {"runs": page_runs, "non_2xx_3xx_or_socket_errors": errors}
        if target.get("counts") == "written":
            detail["written_share"] = round(
                sum(r["counted"] for r in page_runs) / sum(r["requests"] for r in page_runs), 3
            )
        if target.get("counts") == "ran_out" and any(run["counted"] for run in page_runs):
            for figure in (f"{name}_rps", f"{name}_ratio"):
                results.error(figure, "the prepared requests ran out before the run ended: prepare more")
            continue
        results.add(f"{name}_rps", round(statistics.median(run["rps"] for run in page_runs), 1), "req/s", **detail)
        results.add(f"{name}_ratio", round(statistics.median(ratios[name]), 3), "x hello")
        if target.get("latency"):
            results.add(f"{name}_p95", round(statistics.median(run["p95_ms"] for run in page_runs), 1), "ms")
            results.add(f"{name}_p99", round(statistics.median(run["p99_ms"] for run in page_runs), 1), "ms")
        if errors:
            print(f"# {name}: {errors} responses were errors or not 2xx/3xx", flush=True)


# --- the browser: bytes over the wire, Lighthouse ----------------------------------------------------


def page_weight(results: Results, base: str, name: str, path: str, cookie: str) -> None:
    """Load a page in Chromium twice (cold, then cache warm) and count bytes and requests, media excluded."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 360, "height": 740}, locale="id-ID")
            if cookie:
                key, value = cookie.split("=", 1)
                context.add_cookies([{"name": key, "value": value, "url": base}])
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            seen: dict[str, str] = {}
            counted = {"bytes": 0, "requests": 0}

            addresses: dict[str, str] = {}

            def on_request(event):
                if event["request"]["url"].startswith("data:"):
                    return  # the browser's own media-control icons: nothing goes over the wire
                seen[event["requestId"]] = event.get("type", "Other")
                addresses[event["requestId"]] = event["request"]["url"].removeprefix(base)

            def on_finished(event):
                if event["requestId"] in seen and seen[event["requestId"]] != "Media":
                    counted["bytes"] += event["encodedDataLength"]
                    counted["requests"] += 1
                    counted["addresses"].append(f"{addresses[event['requestId']]} {event['encodedDataLength']} B")

            cdp.on("Network.requestWillBeSent", on_request)
            cdp.on("Network.loadingFinished", on_finished)
            cdp.send("Network.enable")
            loads = []
            for _ in range(2):
                counted.update(bytes=0, requests=0, addresses=[])
                response = page.goto(base + path, wait_until="load")
                if response is None or response.status != 200:
                    raise RuntimeError(f"{path} answered {response and response.status} in Chromium")
                page.wait_for_load_state("networkidle")
                loads.append(dict(counted))
        finally:
            browser.close()
    first, repeat = loads
    results.add(f"{name}_first_load_bytes", round(first["bytes"] / 1024, 1), "KB")
    results.add(f"{name}_first_load_requests", first["requests"], "requests", addresses=first["addresses"])
    results.add(f"{name}_repeat_load_bytes", round(repeat["bytes"] / 1024, 1), "KB")


def lighthouse(results: Results, work: Path, base: str, name: str, path: str, cookie: str) -> None:
    """Audit a page with Lighthouse (mobile, default throttling): performance and accessibility."""
    binary = BENCH_DIR / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        raise Skip("lighthouse is not installed in bench/node_modules (make bench installs it)")
    output = work / f"lighthouse-{name}.json"
    command = [
        str(binary),
        base + path,
        "--chrome-flags=--headless=new " + " ".join(CHROMIUM_ARGS),
        "--output=json",
        f"--output-path={output}",
        "--only-categories=performance,accessibility",
        "--quiet",
    ]
    if cookie:
        command.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
    env = dict(os.environ, CHROME_PATH=CHROMIUM)
    subprocess.run(command, env=env, capture_output=True, text=True, timeout=240, check=True)
    report = json.loads(output.read_text())
    if report.get("runtimeError"):
        raise RuntimeError(report["runtimeError"].get("message", "Lighthouse runtime error"))
    final = report.get("finalDisplayedUrl") or report.get("finalUrl", "")
    if urlsplit(final).path != path:
        raise RuntimeError(f"Lighthouse ended on {final}, not {path}")
    categories = report["categories"]
    for category in ("performance", "accessibility"):
        score = categories[category]["score"]
        if score is None:
            raise RuntimeError(f"Lighthouse gave no {category} score")
        failing = [
            audit_id
            for audit_id, audit in report["audits"].items()
            if audit.get("score") is not None and audit["score"] < 1 and audit.get("scoreDisplayMode") == "binary"
        ]
        detail = {"failing_binary_audits": failing} if category == "accessibility" else {}
        if category == "performance":
            detail = {
                key: report["audits"][key].get("displayValue")
                for key in ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "speed-index")
                if key in report["audits"]
            }
        results.add(f"lighthouse_{name}_{category}", round(score * 100), "score", **detail)


# --- video and certificates, in process ----------------------------------------------------------


def transcode_figures(results: Results, work: Path, seconds: int, rounds: int) -> None:
    """Transcode a generated 720p clip with the ladder, and with the hand-written command, in alternation."""
    try:
        from lms.media.probe import find_ffmpeg, probe
        from lms.media.transcode import hand_written_command, transcode
    except ImportError as error:
        raise Skip(f"video core not importable ({error})") from None
    ffmpeg_bin = find_ffmpeg()
    clip = work / "clip.mp4"
    subprocess.run(
        [
            ffmpeg_bin, "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc2=size=1280x720:rate=30:duration={seconds}",
            "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}",
            "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "128k", "-shortest", str(clip),
        ],
        check=True,
    )  # fmt: skip
    info = probe(clip)
    ladder_s, hand_s, overheads = [], [], []
    result = None
    for index in range(rounds):
        out = work / f"ladder-{index}"
        started = time.monotonic()
        result = transcode(clip, out, info, ffmpeg_bin=ffmpeg_bin)
        ladder_s.append(time.monotonic() - started)
        hand = work / f"hand-{index}"
        hand.mkdir()
        started = time.monotonic()
        subprocess.run(hand_written_command(clip, hand, info, ffmpeg_bin), cwd=hand, check=True, capture_output=True)
        hand_s.append(time.monotonic() - started)
        overheads.append((ladder_s[-1] / hand_s[-1] - 1) * 100)
        shutil.rmtree(hand)
        if index < rounds - 1:
            shutil.rmtree(out)
    results.add("transcode_speed", round(info.duration_s / statistics.median(ladder_s), 2), "x realtime")
    results.add("transcode_overhead", round(statistics.median(overheads), 1), "%")
    minutes = info.duration_s / 60
    sizes = {variant.rendition.name: variant.size_bytes for variant in result.variants}
    if "240p" in sizes:
        results.add("rendition_240p_size", round(sizes["240p"] / 1e6 / minutes, 3), "MB/min")
    else:
        results.skip("rendition_240p_size", "the ladder has no 240p rendition")
    if "audio" in sizes:
        results.add("rendition_audio_size", round(sizes["audio"] / 1e6 / minutes, 3), "MB/min")
    else:
        results.skip("rendition_audio_size", "the ladder has no audio-only rendition")


def certificate_figures(results: Results, bulk: int) -> None:
    """Time one certificate page, and a bulk run, through render_certificates_pdf (wall and CPU time)."""
    try:
        from lms.certificates.document import format_issue_date, render_certificates_pdf
        from lms.certificates.serials import new_serial
        from lms.certificates.signing import CertificateFields, KeyRing, generate_private_key_pem, sign_certificate
    except ImportError as error:
        raise Skip(f"certificate core not importable ({error})") from None
    import datetime

    issued = datetime.date(2026, 11, 23)
    ring = KeyRing.from_pem([generate_private_key_pem()])

    def context(index: int) -> dict:
        # A real signed token, so the QR code has the size (version) of a real certificate's.
        fields = CertificateFields(
            serial=new_serial(),
            holder_name=f"Warga Desa {index:04d}",
            course_slug="paspor-pekerja-migran",
            course_title="Paspor untuk Pekerja Migran",
            issued_on=issued,
            office_name="Kantor Imigrasi Kelas II TPI Muara Enim",
        )
        return {
            "holder_name": fields.holder_name,
            "course_title_id": fields.course_title,
            "course_title_local": "Paspor kanggo Buruh Migran",
            "language": "jv",
            "issued_on_id": format_issue_date(issued, "id"),
            "issued_on_local": format_issue_date(issued, "jv"),
            "office_name": fields.office_name,
            "serial": fields.serial,
            "verify_url": "https://belajar.imigrasi.go.id/v/" + sign_certificate(ring, fields),
            "labels_local": {"title": "Sertifikat", "awarded_to": "Diparingaké marang"},
        }

    render_certificates_pdf([context(0)])  # the first call loads the fonts and parses the stylesheet once
    singles, singles_cpu = [], []
    for index in range(9):
        page = context(index)
        started, started_cpu = time.monotonic(), time.process_time()
        render_certificates_pdf([page])
        singles.append(time.monotonic() - started)
        singles_cpu.append(time.process_time() - started_cpu)
    cpu_ms = round(statistics.median(singles_cpu) * 1000, 1)
    results.add("certificate_page", round(statistics.median(singles) * 1000, 1), "ms/page", cpu_ms=cpu_ms)
    pages = [context(index) for index in range(bulk)]
    started, started_cpu = time.monotonic(), time.process_time()
    pdf = render_certificates_pdf(pages)
    elapsed, elapsed_cpu = time.monotonic() - started, time.process_time() - started_cpu
    results.add(
        "certificate_bulk_page",
        round(elapsed * 1000 / bulk, 1),
        "ms/page",
        cpu_ms=round(elapsed_cpu * 1000 / bulk, 1),
        pages=bulk,
        pdf_bytes=len(pdf),
    )


# --- the run -----------------------------------------------------------------------------------------


#: Groups of figures; BENCH_ONLY=load,weight picks some (e.g. to re-measure page speed alone), default all.
GROUPS = ("load", "weight", "lighthouse", "scale", "video", "certificates")


def wanted(group: str) -> bool:
    only = [name.strip() for name in os.environ.get("BENCH_ONLY", "").split(",") if name.strip()]
    return not only or group in only


def run(smoke: bool) -> int:
    rounds, seconds = (1, 1) if smoke else (int(os.environ.get("BENCH_ROUNDS", "3")), 5)
    results = Results()
    work = Path(tempfile.mkdtemp(prefix="kelas-bench-"))
    servers: list[Server] = []
    started = time.monotonic()
    try:
        env = app_environment(work)
        if not shutil.which("wrk"):
            raise SystemExit("wrk is missing: apt-get install -y wrk (make bench does)")
        print(f"# database: {'PostgreSQL' if is_postgres(env) else 'SQLite in ' + str(work)}", flush=True)
        state = measure(results, ["region_import"], seed, results, env, smoke)
        if state is None:
            raise SystemExit("seeding the database failed; see above")
        endpoints = route_urls(env)

        app = Server("app", "lms:create_app()", env)
        servers.append(app)
        hello = Server("hello", "hello:app", env, pythonpath=BENCH_DIR)
        servers.append(hello)
        app.wait_ready()
        hello.wait_ready()

        resident = Session(app.base, "warga1")
        pages = discover_pages(resident)
        targets = [
            {"name": "home", "path": "/", "latency": True},
            {"name": "sign_in_page", "path": "/akun/masuk"},
        ]
        if "catalogue" in pages:
            targets.append({"name": "catalogue", "path": pages["catalogue"], "cookie": resident.cookie})
        else:
            for name in ("catalogue_rps", "catalogue_ratio"):
                results.skip(name, "no course catalogue at /kursus yet")
        if "lesson" in pages:
            targets.append({"name": "lesson", "path": pages["lesson"], "cookie": resident.cookie, "latency": True})
            # The same pages opened for the first time: a page kept for a reader is not what a new reader gets.
            fresh = {"cookie": resident.cookie, "fresh": True, "latency": True}
            targets.append({"name": "lesson_first_view", "path": pages["lesson"], **fresh})
            if "catalogue" in pages:
                targets.append({"name": "catalogue_first_view", "path": pages["catalogue"], **fresh})
        else:
            for name in ("lesson_rps", "lesson_ratio", "lesson_p95", "lesson_p99"):
                results.skip(name, "no lesson page linked from /kursus yet")
        posts = {}
        if "quiz" in pages:
            targets.append({"name": "quiz_page", "path": pages["quiz"], "cookie": resident.cookie})
            posts = measure(results, ["quiz_save_ratio", "quiz_submit_ratio"], quiz_posts, resident, pages["quiz"])
        else:
            results.skip("quiz_page_ratio", "no quiz page at /kursus/<slug>/kuis yet")
        for kind in ("save", "submit"):
            if posts and kind in posts:
                targets += quiz_targets(kind, posts[kind], resident, env, rounds, seconds)
            elif posts is not None:
                results.skip(f"quiz_{kind}_ratio", f"no quiz answer {kind} form found yet")
        leader = None
        dashboard = endpoints.get("progress.dashboard")
        if dashboard is None:
            results.skip("leader_dashboard_ratio", "no leader dashboard (progress.dashboard) yet")
        elif state.get("synth"):
            results.skip("leader_dashboard_ratio", f"no village of 500 participants: {state['synth']}")
        else:
            leader = Session(app.base, "kades1")
            targets.append({"name": "leader_dashboard", "path": dashboard, "cookie": leader.cookie})
            first_view = {"name": "leader_dashboard_first_view", "path": dashboard, "cookie": leader.cookie}
            targets.append({**first_view, "fresh": True})

        load_started = time.monotonic()
        if wanted("load"):
            measure(results, ["load"], load_figures, results, work, app, hello, targets, rounds, seconds)
        print(f"# load figures took {time.monotonic() - load_started:.0f} s", flush=True)
        app_peaks, hello_peaks = app.worker_peak_kb(), hello.worker_peak_kb()
        if app_peaks:
            results.add("app_worker_peak_memory", round(max(app_peaks) / 1024, 1), "MB", workers_kb=app_peaks)
        if hello_peaks:
            results.add("hello_worker_peak_memory", round(max(hello_peaks) / 1024, 1), "MB", workers_kb=hello_peaks)

        if wanted("scale"):
            scale_figures(results, work, app, env, endpoints, state, seconds)

        weight_pages = [("home", "/", ""), ("sign_in_page", "/akun/masuk", "")]
        if "lesson" in pages:
            weight_pages.append(("lesson", pages["lesson"], resident.cookie))
        else:
            for name in ("lesson_first_load_bytes", "lesson_first_load_requests", "lesson_repeat_load_bytes"):
                results.skip(name, "no lesson page linked from /kursus yet")
        for name, path, cookie in weight_pages if wanted("weight") else []:
            figures = [f"{name}_first_load_bytes", f"{name}_first_load_requests", f"{name}_repeat_load_bytes"]
            measure(results, figures, page_weight, results, app.base, name, path, cookie)

        audit_pages = [("home", "/", ""), ("sign_in_page", "/akun/masuk", "")]
        for name, key in (("lesson", "lesson"), ("quiz", "quiz")):
            if key in pages:
                audit_pages.append((name, pages[key], resident.cookie))
            else:
                for category in ("performance", "accessibility"):
                    results.skip(f"lighthouse_{name}_{category}", f"no {name} page yet")
        for name, path, cookie in audit_pages:
            figures = [f"lighthouse_{name}_performance", f"lighthouse_{name}_accessibility"]
            if smoke or not wanted("lighthouse"):
                for figure in figures:
                    results.skip(figure, "bench-smoke runs no Lighthouse" if smoke else "not in BENCH_ONLY")
                continue
            measure(results, figures, lighthouse, results, work, app.base, name, path, cookie)
    finally:
        for server in servers:
            server.stop()

    try:
        transcode_names = ["transcode_speed", "transcode_overhead", "rendition_240p_size", "rendition_audio_size"]
        if wanted("video"):
            measure(results, transcode_names, transcode_figures, results, work, 4 if smoke else 30, rounds)
        certificate_names = ["certificate_page", "certificate_bulk_page"]
        if wanted("certificates"):
            measure(results, certificate_names, certificate_figures, results, 20 if smoke else 500)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    failed, errors = results.failed(), results.errors()
    for name in failed:
        print(f"BENCH-FAIL {name}", flush=True)
    (BENCH_DIR / "results.json").write_text(
        json.dumps(
            {
                "mode": "smoke" if smoke else "full",
                "rounds": rounds,
                "seconds_per_run": seconds,
                "wrk": {"threads": WRK_THREADS, "connections": WRK_CONNECTIONS},
                "gunicorn": GUNICORN_SETTINGS,
                "cores": os.cpu_count(),
                "elapsed_s": round(time.monotonic() - started, 1),
                "figures": results.figures,
                "failed": failed,
                "errors": errors,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"# {len(failed)} missed target(s), {len(errors)} error(s), {time.monotonic() - started:.0f} s", flush=True)
    if errors:
        return 2
    if failed and not smoke:
        return 1
    return 0


def scale_figures(results: Results, work: Path, app: Server, env: dict, endpoints: dict, state: dict, seconds) -> None:
    """Time the village dashboard and the regency report at 1/100 national scale on PostgreSQL."""
    names = ("village_dashboard_p95_scale", "regency_report_p95_scale")
    reasons = []
    if not is_postgres(env):
        reasons.append("DATABASE_URL is not PostgreSQL")
    if state.get("synth"):
        reasons.append(state["synth"])
    dashboard = endpoints.get("progress.dashboard")
    report = next(
        (url for endpoint, url in endpoints.items() if endpoint.startswith("reports.") and DEMO_REGENCY in url), None
    ) or endpoints.get("reports.office")
    if reasons:
        for name in names:
            results.skip(name, "; ".join(reasons))
        return
    for name, url, user in ((names[0], dashboard, "kades1"), (names[1], report, "petugas1")):
        if url is None:
            results.skip(name, f"no {'village dashboard' if user == 'kades1' else 'regency report'} page yet")
            continue
        person = Session(app.base, user)
        # Fresh: the figure is the work of computing the page, not of sending one kept from the request before.
        runs = [
            wrk(work, app.base + url, seconds, connections=REPORT_CONNECTIONS, cookie=person.cookie, fresh=True)
            for _ in range(3)
        ]
        results.add(name, round(statistics.median(run["p95_ms"] for run in runs), 1), "ms", path=url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="one short round, tiny population, no Lighthouse")
    arguments = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    sys.exit(run(arguments.smoke))


if __name__ == "__main__":
    main()
