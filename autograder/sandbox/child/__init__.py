"""Code that runs inside the sandbox (or launches it), like pytest-xdist's ``remote.py``.

These modules are started as scripts (or copied into the sandbox) and import only the
standard library, NumPy, IPython and each other, never the rest of the kit: whatever the
student's code can reach must not hold grading logic. ``tests/test_architecture.py``
checks it. The host side imports only :mod:`protocol` from here.
"""
