"""Autograder for a TensorFlow 2 neural-networks course (see README.md)."""

__version__ = "0.1.0"
