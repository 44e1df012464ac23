"""Due dates and late penalties, from nbgrader's ``timestamp.txt`` or a flat folder's file.

A submission's time comes from nbgrader's ``<student>/<assignment>/timestamp.txt`` (written
by ``nbgrader submit``/``collect`` as ``%Y-%m-%d %H:%M:%S.%f %Z``, e.g.
``2026-03-01 23:59:00.123456 UTC``) or, for a flat folder of notebooks, from
``timestamps.csv`` beside them (columns ``student,timestamp``, same formats). Times without
a zone are read in the course's timezone (UTC unless course.toml says otherwise), as
nbgrader reads them in UTC.

As in formgrader, a submission is late by ``timestamp - (due date + extension)`` when that
is positive. A rule (:class:`LateRule`) turns the lateness into points off; the result is a
plain dict stored in :attr:`GradeResult.late` and shown in every output. A submission whose
time is missing, unreadable, or in the future is *flagged*: no penalty is applied, and
every output says so, for the instructor to decide; it is never silently on time.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import stat
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from dateutil import parser as date_parser
from dateutil import tz as date_tz

from ..common.safe_text import student_text

TIMESTAMP_FILE = "timestamp.txt"  # nbgrader's, in each submission folder
TIMESTAMPS_CSV = "timestamps.csv"  # a flat folder's: student,timestamp
MAX_TIMESTAMP_BYTES = 256  # nbgrader writes ~35
MAX_TIMESTAMPS_CSV_BYTES = 4 << 20
FUTURE_SLACK = timedelta(minutes=10)  # clocks of the exchange and the grader differ a little

ON_TIME, LATE, FLAGGED = "on time", "late", "flagged"

# Dates as nbgrader and people write them; anything else (dateutil would guess at
# "tomorrow 5pm" or pick numbers out of prose) is refused.
_TIMESTAMP = re.compile(
    r"^(?P<when>\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)"
    r"\s*(?P<zone>Z|[+-]\d{2}:?\d{2}|[A-Za-z][A-Za-z0-9_/+-]{0,39})?$")


class LateError(ValueError):
    """A timestamp or a course setting cannot be read; ``str()`` says why."""


def read_timestamp_file(path: Path) -> str | None:
    """The text of a submission's ``timestamp.txt``; None when there is none.

    The file sits in a folder the student filled, so it is opened without following links
    or blocking (a FIFO) and read to at most :data:`MAX_TIMESTAMP_BYTES`; a file that is
    not a small regular file comes back as a description that no parser accepts, so the
    submission is flagged rather than treated as on time."""
    path = Path(path)
    try:
        info = path.lstat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"unreadable timestamp file ({exc.strerror})"
    if not stat.S_ISREG(info.st_mode):
        return "unreadable timestamp file (not a regular file)"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        try:
            raw = os.read(fd, MAX_TIMESTAMP_BYTES + 1)
        finally:
            os.close(fd)
    except OSError as exc:
        return f"unreadable timestamp file ({exc.strerror})"
    if len(raw) > MAX_TIMESTAMP_BYTES:
        return "unreadable timestamp file (too long)"
    return raw.decode("utf-8", "replace").strip()


def read_timestamps_csv(path: Path) -> dict[str, str]:
    """``{student: timestamp text}`` from a flat folder's ``timestamps.csv``."""
    path = Path(path)
    info = path.lstat()
    if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_TIMESTAMPS_CSV_BYTES:
        raise LateError(f"{path.name} is not a regular file below "
                        f"{MAX_TIMESTAMPS_CSV_BYTES >> 20} MB")
    text = path.read_bytes()[:MAX_TIMESTAMPS_CSV_BYTES].decode("utf-8-sig", "replace")
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not {"student", "timestamp"} <= set(reader.fieldnames):
        raise LateError(f"{path.name} needs the columns student,timestamp "
                        f"(it has {reader.fieldnames})")
    found: dict[str, str] = {}
    for row in reader:
        student = (row.get("student") or "").strip()
        if student:
            found[student] = (row.get("timestamp") or "").strip()
    return found


