"""The lesson page keeps each video's player in the worker's memory, yet never shows one older than the last change."""

import io
import os
import secrets
import subprocess
import sys
from pathlib import Path

from flask_login import current_user
from sqlalchemy import delete, insert, select

from lms.core.models import ContentVersion
from lms.courses.models import Lesson
from lms.extensions import db
from lms.media.models import CaptionTrack
from tests.media import test_watching
from tests.media.test_watching import count_queries

ROOT = Path(__file__).resolve().parents[2]
LESSON = "/kursus/kursus-video/pelajaran-video"
#: The fixture of a ready video with Indonesian captions, shared with the watching tests.
watchable = test_watching.watchable
ENGLISH_VTT = b"WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nWelcome.\n"


def stamp_everything(app) -> None:
    """Give every kind of content a stamp, as a migrated database that saw changes has: caches work from the start."""
    with app.app_context():
        db.session.execute(delete(ContentVersion))
        names = ("courses", "media", "community")
        db.session.execute(insert(ContentVersion), [{"name": name, "stamp": secrets.token_hex(16)} for name in names])
        db.session.commit()


def run_as_another_worker(app, script: str) -> None:
    """Run a script in a process of its own (another gunicorn worker: its own memory, the same database)."""
    database_url = app.config["SQLALCHEMY_DATABASE_URI"].replace("postgresql+psycopg://", "postgresql://")
    env = dict(os.environ, DATABASE_URL=database_url, INSTANCE_DIR=app.config["INSTANCE_DIR"], JOBS_BACKEND="immediate")
    prelude = "from lms import create_app\nfrom lms.extensions import db\napp = create_app()\n"
    subprocess.run([sys.executable, "-c", prelude + script], cwd=ROOT, env=env, check=True, timeout=120)


def test_a_lesson_page_read_again_reads_neither_the_video_nor_its_captions(app, client, auth, resident, watchable):
    stamp_everything(app)
    _, video_id = watchable()
    auth.sign_in(resident)
    client.get(LESSON)
    statements, page = count_queries(app, client, LESSON)
    assert f'<source src="/video/{video_id}/berkas/download.mp4"' in page
    assert 'srclang="id"' in page and "<p>Selamat datang. Mari belajar paspor." in page
    assert [s for s in statements if "FROM videos" in s or "FROM caption_tracks" in s] == []
    # The signed-in person, every content stamp at once, and the reader's own progress: nothing else.
    assert len(statements) == 3, statements
    assert sum("FROM content_versions" in s for s in statements) == 1


def test_new_captions_and_a_deletion_show_on_the_very_next_page(app, client, auth, officer, resident, watchable):
    stamp_everything(app)
    lesson_id, video_id = watchable()
    auth.sign_in(resident)
    assert 'srclang="en"' not in client.get(LESSON).get_data(as_text=True)
    auth.sign_out()
    auth.sign_in(officer)
    data = {
        f"captions-{video_id}-language": "en",
        f"captions-{video_id}-captions": (io.BytesIO(ENGLISH_VTT), "en.vtt"),
    }
    assert client.post(f"/video/{video_id}/teks", data=data, content_type="multipart/form-data").status_code == 302
    auth.sign_out()
    auth.sign_in(resident)
    assert '<track kind="captions" srclang="en"' in client.get(LESSON).get_data(as_text=True)
    auth.sign_out()
    auth.sign_in(officer)
    assert client.post(f"/video/pelajaran/{lesson_id}/hapus/{video_id}").status_code == 303
    auth.sign_out()
    auth.sign_in(resident)
    page = client.get(LESSON).get_data(as_text=True)
    assert "<video" not in page and f"/video/{video_id}/" not in page


def test_where_a_reader_stopped_stays_their_own(app, client, auth, resident, create_user, watchable):
    stamp_everything(app)
    _, video_id = watchable()
    neighbour = create_user("resident", "tetangga", village_code="16.72.01.1018")
    auth.sign_in(resident)
    assert client.post(f"/video/{video_id}/posisi", json={"position": 3.0}).status_code == 200
    assert 'data-position="3.0"' in client.get(LESSON).get_data(as_text=True)
    auth.sign_out()
    auth.sign_in(neighbour)
    page = client.get(LESSON).get_data(as_text=True)
    assert 'data-position="0.0"' in page and 'data-position="3.0"' not in page


def test_a_change_rolled_back_is_never_shown(app, client, watchable):
    stamp_everything(app)
    lesson_id, _ = watchable()
    assert "Selamat datang." in client.get(LESSON).get_data(as_text=True)
    from lms.media.watching import player_context

    with app.test_request_context(LESSON):
        track = db.session.scalars(select(CaptionTrack)).one()
        track.transcript = "Teks yang dibatalkan."
        db.session.flush()
        player = player_context(db.session.get(Lesson, lesson_id), current_user)
        assert [paragraph.strip() for paragraph in player.transcript.paragraphs] == ["Teks yang dibatalkan."]
        db.session.rollback()
    page = client.get(LESSON).get_data(as_text=True)
    assert "Selamat datang." in page and "dibatalkan" not in page


def test_a_change_committed_by_another_worker_process_is_seen_at_once(app, client, watchable):
    stamp_everything(app)
    watchable()
    assert "Selamat datang." in client.get(LESSON).get_data(as_text=True)
    script = (
        "from lms.media.models import CaptionTrack\n"
        "with app.app_context():\n"
        "    db.session.scalars(db.select(CaptionTrack)).one().transcript = 'Dari pekerja lain.'\n"
        "    db.session.commit()\n"
    )
    run_as_another_worker(app, script)
    page = client.get(LESSON).get_data(as_text=True)
    assert "<p>Dari pekerja lain." in page and "Selamat datang." not in page
