"""Everything class-level a batch folder gets: gradebook.csv, summary.json, HTML, JUnit."""

from __future__ import annotations

from pathlib import Path

from .class_folder import load_records, write_summary_files


def write_class_outputs(out_dir: Path, assignment: str, students: list[str] | None = None, *,
                        junit: str | None = None, html: bool = True,
                        include_hidden: bool = True) -> dict:
    """Rebuild the class-level files of ``out_dir`` from its per-student files."""
    records = load_records(out_dir, students)
    summary = write_summary_files(out_dir, records, assignment)
    if html:
        from .feedback import write_feedback

        write_feedback(out_dir, records, summary, include_hidden=include_hidden)
    if junit:
        from .junit import write_junit

        write_junit(Path(junit), assignment, {r.student: r.result for r in records if r.graded},
                    {r.student: r.error for r in records if not r.graded})
    return summary
