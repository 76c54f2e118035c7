"""Send every payload into every field and every malformed file into every upload field, for every party.

The fast suite (tests/security/test_security_hostile.py) sends a rotating sample; this sends all of
them (each distinct form once, by the first party that sees it), checks row counts after a refused request, and prints
`SECURITY hostile-input <requests> requests, <failures> failures`. Exits 1 on any failure that is
not one of the known bugs listed in tests/security/world.py (those are printed apart).
"""

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="kelas-hostile-"))
    os.environ.setdefault("TEST_DATABASE_URL", f"sqlite:///{folder / 'hostile.sqlite'}")
    from flask_migrate import upgrade

    import lms
    from config import TestConfig
    from lms import create_app
    from lms.extensions import db
    from lms.i18n import compile_catalogs
    from lms.regions.operations import import_regions
    from tests.security.hostile import (
        Tally,
        attack_forms,
        attack_uploads,
        check_served_files,
        crawl,
        distinct_forms,
        is_known_bug,
        script_json_keys,
    )
    from tests.security.world import PARTIES, build_world, empty_tables, sign_in

    class HostileConfig(TestConfig):
        INSTANCE_DIR = str(folder / "instance")
        MEDIA_ROOT = str(folder / "media")
        CERTIFICATE_KEYS_DIR = str(folder / "instance" / "certificate-keys")
        # CI's address names PostgreSQL without a driver; psycopg 3 is the one installed.
        SQLALCHEMY_DATABASE_URI = os.environ["TEST_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
        JOBS_SQLITE_PATH = str(folder / "jobs.sqlite")

    compile_catalogs()
    app = create_app(HostileConfig)
    with app.app_context():
        upgrade(revision="heads")
        import_regions()
        db.session.commit()
    empty_tables(app)  # a database left by an earlier run on PostgreSQL
    world = build_world(app)
    keys = script_json_keys(Path(lms.__file__).parent)
    tally = Tally()
    known = []
    attacked = set()
    for party in PARTIES:
        client = app.test_client()
        sign_in(client, party)
        errors = []
        pages, forms = crawl(app, client, party, world, errors=errors)
        # The same form seen by another party (profile, language) is attacked once.
        forms = [form for form in distinct_forms(app, forms) if _key(app, form) not in attacked]
        attacked.update(_key(app, form) for form in forms)
        tally.failures.extend(errors)
        make_client = app.test_client if party == "anonymous" else (lambda c=client: c)
        before = tally.requests
        attack_forms(app, make_client, forms, tally, sample=None, json_keys=keys)
        served = []
        attack_uploads(app, make_client, [f for f in forms if f.files], tally, served)
        for served_client, page in served:
            check_served_files(app, served_client, page, tally)
        print(f"{party}: {len(pages)} pages, {len(forms)} forms, {tally.requests - before} requests", flush=True)
    failures = []
    for failure in tally.failures:
        (known if is_known_bug(app, failure) else failures).append(failure)
    print(f"SECURITY hostile-input {tally.requests} requests, {len(failures)} failures")
    for failure in failures[:60]:
        print(f"  - {failure[:300]}")
    if known:
        print(f"  ({len(known)} more from known bugs in tests/security/world.py KNOWN_BUGS)")
    return 1 if failures else 0


def _key(app, form) -> tuple:
    from tests.security.hostile import endpoint_of

    return endpoint_of(app, form.action, form.method), tuple(sorted(f[0] for f in form.fields)), tuple(form.files)


if __name__ == "__main__":
    sys.exit(main())
