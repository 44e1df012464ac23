"""Making text that a submission controls safe to print, store and show to anyone."""

from __future__ import annotations


def student_text(value, limit: int) -> str:
    """``str(value)`` with control characters (terminal escape sequences, bidi overrides)
    replaced by U+FFFD, lone surrogates (which no encoder accepts) by "?", and the length
    capped at ``limit`` characters."""
    text = str(value)[: limit * 2].encode("utf-8", "replace").decode("utf-8")
    text = "".join(ch if ch.isprintable() or ch in "\n\t" else "\ufffd" for ch in text)
    return text[:limit]
