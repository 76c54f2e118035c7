"""Run ffmpeg in its own process group: progress from its -progress output, time limits, failures in plain words."""

from __future__ import annotations

import collections
import os
import queue
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

#: A run whose output time has not advanced for this long is considered hung.
STALL_S = 120.0
PROGRESS_INTERVAL_S = 0.5

_STDERR_LINES = 200
#: Seconds ffmpeg may take to exit once it has closed its progress output.
_EXIT_GRACE_S = 30
_FFMPEG_PREFIX = re.compile(r"^\[[^\]]+ @ 0x[0-9a-f]+\]\s*")
_BOILERPLATE = ("Conversion failed!", "Exiting normally", "received signal")


class TranscodeError(Exception):
    """Report a failed transcode with a machine-readable reason and a short plain detail."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason if not detail else f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


ProgressCallback = Callable[[float, float | None], None]


def run_ffmpeg(
    args: list[str],
    work_dir: Path,
    duration_s: float,
    on_progress: ProgressCallback | None,
    timeout_s: float | None,
    stall_s: float,
) -> list[str]:
    """Run ffmpeg in its own process group, report progress, enforce the limits, return stderr."""
    process = subprocess.Popen(
        args,
        cwd=work_dir,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    stderr_tail: collections.deque[str] = collections.deque(maxlen=_STDERR_LINES)
    progress_lines: queue.Queue[str | None] = queue.Queue()
    readers = [
        threading.Thread(target=_pump, args=(process.stdout, progress_lines.put, True), daemon=True),
        threading.Thread(target=_pump, args=(process.stderr, stderr_tail.append, False), daemon=True),
    ]
    for reader in readers:
        reader.start()
    started = last_advance = last_report = time.monotonic()
    out_time_s, reported = 0.0, -1.0
    speed: float | None = None
    try:
        for line in _lines_until_eof(progress_lines):
            now = time.monotonic()
            if timeout_s is not None and now - started > timeout_s:
                raise TranscodeError("timeout", f"took longer than {timeout_s:g} s")
            if now - last_advance > stall_s:
                raise TranscodeError("timeout", f"no progress for {stall_s:g} s")
            key, _, value = (line or "").partition("=")
            if key == "out_time_us" and value.lstrip("-").isdigit() and int(value) / 1e6 > out_time_s:
                out_time_s, last_advance = int(value) / 1e6, now
            elif key == "speed":
                speed = _parse_speed(value)
            elif key == "progress" and on_progress and now - last_report >= PROGRESS_INTERVAL_S:
                percent = min(99.9, 100 * out_time_s / duration_s) if duration_s else 0.0
                if percent > reported:
                    left = (duration_s - out_time_s) / speed if speed else None
                    on_progress(percent, max(0.0, left) if left is not None else None)
                    reported, last_report = percent, now
        try:
            returncode = process.wait(timeout=_EXIT_GRACE_S)
        except subprocess.TimeoutExpired:
            raise TranscodeError("timeout", "ffmpeg did not exit after its output ended") from None
    finally:
        if process.poll() is None:
            _kill_group(process)
        for reader in readers:
            reader.join(timeout=5)
    if returncode != 0:
        raise TranscodeError(*failure_reason(list(stderr_tail), returncode))
    return list(stderr_tail)


def _lines_until_eof(lines: queue.Queue[str | None]) -> Iterator[str | None]:
    """Yield progress lines, or None every quarter second so the caller can check its clocks."""
    while True:
        try:
            line = lines.get(timeout=0.25)
        except queue.Empty:
            yield None
            continue
        if line is None:
            return
        yield line


def _pump(stream: IO[bytes], sink: Callable[[str | None], object], mark_eof: bool) -> None:
    for raw in iter(stream.readline, b""):
        sink(raw.decode("utf-8", "replace").strip())
    stream.close()
    if mark_eof:
        sink(None)


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def _parse_speed(value: str) -> float | None:
    try:
        speed = float(value.strip().rstrip("x"))
    except ValueError:
        return None
    return speed if speed > 0 else None


def failure_reason(stderr_lines: list[str], returncode: int) -> tuple[str, str]:
    """Turn ffmpeg's last error lines into a reason code and a short plain-language detail."""
    cleaned = [_FFMPEG_PREFIX.sub("", line).strip() for line in stderr_lines]
    meaningful = [line for line in cleaned if line and not line.startswith(_BOILERPLATE)]
    if any("No space left on device" in line for line in meaningful):
        return "disk_full", "No space left on device"
    detail = "; ".join(dict.fromkeys(meaningful[-3:]))[:300]
    return "ffmpeg_failed", detail or f"ffmpeg exited with status {returncode}"
