"""Which students' answer cells look alike: a lead for a human to read, never a penalty.

Method (winnowing, Schleimer, Wilkerson & Aiken 2003, as in MOSS):

1. Each code cell is tokenised with Python's own :mod:`tokenize` (a cell that does not
   tokenise falls back to a plain word/symbol split). Comments, blank lines, indentation
   and trailing commas are dropped; identifiers become ``V`` unless they are keywords,
   builtins or attribute names (``np.dot`` stays ``V.dot``); strings become ``S``. So
   renaming variables and reformatting change nothing.
2. Every ``K`` consecutive tokens are hashed; in each window of ``W`` hashes the smallest
   is kept (winnowing), giving each cell a set of fingerprints.
3. The release's starter code is fingerprinted the same way and those fingerprints are
   ignored (MOSS's base file): what the release gave everyone is not a match.
4. A student's fingerprints are the union over their cells, so reordered cells change
   nothing. A pair's score is the weighted Jaccard similarity of the two sets, each
   fingerprint weighted by 1 / (students having it): idioms the whole class shares count
   little, rare code shared by two counts much.

The report lists the most similar pairs with, for each, the cell pairs that share the most
fingerprints, side by side. It reads only the submitted sources; it never changes a score.
"""

from __future__ import annotations

import builtins
import functools
import hashlib
import io
import itertools
import json
import keyword
import re
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

from ..common.files import write_atomically
from ..common.safe_text import student_text
from ..grading.notebook import NotebookError, read_code_cells
from ..outputs.records import stored_record

K = 6  # tokens per fingerprinted k-gram: answers here are a few lines each
W = 4  # winnowing window
MIN_FINGERPRINTS = 4  # a (nearly) blank answer is similar to nothing
SOURCE_CHARS = 3000  # of each cell shown side by side
FILE = "similarity.json"
METHOD = (f"Winnowed {K}-token fingerprints of normalised code (identifiers, comments and "
          "layout ignored), starter code removed, cells pooled per student; score = "
          "weighted Jaccard similarity.")

_KEEP_NAMES = set(keyword.kwlist) | set(keyword.softkwlist) | set(dir(builtins))
_SKIP = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
         tokenize.ENCODING, tokenize.ENDMARKER}
# Python 3.12 splits f-strings into start, middle and end tokens
_STRING_START = {tokenize.STRING, getattr(tokenize, "FSTRING_START", tokenize.STRING)}
_STRING_PARTS = {getattr(tokenize, n) for n in ("FSTRING_MIDDLE", "FSTRING_END")
                 if hasattr(tokenize, n)}
_FALLBACK = re.compile(r"[A-Za-z_]\w*|\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\S")


def normalise(source: str) -> list[str]:
    """The cell's tokens with names, strings, comments and layout abstracted away."""
    raw: list[tuple[int, str]] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type not in _SKIP:
                raw.append((tok.type, tok.string))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        raw = [(tokenize.NAME if w[0].isalpha() or w[0] == "_" else
                tokenize.NUMBER if w[0].isdigit() else tokenize.OP, w)
               for w in _FALLBACK.findall(source)]
    out: list[str] = []
    for i, (kind, text) in enumerate(raw):
        if kind == tokenize.NAME:
            after_dot = i > 0 and raw[i - 1][1] == "."
            out.append(text if after_dot or text in _KEEP_NAMES else "V")
        elif kind in _STRING_START:
            out.append("S")
        elif kind in _STRING_PARTS:
            continue
        elif text == "," and i + 1 < len(raw) and raw[i + 1][1] in (")", "]", "}"):
            continue  # a trailing comma is layout
        else:
            out.append(text)
    return out


def _hash(gram: tuple[str, ...]) -> int:
    return int.from_bytes(hashlib.blake2b(" ".join(gram).encode(), digest_size=8).digest(),
                          "big")


def fingerprints(tokens: list[str], k: int = K, window: int = W) -> set[int]:
    """Winnowed k-gram hashes (all of them for a sequence shorter than one window)."""
    hashes = [_hash(tuple(tokens[i:i + k])) for i in range(len(tokens) - k + 1)]
    if len(hashes) <= window:
        return set(hashes)
    return {min(hashes[i:i + window]) for i in range(len(hashes) - window + 1)}


