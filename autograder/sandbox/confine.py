"""Starting, confining and reliably ending the process that runs student code.

What holds depends on the rung of the capability ladder this machine allows
(:mod:`autograder.sandbox.rungs`, docs/threat-model.md):

* ``namespaces`` (root with CAP_SYS_ADMIN): the child gets its own mount, network, PID and
  IPC namespaces, a root directory that holds only read-only system/Python directories,
  the runner and the data, a minimal /dev, small tmpfs mounts for its home, /tmp and
  /dev/shm, a uid of its own, a cgroup, and resource limits;
* ``setuid`` (root without CAP_SYS_ADMIN, e.g. a default Docker container): a uid of its
  own, a cgroup where /sys/fs/cgroup is writable, resource limits, and its leftovers in
  world-writable folders removed afterwards;
* ``user`` (an ordinary user): resource limits, a new session, a scrubbed environment and
  a private working directory; the grader's files stay readable to it.

On every rung a seccomp filter (set by the launcher) refuses network sockets, and a memory
guard caps the memory of all the sandbox's processes together (counted by the kernel's
cgroup where there is one, else by polling resident sizes).
"""

from __future__ import annotations

import collections
import functools
import json
import math
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..common.threads import thread_pool_variables
from . import cgroups, rungs, warm

CHILD_DIR = Path(__file__).resolve().parent / "child"  # runs inside the sandbox
_RUNNER_FILES = ("runner.py", "protocol.py")
_UID_BASE = 200_000  # far above any real account; one uid per live sandbox
_uid_counter = 0
_uid_lock = threading.Lock()


@dataclass(frozen=True)
class SandboxPolicy:
    """Limits for one student process. Defaults suit a TensorFlow notebook on a laptop."""

    cpu_seconds: int = 1800
    memory_mb: int = 8192  # RLIMIT_AS; TensorFlow's import alone maps ~2 GiB of address space
    # resident memory of all the sandbox's processes together (RLIMIT_AS is per process, so
    # a fork bomb whose children each allocate would pass it); polled, see _MemoryGuard
    total_memory_mb: int = 6144
    max_processes: int = 512  # threads count too, and TensorFlow starts a pool per core
    file_size_mb: int = 64
    open_files: int = 1024
    tmpfs_mb: int = 256  # home and /tmp each; bounds what a disk-filling loop can take
    network: bool = False
    output_tail_bytes: int = 64 * 1024
    # the rung: "auto" (the strongest this machine allows), "namespaces" ("root" is its
    # old name), "setuid" or "user"; see autograder.sandbox.rungs
    confine: str = "auto"
    # CPU share of one sandbox (its cgroup's quota), in cores; AUTOGRADER_SANDBOX_CPUS
    # changes the default
    cpus: float = field(default_factory=lambda: float(
        os.environ.get("AUTOGRADER_SANDBOX_CPUS") or 1))
    # fork student processes from a server that imported TensorFlow once (autograder.warm);
    # (root mode only); cold starts (a fresh interpreter each) when False, in user mode, or
    # when no server can start
    warm_start: bool = True
    # modules a cold-started runner imports before the first cell, as the fork server did
    # for a warm one: the two starts then meet student code with the same modules loaded,
    # and the runner can take TensorFlow's own classes before any student code could fake
    # them (the kind of a returned tensor); () skips it (tests of bare sandboxes)
    preload: tuple = tuple(warm.PRELOAD)
    extra_env: dict = field(default_factory=dict)

    def rlimits(self) -> dict:
        return {
            "RLIMIT_CPU": self.cpu_seconds,
            "RLIMIT_AS": self.memory_mb << 20,
            "RLIMIT_NPROC": self.max_processes,
            "RLIMIT_FSIZE": self.file_size_mb << 20,
            "RLIMIT_NOFILE": self.open_files,
            "RLIMIT_CORE": 0,
        }


def root_mode_available() -> bool:
    """True on the strongest rung: root, and the kernel lets us build the namespaces."""
    return rungs.detect() == rungs.NAMESPACES


def current_rung(policy: SandboxPolicy | None = None) -> str:
    """The rung a sandbox with ``policy`` runs on (for reports)."""
    return rungs.resolve((policy or SandboxPolicy()).confine)


