"""Read WebVTT and SRT captions, and write safe WebVTT and a plain transcript."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

#: Largest caption file accepted; a two-hour film's subtitles take about 150 KB.
MAX_BYTES = 2 * 1024 * 1024
MAX_CUES = 10_000
#: A silence at least this long between cues starts a new transcript paragraph.
PARAGRAPH_GAP_MS = 2_000

#: Why a caption file was rejected; the UI layer translates these codes.
REASONS = frozenset(
    {
        "empty",
        "not_text",
        "too_large",
        "too_many_cues",
        "unknown_format",
        "missing_header",
        "bad_timestamp",
        "end_before_start",
    }
)

_VTT_TIME = re.compile(r"^(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})$", re.ASCII)
# SRT in the wild: one-digit hours, a dot instead of a comma, fewer millisecond digits.
_SRT_TIME = re.compile(r"^(\d+):([0-5]?\d):([0-5]?\d)[,.](\d{1,3})$", re.ASCII)
# A tag starts with a letter, a slash or a digit (timestamps); "a < b" in a sentence is text.
_TAG = re.compile(r"<(/?[A-Za-z0-9][^<>]*)>")
_TAG_NAME = re.compile(r"^(/?)([a-zA-Z]+)(?:\.[^\s]*)?(?:[ \t]+(.*))?$", re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


class CaptionError(Exception):
    """Reject a caption file, naming the 1-based line at fault (None for the whole file)."""

    def __init__(self, line_number: int | None, reason: str) -> None:
        where = f"line {line_number}: " if line_number is not None else ""
        super().__init__(f"{where}{reason}")
        self.line_number = line_number
        self.reason = reason


@dataclass(frozen=True)
class Cue:
    """Hold one caption: its time span and its text as safe WebVTT cue payload."""

    start_ms: int
    end_ms: int
    #: Escaped text where only <i> and <v Speaker> tags survive; lines joined with "\n".
    text: str

    def __post_init__(self) -> None:
        if self.start_ms < 0 or self.end_ms <= self.start_ms:
            raise ValueError(f"invalid cue span {self.start_ms}..{self.end_ms} ms")


def parse_captions(data: bytes, filename: str) -> list[Cue]:
    """Parse a WebVTT or SRT file (by content, else by extension) into sanitised cues."""
    if len(data) > MAX_BYTES:
        raise CaptionError(None, "too_large")
    lines = _decode(data).split("\n")
    first = next((line for line in lines if line.strip()), None)
    if first is None:
        raise CaptionError(None, "empty")
    extension = filename.lower().rpartition(".")[2]
    if _is_vtt_header(lines[0]):
        cues = _parse_vtt(lines)
    elif extension == "vtt":
        raise CaptionError(1, "missing_header")
    elif extension == "srt" or _looks_like_srt(lines):
        cues = _parse_srt(lines)
    else:
        raise CaptionError(1, "unknown_format")
    return sorted(cues, key=lambda cue: (cue.start_ms, cue.end_ms))


def to_webvtt(cues: list[Cue]) -> str:
    """Render cues as a WebVTT file whose only markup is <i> and <v>."""
    blocks = ["WEBVTT"]
    for cue in sorted(cues, key=lambda cue: (cue.start_ms, cue.end_ms)):
        timing = f"{_format_time(cue.start_ms)} --> {_format_time(cue.end_ms)}"
        blocks.append("\n".join([timing, *_clean_lines(sanitize_cue_text(cue.text))]))
    return "\n\n".join(blocks) + "\n"


def to_transcript(cues: list[Cue]) -> str:
    """Render cues as readable paragraphs without timestamps or markup."""
    paragraphs: list[list[str]] = []
    previous_end, previous_text, previous_voice = None, None, None
    for cue in sorted(cues, key=lambda cue: (cue.start_ms, cue.end_ms)):
        voice = _voice(cue.text)
        text = " ".join(_plain(cue.text).split())
        # Roll-up captions repeat the same line in consecutive cues.
        if not text or text == previous_text:
            continue
        gap = previous_end is None or cue.start_ms - previous_end >= PARAGRAPH_GAP_MS
        if gap or voice != previous_voice or not paragraphs:
            paragraphs.append([f"{voice}: {text}" if voice else text])
        else:
            paragraphs[-1].append(text)
        previous_end, previous_text, previous_voice = cue.end_ms, text, voice
    return "\n\n".join(" ".join(parts) for parts in paragraphs) + ("\n" if paragraphs else "")


def sanitize_cue_text(text: str) -> str:
    """Keep <i> and <v Speaker> tags balanced, drop other tags, escape every other <, > and &."""
    out: list[str] = []
    open_tags: list[str] = []
    position = 0
    for match in _TAG.finditer(text):
        out.append(_escape(text[position : match.start()]))
        position = match.end()
        tag = _TAG_NAME.match(match.group(1))
        if not tag:
            continue
        closing, name, annotation = tag.group(1), tag.group(2).lower(), tag.group(3)
        if name not in ("i", "v"):
            continue
        if closing:
            if name in open_tags:
                while open_tags:
                    top = open_tags.pop()
                    out.append(f"</{top}>")
                    if top == name:
                        break
        elif name == "i":
            open_tags.append("i")
            out.append("<i>")
        elif "v" not in open_tags and (speaker := " ".join(html.unescape(annotation or "").split())):
            open_tags.append("v")
            out.append(f"<v {html.escape(speaker, quote=False)}>")
    out.append(_escape(text[position:]))
    out.extend(f"</{name}>" for name in reversed(open_tags))
    return "".join(out)


def _escape(text: str) -> str:
    # Entities are decoded first, so escaping twice never happens; a decoded &#13; must
    # become a newline here, or a second parse would split the line where this one did not.
    decoded = html.unescape(text).replace("\r\n", "\n").replace("\r", "\n")
    return html.escape(_CONTROL.sub("", decoded), quote=False)


def _clean_lines(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n") if line.strip()]


def _plain(text: str) -> str:
    return html.unescape(_TAG.sub("", sanitize_cue_text(text)))


def _voice(text: str) -> str | None:
    match = re.search(r"<v ([^>]*)>", sanitize_cue_text(text))
    return html.unescape(match.group(1)) if match else None


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    else:
        encoding = "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise CaptionError(None, "not_text") from None
    if _CONTROL.search(text):
        raise CaptionError(None, "not_text")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _is_vtt_header(line: str) -> bool:
    return line == "WEBVTT" or line.startswith(("WEBVTT ", "WEBVTT\t"))


def _looks_like_srt(lines: list[str]) -> bool:
    head = [line.strip() for line in lines if line.strip()][:2]
    if head and "-->" in head[0]:
        return True
    return len(head) == 2 and head[0].isdigit() and "-->" in head[1]


def _blocks(lines: list[str], start: int) -> list[tuple[int, list[str]]]:
    """Split lines into blank-separated blocks, each with its first line's 1-based number."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    for index in range(start, len(lines)):
        line = lines[index]
        if line.strip():
            if not current:
                blocks.append((index + 1, current))
            current.append(line)
        else:
            current = []
    return blocks


