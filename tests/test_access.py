"""Every route declares who may use it, and nobody else gets in."""

import re

import pytest

from config import TestConfig
from lms import create_app
from lms.access import ANYONE, ROLES

ROUTES = sorted(
    (rule.rule, rule.endpoint, sorted(rule.methods - {"HEAD", "OPTIONS"}))
    for rule in create_app(TestConfig).url_map.iter_rules()
    if rule.endpoint != "static"
)
WHO = ("anonymous", *ROLES)


def concrete(rule: str) -> str:
    """Fill a rule's variables with values that name nothing that exists."""
    return re.sub(
        r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", lambda m: "999999" if m.group(1) in {"int"} else "tidak-ada", rule
    )


def test_every_route_declares_who_may_use_it(app):
    undeclared = [
        endpoint for _, endpoint, _ in ROUTES if getattr(app.view_functions[endpoint], "allowed", None) is None
    ]
    assert undeclared == []


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize(("rule", "endpoint", "methods"), ROUTES, ids=[f"{r[1]}" for r in ROUTES])
def test_access_matrix(app, client, create_user, auth, who, rule, endpoint, methods):
    allowed = app.view_functions[endpoint].allowed
    if who != "anonymous":
        auth.sign_in(create_user(who))
    for method in methods:
        response = client.open(concrete(rule), method=method, data={})
        permitted = ANYONE in allowed or who in allowed
        if permitted:
            assert response.status_code != 403, f"{method} {rule} refused {who}"
            assert "/akun/masuk" not in response.headers.get("Location", "") or endpoint == "accounts.sign_up"
            assert response.status_code < 500
        elif who == "anonymous":
            assert response.status_code == 302 and "/akun/masuk" in response.headers["Location"], f"{method} {rule}"
        else:
            assert response.status_code == 403, f"{method} {rule} let {who} in"
