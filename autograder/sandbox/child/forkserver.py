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


def _reap(sock):
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _send(sock, {"exited": pid, "code": os.waitstatus_to_exitcode(status)})


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


def serve(sock, preload):
    for name in preload:
        __import__(name)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    _send(sock, {"ready": True})
    _map_module_files()
    _make_shell()
    while True:
        try:
            ready = select.select([sock, wake_r], [], [])[0]
        except InterruptedError:
            continue
        if wake_r in ready:
            os.read(wake_r, 4096)
            _reap(sock)
        if sock in ready:
            message, fds, _, _ = socket.recv_fds(sock, 1 << 20, 4)
            if not message:
                return  # the grader closed its end: stop serving
            cfg = json.loads(message)
            pid = os.fork()
            if pid == 0:
                _child(cfg, fds, (sock, wake_r, wake_w))
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