@dataclass
class StudentCode:
    student: str
    cells: dict[int, str]  # code cell index -> source
    prints: dict[int, set[int]] = field(default_factory=dict)  # cell index -> fingerprints

    @functools.cached_property
    def all_prints(self) -> set[int]:
        """Read only once ``prints`` is complete (it is cached)."""
        return set().union(*self.prints.values()) if self.prints else set()


def report(students: dict[str, list[str]], starter: list[str] = (), top: int = 10,
           cells_per_pair: int = 5) -> dict:
    """The similarity report (a JSON-ready dict) over ``{student: code cell sources}``."""
    base = set().union(*(fingerprints(normalise(s)) for s in starter)) if starter else set()
    code = []
    seen: dict[str, set[int]] = {}  # a class shares most cells (given code, tests): once each
    for student, cells in sorted(students.items()):
        entry = StudentCode(student, dict(enumerate(cells)))
        for index, source in entry.cells.items():
            if source not in seen:
                seen[source] = fingerprints(normalise(source)) - base
            if seen[source]:
                entry.prints[index] = seen[source]
        if len(entry.all_prints) >= MIN_FINGERPRINTS:
            code.append(entry)
    df: dict[int, int] = {}
    for entry in code:
        for h in entry.all_prints:
            df[h] = df.get(h, 0) + 1
    total = {entry.student: sum(1 / df[h] for h in entry.all_prints) for entry in code}
    pairs = []
    for a, b in itertools.combinations(code, 2):
        shared = a.all_prints & b.all_prints
        if not shared:
            continue
        weight = sum(1 / df[h] for h in shared)
        union = total[a.student] + total[b.student] - weight  # the weight of a | b
        pairs.append((weight / union, len(shared), a, b))
    pairs.sort(key=lambda p: (-p[0], p[2].student, p[3].student))
    return {"method": METHOD, "students": len(students), "compared": len(code),
            "pairs": [{"a": a.student, "b": b.student, "score": round(score, 4),
                       "shared": shared, "cells": matching_cells(a, b, cells_per_pair)}
                      for score, shared, a, b in pairs[:top]]}


def matching_cells(a: StudentCode, b: StudentCode, limit: int) -> list[dict]:
    """The cell pairs of ``a`` and ``b`` sharing the most fingerprints, for side by side."""
    found = []
    for (ia, fa), (ib, fb) in itertools.product(a.prints.items(), b.prints.items()):
        shared = len(fa & fb)
        if shared:
            found.append((shared / len(fa | fb), shared, ia, ib))
    found.sort(key=lambda m: (-m[1], -m[0], m[2], m[3]))
    used_a, used_b, cells = set(), set(), []
    for score, _, ia, ib in found:
        if ia in used_a or ib in used_b:
            continue
        used_a.add(ia)
        used_b.add(ib)
        cells.append({"a_index": ia, "b_index": ib, "score": round(score, 4),
                      "a_source": student_text(a.cells[ia], SOURCE_CHARS),
                      "b_source": student_text(b.cells[ib], SOURCE_CHARS)})
        if len(cells) == limit:
            break
    return cells


def write_report(out_dir: Path, students: dict[str, list[str]], starter: list[str] = (),
                 top: int = 10) -> dict:
    """Compute the report and write ``OUT/similarity.json`` (read by the class page)."""
    data = report(students, starter, top)
    write_atomically(Path(out_dir) / FILE, json.dumps(data, indent=1) + "\n")
    return data


def class_sources(out_dir: Path, students: list[str]) -> dict[str, list[str]]:
    """Each graded student's code cells, as their record kept them (read by the host from
    the submitted file, not from the student's process)."""
    sources = {}
    for student in students:
        cells = stored_record(out_dir, student)
        if cells:
            sources[student] = [c["source"] for c in sorted(cells, key=lambda c: c["index"])]
    return sources


def find_starter(assignment: str, roots: list[Path]) -> list[str]:
    """The release notebook's code cells (``<root>/release/<name>/<name>.ipynb``, nbgrader's
    layout), from the first root that has one; [] when none does."""
    for root in roots:
        folder = Path(root) / "release" / assignment
        for notebook in [folder / f"{assignment}.ipynb", *sorted(folder.glob("*.ipynb"))]:
            if notebook.is_file():
                try:
                    return read_code_cells(notebook)
                except NotebookError:
                    continue
    return []
