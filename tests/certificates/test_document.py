"""Certificate PDFs: what a village prints, scans and reads, checked with real tools."""

import datetime
import re
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from lms.certificates.document import (
    FONT_DIR,
    _FontFetcher,
    format_issue_date,
    render_certificate_pdf,
    render_certificates_html,
    render_certificates_pdf,
)
from lms.certificates.serials import new_serial
from lms.certificates.signing import (
    CertificateFields,
    InvalidToken,
    KeyRing,
    generate_private_key_pem,
    public_keys_document,
    sign_certificate,
    verify_token,
)

VERIFY_URL = "https://belajar.imigrasi.go.id/v/"
JAVANESE_NAME = "ꦱꦸꦒꦶꦪꦠꦺꦴ"
DIACRITICS_NAME = "Ni Luh Putu Ayu Wiryaśānti Nguyễn Đặng Çelik Øvergård"
A4_LANDSCAPE_PT = (841.89, 595.28)
JAVANESE_LABELS = {
    "title": "Sertifikat",
    "awarded_to": "Diparingaké marang",
    "completed": "amarga wis rampung sinau kelas",
    "issued_on": "Tanggal",
    "issued_by": "Diterbitaké déning",
    "serial": "Nomer seri",
    "verify": "Pindai kanggo mriksa keasliané",
}


@pytest.fixture(scope="module")
def ring() -> KeyRing:
    return KeyRing.from_pem([generate_private_key_pem()])


@pytest.fixture
def create_context(ring):
    """Build the context the app passes for one certificate, token and all."""

    def factory(holder_name: str = "Siti Nurhaliza", language: str = "jv", **overrides) -> dict:
        issued_on = datetime.date(2025, 3, 14)
        fields = CertificateFields(
            serial=new_serial(),
            holder_name=holder_name,
            course_slug="paspor-pekerja-migran",
            course_title="Paspor untuk Pekerja Migran",
            issued_on=issued_on,
            office_name="Kantor Imigrasi Kelas II TPI Muara Enim",
        )
        context = {
            "holder_name": holder_name,
            "course_title_id": fields.course_title,
            "course_title_local": "Paspor kanggo Buruh Migran",
            "language": language,
            "issued_on_id": format_issue_date(issued_on, "id"),
            "issued_on_local": format_issue_date(issued_on, language),
            "office_name": fields.office_name,
            "serial": fields.serial,
            "verify_url": VERIFY_URL + sign_certificate(ring, fields),
            "labels_local": JAVANESE_LABELS,
        }
        context.update(overrides)
        return context

    return factory


def write_pdf(tmp_path: Path, pdf: bytes) -> Path:
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    return path


def pdf_text(path: Path, *options: str) -> str:
    return subprocess.run(["pdftotext", *options, path, "-"], capture_output=True, text=True, check=True).stdout


def pdf_info(path: Path) -> dict[str, str]:
    output = subprocess.run(["pdfinfo", "-box", path], capture_output=True, text=True, check=True).stdout
    return dict(line.split(":", 1) for line in output.splitlines() if ":" in line)


def pdf_fonts(path: Path) -> list[str]:
    output = subprocess.run(["pdffonts", path], capture_output=True, text=True, check=True).stdout
    return [line.split()[0] for line in output.splitlines()[2:]]


def scan_qr_codes(path: Path, tmp_path: Path) -> list[zxingcpp.Barcode]:
    """Rasterise the first page at 150 dpi, as a cheap scanner would, and read its QR codes."""
    prefix = tmp_path / "page"
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", "-f", "1", path, prefix], check=True)
    with Image.open(f"{prefix}.png") as image:
        return zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)


def test_printed_qr_code_opens_a_verifiable_url(tmp_path, ring, create_context):
    path = write_pdf(tmp_path, render_certificate_pdf(create_context()))

    (barcode,) = scan_qr_codes(path, tmp_path)
    assert barcode.text.startswith(VERIFY_URL)
    token = barcode.text.removeprefix(VERIFY_URL)
    verified = verify_token(public_keys_document(ring), token)
    assert verified.holder_name == "Siti Nurhaliza"
    assert verified.serial in pdf_text(path)

    tampered = token[:10] + ("B" if token[10] == "A" else "A") + token[11:]
    with pytest.raises(InvalidToken):
        verify_token(ring, tampered)


def test_certificate_is_one_a4_landscape_page(tmp_path, create_context):
    pdf = render_certificate_pdf(create_context(holder_name="Sugiyanto Wiryo Atmojo Kusumo Hadiningrat " * 3))
    info = pdf_info(write_pdf(tmp_path, pdf))

    assert int(info["Pages"]) == 1
    x0, y0, x1, y1 = (float(value) for value in info["MediaBox"].split())
    assert (x1 - x0, y1 - y0) == pytest.approx(A4_LANDSCAPE_PT, abs=0.5)
    print(f"one certificate: {len(pdf)} bytes")
    assert len(pdf) < 40_000


def test_name_with_diacritics_is_printed_exactly(tmp_path, create_context):
    path = write_pdf(tmp_path, render_certificate_pdf(create_context(holder_name=DIACRITICS_NAME)))

    assert DIACRITICS_NAME in pdf_text(path)


