"""Signing keys: `flask setup` makes the first, `flask certificates new-key` rotates, files stay private."""

import datetime
import re
import stat

import pytest

from lms.certificates.commands import create_first_key
from lms.certificates.keys import key_ring


@pytest.fixture
def keys_dir(app, tmp_path):
    """Point the app at an empty keys folder for one test."""
    previous = app.config["CERTIFICATE_KEYS_DIR"]
    app.config["CERTIFICATE_KEYS_DIR"] = str(tmp_path / "keys")
    yield tmp_path / "keys"
    app.config["CERTIFICATE_KEYS_DIR"] = previous


def test_setup_creates_the_first_key_once(app, keys_dir):
    from lms import demo

    assert create_first_key in demo.SETUP_STEPS
    with app.app_context():
        create_first_key()
        create_first_key()
        (path,) = keys_dir.glob("*.pem")
        assert re.fullmatch(rf"{datetime.date.today():%Y%m%d}-{key_ring().active_kid}\.pem", path.name)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_new_key_command_rotates_and_the_newest_key_signs(app, keys_dir):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["certificates", "new-key"])
    second = runner.invoke(args=["certificates", "new-key"])
    assert first.exit_code == second.exit_code == 0
    kids = [re.search(r"key (\w{8})", result.output).group(1) for result in (first, second)]
    with app.app_context():
        ring = key_ring()
        assert ring.active_kid == kids[1]  # made the same day, the later file wins
        assert {key.kid for key in ring.keys} == set(kids)


def test_admin_page_lists_the_keys(app, client, auth, admin, keys_dir):
    auth.sign_in(admin)
    page = client.get("/sertifikat/kunci", headers={"Accept-Language": "id"}).get_data(as_text=True)
    assert "Belum ada kunci tanda tangan" in page
    client.post("/sertifikat/kunci")
    with app.app_context():
        kid = key_ring().active_kid
    page = client.get("/sertifikat/kunci", headers={"Accept-Language": "id"}).get_data(as_text=True)
    assert f"<code>{kid}</code>" in page and "Menandatangani sertifikat baru" in page
