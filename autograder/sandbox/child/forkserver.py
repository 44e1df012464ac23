"""Warm start, server side: import TensorFlow once, then fork one student process per request.

Started by :mod:`autograder.warm` as its own interpreter (never inside the grader, whose
TensorFlow runtime is initialised and multi-threaded). It imports the heavy modules
*without running any TensorFlow op*, so no device, thread pool or RNG state exists yet
when it forks; each child then confines itself exactly as the cold launcher does
(:func:`launcher.confine`) and runs the student runner. Standard library only,
apart from the preloaded modules.

Protocol on the inherited SOCK_SEQPACKET socket (one JSON object per packet):
  grader -> server: the launcher's config plus ``"id"``, with three file descriptors
                    (request pipe read end, reply pipe write end, output pipe write end)
  server -> grader: ``{"ready": true}`` once, then ``{"id", "pid"}`` per spawn and
                    ``{"exited": pid, "code": n}`` whenever a child ends.
"""

import gc
import json
import os
import select
import signal
import socket
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import launcher  # noqa: E402
import runner  # noqa: E402

SETUP_FAILED = 121  # same status as the cold launcher's


def _send(sock, message):
    sock.send(json.dumps(message).encode())


def _child(cfg, fds, server_fds):
    """Runs in the forked child; never returns."""
    try:
        gc.enable()  # the server collects again before it serves; a student always does
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        request_r, reply_w, output_w = fds
        os.setsid()
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(output_w, 1)
        os.dup2(output_w, 2)
        keep = {0, 1, 2, request_r, reply_w}
        for fd in [int(n) for n in os.listdir("/proc/self/fd")]:
            if fd not in keep:
                try:
                    os.close(fd)
                except OSError:
                    pass
        del server_fds
        launcher.confine(cfg)
        os.environ.clear()
        os.environ.update(cfg["env"])
        os.chdir(cfg["env"]["HOME"])
        code = runner.main(["student_runner", str(request_r), str(reply_w)])
        os._exit(code)
    except BaseException:  # noqa: BLE001 - report, then die as the cold launcher would
        try:
            os.write(2, ("sandbox setup failed: " + traceback.format_exc()[-800:]).encode())
        finally:
            os._exit(SETUP_FAILED)


def _reap(sock, inits):
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        code = os.waitstatus_to_exitcode(status)
        if pid in inits:
            inits.discard(pid)
            if code > 128:  # init's "killed by a signal", read as launcher._relay reads it
                code = 128 - code
        _send(sock, {"exited": pid, "code": code})


class PidNamespaces:
    """Fork each student process straight into a new PID namespace, as its pid 1.

    A cold start's launcher unshares the namespace itself and then forks twice (a relay
    outside, pid 1 inside) before the runner's fork; every fork and exit of a process that
    holds TensorFlow costs ~15-20 ms. Here the server asks for a new namespace for its
    next child only (unshare(CLONE_NEWPID) changes where *children* go), forks, and at
    once points its own children back to its own namespace (setns). Before each fork it
    checks that they do go there, so no student is ever forked into another's namespace.
    Where the kernel refuses a new namespace, the child is forked the usual way and makes
    its own (launcher.confine); where the server cannot point its children back to its own,
    it stops serving (the grader then starts a fresh server)."""

    def __init__(self):
        self._own = os.open("/proc/self/ns/pid", os.O_RDONLY)
        self._own_inode = os.fstat(self._own).st_ino

    def _children_go_home(self):
        return os.stat("/proc/self/ns/pid_for_children").st_ino == self._own_inode

    def fork(self, cfg):
        """``(pid, made)``: ``made`` when the child is pid 1 of a namespace of its own."""
        if not self._children_go_home():  # never fork into a previous child's namespace
            raise OSError("the fork server's children would not start in its own PID namespace")
        made = cfg.get("mode") == "namespaces" and launcher.new_pid_namespace_for_children()
        pid = os.fork()
        if pid == 0:
            os.close(self._own)
            return 0, made
        if made and not (launcher.pid_namespace_for_children(self._own)
                         and self._children_go_home()):
            raise OSError("the fork server could not return its children to its own PID "
                          "namespace")
        return pid, made


def _map_module_files():
    """The first traceback IPython draws in a process calls inspect.getmodule, which maps
    the file of every loaded module (~4,000 with TensorFlow: 0.14-0.2 s of realpath calls).
    Done once here, before the first fork, every student process inherits the map: a
    notebook's first failing cell costs milliseconds instead. It runs after "ready", so a
    batch worker imports the grader meanwhile; the first request waits for it."""
    import inspect

    inspect.getmodule(compile("", "<fork server>", "exec"))


def _make_shell():
    """Make the student's IPython shell now (runner.make_shell), so every student process
    forked later starts with it instead of spending ~45 ms building it. It is made in the
    students' home folder, which IPython records as the starting and first visited one, as
    a cold start records it. After "ready", like the module map."""
    here = os.getcwd()
    try:
        os.chdir(os.environ.get("HOME") or "/")
        runner.make_shell()
    except Exception:  # noqa: BLE001 - each student process then makes its own
        pass
    finally:
        os.chdir(here)


def _imports_out_of_gc():
    """Move everything imported so far into the collector's permanent generation and turn
    the collector back on. The imports ran with it paused (TensorFlow's makes ~600,000
    objects, and collections while they pile up cost ~0.45 s of a 2.6 s import); the
    cycles they left unreclaimed are a few MB. Frozen, the imports are never walked again
    by a collection in the server or in a student process (whose collections then touch
    only its own objects, and whose pages shared with the server stay shared)."""
    gc.freeze()
    gc.enable()


def serve(sock, preload):
    gc.disable()  # until _imports_out_of_gc
    for name in preload:
        __import__(name)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    namespaces = PidNamespaces()
    inits = set()  # children that are pid 1 of their own namespace
    _send(sock, {"ready": True})
    _map_module_files()
    _make_shell()
    _imports_out_of_gc()
    while True:
        try:
            ready = select.select([sock, wake_r], [], [])[0]
        except InterruptedError:
            continue
        if wake_r in ready:
            os.read(wake_r, 4096)
            _reap(sock, inits)
        if sock in ready:
            message, fds, _, _ = socket.recv_fds(sock, 1 << 20, 4)
            if not message:
                return  # the grader closed its end: stop serving
            cfg = json.loads(message)
            pid, made = namespaces.fork(cfg)
            if pid == 0:
                _child(cfg, fds, (sock, wake_r, wake_w))
            if made:
                inits.add(pid)
            for fd in fds:
                os.close(fd)
            _send(sock, {"id": cfg["id"], "pid": pid})


def main():
    launcher.die_with_parent(sys.argv[3])
    launcher.confine_server(os.environ.get("HOME", "/home/student"))
    sock = socket.socket(fileno=int(sys.argv[1]))
    serve(sock, json.loads(sys.argv[2]))


if __name__ == "__main__":
    main()
