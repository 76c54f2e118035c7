"""Property-based tests: parsers and validators answer anything with a result or their documented error."""

import importlib
import re
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lms.accounts.operations import normalize_phone, normalize_username, sign_in_key

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
E164_MOBILE = re.compile(r"^\+628\d{7,12}$")

#: Text that looks like phone numbers, typed every which way, and any other text.
phone_like = st.one_of(
    st.text(),
    st.from_regex(r"^[ (]*(\+62|62|0)[ \-.]?8[0-9 \-.()]{6,16}$", fullmatch=True),
    st.text(alphabet="0123456789+-(). \u00a0\u200b٠١٢٣٤٥٦٧٨٩０１２３", max_size=30),
)


@FAST
@given(phone_like)
def test_normalize_phone_returns_e164_or_none_and_is_stable(text):
    phone = normalize_phone(text)
    assert phone is None or E164_MOBILE.match(phone)
    if phone is not None:
        assert normalize_phone(phone) == phone
        assert sign_in_key(text) == phone


@FAST
@given(st.text())
def test_sign_in_key_folds_case_and_spaces(text):
    key = sign_in_key(text)
    assert isinstance(key, str)
    assert sign_in_key(key) == key or normalize_phone(text) is not None
    if normalize_phone(text) is None:
        assert key == normalize_username(text.upper()) or key == normalize_username(text)


def _optional(module: str):
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


captions = _optional("lms.media.captions")
cue_lines = st.lists(
    st.one_of(
        st.just("WEBVTT"),
        st.just(""),
        st.from_regex(r"^\d{1,2}:\d{2}(:\d{2})?[.,]\d{1,3} --> \d{1,2}:\d{2}(:\d{2})?[.,]\d{1,3}.*$", fullmatch=True),
        st.from_regex(r"^\d{1,4}$", fullmatch=True),
        st.text(max_size=60),
        st.sampled_from(["<script>alert(1)</script>", "<b onclick=x>t</b>", "<v Budi>halo", "NOTE x", "STYLE"]),
    ),
    max_size=30,
)


@pytest.mark.skipif(captions is None, reason="lms.media.captions does not exist yet")
@FAST
@given(
    st.one_of(cue_lines.map(lambda lines: "\n".join(lines).encode()), st.binary(max_size=2000)),
    st.sampled_from(["teks.vtt", "teks.srt", "teks.txt", ""]),
)
def test_captions_parse_or_raise_caption_error_and_never_carry_markup(data, filename):
    try:
        cues = captions.parse_captions(data, filename)
    except captions.CaptionError:
        return
    vtt = captions.to_webvtt(cues)
    assert vtt.startswith("WEBVTT")
    assert "<script" not in vtt.lower() and "onclick" not in vtt.lower()
    assert "<" not in captions.to_transcript(cues)


signing = _optional("lms.certificates.signing")
BASE64URL = string.ascii_letters + string.digits + "-_"


@pytest.mark.skipif(signing is None, reason="lms.certificates.signing does not exist yet")
@FAST
@given(
    st.one_of(
        st.text(),
        st.text(alphabet=BASE64URL + ".", max_size=300),
        st.tuples(st.text(BASE64URL, max_size=200), st.text(BASE64URL, max_size=100)).map(".".join),
        st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
    )
)
def test_verify_token_raises_only_invalid_token(token):
    ring = _ring()
    with pytest.raises(signing.InvalidToken):
        signing.verify_token(ring, token)


@pytest.mark.skipif(signing is None, reason="lms.certificates.signing does not exist yet")
@FAST
@given(st.integers(min_value=0, max_value=200), st.binary(min_size=1, max_size=2))
def test_a_signed_token_changed_anywhere_is_refused(position, replacement):
    import datetime

    from lms.certificates.serials import new_serial

    ring = _ring()
    fields = signing.CertificateFields(
        serial=new_serial(), holder_name="Siti", course_slug="paspor", course_title="Paspor",
        issued_on=datetime.date(2026, 1, 2), office_name="Kantor Imigrasi Muara Enim",
    )  # fmt: skip
    token = signing.sign_certificate(ring, fields)
    index = position % len(token)
    changed = token[:index] + replacement.decode("latin-1") + token[index + 1 :]
    if changed == token:
        return
    with pytest.raises(signing.InvalidToken):
        signing.verify_token(ring, changed)


_RING = []


def _ring():
    if not _RING:
        _RING.append(signing.KeyRing.from_pem([signing.generate_private_key_pem()]))
    return _RING[0]


files = _optional("lms.courses.files")
yaml_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=30)),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
course_yaml = st.one_of(
    st.text(max_size=300),
    st.fixed_dictionaries(
        {},
        optional={
            "slug": st.one_of(st.from_regex(r"^[a-z0-9]+(-[a-z0-9]+)*$", fullmatch=True), yaml_values),
            "source_language": st.one_of(st.sampled_from(["id", "en", "x", "ID-id"]), yaml_values),
            "title": st.one_of(st.dictionaries(st.sampled_from(["id", "en", "!!"]), st.text(max_size=20)), yaml_values),
            "lessons": st.one_of(st.lists(st.text(max_size=20), max_size=3), yaml_values),
            "completion": yaml_values,
            "position": yaml_values,
        },
    ),
)


@pytest.mark.skipif(files is None, reason="lms.courses.files does not exist yet")
@FAST
@given(course_yaml, st.text(max_size=200))
def test_reading_a_course_folder_raises_only_course_file_error(tmp_path_factory, document, lesson):
    import yaml

    folder = tmp_path_factory.mktemp("kursus")
    text = document if isinstance(document, str) else yaml.safe_dump(document, allow_unicode=True)
    (folder / files.COURSE_FILE).write_text(text, encoding="utf-8")
    (folder / "lessons").mkdir()
    (folder / "lessons" / "pelajaran.id.md").write_text(lesson, encoding="utf-8")
    try:
        files.read_course_folder(folder)
    except files.CourseFileError:
        pass


roster = _optional("lms.progress.roster")


@pytest.mark.skipif(roster is None, reason="lms.progress.roster does not exist yet")
@FAST
@given(
    st.one_of(
        st.binary(max_size=2000),
        st.lists(st.lists(st.text(max_size=15), max_size=5), max_size=8).map(
            lambda rows: "\n".join(",".join(row) for row in rows).encode()
        ),
        st.lists(st.sampled_from(["nama,telepon,desa", "=1+1,0812,x", "@SUM(1),+62,;", '"a,b",c\n', "\x00"])).map(
            lambda rows: "\n".join(rows).encode()
        ),
    ),
    st.sampled_from(["daftar.csv", "daftar.xlsx", "daftar.txt", ""]),
)
def test_roster_files_are_read_or_refused_with_roster_error(data, filename):
    try:
        rows = roster.read_rows(data, filename)
    except roster.RosterError:
        return
    assert rows is not None
