"""Flask's signed-cookie sessions, with the cookies a worker has already checked remembered.

A phone sends the same session cookie with every request, and checking it (two HMACs, zlib, JSON) is a
noticeable part of saving a quiz answer. A cookie this worker checked before is found by its exact value
and the serializer of the signing keys: no other value can map to remembered contents, other keys have
another serializer, and the cookie's age limit is checked on every use as Flask checks it. Contents holding
anything mutable (a list of flashed messages) are never remembered: a request changing them in place would
change them for the next.
"""

import time
from functools import lru_cache

from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature

#: Cookies remembered per worker (a few hundred bytes each).
REMEMBERED_COOKIES = 4096
_PLAIN = (str, int, float, bool, type(None))


class _NotRemembered(Exception):
    """A good cookie whose contents must not be shared between requests: (contents, signed at)."""


class RememberingSessionInterface(SecureCookieSessionInterface):
    """Open a session from its cookie without checking the signature again when this worker checked it already."""

    def __init__(self) -> None:
        self._serializers: dict[tuple, object] = {}
        self._checked = lru_cache(maxsize=REMEMBERED_COOKIES)(self._check)

    def get_signing_serializer(self, app):
        """Build the serializer once for each set of signing keys (Flask builds one for every request)."""
        keys = _signing_keys(app)
        serializer = self._serializers.get(keys)
        if serializer is None:
            serializer = super().get_signing_serializer(app)
            if len(self._serializers) > 4:  # keys rotated more than a few times: start afresh
                self._serializers.clear()
            self._serializers[keys] = serializer
        return serializer

    def open_session(self, app, request):
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        try:
            contents, signed_at = self._checked(value, serializer)  # one serializer for each set of keys
        except BadSignature:
            return self.session_class()
        except _NotRemembered as checked:
            contents, signed_at = checked.args
        if not 0 <= time.time() - signed_at <= app.permanent_session_lifetime.total_seconds():
            return self.session_class()  # expired, as Flask's own check (itsdangerous's max_age) would say
        return self.session_class(contents)

    @staticmethod
    def _check(value: str, serializer) -> tuple:
        contents, signed_at = serializer.loads(value, return_timestamp=True)
        if not all(isinstance(item, _PLAIN) for item in contents.values()):
            raise _NotRemembered(contents, signed_at.timestamp())
        return tuple(contents.items()), signed_at.timestamp()


def _signing_keys(app) -> tuple:
    return app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ())
