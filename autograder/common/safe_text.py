"""Making text that a submission controls safe to print, store and show to anyone.

A student controls file and folder names, exception messages, type names and everything
their notebook prints. Each output has one sanitiser here, and every output module routes
student strings through its own before writing them:

* :func:`terminal_text`: no escape sequences, no bidi overrides, one line (a newline in a
  name or an error would forge a line of the report);
* :func:`csv_cell`: a spreadsheet never sees a formula (``=``, ``+``, ``-``, ``@``, tab or
  carriage return first), and the row stays one line;
* :func:`xml_text`: only characters XML 1.0 can hold (ElementTree escapes the markup);
* :func:`markdown_text`: no live links, images, HTML or table breaks (a line break
  becomes ``<br>``, the only tag it writes);
* :func:`html_text`: escaped for HTML text and attributes (for code outside Jinja's
  autoescaping).

All of them start from :func:`student_text`: control characters replaced, unencodable
surrogates replaced, length capped.
"""

from __future__ import annotations

import builtins
import html
import re

NEWLINE_MARK = " \u23ce "  # shown where a one-line output had a line break
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>^$])")
_LINK_SCHEMES = re.compile(r"(?i)(\w)(://)|\b(www)(\.)")
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def student_text(value, limit: int) -> str:
    """``str(value)`` with control characters (terminal escape sequences, bidi overrides)
    replaced by U+FFFD, lone surrogates (which no encoder accepts) by "?", and the length
    capped at ``limit`` characters."""
    text = str(value)[: limit * 2].encode("utf-8", "replace").decode("utf-8")
    # the usual text (printable lines) is checked in C; a record holds thousands of them
    if not text.replace("\n", "").replace("\t", "").isprintable():
        text = "".join(ch if ch.isprintable() or ch in "\n\t" else "\ufffd" for ch in text)
    return text[:limit]


def one_line(text: str) -> str:
    return text.replace("\r", "").replace("\n", NEWLINE_MARK).replace("\t", " ")


def terminal_text(value, limit: int = 2000, *, multiline: bool = False) -> str:
    """For a terminal: printable characters only; one line unless ``multiline`` (inside a
    table cell, where a line break cannot pass for a new row). Rich markup is the caller's
    to avoid (print it as ``Text``)."""
    text = student_text(value, limit)
    return text if multiline else one_line(text)


def csv_cell(value, limit: int = 2000) -> str:
    """For a CSV cell a spreadsheet will open: never a formula, always one line."""
    text = one_line(student_text(value, limit))
    if text.startswith(_FORMULA_START):
        text = "'" + text
    return text


def xml_text(value, limit: int = 20000) -> str:
    """For XML (JUnit): characters XML 1.0 allows only; ElementTree escapes ``<&"``."""
    return _NOT_XML.sub("\ufffd", student_text(value, limit))


def markdown_text(value, limit: int = 2000) -> str:
    """For a Markdown table cell or line: literal text, no link, image, HTML, emphasis or
    cell break; a bare URL is broken with a zero-width space so no autolink is made."""
    text = student_text(value, limit).replace("\r", "").replace("\t", " ")
    text = _LINK_SCHEMES.sub(lambda m: (m.group(1) + ":\u200b//") if m.group(2)
                             else (m.group(3) + "\u200b."), text)
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))
    return text.replace("\n", "<br>")  # our own tag: a line break that cannot end the cell


def html_text(value, limit: int = 20000) -> str:
    """For HTML built outside an autoescaping template."""
    return html.escape(student_text(value, limit), quote=True)


# Exception types a student's report may name before grades are published: Python's own,
# TensorFlow's and NumPy's. A type's name is the student's to choose (``type("<data>",
# (Exception,), {})``), and a red team carried the hidden test cells out in such names,
# ~185 characters a note; a name from this list carries a few bits at most.
_LIBRARY_EXCEPTIONS = frozenset({
    "OpError", "CancelledError", "UnknownError", "InvalidArgumentError",
    "DeadlineExceededError", "NotFoundError", "AlreadyExistsError", "PermissionDeniedError",
    "UnauthenticatedError", "ResourceExhaustedError", "FailedPreconditionError",
    "AbortedError", "OutOfRangeError", "UnimplementedError", "InternalError",
    "UnavailableError", "DataLossError", "AxisError", "LinAlgError", "DTypePromotionError",
    "TooHardError"})


def known_exception_type(name: str) -> str | None:
    """``name`` (dotted, as a traceback prints it) reduced to its last part when that is a
    built-in, TensorFlow or NumPy exception; None for any other (the student's own) name."""
    last = str(name).rsplit(".", 1)[-1]
    value = getattr(builtins, last, None)
    if isinstance(value, type) and issubclass(value, BaseException):
        return last
    return last if last in _LIBRARY_EXCEPTIONS else None
