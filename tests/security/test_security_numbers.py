"""Numbers beyond what the database holds (PostgreSQL integers are 32-bit) are refused: never a 500.

Ids in addresses, numbers in query strings, number fields of the editors and the quiz's answer saves.
"""

import re
from pathlib import Path

import lms
from lms.access import ANYONE
from tests.security.world import ROLE_OF, RULE_VARIABLE

HUGE = (2**31, 2**63, 10**30)
#: Query string numbers the views read (`request.args.get("page", type=int)` and the like), found in the code.
QUERY_NUMBERS = sorted(
    {
        name
        for source in Path(lms.__file__).parent.rglob("*.py")
        for name in re.findall(r"args\.get\(\s*\"(\w+)\"[^)]*type=(?:int|choice_number)", source.read_text())
    }
)


#: Every other query string field the views read: each gets a NUL byte, which PostgreSQL refuses to store or compare.
QUERY_TEXTS = sorted(
    {
        name
        for source in Path(lms.__file__).parent.rglob("*.py")
        for name in re.findall(r"args\.get(?:list)?\(\s*\"(\w+)\"", source.read_text())
    }
    - set(QUERY_NUMBERS)
)


def _int_variables(rule) -> set[str]:
    return {name for name, converter in rule._converters.items() if "Integer" in type(converter).__name__}


def _filled(rule, world, numbers: dict) -> str:
    values = next((r.values for r in world.records if r.url_for_rule(rule.rule)), {})
    return RULE_VARIABLE.sub(lambda m: str(numbers.get(m.group(2), values.get(m.group(2), "x"))), rule.rule)


def test_huge_ids_in_addresses_are_not_found(app, world, party_clients):
    statuses = {}
    rules = [rule for rule in app.url_map.iter_rules() if _int_variables(rule)]
    for rule in rules:
        for huge in HUGE:
            url = _filled(rule, world, dict.fromkeys(_int_variables(rule), huge))
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                statuses[f"{method} {url}"] = party_clients["admin"].open(url, method=method, data={}).status_code
    assert len(rules) > 20
    # Not found, or (where another rule takes the address as text) not allowed: never a page, never a 500.
    assert {request: status for request, status in statuses.items() if status not in (404, 405)} == {}


def test_huge_numbers_and_nul_bytes_in_query_strings_are_answered(app, world, party_clients):
    assert {"page", "level"} <= set(QUERY_NUMBERS) and "q" in QUERY_TEXTS
    query = "&".join([f"{name}={10**30}" for name in QUERY_NUMBERS] + [f"{name}=a%00b" for name in QUERY_TEXTS])
    failures, requests = [], 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        allowed = app.view_functions[rule.endpoint].allowed
        url = _filled(rule, world, {})
        # One party of each role; a party's own records fill the address where the world has them.
        for party in ("resident_a", "leader_x", "officer_p", "admin"):
            if ANYONE in allowed or ROLE_OF[party] in allowed:
                requests += 1
                response = party_clients[party].get(f"{url}?{query}")
                if response.status_code >= 500:
                    failures.append(f"{party} GET {url}?{query[:40]}…: {response.status_code}")
    assert requests > 50 and failures == []


def test_a_huge_reading_time_is_refused_with_the_range_in_indonesian(app, world, party_clients):
    for number in ("9" * 400, "9" * 5000, "2147483648", "dua"):
        data = {"slug": "baru", "title": "Baru", "body": "Isi.", "minutes": number, "save": "1"}
        response = party_clients["officer_p"].post("/kelola/kursus/draf-p/pelajaran/baru", data=data)
        assert response.status_code == 422, number
        assert "Dari 1 sampai 240." in response.get_data(as_text=True)
    assert party_clients["officer_p"].get("/kursus/draf-p/baru").status_code == 404


def test_a_huge_catalogue_place_is_refused(app, world, party_clients):
    page = party_clients["officer_p"].get("/kelola/kursus/draf-p").get_data(as_text=True)
    assert 'name="position"' in page
    data = {"slug": "draf-p", "source_language": "id", "position": "9" * 400, "video_percent": "80"}
    response = party_clients["officer_p"].post("/kelola/kursus/draf-p", data=data)
    assert response.status_code == 422
    assert "Dari 1 sampai 10000." in response.get_data(as_text=True)


def test_an_answer_for_a_huge_question_number_is_refused(app, world, party_clients):
    record = next(r for r in world.records if r.kind == "quiz attempt" and "resident_a" in r.readers)
    url = f"/kursus/{record.values['slug']}/kuis/{record.values['attempt_id']}/simpan"
    client = party_clients["resident_a"]
    for position in (2**31, 2**70, -(2**70)):
        body = {"position": position, "choices": [1], "sequence": 1}
        as_json = client.post(url, json=body)
        assert as_json.status_code == 422
        assert as_json.get_json()["error"] == "Silakan muat ulang halaman dan jawab lagi."
        assert client.post(url, data=body).status_code == 422
    # The answer in its place is still saved.
    assert client.post(url, json={"position": 1, "choices": [1], "sequence": 1}).get_json()["saved"] is True
