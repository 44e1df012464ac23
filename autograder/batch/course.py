"""Course settings: ``course.toml`` at the course root (nbgrader's course folder).

Format (every key optional; docs/course-policy.md has a commented example)::

    timezone = "Europe/Berlin"   # for dates and timestamps written without a zone (default UTC)
    roster = "roster.csv"         # for LMS gradebook files, relative to this file

    [late]                        # the default rule, see autograder.batch.late.LateRule
    per_day = 0.1
    max_penalty = 0.5
    cutoff_days = 7

    [assignments.nn-basics]
    due = 2026-03-01T23:59:00     # a TOML datetime or a string like "2026-03-01 23:59 UTC"
    late = { per_day = 0.2 }      # overrides keys of the default rule for this assignment
    extensions = { alice = 2, bob = 2026-03-05T12:00:00 }   # days, or a new due date
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from .late import DuePolicy, LateError, LateRule, course_zone, parse_timestamp

COURSE_FILE = "course.toml"
_RULE_KEYS = {f.name for f in fields(LateRule)}
_TOP_KEYS = {"timezone", "roster", "late", "assignments"}
_ASSIGNMENT_KEYS = {"due", "late", "extensions"}


class CourseError(ValueError):
    """course.toml cannot be read; ``str()`` says which key and why."""


@dataclass
class CourseSettings:
    path: Path | None = None
    timezone: str | None = None
    roster: Path | None = None
    policies: dict[str, DuePolicy] = field(default_factory=dict)

    def policy(self, assignment: str) -> DuePolicy | None:
        """The assignment's due-date policy, or None when it has no due date."""
        return self.policies.get(assignment)


def _when(value, zone, where: str) -> datetime:
    if isinstance(value, time) or (isinstance(value, date) and not isinstance(value, datetime)):
        if isinstance(value, date):  # a bare date: due at its end, as people mean it
            return parse_timestamp(datetime.combine(value, time(23, 59, 59)), zone)
        raise CourseError(f"{where}: a time without a date")
    try:
        return parse_timestamp(value, zone)
    except LateError as exc:
        raise CourseError(f"{where}: {exc}") from None


def _refuse_unknown(table: dict, known: set, where) -> None:
    """A misspelt key is an error that names it, never a setting silently ignored."""
    unknown = set(table) - known
    if unknown:
        raise CourseError(f"{where}: unknown key(s) {sorted(unknown)}; "
                          f"known: {', '.join(sorted(known))}")


def _rule(table: dict, base: LateRule, where: str) -> LateRule:
    if not isinstance(table, dict):
        raise CourseError(f"{where} must be a table")
    _refuse_unknown(table, _RULE_KEYS, where)
    values = {f.name: getattr(base, f.name) for f in fields(LateRule)}
    values.update(table)
    try:
        return LateRule(**values)
    except (LateError, TypeError) as exc:
        raise CourseError(f"{where}: {exc}") from None


def _extension(value, zone, where: str):
    if isinstance(value, bool):
        raise CourseError(f"{where}: an extension is a number of days or a date")
    if isinstance(value, (int, float)):
        if value < 0:
            raise CourseError(f"{where}: a negative extension")
        return timedelta(days=value)
    return _when(value, zone, where)


def parse_course(data: dict, path: Path | None = None) -> CourseSettings:
    _refuse_unknown(data, _TOP_KEYS, path or COURSE_FILE)
    try:
        zone = course_zone(data.get("timezone"))
    except LateError as exc:
        raise CourseError(f"timezone: {exc}") from None
    base = _rule(data.get("late", {}), LateRule(), "[late]")
    settings = CourseSettings(path=path, timezone=data.get("timezone"))
    if data.get("roster"):
        roster = Path(str(data["roster"]))
        settings.roster = roster if roster.is_absolute() or path is None \
            else path.parent / roster
    assignments = data.get("assignments", {})
    if not isinstance(assignments, dict):
        raise CourseError("[assignments] must be a table of assignment tables")
    for name, table in assignments.items():
        where = f"[assignments.{name}]"
        if not isinstance(table, dict):
            raise CourseError(f"{where} must be a table")
        _refuse_unknown(table, _ASSIGNMENT_KEYS, where)
        if "due" not in table:
            raise CourseError(f"{where}: no due date")
        extensions = table.get("extensions", {})
        if not isinstance(extensions, dict):
            raise CourseError(f"{where}: extensions must be a table of student = days/date")
        settings.policies[name] = DuePolicy(
            due=_when(table["due"], zone, f"{where} due"),
            rule=_rule(table.get("late", {}), base, f"{where} late"),
            extensions={str(s): _extension(v, zone, f"{where} extensions.{s}")
                        for s, v in extensions.items()},
            zone=zone)
    return settings


def load_course(path: Path) -> CourseSettings:
    """Read ``path`` (a course.toml, or a folder holding one)."""
    path = Path(path)
    if path.is_dir():
        path = path / COURSE_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CourseError(f"{path}: cannot be read ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise CourseError(f"{path}: not valid TOML ({exc})") from None
    return parse_course(data, path)


def find_course(start: Path) -> CourseSettings | None:
    """The course.toml of the course whose submissions are at ``start`` (the course root,
    its ``submitted/`` folder, or a flat folder), if there is one."""
    start = Path(start)
    folder = start if start.is_dir() else start.parent
    candidates = [folder] + ([folder.parent] if folder.name == "submitted" else [])
    for candidate in candidates:
        if (candidate / COURSE_FILE).is_file():
            return load_course(candidate / COURSE_FILE)
    return None
