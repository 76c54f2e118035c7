"""Certificates as people meet them: downloading, scanning, checking online and from the command line, revoking."""

import re
import subprocess
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from lms.access import ADMIN, LEADER, OFFICER, RESIDENT
from lms.certificates.keys import key_ring
from lms.certificates.models import Certificate
from lms.certificates.serials import new_serial
from lms.certificates.signing import verify_token
from lms.extensions import db
from lms.regions.operations import ensure_office

PHONE = "+6281312345678"


def scan_qr(pdf: bytes, tmp_path: Path) -> str:
    """Rasterise the first page at 150 dpi, as a cheap scanner would, and read its QR code."""
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", path, tmp_path / "page"], check=True)
    with Image.open(tmp_path / "page.png") as image:
        (barcode,) = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    return barcode.text


def tamper(token: str) -> str:
    """Change one character of a token's payload, keeping it well-formed base64url."""
    position = 12
    return token[:position] + ("B" if token[position] == "A" else "A") + token[position + 1 :]


@pytest.fixture
def certificate(create_user, course, issue):
    """A certificate of a resident with a phone number, in the demo village."""
    user_id = create_user(RESIDENT, "sitiaminah", name="Siti Aminah", phone=PHONE, language="jv")
    return user_id, issue(user_id, course)


