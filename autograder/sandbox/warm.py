"""Warm start, grader side: a fork server per grading worker, and Popen-like children.

Most of the time spent grading a short notebook is importing TensorFlow in a fresh
interpreter. A grading worker instead starts :mod:`autograder.forkserver` once; it imports
TensorFlow, NumPy and IPython (without running any op) and forks each student process from
that state. Children confine themselves with the same code as cold starts, so isolation and
limits are unchanged, and they see the same environment, so results are identical.

:func:`server` returns ``None`` (callers then start cold) when warm starts are disabled with
``AUTOGRADER_WARM=0``, or when the server cannot start.
"""

from __future__ import annotations

import atexit
import ctypes
import io
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

_CHILD_DIR = Path(__file__).resolve().parent / "child"
PRELOAD = ["numpy", "tensorflow", "IPython.core.interactiveshell", "sklearn.datasets",
           "matplotlib.pyplot"]
# Modules read some variables at import (Keras: KERAS_HOME, matplotlib: MPLCONFIGDIR), so a
# server serves only children whose environment equals its own: servers are keyed by it.
_lock = threading.Lock()
_servers: dict[frozenset, "ForkServer"] = {}
_failed = False


class WarmChild:
    """What :class:`autograder.sandbox.Sandbox` needs of a Popen, for a forked child."""

    def __init__(self, server: "ForkServer", pid: int, output_r: int):
        self.pid = pid
        self.stdout = io.open(output_r, "rb")
        self.returncode: int | None = None
        self._server = server

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self._server.exit_code(self.pid, timeout=0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            self.returncode = self._server.exit_code(self.pid, timeout=timeout)
        if self.returncode is None:
            raise subprocess.TimeoutExpired(f"student process {self.pid}", timeout)
        return self.returncode


class _ForkedProcess:
    """What :class:`ForkServer` needs of a Popen, for a server forked from this process."""

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                self.returncode = -9
            else:
                if pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"fork server {self.pid}", timeout)
            time.sleep(0.01)
        return self.returncode

    def kill(self) -> None:
        if self.poll() is None:
            os.kill(self.pid, signal.SIGKILL)


