"""Static files: a repeat visit on a slow link downloads no stylesheet or script again."""

import re


def test_a_fingerprinted_static_file_is_kept_for_a_year_without_rechecking(client):
    page = client.get("/").get_data(as_text=True)
    stylesheet = re.search(r'href="(/static/app\.css\?v=[0-9a-f]{10})"', page).group(1)
    response = client.get(stylesheet)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["X-Content-Type-Options"] == "nosniff"  # the security headers are still there


def test_a_bare_static_address_is_checked_each_time_and_answered_with_not_modified(client):
    response = client.get("/static/app.css")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-cache"
    again = client.get("/static/app.css", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""


def test_pages_are_never_kept_without_asking(client):
    assert client.get("/").headers["Cache-Control"] == "no-cache"
