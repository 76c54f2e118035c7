import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lms.media.captions import (
    MAX_BYTES,
    MAX_CUES,
    CaptionError,
    Cue,
    parse_captions,
    to_transcript,
    to_webvtt,
)

SRT = """1
00:00:01,000 --> 00:00:03,500
Selamat datang di kelas imigrasi.

2
00:00:04,000 --> 00:00:06,000
<i>Paspor</i> adalah dokumen perjalanan
untuk warga negara Indonesia.

3
00:01:02,5 --> 00:01:04,250
Terima kasih & sampai jumpa.
"""

VTT = """WEBVTT

00:00:01.000 --> 00:00:03.500
Selamat datang di kelas imigrasi.

00:00:04.000 --> 00:00:06.000
<i>Paspor</i> adalah dokumen perjalanan
untuk warga negara Indonesia.

00:01:02.500 --> 00:01:04.250
Terima kasih &amp; sampai jumpa.
"""


def test_srt_becomes_webvtt():
    cues = parse_captions(SRT.encode(), "pelajaran.srt")

    assert to_webvtt(cues) == VTT


def test_webvtt_parses_to_the_same_cues_as_its_srt():
    assert parse_captions(VTT.encode(), "pelajaran.vtt") == parse_captions(SRT.encode(), "pelajaran.srt")


def test_format_is_detected_by_content_before_extension():
    assert parse_captions(VTT.encode(), "captions.txt") == parse_captions(SRT.encode(), "captions.vtt.srt")
    assert parse_captions(SRT.encode(), "upload.bin")[0].start_ms == 1000


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.encode(),
        lambda text: b"\xef\xbb\xbf" + text.encode(),
        lambda text: text.replace("\n", "\r\n").encode(),
        lambda text: b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode(),
        lambda text: text.replace("\n", "\r").encode(),
        lambda text: text.encode("utf-16"),
    ],
    ids=["plain", "bom", "crlf", "bom-crlf", "cr", "utf-16"],
)
@pytest.mark.parametrize(("text", "filename"), [(SRT, "a.srt"), (VTT, "a.vtt")])
def test_bom_and_line_endings_do_not_matter(encode, text, filename):
    assert parse_captions(encode(text), filename) == parse_captions(SRT.encode(), "a.srt")


def test_webvtt_header_notes_styles_identifiers_and_settings_are_understood():
    text = (
        "WEBVTT - Kelas Imigrasi\nKind: captions\nLanguage: id\n\n"
        "STYLE\n::cue { color: red }\n\n"
        "NOTE ditulis oleh petugas\n\n"
        "intro\n00:01.000 --> 00:02.000 align:start position:10%\n<v.loud Petugas Ani>Halo</v>\n\n"
        "NOTE\nbaris kedua\n\n"
        "01:00:00.000 --> 01:00:01.500\n<c.yellow>Selesai</c>\n"
    )

    cues = parse_captions(text.encode(), "a.vtt")

    assert cues == [
        Cue(1000, 2000, "<v Petugas Ani>Halo</v>"),
        Cue(3_600_000, 3_601_500, "Selesai"),
    ]


def test_cues_are_put_in_time_order():
    text = "WEBVTT\n\n00:05.000 --> 00:06.000\nkedua\n\n00:01.000 --> 00:02.000\npertama\n"

    assert [cue.text for cue in parse_captions(text.encode(), "a.vtt")] == ["pertama", "kedua"]


@pytest.mark.parametrize(
    ("text", "filename", "line_number", "reason"),
    [
        ("WEBVTT\n\n00:01.000 --> 00:02.000\nok\n\n00:03.00 --> 00:04.000\nbad\n", "a.vtt", 6, "bad_timestamp"),
        ("WEBVTT\n\n00:01.000 --> 00:02.000\nok\n\n00:61.000 --> 00:62.000\nbad\n", "a.vtt", 6, "bad_timestamp"),
        ("WEBVTT\n\n00:01.000 --> 00:02.000\nok\n\nidentifier\nno timing here\n", "a.vtt", 7, "bad_timestamp"),
        ("WEBVTT\n\n00:01,000 --> 00:02,000\nkoma\n", "a.vtt", 3, "bad_timestamp"),
        ("WEBVTT\n\n00:05.000 --> 00:04.000\nmundur\n", "a.vtt", 3, "end_before_start"),
        ("WEBVTT\n\n00:05.000 --> 00:05.000\nkosong\n", "a.vtt", 3, "end_before_start"),
        ("00:01.000 --> 00:02.000\ntanpa header\n", "a.vtt", 1, "missing_header"),
        ("1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:0x,000 --> 00:00:04,000\n", "a.srt", 6, "bad_timestamp"),
        ("1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:05,000 --> 00:00:04,000\n", "a.srt", 6, "end_before_start"),
        ("1\n00:00:01,000 --> 00:00:02,000\nok\n\n\n\n2\njust text\n", "a.srt", 8, "bad_timestamp"),
        ("1\n00:00:01,000\nno arrow\n", "a.srt", 2, "bad_timestamp"),
        ("hanya teks biasa\n", "notes.txt", 1, "unknown_format"),
    ],
)
def test_malformed_files_name_the_line_at_fault(text, filename, line_number, reason):
    with pytest.raises(CaptionError) as caught:
        parse_captions(text.encode(), filename)

    assert (caught.value.line_number, caught.value.reason) == (line_number, reason)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"\xef\xbb\xbf \r\n\r\n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not_text"),
        (b"WEBVTT\n\n\xff\xfe\xfa", "not_text"),
        (b"WEBVTT\n\n00:01.000 --> 00:02.000\nnul\x00byte\n", "not_text"),
        (b"WEBVTT\n\n" + b"x" * MAX_BYTES, "too_large"),
    ],
)
def test_files_that_are_not_caption_text_are_refused(data, reason):
    with pytest.raises(CaptionError) as caught:
        parse_captions(data, "a.vtt")

    assert caught.value.reason == reason
    assert caught.value.line_number is None


