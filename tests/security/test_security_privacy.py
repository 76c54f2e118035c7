"""Personal data under UU PDP: consent first, a complete export, a complete deletion, clean logs, no NIK."""

import json
import logging
import re

from flask_wtf import FlaskForm
from sqlalchemy import String, Text, select
from wtforms.fields.core import UnboundField

from lms.accounts.models import User
from lms.extensions import db
from tests.security.world import build_world, sign_in

NIK = re.compile(r"(^|_)(nik|ktp|no_?ktp|national_?id|id_?number|identity_?number)($|_)", re.IGNORECASE)
NAME, PHONE = "Siti ZQWARGAA", "+6281311110001"


def _tables_referring_to_users():
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if any(fk.column.table.name == "users" for fk in column.foreign_keys):
                yield table, column


def _sign_up(client, **fields):
    password = "kata-sandi-baru-1"
    data = {"name": "Rina Lestari", "phone": "0813 2222 3333", "username": "", "password": password}
    data.update(confirm=password, village_code="16.72.01.1018", consent="y")
    data.update(fields)
    return client.post("/akun/daftar", data=data)


def test_consent_is_required_and_recorded_with_its_version(app, client):
    refused = _sign_up(client, consent="")
    assert refused.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(User).where(User.name == "Rina Lestari")) is None
    assert _sign_up(app.test_client()).status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.name == "Rina Lestari"))
        assert user.consent_version == app.config["CONSENT_VERSION"] and user.consent_dt is not None


def test_export_covers_every_table_that_refers_to_the_resident(app):
    world = build_world(app)
    client = app.test_client()
    sign_in(client, "resident_a")
    client.get("/akun/profil")
    data = json.loads(client.get("/akun/profil/data").get_data(as_text=True))
    me = world.users["resident_a"]
    with app.app_context():
        holding = {
            table.name
            for table, column in _tables_referring_to_users()
            if db.session.execute(select(column).where(column == me).limit(1)).first()
        }
    assert holding - {"users"}, "the world gave the resident no records to export"
    assert holding <= set(data["tables"]), f"missing from the export: {holding - set(data['tables'])}"
    text = json.dumps(data, ensure_ascii=False)
    assert "ZQWARGAB" not in text and "+6281311110002" not in text and "password_hash" not in text


def test_deletion_leaves_no_personal_field_anywhere(app):
    world = build_world(app)
    client = app.test_client()
    sign_in(client, "resident_a")
    assert client.post("/akun/profil/hapus", data={"password": "kata-sandi-rahasia", "confirm": "y"}).status_code == 302
    me = world.users["resident_a"]
    found = []
    with app.app_context():
        user = db.session.get(User, me)
        assert user.is_deleted
        assert (user.username, user.phone, user.village_code, user.language) == (None, None, None, None)
        for table in db.metadata.sorted_tables:
            if table.name == "regions":
                continue
            text_columns = [c for c in table.columns if isinstance(c.type, (String, Text))]
            for column in text_columns:
                for needle in ("ZQWARGAA", "Siti", PHONE, PHONE[3:]):
                    hit = db.session.execute(select(column).where(column.contains(needle)).limit(1)).first()
                    if hit:
                        found.append(f"{table.name}.{column.name} holds {needle!r}")
    assert found == []


def test_names_and_phone_numbers_never_reach_the_logs(app, caplog):
    caplog.set_level(logging.DEBUG)
    world = build_world(app)
    client = app.test_client()
    _sign_up(client, name="Rina Lestari", phone="0813 2222 3333")
    sign_in(client, "resident_a")
    client.post("/akun/masuk", data={"identifier": PHONE, "password": "salah"})
    for record in world.records:
        if record.kind == "quiz attempt" and "resident_a" in record.readers:
            base = f"/kursus/{record.values['slug']}/kuis/{record.values['attempt_id']}"
            client.post(f"{base}/simpan", json={"position": 1, "choices": [1], "sequence": 1})
            client.post(f"{base}/kirim", data={"token": "t"})
            client.get(f"{base}/hasil")
    client.get("/akun/profil/data")
    logged = "\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records)
    for secret in ("Rina", "Lestari", "ZQWARGAA", "Siti", "81322223333", "0813 2222 3333", PHONE, PHONE[3:]):
        assert secret not in logged, f"{secret!r} was logged"


def _form_classes(cls=FlaskForm):
    for sub in cls.__subclasses__():
        yield sub
        yield from _form_classes(sub)


def test_no_national_id_number_is_asked_for_or_stored(app):
    columns = [f"{t.name}.{c.name}" for t in db.metadata.sorted_tables for c in t.columns if NIK.search(c.name)]
    fields = [
        f"{form.__module__}.{form.__name__}.{name}"
        for form in _form_classes()
        for name in dir(form)
        if isinstance(getattr(form, name, None), UnboundField) and NIK.search(name)
    ]
    assert list(_form_classes()), "no forms found"
    assert columns == [] and fields == []
