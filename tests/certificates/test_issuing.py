"""Issuing certificates: one per person and course, with what it states frozen at issue time."""

import datetime

import pytest

from lms.access import RESIDENT
from lms.accounts.models import User
from lms.accounts.operations import delete_account
from lms.certificates import operations
from lms.certificates.keys import create_signing_key, key_ring, published_keys
from lms.certificates.models import Certificate
from lms.certificates.operations import (
    DELETED_HOLDER_NAME,
    DIRECTORATE_GENERAL,
    certificates_of,
    find_certificate,
    issue_certificate,
    issue_certificate_later,
    parse_lookup,
    revocation_list,
    revoke_certificate,
    verify_certificate_token,
)
from lms.certificates.serials import is_valid_serial, new_serial
from lms.certificates.signing import verify_token
from lms.courses.models import Course
from lms.demo import DEMO_OFFICE, DEMO_OFFICE_REGENCIES
from lms.extensions import db
from lms.regions.operations import ensure_office

#: A village outside every office's area in these tests: Kelurahan Menteng, Jakarta Pusat.
FAR_VILLAGE = "31.71.06.1001"


@pytest.fixture
def office(app):
    with app.app_context():
        office_id = ensure_office(DEMO_OFFICE, list(DEMO_OFFICE_REGENCIES)).id
        db.session.commit()
        return office_id


def get(model, key):
    return db.session.get(model, key)


def test_certificate_states_the_name_course_and_office_as_at_issue(
    app_context, signing_key, create_user, office, course
):
    user = get(User, create_user(RESIDENT, name="Sri Wahyuni", language="jv"))

    certificate = issue_certificate(user, get(Course, course))
    db.session.commit()
    user.name = "Sri Wahyuni Lestari"
    db.session.commit()

    certificate = find_certificate(certificate.serial)
    assert is_valid_serial(certificate.serial)
    assert certificate.holder_name == "Sri Wahyuni"
    assert (certificate.course_title, certificate.course_title_local) == (
        "Paspor untuk Pekerja Migran",
        "Paspor kanggo Buruh Migran",
    )
    assert certificate.office_name == DEMO_OFFICE
    assert certificate.issued_on == operations.local_today()
    verified = verify_token(key_ring(), certificate.token)
    assert (verified.serial, verified.holder_name, verified.course_title, verified.office_name) == (
        certificate.serial,
        "Sri Wahyuni",
        "Paspor untuk Pekerja Migran",
        DEMO_OFFICE,
    )


def test_indonesian_learner_gets_no_second_title(app_context, signing_key, create_user, course):
    user = get(User, create_user(RESIDENT, language="id"))
    assert issue_certificate(user, get(Course, course)).course_title_local is None


def test_office_is_the_directorate_general_where_no_office_covers_the_village(
    app_context, signing_key, create_user, office, course
):
    user = get(User, create_user(RESIDENT, village_code=FAR_VILLAGE))
    assert issue_certificate(user, get(Course, course)).office_name == DIRECTORATE_GENERAL


def test_issuing_twice_gives_the_same_certificate(app_context, signing_key, resident, course):
    first = issue_certificate(get(User, resident), get(Course, course))
    db.session.commit()
    second = issue_certificate(get(User, resident), get(Course, course))
    assert first.id == second.id
    assert db.session.query(Certificate).count() == 1


def test_background_job_issues_once_however_often_it_is_queued(app_context, signing_key, resident, course):
    issue_certificate_later(resident, course)
    issue_certificate_later(resident, course)
    db.session.expire_all()
    (certificate,) = certificates_of(get(User, resident))
    assert certificate.course_id == course


def test_a_taken_serial_is_drawn_again(app_context, signing_key, create_user, course):
    taken = issue_certificate(get(User, create_user(RESIDENT)), get(Course, course)).serial
    db.session.commit()
    fresh = new_serial()
    draws = iter([taken, fresh])

    certificate = issue_certificate(
        get(User, create_user(RESIDENT)), get(Course, course), draw_serial=lambda: next(draws)
    )
    db.session.commit()

    assert certificate.serial == fresh
    assert db.session.query(Certificate).count() == 2


def test_certificates_of_lists_a_persons_own_newest_first(
    app_context, signing_key, resident, create_user, create_course
):
    first = issue_certificate(get(User, resident), get(Course, create_course("satu")))
    db.session.commit()
    second = issue_certificate(get(User, resident), get(Course, create_course("dua")))
    issue_certificate(get(User, create_user(RESIDENT)), get(Course, create_course("tiga")))
    db.session.commit()
    assert [c.serial for c in certificates_of(get(User, resident))] == [second.serial, first.serial]