def test_too_many_cues_are_refused():
    blocks = [f"{i}\n00:00:01,000 --> 00:00:02,000\nx\n" for i in range(MAX_CUES + 1)]

    with pytest.raises(CaptionError) as caught:
        parse_captions("\n".join(blocks).encode(), "a.srt")

    assert caught.value.reason == "too_many_cues"


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("<script>alert(1)</script>", "alert(1)"),
        ('<img src=x onerror="alert(1)">Halo', "Halo"),
        ("a < b && c > d", "a &lt; b &amp;&amp; c &gt; d"),
        ("<b>tebal</b> <u>garis</u> <font color=red>merah</font>", "tebal garis merah"),
        ("<i>miring", "<i>miring</i>"),
        ("</i>sisa", "sisa"),
        ("<v Ani & Budi>Halo", "<v Ani &amp; Budi>Halo</v>"),
        ("<v>tanpa nama</v>", "tanpa nama"),
        ("&lt;script&gt; &amp;amp; &nbsp;x", "&lt;script&gt; &amp;amp; \xa0x"),
        ("&#60;script&#62;", "&lt;script&gt;"),
        ("panah --> di teks", "panah --&gt; di teks"),
        ("<00:00:01.500>karaoke", "karaoke"),
    ],
)
def test_cue_text_keeps_only_italic_and_voice_markup(payload, expected):
    text = f"1\n00:00:01,000 --> 00:00:02,000\n{payload}\n"

    (cue,) = parse_captions(text.encode(), "a.srt")

    assert cue.text == expected
    assert f"\n{expected}\n" in to_webvtt([cue])


def test_transcript_joins_cues_into_paragraphs_without_timestamps():
    text = (
        "WEBVTT\n\n"
        "00:01.000 --> 00:02.000\n<v Petugas>Selamat pagi,\nbapak ibu.\n\n"
        "00:02.000 --> 00:03.000\n<v Petugas>Hari ini tentang paspor.\n\n"
        "00:03.000 --> 00:04.000\n<v Petugas>Hari ini tentang paspor.\n\n"
        "00:09.000 --> 00:10.000\nSyaratnya: <i>KTP</i> &amp; KK.\n\n"
        "00:10.000 --> 00:11.000\n<v Warga>Berapa biayanya?\n"
    )

    transcript = to_transcript(parse_captions(text.encode(), "a.vtt"))

    assert transcript == (
        "Petugas: Selamat pagi, bapak ibu. Hari ini tentang paspor.\n\n"
        "Syaratnya: KTP & KK.\n\n"
        "Warga: Berapa biayanya?\n"
    )


def test_empty_cue_list_still_makes_a_valid_webvtt_file():
    assert to_webvtt([]) == "WEBVTT\n"
    assert parse_captions(to_webvtt([]).encode(), "a.vtt") == []
    assert to_transcript([]) == ""


def test_a_cue_must_end_after_it_starts():
    with pytest.raises(ValueError):
        Cue(2000, 1000, "mundur")


@settings(deadline=None)
@given(data=st.binary(max_size=2000), filename=st.sampled_from(["a.vtt", "a.srt", "a.txt", "a"]))
def test_arbitrary_bytes_only_ever_raise_caption_error(data, filename):
    try:
        parse_captions(data, filename)
    except CaptionError:
        pass


SNIPPETS = st.sampled_from(
    ["WEBVTT", "\n", "\r\n", "\n\n", "-->", " --> ", "00:00:01,000", "00:01.000", "1", "NOTE", "<i>", "</i>"]
    + ["<v Ani>", "</v>", "&amp;", "&#13;", "&#10;", "<", ">", "&", "\ufeff", "\x00", "x", " "]
)


@settings(deadline=None)
@given(parts=st.lists(SNIPPETS, max_size=40), filename=st.sampled_from(["a.vtt", "a.srt", "a.txt"]))
def test_caption_shaped_noise_only_ever_raises_caption_error(parts, filename):
    try:
        cues = parse_captions("".join(parts).encode(), filename)
    except CaptionError:
        return
    assert parse_captions(to_webvtt(cues).encode(), "a.vtt") == cues


CUE_TEXT = st.lists(
    st.text(max_size=12)
    | st.sampled_from(["<i>", "</i>", "<v Ani>", "</v>", "<b>", "&amp;", "&#13;", "&#10;", "-->", "\n"]),
    max_size=8,
).map("".join)
CUES = st.lists(
    st.builds(
        lambda start, length, text: Cue(start, start + length, text),
        st.integers(0, 10**9),
        st.integers(1, 10**7),
        CUE_TEXT,
    ),
    max_size=8,
)


@settings(deadline=None)
@given(cues=CUES)
def test_webvtt_output_parses_back_to_the_same_cues(cues):
    parsed = parse_captions(to_webvtt(cues).encode(), "a.vtt")

    assert [(cue.start_ms, cue.end_ms) for cue in parsed] == sorted((c.start_ms, c.end_ms) for c in cues)
    assert parse_captions(to_webvtt(parsed).encode(), "a.vtt") == parsed
