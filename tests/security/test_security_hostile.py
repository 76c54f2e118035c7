"""Hostile input into every form, JSON body and upload field each party can reach: a sample per field here.

`make security` sends every payload (scripts/security/hostile_input.py); this module sends a rotating
sample of them, so the suite stays fast while every field still meets script, SQL, path, NUL, overlong,
right-to-left, emoji, CSV-formula, template and CR/LF input over the rotation.
"""

from pathlib import Path

import pytest
from sqlalchemy import select

import lms
from lms.extensions import db
from lms.quizzes.models import OptionText, QuestionText
from tests.security.hostile import (
    PAYLOADS,
    SAMPLE_SIZE,
    Tally,
    attack_forms,
    attack_uploads,
    check_served_files,
    crawl,
    distinct_forms,
    endpoint_of,
    is_known_bug,
    malformed_files,
    missing_headers,
    parse_page,
    script_json_keys,
)
from tests.security.world import PARTIES

#: Per party: pages reached, forms found, crawl errors (filled by the first test that crawls).
CRAWLS: dict = {}
#: Forms already attacked in this module, by (endpoint, method, field names, file fields): each once.
ATTACKED: set = set()


def _crawl(app, world, party_clients, party):
    if party not in CRAWLS:
        errors = []
        pages, forms = crawl(app, party_clients[party], party, world, errors=errors, per_endpoint=1)
        CRAWLS[party] = (pages, distinct_forms(app, forms), errors)
    return CRAWLS[party]


def _new(app, forms, kind: str):
    fresh = []
    for form in forms:
        key = (kind, endpoint_of(app, form.action, form.method), tuple(sorted(f[0] for f in form.fields)))
        if key not in ATTACKED:
            ATTACKED.add(key)
            fresh.append(form)
    return fresh


def _client_for(app, party_clients, party):
    if party == "anonymous":
        return app.test_client  # a fresh browser each time, so a sign-up never carries over
    return lambda: party_clients[party]


def test_there_are_enough_payloads_and_files():
    assert len(PAYLOADS) >= 60
    assert len(malformed_files()) >= 20


@pytest.mark.parametrize("party", PARTIES)
def test_hostile_input_into_every_field(app, world, party_clients, party):
    pages, forms, errors = _crawl(app, world, party_clients, party)
    forms = _new(app, forms, "fields")
    tally = Tally()
    keys = script_json_keys(Path(lms.__file__).parent)
    attack_forms(app, _client_for(app, party_clients, party), forms, tally, sample=SAMPLE_SIZE, json_keys=keys)
    failures = [f for f in errors + tally.failures if not is_known_bug(app, f)]
    print(f"\n{party}: {len(pages)} pages, {len(forms)} new forms, {tally.requests} requests, {len(failures)} failures")
    assert failures == []


@pytest.mark.parametrize("party", PARTIES)
def test_malformed_files_into_every_upload_field(app, world, party_clients, party):
    _, forms, _ = _crawl(app, world, party_clients, party)
    forms = _new(app, [form for form in forms if form.files], "files")
    if not forms:
        pytest.skip(f"{party} sees no upload field not already tried")
    tally = Tally()
    served = []
    attack_uploads(app, _client_for(app, party_clients, party), forms, tally, served)
    for client, page in served:
        check_served_files(app, client, page, tally)
    print(f"\n{party}: {len(forms)} upload forms, {tally.requests} requests, {len(tally.failures)} failures")
    assert tally.failures == []


@pytest.mark.parametrize("party", PARTIES)
def test_security_headers_on_every_page_each_party_reaches(app, world, party_clients, party):
    pages, _, _ = _crawl(app, world, party_clients, party)
    missing = {path: gaps for path, headers in pages.items() if (gaps := missing_headers(headers))}
    assert pages and missing == {}


def test_a_nul_byte_in_a_form_is_dropped_before_the_database(app, world, party_clients):
    """PostgreSQL refuses text holding NUL (was a 500 in the question editor); SQLite would keep it unseen."""
    client = party_clients["officer_p"]
    address = "/kelola/kursus/umum/kuis/soal/q1"
    forms, _ = parse_page("http://localhost" + address, client.get(address).get_data(as_text=True))
    form = next(form for form in forms if "options-0-source_text" in {f[0] for f in form.fields})
    data = form.defaults()
    data.setlist("source_text", ["Apa\x00 paspor?"])
    data.setlist("options-0-source_text", ["Pilihan\x00 satu"])
    response = client.post(form.action, data=data)
    assert response.status_code in (302, 303), response.status_code
    with app.app_context():
        texts = db.session.scalars(select(QuestionText.text)).all() + db.session.scalars(select(OptionText.text)).all()
    assert "Apa paspor?" in texts and "Pilihan satu" in texts
    assert not any("\x00" in text for text in texts)
    # Fields read without a form class too: the quiz's submit token.
    record = next(r for r in world.records if r.kind == "quiz attempt" and "resident_a" in r.readers)
    submit = f"/kursus/{record.values['slug']}/kuis/{record.values['attempt_id']}/kirim"
    assert party_clients["resident_a"].post(submit, data={"token": "abc\x00def"}).status_code < 500