class ForkServer:
    """The grader's end of one fork server (a Popen'd interpreter, or this process forked)."""

    def __init__(self, sock: socket.socket, process):
        self._sock = sock
        self.process = process
        self._spawned: queue.Queue = queue.Queue()
        self._exits: dict[int, int] = {}
        self._exit_event = threading.Condition()
        self._ready = threading.Event()
        self._closed = False
        self._send_lock = threading.Lock()
        threading.Thread(target=self._listen, daemon=True).start()

    def _listen(self) -> None:
        while True:
            try:
                data = self._sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                self._closed = True
                self._ready.set()
                self._spawned.put(None)
                with self._exit_event:
                    self._exit_event.notify_all()
                return
            message = json.loads(data)
            if message.get("ready"):
                self._ready.set()
            elif "exited" in message:
                with self._exit_event:
                    self._exits[message["exited"]] = message["code"]
                    self._exit_event.notify_all()
            else:
                self._spawned.put(message)

    @classmethod
    def start(cls, env: dict, preload: list[str] = PRELOAD) -> "ForkServer":
        """A new interpreter that imports ``preload`` in ``env`` and serves."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        process = subprocess.Popen(
            [sys.executable, "-I", "-B", str(_CHILD_DIR / "forkserver.py"), str(theirs.fileno()),
             json.dumps(preload), str(os.getpid())],
            pass_fds=(theirs.fileno(),), env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        theirs.close()
        return cls(ours, process)

    def wait_ready(self, timeout: float = 120) -> bool:
        return self._ready.wait(timeout) and not self._closed

    def spawn(self, config: dict, request_r: int, reply_w: int) -> WarmChild:
        """Fork a child that confines itself per ``config`` (the cold launcher's config)."""
        output_r, output_w = os.pipe()
        try:
            with self._send_lock:
                socket.send_fds(self._sock, [json.dumps(dict(config, id=0)).encode()],
                                [request_r, reply_w, output_w])
                reply = self._spawned.get(timeout=30)
        finally:
            os.close(output_w)
        if reply is None:
            os.close(output_r)
            raise OSError("the fork server stopped")
        return WarmChild(self, reply["pid"], output_r)

    def exit_code(self, pid: int, timeout: float | None) -> int | None:
        with self._exit_event:
            self._exit_event.wait_for(lambda: pid in self._exits or self._closed, timeout)
            return self._exits.pop(pid, None) if pid in self._exits else (
                -9 if self._closed else None)

    def alive(self) -> bool:
        return not self._closed and self.process.poll() is None

    def close(self) -> None:
        try:
            self._sock.close()
        finally:
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def server(env: dict) -> ForkServer | None:
    """This process's fork server for ``env``, started on first use; None: start cold."""
    global _failed
    if os.environ.get("AUTOGRADER_WARM", "1") == "0" or _failed:
        return None
    key = frozenset(env.items())
    with _lock:
        existing = _servers.get(key)
        if existing is not None and existing.alive():
            return existing
        candidate = ForkServer.start(env)
        if not candidate.wait_ready():
            candidate.close()
            _failed = True
            return None
        _servers[key] = candidate
        atexit.register(candidate.close)
        return candidate


def _setns(fd: int, nstype: int) -> bool:
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.setns(fd, nstype) == 0


def start_here(env: dict, preload: list[str] = PRELOAD) -> bool:
    """Make this process's fork server for ``env`` from this very process (a zygote), so a
    grading worker that needs TensorFlow itself pays one import instead of two.

    The imports happen as a server started by :func:`server` does them: in ``env`` and with
    an empty home (a mount namespace of their own). Then this process forks: the child
    serves (as :mod:`forkserver` does, with no new privileges), and this process returns to
    the host's mount namespace and its own environment, with TensorFlow imported but no op
    run, so each side starts its own runtime. Root with namespaces only, and only while
    this process has a single thread (a fork copies just the calling one). Whatever this
    process imported before is in the students' processes too: call it before anything
    that must stay out of them (the grading suite, reference values). Modules keep what
    they read at import (matplotlib's config folder, Keras' home): in this process, the
    sandbox's paths, unused by a grading worker, which neither draws nor downloads; the
    temporary folder is reset. False: nothing started; :func:`server` starts one the usual
    way."""
    from .child import launcher

    if threading.active_count() > 1 or os.environ.get("AUTOGRADER_WARM", "1") == "0":
        return False
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    saved_env, saved_cwd, saved_tempdir = dict(os.environ), os.getcwd(), tempfile.tempdir
    host_mounts = os.open("/proc/self/ns/mnt", os.O_RDONLY)
    host_inode = os.fstat(host_mounts).st_ino
    parent, pid = os.getpid(), -1
    try:
        if launcher.hide_home(env["HOME"]):
            os.environ.clear()
            os.environ.update(env)
            for name in preload:
                __import__(name)
            pid = os.fork()
        if pid == 0:  # the fork server; never returns
            try:
                ours.close()
                os.close(host_mounts)
                launcher.die_with_parent(parent)
                os.chdir("/")
                launcher.no_new_privileges()
                sys.path.insert(0, str(_CHILD_DIR))
                import forkserver  # noqa: PLC0415 - the child side, as its script imports it

                forkserver.serve(theirs, [])
            finally:
                os._exit(0)
    finally:
        if pid != 0:
            if os.stat("/proc/self/ns/mnt").st_ino != host_inode \
                    and not _setns(host_mounts, launcher.CLONE_NEWNS):
                sys.stderr.write("autograder: could not return to the host's mount namespace "
                                 f"after starting the fork server (errno {ctypes.get_errno()})\n")
            os.close(host_mounts)
            os.environ.clear()
            os.environ.update(saved_env)
            os.chdir(saved_cwd)
            tempfile.tempdir = saved_tempdir  # an import may have cached the sandbox's TMPDIR
    if pid < 0:
        ours.close()
        theirs.close()
        return False
    theirs.close()
    candidate = ForkServer(ours, _ForkedProcess(pid))
    if not candidate.wait_ready():
        candidate.close()
        return False
    with _lock:
        _servers[frozenset(env.items())] = candidate
    atexit.register(candidate.close)
    return True
