"""Grading a class: find the submissions, grade each in its own process (locally or on
Dask), resume by fingerprint, and store every outcome as soon as it exists."""
