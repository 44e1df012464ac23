"""Running student code: the host side (``confine``: start, limit and end the sandboxed
process; ``warm``: fork it from a server that imported TensorFlow once; ``process``: the
grader's probe handle on it) and ``child/``, the code that runs inside the sandbox."""
