"""Lesson videos: the uploaded original, its transcoding state and renditions, and caption tracks."""

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.extensions import db

#: States of a video, in the order a successful one passes through them.
UPLOADED, PROCESSING, READY, FAILED = "uploaded", "processing", "ready", "failed"
STATUSES = (UPLOADED, PROCESSING, READY, FAILED)


class Video(db.Model):
    """A video uploaded to a lesson, probed, and transcoded in the background into a light HLS ladder."""

    __tablename__ = "videos"
    #: The same file twice on one lesson is refused, even when both uploads arrive at once.
    __table_args__ = (UniqueConstraint("lesson_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"), index=True)
    #: uploaded (waiting for the job), processing, ready (served) or failed.
    status: Mapped[str] = mapped_column(String(12), default=UPLOADED)
    #: The name the file had on the officer's computer, shown on the manage page.
    original_filename: Mapped[str] = mapped_column(String(200), default="")
    #: The original, relative to MEDIA_ROOT: videos/<id>/original.<ext>.
    original_path: Mapped[str] = mapped_column(String(200), default="")
    duration_s: Mapped[float] = mapped_column(default=0.0)
    width: Mapped[int] = mapped_column(default=0)
    height: Mapped[int] = mapped_column(default=0)
    fps: Mapped[float] = mapped_column(default=0.0)
    has_audio: Mapped[bool] = mapped_column(default=False)
    video_codec: Mapped[str] = mapped_column(String(30), default="")
    #: Size of the uploaded original.
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    #: SHA-256 of the original in hex, computed while it streamed to disk.
    sha256: Mapped[str | None] = mapped_column(String(64))
    #: Transcoding progress (0 to 100) and the estimated seconds left, as the job last wrote them.
    progress_percent: Mapped[float] = mapped_column(default=0.0)
    seconds_left: Mapped[float | None]
    #: Why the last attempt failed: timeout, disk_full, ffmpeg_failed, truncated, worker_lost, internal.
    failure_reason: Mapped[str | None] = mapped_column(String(30))
    #: ffmpeg's own last words on the failure, for the officer who reports it.
    failure_detail: Mapped[str | None] = mapped_column(Text)
    #: Transcoding attempts queued so far; a job carries its number and gives way to a newer one.
    attempts: Mapped[int] = mapped_column(default=0)
    #: What the transcode wrote: {"renditions": {name: {width, height, bandwidth, size_bytes}}, "download_bytes", …}.
    renditions: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Last sign of life from the job working on it; a stale one means its worker died.
    heartbeat_dt: Mapped[datetime | None]
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    updated_dt: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    captions: Mapped[list["CaptionTrack"]] = relationship(
        back_populates="video", cascade="all, delete-orphan", order_by="CaptionTrack.language"
    )

    def __repr__(self) -> str:
        return f"<Video {self.id} lesson={self.lesson_id} {self.status}>"

    @property
    def folder(self) -> str:
        """Return the video's folder, relative to MEDIA_ROOT."""
        return f"videos/{self.id}"

    @property
    def is_ready(self) -> bool:
        return self.status == READY


class CaptionTrack(db.Model):
    """Captions of a video in one language, stored as safe WebVTT, with the transcript they read as."""

    __tablename__ = "caption_tracks"
    __table_args__ = (UniqueConstraint("video_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    video_id: Mapped[int] = mapped_column(ForeignKey("videos.id", ondelete="CASCADE"), index=True)
    #: BCP-47 tag of the content language.
    language: Mapped[str] = mapped_column(String(20))
    #: The WebVTT file, relative to MEDIA_ROOT: videos/<id>/captions/<language>.vtt.
    vtt_path: Mapped[str] = mapped_column(String(200))
    #: The captions as plain paragraphs, shown under the video and offered as a download.
    transcript: Mapped[str] = mapped_column(Text, default="")
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    updated_dt: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    video: Mapped[Video] = relationship(back_populates="captions")

    def __repr__(self) -> str:
        return f"<CaptionTrack {self.video_id} {self.language}>"