def test_downloaded_certificate_has_a_qr_code_whose_signature_verifies(app, client, auth, certificate, tmp_path):
    user_id, serial = certificate
    auth.sign_in(user_id)

    response = client.get(f"/sertifikat/{serial}.pdf")

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert f"sertifikat-{serial}.pdf" in response.headers["Content-Disposition"]
    url = scan_qr(response.data, tmp_path)
    assert url.startswith(app.config["PUBLIC_BASE_URL"] + "/v/")
    token = url.rsplit("/v/", 1)[1]
    published = client.get("/.well-known/kelas-imigrasi-keys.json").json
    verified = verify_token(published, token)
    assert (verified.serial, verified.holder_name) == (serial, "Siti Aminah")

    scanner = app.test_client()  # whoever scans the code: someone else's phone
    page = scanner.get(f"/v/{token}", headers={"Accept-Language": "id"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Sertifikat ini sah" in text and "Siti Aminah" in text and serial in text

    tampered = scanner.get(f"/v/{tamper(token)}", headers={"Accept-Language": "id"})
    assert tampered.status_code == 400
    assert "Tanda tangan tidak sah" in tampered.get_data(as_text=True)
    assert "Siti Aminah" not in tampered.get_data(as_text=True)


def test_command_line_verifies_the_qr_address_and_refuses_a_tampered_one(app, certificate):
    _user_id, serial = certificate
    with app.app_context():
        token = db.session.scalar(db.select(Certificate.token).where(Certificate.serial == serial))
    runner = app.test_cli_runner()

    result = runner.invoke(args=["certificates", "verify", f"https://kelas.example/v/{token}"])
    assert result.exit_code == 0, result.output
    assert "Valid signature" in result.output and "Siti Aminah" in result.output and "Not revoked" in result.output

    result = runner.invoke(args=["certificates", "verify", tamper(token)])
    assert result.exit_code == 1
    assert "NOT VALID" in result.output


def test_command_line_checks_against_a_published_keys_file(app, client, certificate, tmp_path):
    _user_id, serial = certificate
    keys = tmp_path / "keys.json"
    keys.write_bytes(client.get("/.well-known/kelas-imigrasi-keys.json").data)
    with app.app_context():
        token = db.session.scalar(db.select(Certificate.token).where(Certificate.serial == serial))
    result = app.test_cli_runner().invoke(args=["certificates", "verify", "--keys", str(keys), token])
    assert result.exit_code == 0 and serial in result.output


def test_verify_page_shows_what_the_certificate_states_and_nothing_else(client, certificate):
    _user_id, serial = certificate
    page = client.get(f"/verify/{serial}", headers={"Accept-Language": "id"}).get_data(as_text=True)

    for stated in ("Siti Aminah", "Paspor untuk Pekerja Migran", "Paspor kanggo Buruh Migran", serial):
        assert stated in page
    assert "Direktorat Jenderal Imigrasi" in page  # no office covers the village in this test
    for private in (PHONE, "0813", "81312345678", "Dempo Makmur", "Pagar Alam", "16.72.01.1018", "sitiaminah"):
        assert private not in page


def test_verify_page_in_english(client, certificate):
    _user_id, serial = certificate
    page = client.get(f"/verify/{serial}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "This certificate is valid" in page and "Holder" in page


def test_serial_typed_loosely_is_read_and_unknown_ones_found_nothing(client, certificate):
    _user_id, serial = certificate
    loose = client.get(f"/verify/{serial.lower().replace('-', '')}")
    assert loose.status_code == 302 and loose.headers["Location"] == f"/verify/{serial}"
    for guess in (new_serial() for _ in range(5)):
        response = client.get(f"/verify/{guess}", headers={"Accept-Language": "id"})
        assert response.status_code == 404
        assert "Tidak ada sertifikat dengan nomor seri ini" in response.get_data(as_text=True)
    assert client.get("/verify/KI-7H4-Q9M-XCZ").status_code == 404
    assert client.get("/verify/" + "x" * 3000).status_code == 404


def test_lookup_form_sends_a_serial_or_a_scanned_address_to_the_verify_page(client, certificate):
    _user_id, serial = certificate
    assert client.get("/verify").status_code == 200
    response = client.get("/verify", query_string={"q": f" {serial.lower()} "})
    assert response.status_code == 302 and response.headers["Location"] == f"/verify/{serial}"
    response = client.get("/verify", query_string={"q": "http://127.0.0.1:5000/v/AbC.xYz"})
    assert response.status_code == 302 and response.headers["Location"] == "/v/AbC.xYz"

    empty = client.get("/verify", query_string={"q": ""}, headers={"Accept-Language": "id"})
    assert empty.status_code == 422 and "Ketik nomor seri" in empty.get_data(as_text=True)
    wrong = client.get("/verify", query_string={"q": "KI-0O1-ILU-000"}, headers={"Accept-Language": "id"})
    assert wrong.status_code == 422 and "Ini bukan nomor seri" in wrong.get_data(as_text=True)


def test_verification_is_rate_limited(app, client, certificate):
    _user_id, serial = certificate
    app.config["VERIFY_LIMIT"] = "3 per minute"
    try:
        statuses = [client.get(f"/verify/{serial}").status_code for _ in range(3)]
        statuses.append(client.get("/v/AbC.xYz").status_code)
    finally:
        app.config["VERIFY_LIMIT"] = "60 per minute"
    assert statuses == [200, 200, 200, 429]


def test_officer_revokes_with_a_reason_and_everyone_sees_it(app, client, auth, officer, certificate):
    _user_id, serial = certificate
    with app.app_context():
        token = db.session.scalar(db.select(Certificate.token).where(Certificate.serial == serial))
    auth.sign_in(officer)

    assert client.get(f"/sertifikat/kelola/{serial}").status_code == 200
    missing = client.post(f"/sertifikat/kelola/{serial}/cabut", data={"reason": " "}, headers={"Accept-Language": "id"})
    assert missing.status_code == 422 and "Tulis alasan" in missing.get_data(as_text=True)
    response = client.post(f"/sertifikat/kelola/{serial}/cabut", data={"reason": "Data peserta keliru"})
    assert response.status_code == 302
    again = client.post(f"/sertifikat/kelola/{serial}/cabut", data={"reason": "Alasan kedua"}, follow_redirects=True)
    assert "sudah dicabut" in again.get_data(as_text=True)

    auth.sign_out()
    for url in (f"/verify/{serial}", f"/v/{token}"):
        page = client.get(url, headers={"Accept-Language": "id"}).get_data(as_text=True)
        assert "Sertifikat ini sudah dicabut" in page and "Data peserta keliru" in page
        assert "Alasan kedua" not in page
    (entry,) = client.get("/verify/revocations.json").json["revoked"]
    assert entry["serial"] == serial and entry["reason"] == "Data peserta keliru"
    result = app.test_cli_runner().invoke(args=["certificates", "verify", token])
    assert result.exit_code == 2 and "REVOKED" in result.output


def test_only_officers_of_the_area_and_admins_revoke(app, client, auth, create_user, certificate):
    _user_id, serial = certificate
    with app.app_context():
        other_office = ensure_office("Kantor Imigrasi Jakarta Pusat", ["31.71"]).id
        db.session.commit()
    auth.sign_in(create_user(OFFICER, office_id=other_office))
    assert client.post(f"/sertifikat/kelola/{serial}/cabut", data={"reason": "x"}).status_code == 404
    assert serial not in client.get("/sertifikat/kelola").get_data(as_text=True)
    auth.sign_out()
    auth.sign_in(create_user(LEADER))
    assert client.post(f"/sertifikat/kelola/{serial}/cabut", data={"reason": "x"}).status_code == 403
    auth.sign_out()
    auth.sign_in(create_user(ADMIN))
    assert serial in client.get("/sertifikat/kelola", query_string={"q": "siti"}).get_data(as_text=True)
    assert client.post(f"/sertifikat/kelola/{serial}/cabut", data={"reason": "Salah cetak"}).status_code == 302


def test_who_may_download_a_certificate(app, client, auth, create_user, certificate):
    holder, serial = certificate
    with app.app_context():
        other_office = ensure_office("Kantor Imigrasi Jakarta Pusat", ["31.71"]).id
        db.session.commit()
    url = f"/sertifikat/{serial}.pdf"
    people = {
        "the holder": (holder, 200),
        "another resident of the village": (create_user(RESIDENT), 404),
        "the leader of the village": (create_user(LEADER), 200),
        "a leader of another village": (create_user(LEADER, villages=["31.71.06.1001"]), 404),
        "an officer of the area": (create_user(OFFICER), 200),
        "an officer of another office": (create_user(OFFICER, office_id=other_office), 404),
        "an admin": (create_user(ADMIN), 200),
    }
    outcomes = {}
    for who, (user_id, _expected) in people.items():
        auth.sign_in(user_id)
        outcomes[who] = client.get(url).status_code
        auth.sign_out()
    assert outcomes == {who: expected for who, (_user_id, expected) in people.items()}
    assert client.get(url).status_code == 302  # anonymous: asked to sign in


def test_resident_lists_their_own_certificates(client, auth, create_user, certificate, course, issue):
    holder, serial = certificate
    other = create_user(RESIDENT)
    other_serial = issue(other, course)
    auth.sign_in(holder)
    page = client.get("/sertifikat").get_data(as_text=True)
    assert serial in page and f"/sertifikat/{serial}.pdf" in page
    assert other_serial not in page


def test_offline_checker_registers_a_service_worker_that_caches_what_it_needs(client):
    page = client.get("/verify/offline", headers={"Accept-Language": "id"}).get_data(as_text=True)
    script = re.search(r'<script src="(/static/js/verify\.js\?v=\w+)"', page).group(1)
    worker = client.get("/verify/sw.js")
    assert worker.status_code == 200 and worker.mimetype == "text/javascript"
    body = worker.get_data(as_text=True)
    for cached in ("/verify/offline", script, "/.well-known/kelas-imigrasi-keys.json", "/verify/revocations.json"):
        assert f'"{cached}"' in body
    assert 'data-scope="/verify/"' in page and 'data-text-valid="Tanda tangan sah"' in page


def test_admin_rotates_the_key_and_old_certificates_still_verify(app, client, auth, admin, certificate, course, issue):
    _user_id, serial = certificate
    with app.app_context():
        old = db.session.scalar(db.select(Certificate).where(Certificate.serial == serial))
        old_token, old_kid = old.token, old.kid
    auth.sign_in(admin)
    assert client.post("/sertifikat/kunci").status_code == 302
    with app.app_context():
        new_kid = key_ring().active_kid
    assert new_kid != old_kid
    assert f"<code>{new_kid}</code>" in client.get("/sertifikat/kunci").get_data(as_text=True)

    assert client.get(f"/v/{old_token}").status_code == 200
    kids = {key["kid"] for key in client.get("/.well-known/kelas-imigrasi-keys.json").json["keys"]}
    assert {old_kid, new_kid} <= kids


def test_javanese_holder_gets_the_labels_and_title_in_javanese_beneath_the_indonesian(
    client, auth, certificate, tmp_path
):
    holder, serial = certificate
    auth.sign_in(holder)
    path = tmp_path / "certificate.pdf"
    path.write_bytes(client.get(f"/sertifikat/{serial}.pdf").data)
    text = subprocess.run(["pdftotext", path, "-"], capture_output=True, text=True, check=True).stdout
    for indonesian, javanese in (
        ("Diberikan kepada", "Diparingaké marang"),
        ("Paspor untuk Pekerja Migran", "Paspor kanggo Buruh Migran"),
        ("Diterbitkan oleh", "Diterbitaké déning"),  # printed in capitals
    ):
        assert indonesian.casefold() in text.casefold() and javanese.casefold() in text.casefold()