def attach_timestamps(submissions: list, folder: Path) -> list:
    """Submissions of a flat folder with their times from ``folder/timestamps.csv``
    (nbgrader's own ``timestamp.txt`` wins where both exist)."""
    table = Path(folder) / TIMESTAMPS_CSV
    if not Path(folder).is_dir() or not table.exists():
        return submissions
    times = read_timestamps_csv(table)
    return [replace(s, timestamp=times[s.student])
            if s.timestamp is None and s.student in times else s for s in submissions]


def _zone(name: str | None, default: timezone | date_tz.tzfile):
    if not name:
        return default
    if name == "Z":
        return timezone.utc
    if re.fullmatch(r"[+-]\d{2}:?\d{2}", name):
        sign = -1 if name[0] == "-" else 1
        hours, minutes = int(name[1:3]), int(name[-2:])
        return timezone(sign * timedelta(hours=hours, minutes=minutes))
    zone = date_tz.gettz(name)
    if zone is None:
        raise LateError(f"unknown timezone {student_text(name, 40)!r}")
    return zone


def course_zone(name: str | None):
    """The course's timezone (for times written without one); UTC, as nbgrader, if unset."""
    return _zone(name, timezone.utc) if name else timezone.utc


def parse_timestamp(text, zone=timezone.utc) -> datetime:
    """An aware UTC datetime from nbgrader's timestamp format, ISO 8601, or a TOML datetime;
    :class:`LateError` for anything else."""
    if isinstance(text, datetime):
        when = text if text.tzinfo else text.replace(tzinfo=zone)
        return when.astimezone(timezone.utc)
    if not isinstance(text, str) or not text.strip():
        raise LateError("no timestamp")
    match = _TIMESTAMP.match(text.strip())
    if not match:
        raise LateError(f"timestamp {student_text(text, 60)!r} is not a date and time "
                        "like 2026-03-01 23:59:00 UTC")
    try:
        when = date_parser.isoparse(match["when"].replace(" ", "T"))
    except ValueError as exc:
        raise LateError(f"timestamp {student_text(text, 60)!r} is not a valid date "
                        f"({exc})") from None
    when = when.replace(tzinfo=_zone(match["zone"], zone))
    return when.astimezone(timezone.utc)


