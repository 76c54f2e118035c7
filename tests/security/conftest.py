"""A world of two villages and two offices shared by the tests of one module, and its clients."""

import pytest

from lms import demo
from lms.extensions import db
from tests.security.world import PARTIES, build_world, empty_tables, sign_in


@pytest.fixture(autouse=True)
def _clean_database(request):
    """Empty the tables after each test, except in modules that share one world (emptied at their end)."""
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        demo.ensure_languages()
        db.session.commit()
    yield
    if "world" not in request.fixturenames:
        empty_tables(app)


@pytest.fixture(scope="module")
def world(app):
    """Build the world once for a module; empty the database when the module is done."""
    empty_tables(app)
    built = build_world(app)
    if built.missing:
        print(f"\nworld: {len(built.missing)} record kinds not present yet: {', '.join(built.missing)}")
    yield built
    empty_tables(app)


@pytest.fixture(scope="module")
def party_clients(app, world):
    """One signed-in test client per party."""
    clients = {}
    for party in PARTIES:
        clients[party] = app.test_client()
        sign_in(clients[party], party)
    return clients