def test_guessing_ten_thousand_serials_finds_nothing(app_context, signing_key, create_user, course):
    for _ in range(20):
        issue_certificate(get(User, create_user(RESIDENT)), get(Course, course))
    db.session.commit()
    hits = [serial for serial in (new_serial() for _ in range(10_000)) if find_certificate(serial) is not None]
    assert hits == []


def test_rotating_the_key_keeps_old_certificates_verifiable(app_context, signing_key, create_user, course):
    old = issue_certificate(get(User, create_user(RESIDENT)), get(Course, course))
    db.session.commit()
    _path, new_kid = create_signing_key()

    new = issue_certificate(get(User, create_user(RESIDENT)), get(Course, course))
    db.session.commit()

    assert new.kid == new_kid != old.kid
    for certificate in (old, new):
        assert verify_certificate_token(certificate.token).outcome == operations.VALID
        assert verify_token(published_keys(), certificate.token).kid == certificate.kid


def test_revoking_keeps_the_first_date_and_reason(app_context, signing_key, resident, officer, course):
    certificate = issue_certificate(get(User, resident), get(Course, course))
    with pytest.raises(operations.CertificateError):
        revoke_certificate(certificate, get(User, officer), "   ")
    assert revoke_certificate(certificate, get(User, officer), "Diterbitkan karena salah data")
    first = certificate.revoked_dt
    assert not revoke_certificate(certificate, get(User, officer), "Alasan lain")
    db.session.commit()

    assert certificate.revoked_dt == first and certificate.revocation_reason == "Diterbitkan karena salah data"
    assert verify_certificate_token(certificate.token).outcome == operations.REVOKED
    (entry,) = revocation_list()["revoked"]
    assert entry == {
        "serial": certificate.serial,
        "revoked_on": first.date().isoformat(),
        "reason": "Diterbitkan karena salah data",
    }


def test_deleting_the_account_removes_the_name_but_keeps_the_certificate_verifiable(
    app_context, signing_key, create_user, course
):
    user = get(User, create_user(RESIDENT, name="Nama Yang Dihapus"))
    certificate = issue_certificate(user, get(Course, course))
    db.session.commit()
    old_token = certificate.token

    delete_account(user)
    db.session.commit()

    certificate = find_certificate(certificate.serial)
    assert certificate.holder_name == DELETED_HOLDER_NAME
    assert "Nama Yang Dihapus" not in certificate.token + repr(verify_token(key_ring(), certificate.token))
    assert verify_token(key_ring(), certificate.token).holder_name == DELETED_HOLDER_NAME
    # The printed QR code still verifies, and the page now names no one.
    result = verify_certificate_token(old_token)
    assert result.outcome == operations.VALID and result.certificate.holder_name == DELETED_HOLDER_NAME


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ki 7h4 q9m xc{check}", ("serial", "KI-7H4-Q9M-XC{check}")),
        ("https://kelas.example/v/AbC_-1.xYz-_2", ("token", "AbC_-1.xYz-_2")),
        ("/v/AbC.xYz", ("token", "AbC.xYz")),
        ("AbC.xYz", ("token", "AbC.xYz")),
        ("https://kelas.example/verify/KI-7H4-Q9M-XC{check}?t=AbC.xYz", ("both", "KI-7H4-Q9M-XC{check}")),
        ("KI-7H4-Q9M-XCZ", None),
        ("https://kelas.example/akun/masuk", None),
        ("", None),
    ],
)
def test_lookup_reads_serials_tokens_and_addresses(text, expected):
    from lms.certificates.serials import check_character

    check = check_character("7H4Q9MXC")
    found = parse_lookup(text.format(check=check))
    if expected is None:
        assert found is None
        return
    kind, value = expected
    value = value.format(check=check)
    if kind == "serial":
        assert found.serial == value and found.token is None
    elif kind == "token":
        assert found.token == value and found.serial is None
    else:
        assert (found.serial, found.token) == (value, "AbC.xYz")


def test_certificate_names_the_day_it_was_issued_in_indonesia(app_context, signing_key, resident, course):
    certificate = issue_certificate(get(User, resident), get(Course, course))
    jakarta = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=7)
    assert certificate.issued_on in {jakarta.date(), (jakarta - datetime.timedelta(minutes=1)).date()}
