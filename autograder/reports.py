"""Writing a grade where people and machines read it: results.json and the terminal."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

from .results import GradeResult


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
    table = Table(title=f"{result.assignment}: {result.submission}", show_lines=False)
    table.add_column("check")
    table.add_column("points", justify="right")
    table.add_column("message", overflow="fold")
    for test in result.tests:
        mark = "[green]✓[/]" if test.status == "passed" else "[red]✗[/]"
        table.add_row(f"{mark} {test.name}", f"{test.score:g}/{test.max_score:g}", test.output)
    table.add_section()
    table.add_row("[bold]total[/]", f"[bold]{result.score:g}/{result.max_score:g}[/]", "")
    return table


def print_result(result: GradeResult, console: Console | None = None) -> None:
    console = console or Console()
    console.print(score_table(result))
    for note in result.notes:
        console.print(f"[yellow]note:[/] {note}")
