"""Autograder for a TensorFlow 2 neural-networks course (see README.md)."""

import sys

__version__ = "0.1.0"

# jsonschema (under nbformat) imports this optional IRI checker when it is installed, and the
# import compiles a grammar: ~1-2 s in every process that reads a notebook (the CLI, each
# grading worker). Notebooks never use those formats, so every entry point goes without it.
sys.modules.setdefault("rfc3987_syntax", None)