def test_javanese_name_is_printed_with_vendored_fonts(tmp_path, create_context, caplog):
    path = write_pdf(tmp_path, render_certificate_pdf(create_context(holder_name=JAVANESE_NAME)))

    # WeasyPrint logs, rather than warns, when a character has no glyph.
    assert not [record for record in caplog.records if ".notdef" in record.getMessage()]
    assert re.fullmatch(rf"Sertifikat KI-[-0-9A-Z]+ · {JAVANESE_NAME}", pdf_info(path)["Title"].strip())
    fonts = pdf_fonts(path)
    assert any("KI-Javanese" in font for font in fonts)
    assert all(re.search(r"\+KI-(Sans|Serif|Javanese)", font) for font in fonts), fonts
    # A PDF maps each glyph to text, but Javanese reorders and stacks glyphs:
    # poppler splits the raised vowel sign onto its own line in layout mode and
    # puts a word gap where the pre-base vowel's glyph stands, so read the text in
    # content order and drop the gaps it invented.
    assert JAVANESE_NAME in re.sub(r"\s+", "", pdf_text(path, "-raw"))


def test_translation_is_shown_beneath_the_indonesian_only_when_it_differs(create_context):
    html = render_certificates_html([create_context()])

    assert "Diparingaké marang" in html
    assert "Paspor kanggo Buruh Migran" in html
    # The Javanese title and date are the same as the Indonesian: shown once.
    assert 'lang="jv">Sertifikat<' not in html
    assert html.count("14 Maret 2025") == 1


def test_indonesian_holder_sees_no_second_language(create_context):
    html = render_certificates_html([create_context(language="id")])

    assert "Diparingaké" not in html
    assert "Paspor kanggo Buruh Migran" not in html
    assert 'lang="id"' in html


def test_template_escapes_what_users_typed(create_context):
    html = render_certificates_html([create_context(holder_name='<img src="https://example.com/x">')])

    assert '<img src="https://example.com/x">' not in html
    assert "&lt;img src=&#34;https://example.com/x&#34;&gt;" in html


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("id", "14 Maret 2025"),
        ("en", "March 14, 2025"),
        ("en-ID", "14 March 2025"),
        ("en-Latn-US", "March 14, 2025"),
        ("jv", "14 Maret 2025"),
        ("ljp", "14 Maret 2025"),
        ("ljp-Latn", "14 Maret 2025"),
        ("", "14 Maret 2025"),
    ],
)
def test_issue_date_is_formatted_for_the_language_or_else_indonesian(language, expected):
    assert format_issue_date(datetime.date(2025, 3, 14), language) == expected


def test_bulk_print_has_a_page_per_certificate_and_reports_progress(tmp_path, create_context):
    contexts = [create_context(holder_name=f"Warga Desa Nomor {number}") for number in range(1, 21)]
    progress = []

    pdf = render_certificates_pdf(contexts, on_progress=lambda done, total: progress.append((done, total)))

    path = write_pdf(tmp_path, pdf)
    assert int(pdf_info(path)["Pages"]) == 20
    assert progress[-1] == (20, 20)
    assert [done for done, _ in progress] == sorted({done for done, _ in progress})
    text = pdf_text(path)
    assert all(f"Warga Desa Nomor {number}\n" in text for number in range(1, 21))
    print(f"20 certificates: {len(pdf)} bytes")


def test_certificates_drawn_at_the_same_time_each_carry_their_own_holder(tmp_path, ring, create_context):
    names = [f"Peserta Serentak {number}" for number in range(4)]
    contexts = [create_context(holder_name=name) for name in names]
    barrier = threading.Barrier(len(contexts))

    def draw(context: dict) -> bytes:
        barrier.wait()
        return render_certificate_pdf(context)

    with ThreadPoolExecutor(max_workers=len(contexts)) as pool:
        pdfs = list(pool.map(draw, contexts))

    for number, (name, pdf) in enumerate(zip(names, pdfs, strict=True)):
        path = tmp_path / f"{number}.pdf"
        path.write_bytes(pdf)
        assert f"{name}\n" in pdf_text(path)
        scans = tmp_path / str(number)
        scans.mkdir()
        (barcode,) = scan_qr_codes(path, scans)
        assert verify_token(ring, barcode.text.removeprefix(VERIFY_URL)).holder_name == name


def test_empty_bulk_is_refused():
    with pytest.raises(ValueError):
        render_certificates_pdf([])


def test_missing_context_keys_are_named(create_context):
    context = create_context()
    del context["verify_url"]
    with pytest.raises(ValueError, match="verify_url"):
        render_certificate_pdf(context)


def test_vendored_fonts_carry_their_license():
    assert {path.name for path in FONT_DIR.glob("*.ttf")} == {
        "NotoSans-Regular.ttf",
        "NotoSans-Bold.ttf",
        "NotoSerif-Bold.ttf",
        "NotoSansJavanese-Regular.ttf",
        "NotoSansJavanese-Bold.ttf",
    }
    assert "SIL OPEN FONT LICENSE" in (FONT_DIR / "OFL.txt").read_text()


@pytest.mark.parametrize(
    "url",
    ["https://example.com/tracker.png", "file:///etc/passwd", f"{FONT_DIR.as_uri()}/../document.py"],
)
def test_rendering_loads_nothing_but_vendored_fonts(url):
    with pytest.raises(ValueError):
        _FontFetcher().fetch(url)
