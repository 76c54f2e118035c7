"""The officers' pages cost a fixed number of queries, whatever the number of villages and residents."""

from tests.evaluation.conftest import take
from tests.evaluation.test_printed_report import VILLAGES
from tests.sql import recorded_statements


def statements_for(app, client, path: str) -> list[str]:
    with recorded_statements(app) as statements:
        assert client.get(path).status_code == 200
    return statements


def test_the_evaluation_pages_do_not_grow_with_the_villages(app, client, auth, create_user, officer, course_slug):
    def add_people(villages):
        for index, village in enumerate(villages):
            person = create_user("resident", f"warga_q{index}_{village}", village_code=village)
            take(app, course_slug, person, right=1, pretest=True)
            take(app, course_slug, person, right=3)
            auth.sign_in(person)
            client.post(f"/kursus/{course_slug}/pelajaran-satu/nilai", data={"rating": "3"})
            client.post(f"/kursus/{course_slug}/umpan-balik", data={"clarity": "4", "hard_text": "Sulit."})
            auth.sign_out()

    add_people(VILLAGES[:1])
    auth.sign_in(officer)
    statements_for(app, client, "/evaluasi")  # the first page of a session loads what later pages find cached
    small = {path: len(statements_for(app, client, path)) for path in ("/evaluasi", "/evaluasi/umpan-balik")}
    auth.sign_out()
    add_people(VILLAGES[1:])
    auth.sign_in(officer)
    large = {path: len(statements_for(app, client, path)) for path in ("/evaluasi", "/evaluasi/umpan-balik")}
    assert small == large, (small, large)
    # Each counts the officer's account, loaded when the page first asks for their office (the session check is one).
    assert large["/evaluasi"] <= 16 and large["/evaluasi/umpan-balik"] <= 11, large
