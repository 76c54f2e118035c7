"""Object-level access: no party reaches another party's records, on any route, with any method.

Every rule in the URL map whose variables a record of the world can fill is requested by every
party with every method. A party that may not read (or, on a staff-only route, manage) the record
must get neither a 200 nor a page showing the record's marker, and a refused write must change
nothing. List pages without variables are checked for residents' names and other offices' drafts.
"""

import pytest

from config import TestConfig
from lms import create_app
from lms.access import ANYONE
from tests.security.world import PARTIES, ROLE_OF, fingerprint, is_staff_route, variables

_APP = create_app(TestConfig)
ROUTES = sorted(
    (rule.rule, rule.endpoint, tuple(sorted(rule.methods - {"HEAD", "OPTIONS"})))
    for rule in _APP.url_map.iter_rules()
    if rule.endpoint != "static"
)
WITH_VARIABLES = [route for route in ROUTES if variables(route[0])]
LISTS = [route for route in ROUTES if not variables(route[0]) and "GET" in route[2]]
#: Known leaks in colleagues' packages, per endpoint; each turns red the day it is fixed.
KNOWN_LEAKS: dict[str, str] = {}


def _case(route):
    reason = KNOWN_LEAKS.get(route[1])
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(*route, id=route[1], marks=marks)


def _role_allows(allowed: frozenset, party: str) -> bool:
    return ANYONE in allowed or ROLE_OF[party] in allowed


def _leaks(app, response, party: str, hidden: list[str]) -> list[str]:
    body = response.get_data(as_text=True) if response.mimetype.startswith(("text/", "application/json")) else ""
    return [marker for marker in hidden if marker in body]


@pytest.mark.parametrize(("rule", "endpoint", "methods"), [_case(r) for r in WITH_VARIABLES])
def test_no_party_reaches_another_partys_record(app, world, party_clients, rule, endpoint, methods):
    allowed = app.view_functions[endpoint].allowed
    managing = is_staff_route(allowed)
    records = [(record, record.url_for_rule(rule)) for record in world.records]
    records = [(record, url) for record, url in records if url is not None]
    if not records:
        pytest.skip(f"no record of the world fills {rule} ({', '.join(variables(rule))})")
    failures = []
    known = None  # the stored data after the last refused write, still true until another request
    for record, url in records:
        entitled = record.managers if managing else record.readers
        for party in PARTIES:
            if party in entitled or ANYONE in entitled or not _role_allows(allowed, party):
                continue  # the owner, or a role the role matrix (tests/test_access.py) already refuses
            hidden = world.markers_hidden_from(party, managing)
            for method in methods:
                before = None
                if method != "GET":
                    with app.app_context():
                        before = known or fingerprint()
                known = None
                response = party_clients[party].open(url, method=method, data={})
                problem = None
                if response.status_code == 200:
                    problem = "200"
                elif response.status_code >= 500:
                    problem = f"{response.status_code}"
                elif leaked := _leaks(app, response, party, hidden):
                    problem = f"shows {leaked}"
                elif before is not None:
                    with app.app_context():
                        known = fingerprint()
                    if known != before:
                        problem = f"{response.status_code} and changed stored data"
                        known = None
                if problem:
                    failures.append(f"{party} {method} {url} ({record.kind}): {problem}")
    assert failures == []


@pytest.mark.parametrize(("rule", "endpoint", "methods"), [_case(r) for r in LISTS])
def test_pages_without_ids_show_no_other_partys_data(app, world, party_clients, rule, endpoint, methods):
    allowed = app.view_functions[endpoint].allowed
    managing = is_staff_route(allowed)
    failures = []
    for party in PARTIES:
        if not _role_allows(allowed, party):
            continue
        response = party_clients[party].get(rule)
        assert response.status_code < 500, f"{party} GET {rule}: {response.status_code}"
        if leaked := _leaks(app, response, party, world.markers_hidden_from(party, managing)):
            failures.append(f"{party} GET {rule}: shows {leaked}")
    assert failures == []


GET_WITH_VARIABLES = [route for route in WITH_VARIABLES if "GET" in route[2]]
#: Pages that fail for the very people entitled to them, per endpoint (colleagues' bugs).
KNOWN_ERRORS: dict[str, str] = {}
#: Pages the world's records cannot open even for their owners, so the refusals above prove less there.
UNREACHED = {
    "courses.diff": "needs two versions named in its query string (?dari=…&ke=…)",
    "media.file": "the world's videos have no transcoded files (scripts/security/faults.py transcodes a real one)",
    "media.track": "the world's videos have no captions",
    "media.transcript": "the world's videos have no captions",
}


@pytest.mark.parametrize(
    ("rule", "endpoint", "methods"),
    [
        pytest.param(*r, id=r[1], marks=[pytest.mark.xfail(strict=True, reason=KNOWN_ERRORS[r[1]])])
        if r[1] in KNOWN_ERRORS
        else pytest.param(*r, id=r[1])
        for r in GET_WITH_VARIABLES
    ],
)
def test_owners_open_their_own_records(app, world, party_clients, rule, endpoint, methods):
    """The world is real: entitled parties open the records, so a refusal above means something."""
    allowed = app.view_functions[endpoint].allowed
    managing = is_staff_route(allowed)
    statuses = []
    for record in world.records:
        url = record.url_for_rule(rule)
        if url is None:
            continue
        for party in sorted(record.managers if managing else record.readers):
            if _role_allows(allowed, party):
                response = party_clients[party].get(url)
                assert response.status_code < 500, f"{party} GET {url}: {response.status_code}"
                statuses.append(response.status_code)
    if not statuses:
        pytest.skip(f"no record of the world fills {rule}")
    if endpoint not in UNREACHED:
        assert any(status < 400 for status in statuses), f"nobody entitled opens {rule}: {statuses}"


def test_feedback_reaches_the_officers_of_its_area_without_the_writers_name(app, world, party_clients):
    if not any(record.kind == "feedback" for record in world.records):
        pytest.skip("no feedback package yet")
    shown = {party: party_clients[party].get("/evaluasi/umpan-balik").get_data(as_text=True) for party in PARTIES[5:]}
    assert "ZQUMPANA" in shown["officer_p"] and "ZQUMPANB" in shown["officer_q"]
    assert "ZQUMPANA" in shown["admin"] and "ZQUMPANB" in shown["admin"]
    assert "ZQUMPANB" not in shown["officer_p"] and "ZQUMPANA" not in shown["officer_q"]
    assert not any(name in page for page in shown.values() for name in ("ZQWARGAA", "ZQWARGAB"))


def test_a_concern_reaches_only_the_officers_covering_the_village(app, world, party_clients):
    if not any(record.kind == "concern" for record in world.records):
        pytest.skip("no community package yet")
    queue = {
        party: party_clients[party].get("/lapor/petugas").get_data(as_text=True) for party in ("officer_p", "officer_q")
    }
    assert "ZQLAPORA" in queue["officer_p"] and "ZQLAPORB" not in queue["officer_p"]
    assert "ZQLAPORB" in queue["officer_q"] and "ZQLAPORA" not in queue["officer_q"]
    for party in ("leader_x", "admin", "resident_b"):
        assert party_clients[party].get("/lapor/petugas").status_code in (302, 403), party