def _next_uid() -> int:
    """A uid for a new sandbox, skipping any that still has processes (so one sandbox's
    final kill can never reach another's)."""
    global _uid_counter
    with _uid_lock:
        for _ in range(16):
            _uid_counter += 1
            uid = _UID_BASE + (os.getpid() % 50_000) * 16 + _uid_counter % 16
            if not processes_of_uid(uid):
                return uid
        raise RuntimeError("no free sandbox uid: 16 sandboxes of this process are alive")


def _python_dirs() -> list[str]:
    """Everything the interpreter and its site-packages need, outside the system dirs."""
    dirs = {sys.prefix, sys.base_prefix, str(Path(sys.executable).resolve().parent.parent)}
    for entry in sys.path:
        if "site-packages" in entry and os.path.isdir(entry):
            dirs.add(entry)
    return sorted(dirs, key=len)


def _write_and_close(fd: int, data: bytes) -> None:
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    except OSError:
        pass
    finally:
        os.close(fd)


# The launcher's own environment: nothing of the grader's (its paths, tokens) leaks into
# the sandbox's /proc/PID/environ before the exec replaces it with the student's.
_LAUNCHER_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
                 **{k: os.environ[k] for k in ("LD_LIBRARY_PATH",) if k in os.environ}}

_SYSTEM_DIRS = ["/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc", "/dev", "/sys",
                "/opt"]


class _OutputTail(threading.Thread):
    """Drains the child's stdout+stderr, keeping only the last bytes (prints can be huge)."""

    def __init__(self, stream, limit: int):
        super().__init__(daemon=True)
        self._stream, self._limit = stream, limit
        self._chunks: collections.deque[bytes] = collections.deque()
        self._size = 0

    def run(self) -> None:
        for chunk in iter(lambda: self._stream.read1(65536), b""):
            self._chunks.append(chunk)
            self._size += len(chunk)
            while self._size - len(self._chunks[0]) >= self._limit:
                self._size -= len(self._chunks.popleft())

    def text(self) -> str:
        data = b"".join(self._chunks)[-self._limit:]
        return data.decode("utf-8", errors="replace")


class _MemoryGuard(threading.Thread):
    """Kills the sandbox once its processes together hold more memory than allowed (the
    kernel's count for its cgroup, memfds and shared memory included, where there is one).

    Polling every ``interval`` seconds bounds the overshoot to what a process can touch in
    that time. Pages shared after a fork count once per process, so forking code meets the
    limit sooner than its true use, never later.
    """

    def __init__(self, sandbox: "Sandbox", limit_mb: int, interval: float = 0.2):
        super().__init__(daemon=True)
        self._sandbox, self._limit_mb, self._interval = sandbox, limit_mb, interval
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.wait(self._interval):
            # a forked copy can outlive the process we started and keep its pipes: watch
            # until the sandbox has no process left, not until the first one ends
            if not self._sandbox.alive() and not self._sandbox.pids():
                return
            if self._sandbox.memory_bytes() > self._limit_mb << 20:
                self._sandbox.killed_for = (f"its processes used more than "
                                            f"{self._limit_mb} MB of memory together")
                self._sandbox.kill()
                return

    def stop(self) -> None:
        self._halt.set()