@dataclass(frozen=True)
class LateRule:
    """Points off for lateness. ``per_day``: share taken per day, or started day, late;
    ``max_penalty``: cap on that share; ``cutoff_days``: later than this many days after
    the due date scores zero (0 = nbgrader's "zero" method); ``grace_minutes``: lateness
    forgiven; ``basis``: the share is of the earned ``score`` or of the ``max_score``."""
    per_day: float = 0.0
    max_penalty: float = 1.0
    cutoff_days: float | None = None
    grace_minutes: float = 0.0
    basis: str = "score"

    def __post_init__(self):
        for name in ("per_day", "max_penalty", "grace_minutes"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise LateError(f"late rule: {name} must be a number >= 0, not {value!r}")
        if self.max_penalty > 1:
            raise LateError("late rule: max_penalty is a share of the points, at most 1")
        if self.cutoff_days is not None and (not isinstance(self.cutoff_days, (int, float))
                                             or self.cutoff_days < 0):
            raise LateError(f"late rule: cutoff_days must be a number >= 0, "
                            f"not {self.cutoff_days!r}")
        if self.basis not in ("score", "max_score"):
            raise LateError("late rule: basis is 'score' or 'max_score'")

    def describe(self) -> str:
        parts = []
        if self.per_day:
            parts.append(f"{100 * self.per_day:g}% of the {self._basis_words()} per day "
                         f"late (or part of a day), at most {100 * self.max_penalty:g}%")
        if self.cutoff_days is not None:
            parts.append(f"zero when more than {self.cutoff_days:g} days late"
                         if self.cutoff_days else "zero when late")
        if self.grace_minutes:
            parts.append(f"{self.grace_minutes:g} minutes' grace")
        return "; ".join(parts) or "no penalty"

    def _basis_words(self) -> str:
        return "points earned" if self.basis == "score" else "assignment's points"

    def penalty(self, seconds_late: float, score: float, max_score: float) -> tuple[float, str]:
        """``(points off, why)`` for a submission ``seconds_late`` past its due date."""
        late = seconds_late - 60 * self.grace_minutes
        if late <= 0:
            return 0.0, ""
        days = late / 86400
        if self.cutoff_days is not None and days > self.cutoff_days:
            return round(score, 6), (f"submitted {_duration(late)} late, after the "
                                     f"{self.cutoff_days:g}-day cut-off: no points")
        started = math.ceil(days - 1e-9)
        share = min(self.max_penalty, self.per_day * started)
        basis = score if self.basis == "score" else max_score
        points = round(min(score, share * basis), 6)
        if not points:
            return 0.0, f"submitted {_duration(late)} late (no penalty under the course rule)"
        return points, (f"submitted {_duration(late)} late: {100 * share:g}% of the "
                        f"{self._basis_words()} off ({started} day{'s' * (started != 1)} "
                        f"x {100 * self.per_day:g}%"
                        + (f", capped at {100 * self.max_penalty:g}%)"
                           if share < self.per_day * started else ")"))


def _duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{max(minutes, 1)} min"


@dataclass(frozen=True)
class DuePolicy:
    """One assignment's due date, extensions and rule (built from course.toml)."""
    due: datetime  # aware, UTC
    rule: LateRule = field(default_factory=LateRule)
    extensions: dict = field(default_factory=dict)  # student -> timedelta or aware datetime
    zone: object = timezone.utc  # for timestamps without a zone

    def due_for(self, student: str) -> datetime:
        extension = self.extensions.get(student)
        if isinstance(extension, timedelta):
            return self.due + extension
        if isinstance(extension, datetime):
            return max(self.due, extension)
        return self.due

    def assess(self, student: str, timestamp: str | None, score: float, max_score: float,
               now: datetime | None = None) -> dict:
        """The late record of one graded submission (see the module docstring)."""
        due = self.due_for(student)
        record = {"due": due.isoformat(), "rule": self.rule.describe(), "penalty": 0.0,
                  "raw_timestamp": student_text(timestamp, 80) if timestamp else None}
        if student in self.extensions:
            record["extension"] = True
        if timestamp is None:
            return dict(record, status=FLAGGED, timestamp=None,
                        reason="no submission time was recorded (no timestamp): "
                               "lateness not checked, check by hand")
        try:
            when = parse_timestamp(timestamp, self.zone)
        except LateError as exc:
            return dict(record, status=FLAGGED, timestamp=None,
                        reason=f"{exc}: lateness not checked, check by hand")
        now = now or datetime.now(timezone.utc)
        if when > now + FUTURE_SLACK:
            return dict(record, status=FLAGGED, timestamp=None,
                        reason=f"the recorded submission time {when.isoformat()} is in the "
                               "future: lateness not checked, check by hand")
        seconds_late = max(0.0, (when - due).total_seconds())
        points, why = self.rule.penalty(seconds_late, score, max_score)
        return dict(record, status=LATE if seconds_late > 0 else ON_TIME,
                    timestamp=when.isoformat(), seconds_late=round(seconds_late, 3),
                    penalty=points, reason=why)


def validated_timestamp(result_late: dict, raw: str | None, now: datetime | None = None):
    """The submission time to hand on (e.g. to nbgrader's gradebook), as an aware UTC
    datetime: the one a due-date check accepted, or, without a due date, the raw text if it
    parses and is not in the future; None otherwise (a flagged time is never passed on)."""
    if result_late:
        stamp = result_late.get("timestamp")
        try:
            return parse_timestamp(stamp) if stamp else None
        except LateError:
            return None
    if not raw:
        return None
    try:
        when = parse_timestamp(raw)
    except LateError:
        return None
    return None if when > (now or datetime.now(timezone.utc)) + FUTURE_SLACK else when