def _parse_vtt(lines: list[str]) -> list[Cue]:
    # A cue right under the header, without the blank line the spec asks for, is still a cue.
    header_end = next(
        (index for index in range(1, len(lines)) if not lines[index].strip() or "-->" in lines[index]),
        len(lines),
    )
    cues = []
    for first_line, block in _blocks(lines, header_end):
        if block[0].split(maxsplit=1)[0] in ("NOTE", "STYLE", "REGION") and "-->" not in block[0]:
            continue
        timing_index = 0 if "-->" in block[0] else 1
        if timing_index >= len(block) or "-->" not in block[timing_index]:
            raise CaptionError(first_line + timing_index, "bad_timestamp")
        line_number = first_line + timing_index
        start_ms, end_ms = _timing(block[timing_index], line_number, _VTT_TIME)
        cues.append(_cue(start_ms, end_ms, block[timing_index + 1 :]))
        if len(cues) > MAX_CUES:
            raise CaptionError(line_number, "too_many_cues")
    return cues


def _parse_srt(lines: list[str]) -> list[Cue]:
    cues = []
    for first_line, block in _blocks(lines, 0):
        timing_index = 1 if block[0].strip().isdigit() else 0
        line_number = first_line + timing_index
        if timing_index >= len(block) or "-->" not in block[timing_index]:
            raise CaptionError(line_number, "bad_timestamp")
        start_ms, end_ms = _timing(block[timing_index], line_number, _SRT_TIME)
        cues.append(_cue(start_ms, end_ms, block[timing_index + 1 :]))
        if len(cues) > MAX_CUES:
            raise CaptionError(line_number, "too_many_cues")
    return cues


def _timing(line: str, line_number: int, pattern: re.Pattern[str]) -> tuple[int, int]:
    start_text, _, rest = line.partition("-->")
    end_text = rest.split()[0] if rest.split() else ""
    start_ms = _parse_time(start_text.strip(), pattern, line_number)
    end_ms = _parse_time(end_text, pattern, line_number)
    if end_ms <= start_ms:
        raise CaptionError(line_number, "end_before_start")
    return start_ms, end_ms


def _parse_time(text: str, pattern: re.Pattern[str], line_number: int) -> int:
    match = pattern.match(text)
    if not match:
        raise CaptionError(line_number, "bad_timestamp")
    hours, minutes, seconds, fraction = match.groups()
    milliseconds = int(fraction.ljust(3, "0"))
    return ((int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + milliseconds


def _cue(start_ms: int, end_ms: int, payload: list[str]) -> Cue:
    return Cue(start_ms, end_ms, "\n".join(_clean_lines(sanitize_cue_text("\n".join(payload)))))


def _format_time(milliseconds: int) -> str:
    seconds, millis = divmod(milliseconds, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"