class Sandbox:
    """One confined child process running the student runner, with its two protocol pipes."""

    def __init__(self, policy: SandboxPolicy | None = None, data_dir: Path | None = None):
        self.policy = policy or SandboxPolicy()
        self.data_dir = Path(data_dir) if data_dir else None
        self.mode = rungs.resolve(self.policy.confine)  # the rung
        self.uid = self.gid = None
        self.cgroup: cgroups.Cgroup | None = None
        self.process: subprocess.Popen | None = None
        self.request_fd = self.reply_fd = None
        self._tmp: str | None = None
        self._tail: _OutputTail | None = None
        self._guard: _MemoryGuard | None = None
        self.killed_for = ""  # set when the grader ended the child for breaking a limit
        self.warm = False  # forked from a warm server rather than started cold

    # -- lifecycle --------------------------------------------------------------------

    def start(self) -> "Sandbox":
        base = None
        if self.mode == rungs.SETUID and not rungs.others_can_reach(tempfile.gettempdir()):
            base = "/tmp"  # the sandbox's uid must reach its runner and home
        sweep_left_behind(base)
        # named by this process's pid: the parent of a grading process that died removes
        # what it left (remove_left_behind), and so does a later sweep
        self._tmp = tempfile.mkdtemp(prefix=f"{_FOLDER_PREFIX}{os.getpid()}-", dir=base)
        runner_dir = Path(self._tmp, "runner")
        runner_dir.mkdir()
        for name in _RUNNER_FILES:
            shutil.copy(CHILD_DIR / name, runner_dir / name)
        root_dir = Path(self._tmp, "root")
        root_dir.mkdir()
        home = Path(self._tmp, "home")
        home.mkdir()
        if self.mode in (rungs.NAMESPACES, rungs.SETUID):
            self.uid = self.gid = _next_uid()
            os.chmod(self._tmp, 0o711)
            for path in (runner_dir, *runner_dir.iterdir()):
                os.chmod(path, 0o755 if path.is_dir() else 0o644)
            self.cgroup = cgroups.create(
                self.policy.cpus,
                (self.policy.total_memory_mb + 3 * self.policy.tmpfs_mb + 512) << 20,
                self.policy.max_processes)
        if self.mode == rungs.NAMESPACES:
            runner_path = "/sandbox/runner/runner.py"
            home_path, data_path = NAMESPACE_HOME, NAMESPACE_DATA
        else:
            if self.mode == rungs.SETUID:
                os.chown(home, self.uid, self.gid)
                os.chmod(home, 0o700)
            runner_path = str(runner_dir / "runner.py")
            home_path, data_path = str(home), str(self.data_dir or "")

        request_r, request_w = os.pipe()
        reply_r, reply_w = os.pipe()
        config = {
            "mode": self.mode,
            "root_dir": str(root_dir),
            "binds_ro": _SYSTEM_DIRS + _python_dirs(),
            "runner_dir": str(runner_dir),
            "data_dir": str(self.data_dir) if self.data_dir else None,
            "home": home_path,
            "uid": self.uid, "gid": self.gid,
            "tmpfs_mb": self.policy.tmpfs_mb,
            "network": self.policy.network,
            "rlimits": self.policy.rlimits(),
            "cgroup_procs": self.cgroup.procs_files if self.cgroup else [],
            "argv": [sys.executable, "-I", "-B", runner_path, str(request_r), str(reply_w)],
            "parent_pid": os.getpid(),  # the launcher dies with us, even when we are pid 1
            "env": self._environment(home_path, data_path),
            # Keras loads cached data only from a writable KERAS_HOME (else it downloads), so
            # the student's home gets one whose datasets/ links into the read-only data dir.
            "links": [[f"{home_path}/.keras/datasets", f"{data_path}/datasets"]]
            if self.data_dir else [],
        }
        # The namespaces rung gives every sandbox the same paths (/home/student, ...), hence
        # the same environment; elsewhere a per-sandbox home would need a server each.
        use_warm = self.policy.warm_start and self.mode == rungs.NAMESPACES
        fork_server = warm.server(config["env"]) if use_warm else None
        if fork_server is not None:
            self.process = fork_server.spawn(config, request_r, reply_w)
            self.warm = True
        else:
            # the config goes through a pipe: a command line is readable by every process
            config_r, config_w = os.pipe()
            data = json.dumps(config).encode()
            writer = threading.Thread(target=_write_and_close, args=(config_w, data),
                                      daemon=True)
            writer.start()
            launcher = str(CHILD_DIR / "launcher.py")
            try:
                self.process = subprocess.Popen(
                    [sys.executable, "-I", "-S", launcher, "--config-fd", str(config_r)],
                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                    pass_fds=(request_r, reply_w, config_r), start_new_session=True,
                    cwd=home if self.mode == rungs.USER else "/",
                    env=_LAUNCHER_ENV,
                )
            finally:
                os.close(config_r)
            writer.join(timeout=10)
        os.close(request_r)
        os.close(reply_w)
        os.set_blocking(request_w, False)
        self.request_fd, self.reply_fd = request_w, reply_r
        self._tail = _OutputTail(self.process.stdout, self.policy.output_tail_bytes)
        self._tail.start()
        self._guard = _MemoryGuard(self, self.policy.total_memory_mb)
        self._guard.start()
        return self

    def _environment(self, home: str, data: str) -> dict:
        return student_environment(self.policy, self.mode, home, bool(self.data_dir))

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def output(self) -> str:
        return self._tail.text() if self._tail else ""

    def pids(self) -> list[int]:
        """The sandbox's live processes: its cgroup's, else every process of its uid, else
        (user rung) those in its session or descending from it (a double fork escapes)."""
        if self.process is None:
            return []
        if self.cgroup is not None:
            return self.cgroup.pids()
        if self.uid is not None:
            return processes_of_uid(self.uid)
        return session_and_descendants(self.process.pid)

    def memory_bytes(self) -> int:
        """Memory held by the sandbox: the kernel's count for its cgroup (memfds and shared
        memory included) or, without one, the sum of its processes' resident sizes."""
        counted = self.cgroup.memory_bytes() if self.cgroup is not None else None
        if counted is not None:  # pages shared with the fork server are not its own
            return counted
        pids = self.pids()
        return resident_bytes(pids) + memory_file_bytes(pids, self.uid)

    def _signal_kill(self) -> bool:
        """SIGKILL the child's process group and every process of its cgroup; True when the
        kernel kills the whole sandbox on its own from here, so that nothing of it runs on
        while :meth:`kill` waits for the deaths: cgroup v2 killed the group at once
        (cgroup.kill), or the child was pid 1 of its own PID namespace (a warm start's),
        whose death takes every process of the namespace with it, escaped ones included."""
        if self.process is None:
            return True
        whole_namespace = _is_namespace_init(self.process.pid)
        self._kill_group()
        all_at_once = self.cgroup is not None and self.cgroup.signal_kill()
        return all_at_once or whole_namespace

    def _kill_group(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def kill(self) -> None:
        """End the child and everything it started, even what left its process group."""
        if self.process is None:
            return
        self._kill_group()
        if self.cgroup is not None:
            self.cgroup.kill()
        if self.uid is not None:
            kill_all_of_uid(self.uid)
        else:
            for pid in session_and_descendants(self.process.pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    def close(self, wait: bool = True) -> None:
        """End the sandbox: every process is sent SIGKILL and the channel closed before this
        returns. ``wait=False`` leaves waiting for them to die (a TensorFlow process takes
        ~30 ms to unmap) and removing the sandbox's group and folders to a thread, so a
        batch worker grades on meanwhile; :func:`finish_closing` waits for that."""
        if self._guard is not None:
            self._guard.stop()
        all_killed = self._signal_kill()
        for fd in (self.request_fd, self.reply_fd):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.request_fd = self.reply_fd = None
        if wait or not all_killed:  # a process that could still run is waited for here
            self._tear_down()
            return
        finish_closing()  # one teardown in flight at most
        closer = threading.Thread(target=self._tear_down, name="sandbox-teardown")
        _closing.append(closer)
        closer.start()

    def _tear_down(self) -> None:
        """Wait for the processes to die, then remove what the sandbox left."""
        self.kill()
        if self._guard is not None:
            self._guard.join(timeout=5)
        if self._tail is not None:
            self._tail.join(timeout=5)
        if self.process is not None and self.process.stdout:
            self.process.stdout.close()
        if self.cgroup is not None:
            self.cgroup.remove()
            self.cgroup = None
        if self.mode == rungs.SETUID and self.uid is not None:
            # no private /tmp or IPC namespace here: what it left for the next one goes
            remove_leftovers_of_uid(self.uid)
        if self._tmp:
            _remove_tree(self._tmp)
            self._tmp = None

    def __enter__(self) -> "Sandbox":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()


_closing: list[threading.Thread] = []  # teardowns left running by close(wait=False)


def finish_closing() -> None:
    """Wait for every sandbox closed with ``wait=False`` to be gone (processes and files)."""
    while _closing:
        _closing.pop().join()


NAMESPACE_HOME, NAMESPACE_DATA = "/home/student", "/sandbox/data"


def student_environment(policy: SandboxPolicy, mode: str, home: str, with_data: bool) -> dict:
    """The student process's whole environment (nothing else of the grader's passes)."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": home, "TMPDIR": "/tmp" if mode == "root" else home,
        "LANG": "C.UTF-8", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "Agg", "MPLCONFIGDIR": f"{home}/.matplotlib",
        "TF_CPP_MIN_LOG_LEVEL": "2", "IPYTHONDIR": f"{home}/.ipython",
    }
    if with_data:
        env["KERAS_HOME"] = f"{home}/.keras"
    env.update(thread_pools(policy.cpus))
    for name in ("CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "LD_LIBRARY_PATH",
                 "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if name in os.environ:
            env[name] = os.environ[name]
    env.update(policy.extra_env)
    return env


def thread_pools(cpus: float) -> dict:
    """TensorFlow's and the BLAS's thread pools sized to the sandbox's CPU share. A pool per
    core of the machine, under a one-core quota, spins and is throttled; two gradings side by
    side then slow each other by 10-15% (benchmarks/batch_throughput.py). The same size on
    every machine also keeps a submission's float round-off the same wherever it is graded."""
    return thread_pool_variables(math.ceil(cpus))


def warm_environment(policy: SandboxPolicy | None, with_data: bool) -> dict | None:
    """The environment every warm-started student process gets under ``policy`` (the
    namespaces rung gives each sandbox the same paths), or None where starts are cold."""
    policy = policy or SandboxPolicy()
    if not (policy.warm_start and rungs.resolve(policy.confine) == rungs.NAMESPACES):
        return None
    return student_environment(policy, rungs.NAMESPACES, NAMESPACE_HOME, with_data)


def processes_of_uid(uid: int) -> list[int]:
    """Live processes owned by ``uid`` (zombies are dead and only wait to be reaped).

    Polled several times a second by the memory guard, so it reads only the head of each
    /proc/PID/status (State and Uid come first) and parses nothing else."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status", "rb") as status:
                head = status.read(1024)
        except OSError:
            continue
        at = head.find(b"\nUid:")
        if at < 0 or int(head[at + 5:].split(None, 1)[0]) != uid:
            continue
        state = head.find(b"\nState:")
        if state >= 0 and head[state + 7:].lstrip()[:1] == b"Z":
            continue
        found.append(int(entry))
    return found


def session_and_descendants(root: int) -> list[int]:
    """Live processes in session ``root`` (started with a new session) or below ``root``."""
    parents, session_members = {}, []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] == "Z":
            continue
        pid, ppid, session = int(entry), int(fields[1]), int(fields[3])
        parents[pid] = ppid
        if session == root:
            session_members.append(pid)
    found = set(session_members)
    for pid in parents:
        chain, seen = pid, set()
        while chain in parents and chain not in seen:
            if chain == root:
                found.add(pid)
                break
            seen.add(chain)
            chain = parents[chain]
    return sorted(found)


def _is_namespace_init(pid: int) -> bool:
    """Whether ``pid`` (a live or unreaped process) is pid 1 of a PID namespace of its own."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("NSpid:"):
                    ids = line.split()[1:]
                    return len(ids) > 1 and ids[-1] == "1"
    except OSError:
        pass
    return False


def resident_bytes(pids: list[int]) -> int:
    """Sum of the processes' resident set sizes (/proc/PID/statm)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm") as statm:
                total += int(statm.read().split()[1]) * _PAGE
        except (OSError, IndexError, ValueError):
            continue
    return total


_PAGE = os.sysconf("SC_PAGE_SIZE")


def memory_file_bytes(pids: list[int], uid: int | None) -> int:
    """Memory held in files rather than mapped: the memfds the processes keep open (each
    counted once) and, for a sandbox uid, its files in /dev/shm. Resident sizes miss both;
    a cgroup counts them, and without one (a default Docker container mounts the cgroup
    file system read-only) a red team held 1.5 GB in unmapped memfds under a 1 GB limit."""
    seen, total = set(), 0
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            path = f"/proc/{pid}/fd/{fd}"
            try:
                if not os.readlink(path).startswith("/memfd:"):
                    continue
                info = os.stat(path)
            except OSError:
                continue
            if (info.st_dev, info.st_ino) not in seen:
                seen.add((info.st_dev, info.st_ino))
                total += info.st_size
    if uid is not None:
        try:
            entries = list(os.scandir("/dev/shm"))
        except OSError:
            entries = []
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if info.st_uid == uid and (info.st_dev, info.st_ino) not in seen:
                seen.add((info.st_dev, info.st_ino))
                total += info.st_blocks * 512
    return total


_FOLDER_PREFIX = "autograder-sandbox-"
LEFT_BEHIND_AGE = 3600  # seconds: no grading lasts this long (the batch's timeout is less)


def _left_behind(pid: int | None, base: str | None) -> list[Path]:
    """The sandbox folders of grading process ``pid`` (any pid: None) in the temp folders
    a sandbox may use."""
    pattern = f"{_FOLDER_PREFIX}{pid if pid is not None else '*'}-*"
    bases = {tempfile.gettempdir(), os.environ.get("TMPDIR") or "/tmp", "/tmp",
             *([base] if base else [])}
    return [path for folder in sorted(bases) for path in Path(folder).glob(pattern)]


def remove_left_behind(pid: int) -> int:
    """Remove the sandbox folders of grading process ``pid`` after it died (killed, a
    segfault, out of memory) before it could: its students' runner copies and mount points
    would otherwise stay in the temp folder. Call it once ``pid`` has been waited for.
    Returns how many were removed."""
    found = _left_behind(pid, None)
    for path in found:
        _remove_tree(str(path))
    return len(found)


@functools.lru_cache(maxsize=4)
def sweep_left_behind(base: str | None = None) -> int:
    """Once per process and temp folder: remove sandbox folders older than an hour whose
    grading process is gone (a batch killed with ``kill -9`` took its workers' parent, who
    would have removed them). A folder whose pid still runs, or that is young, is left
    alone: another grader (another PID namespace sharing the folder) may be using it."""
    removed = 0
    for path in _left_behind(None, base):
        pid = path.name[len(_FOLDER_PREFIX):].split("-", 1)[0]
        try:
            if not pid.isdigit() or time.time() - path.stat().st_mtime < LEFT_BEHIND_AGE:
                continue
            os.kill(int(pid), 0)  # still running: leave it
        except ProcessLookupError:
            _remove_tree(str(path))
            removed += 1
        except OSError:  # another user's process (alive), or the folder went meanwhile
            continue
    return removed


def _remove_tree(path: str) -> None:
    """rmtree that also removes what an ordinary-user child made unreadable (its files are
    ours to chmod; root needs no such help)."""
    if os.geteuid() != 0:
        for parent, dirs, _files in os.walk(path):
            for name in dirs:
                child = os.path.join(parent, name)
                try:
                    if not os.path.islink(child):
                        os.chmod(child, 0o700)
                except OSError:
                    pass
    shutil.rmtree(path, ignore_errors=True)


_KILLER = "import os,signal,sys; os.setgid({uid}); os.setuid({uid}); os.kill(-1, signal.SIGKILL)"


def kill_all_of_uid(uid: int, rounds: int = 20) -> None:
    """``kill(-1)`` as the sandbox uid reaches every process it owns, fork bombs included."""
    for _ in range(rounds):
        if not processes_of_uid(uid):
            return
        subprocess.run([sys.executable, "-I", "-S", "-c", _KILLER.format(uid=uid)],
                       capture_output=True)
        time.sleep(0.05)


# /dev/mqueue: POSIX message queues, which Docker mounts world-writable (1777); a queue made
# with open() there outlived its submission and reached the next (a red team's, setuid rung
# in a default container: seccomp refuses mq_open, not open)
WORLD_WRITABLE = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/var/lock", "/dev/mqueue")


def remove_leftovers_of_uid(uid: int, folders=WORLD_WRITABLE) -> None:
    """Delete what ``uid`` left in shared writable folders and System V IPC, so nothing of
    one submission reaches the next on a rung without private mounts or IPC namespace.
    World-writable folders of other owners are searched too (a red team left a file inside
    a 0777 folder another user had made in /tmp): the sandbox's uid can write nowhere else
    below these folders. Links are never followed."""
    todo = list(folders)
    while todo:
        folder = todo.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
                is_dir = entry.is_dir(follow_symlinks=False)
                if info.st_uid != uid:
                    if is_dir and info.st_mode & stat.S_IWOTH:
                        todo.append(entry.path)
                    continue
                if is_dir:
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)
            except OSError:
                continue
    _remove_sysv_ipc_of_uid(uid)


_IPC_RMID = 0


def _remove_sysv_ipc_of_uid(uid: int) -> None:
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for kind, remove in (("shm", libc.shmctl), ("msg", libc.msgctl), ("sem", None)):
        try:
            lines = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()[1:]
        except OSError:
            continue
        header = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()[0].split()
        for line in lines:
            row = dict(zip(header, line.split()))
            if row.get("uid") != str(uid):
                continue
            ident = int(row.get("shmid") or row.get("msqid") or row.get("semid"))
            if remove is None:
                libc.semctl(ident, 0, _IPC_RMID)
            else:
                remove(ident, _IPC_RMID, None)
