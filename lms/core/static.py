"""Caching of the static files: a fingerprinted address is kept for a year, a bare one is checked each time."""

from flask import current_app, request


def cache_static_files(response):
    """Let browsers keep a static file whose address carries its content hash, and re-check any other."""
    if request.endpoint != "static" or response.status_code not in (200, 206, 304):
        return response
    if request.args.get("v"):  # static_url() put the content hash there: new content gets a new address
        max_age = current_app.config["SEND_FILE_MAX_AGE_DEFAULT"]
        response.headers["Cache-Control"] = f"public, max-age={max_age}, immutable"
    else:  # the same address may serve new content after a release (e.g. the certificate checker's worker)
        response.headers["Cache-Control"] = "no-cache"
    return response
