"""Writing a grade where people and machines read it: results.json and the terminal."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .results import GradeResult
from .safe_text import student_text


def write_atomically(path: Path, text: str) -> None:
    """Readers see the old file or the whole new one, never half of it (even on kill -9)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_results_json(result: GradeResult, path: Path) -> None:
    write_atomically(path, json.dumps(result.to_gradescope(), indent=2) + "\n")


def score_table(result: GradeResult) -> Table:
    title = student_text(f"{result.assignment}: {result.submission}", 200)  # a file name
    table = Table(title=Text(title), show_lines=False)
    table.add_column("check")
    table.add_column("points", justify="right")
    table.add_column("message", overflow="fold")
    for test in result.tests:
        mark = "[green]✓[/]" if test.status == "passed" else "[red]✗[/]"
        # names and messages may quote the student's text: never parse them as markup
        table.add_row(Text.from_markup(mark + " ") + Text(test.name),
                      f"{test.score:g}/{test.max_score:g}", Text(test.output))
    table.add_section()
    table.add_row("[bold]total[/]", f"[bold]{result.score:g}/{result.max_score:g}[/]", "")
    return table


def print_result(result: GradeResult, console: Console | None = None) -> None:
    console = console or Console()
    console.print(score_table(result))
    for note in result.notes:
        console.print(Text.from_markup("[yellow]note:[/] ") + Text(note))


def _md_cell(text) -> str:
    """Text safe inside a GitHub-flavoured Markdown table cell."""
    text = str(text).replace("\r", "").replace("&", "&amp;").replace("<", "&lt;")
    return text.replace(">", "&gt;").replace("|", "\\|").replace("\n", "<br>")


def markdown_summary(result: GradeResult, title: str | None = None) -> str:
    """A Markdown score table, e.g. for a CI job summary ($GITHUB_STEP_SUMMARY)."""
    lines = [f"### {_md_cell(title or f'{result.assignment}: {result.submission}')}", "",
             f"**Score: {result.score:g} / {result.max_score:g}**", "",
             "| | check | points | message |", "|---|---|---:|---|"]
    for test in result.tests:
        mark = "✅" if test.score >= test.max_score else ("🟡" if test.score > 0 else "❌")
        lines.append(f"| {mark} | {_md_cell(test.name)} | {test.score:g}/{test.max_score:g} "
                     f"| {_md_cell(test.output)} |")
    lines += [f"> {_md_cell(note)}" for note in result.notes]
    return "\n".join(lines) + "\n\n"


def append_text(path: Path, text: str) -> None:
    """Append (the job-summary file is shared by every step of a CI job)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(text)
