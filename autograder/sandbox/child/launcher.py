"""Confines the current process, then execs the student runner.

Started by :mod:`autograder.sandbox` as a fresh interpreter (``python -I -S``), so none of
this runs inside the grader's own, multi-threaded process (where ``preexec_fn`` would be
unsafe). Standard library only. Reads one JSON object from the file descriptor named by
``--config-fd N`` (never from its command line, which other processes can read):

``{"mode": "namespaces"|"setuid"|"user", "root_dir", "binds_ro": [...], "runner_dir",
"data_dir", "home", "uid", "gid", "tmpfs_mb", "network": bool, "rlimits": {...},
"cgroup_procs": [...], "argv": [...], "env": {...}, "links": [[link, target], ...]}``

The rung (``mode``) decides what is built (see ``autograder/sandbox/rungs.py``):

* ``namespaces``: mount, network, PID and IPC namespaces; a root holding only read-only
  binds of the system and Python directories, the runner and the data, a minimal ``/dev``
  (null, zero, full, random, urandom; no ptys) and small tmpfs mounts for the home, ``/tmp``
  and ``/dev/shm``; a ``/proc`` that shows only the sandbox's processes. The first process
  of the PID namespace is a small init that reaps orphans and ends the namespace (every
  process in it) when the runner ends.
* ``setuid``: a uid and gid of their own, no supplementary groups; no System V IPC.
* ``user``: limits only.

Every rung: the cgroup (joined first, so every later process is counted), resource
limits, ``no_new_privs`` and, unless the policy allows network, a seccomp filter that
refuses network sockets (required where no network namespace exists).
"""

import ctypes
import json
import os
import resource
import signal
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
CLONE_NEWPID = 0x20000000
CLONE_NEWIPC = 0x08000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 1, 38, 22, 2
# machine -> (AUDIT_ARCH_*, __NR_socket, (IPC that outlives a process: System V shmget,
# semget, msgget, POSIX mq_open), (calls on another process's memory: ptrace,
# process_vm_readv, process_vm_writev)); io_uring_setup is 425 on both
_SECCOMP_ARCH = {"x86_64": (0xC000003E, 41, (29, 64, 68, 240), (101, 310, 311)),
                 "aarch64": (0xC00000B7, 198, (194, 190, 186, 180), (117, 270, 271))}
_NR_IO_URING_SETUP = 425
AF_UNIX, AF_NETLINK, EACCES = 1, 16, 13

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result, what):
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def new_pid_namespace_for_children():
    """unshare(CLONE_NEWPID): this process's next child starts a new PID namespace, as its
    pid 1 (this process stays where it is). False where the kernel refuses."""
    return _libc.unshare(CLONE_NEWPID) == 0


def pid_namespace_for_children(fd):
    """setns(fd, CLONE_NEWPID): this process's later children start in the PID namespace
    ``fd`` names (its own, or a descendant). False where the kernel refuses."""
    return _libc.setns(fd, CLONE_NEWPID) == 0


def _mount(source, target, fstype, flags, data=None):
    enc = lambda s: None if s is None else s.encode()  # noqa: E731
    _check(_libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)),
           f"mount {source} on {target}")


def _bind_readonly(source, target):
    if os.path.isdir(source):
        os.makedirs(target, mode=0o755, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
        open(target, "a").close()
    _mount(source, target, None, MS_BIND | MS_REC)
    _mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID)


def _writable_tmpfs(target, cfg):
    os.makedirs(target, mode=0o755, exist_ok=True)
    # noexec: a shared library the notebook writes cannot be mapped to run (the eighth red
    # team's tf.load_op_library of one it wrote took the channel)
    _mount("sandbox-tmp", target, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
           f"size={int(cfg['tmpfs_mb'])}m,mode=1777")


_DEVICES = ("null", "zero", "full", "random", "urandom")


def _minimal_dev(target):
    """A tmpfs /dev with the harmless character devices bound in: no ptys, no disks."""
    os.makedirs(target, mode=0o755, exist_ok=True)
    _mount("sandbox-dev", target, "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,mode=755")
    for name in _DEVICES:
        if os.path.exists("/dev/" + name):
            open(f"{target}/{name}", "a").close()
            _mount("/dev/" + name, f"{target}/{name}", None, MS_BIND)
    for name, link in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                       ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(link, f"{target}/{name}")


def _build_root(cfg):
    root = cfg["root_dir"]
    _mount("none", "/", None, MS_REC | MS_PRIVATE)
    _mount("sandbox-root", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=16m,mode=755")
    # Writable dirs first: a bind below /tmp (a venv in a CI checkout under /tmp) must
    # land on top of the new /tmp, not be hidden by it.
    _writable_tmpfs(root + "/home/student", cfg)
    _writable_tmpfs(root + "/tmp", cfg)
    _minimal_dev(root + "/dev")
    for path in cfg["binds_ro"]:
        if path == "/dev":
            continue
        inside = root + path
        if os.path.islink(path) and os.path.dirname(path) == "/":
            os.symlink(os.readlink(path), inside)  # merged /usr: /bin -> usr/bin
        elif os.path.exists(path) and not os.path.lexists(inside):
            _bind_readonly(path, inside)
        elif os.path.exists(path) and os.path.isdir(inside) and not os.listdir(inside):
            _bind_readonly(path, inside)
    if os.path.isdir(root + "/sys/fs/cgroup"):
        # the host's cgroup tree names every other sandbox and shows their memory and CPU
        # use (a red team read them: a channel between two gradings at the same time)
        _mount("sandbox-no-cgroups", root + "/sys/fs/cgroup", "tmpfs",
               MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, "size=4k,mode=555")
    _bind_readonly(cfg["runner_dir"], root + "/sandbox/runner")
    if cfg.get("data_dir"):
        _bind_readonly(cfg["data_dir"], root + "/sandbox/data")
    _writable_tmpfs(root + "/dev/shm", cfg)  # inside the /dev tmpfs, so after it
    _mount(None, root + "/dev", None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID
           | MS_NOEXEC)
    os.makedirs(root + "/proc", exist_ok=True)
    # a new proc mount in the new PID namespace: only the sandbox's own processes
    _mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
           "hidepid=2")
    os.chroot(root)
    os.chdir("/home/student")


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte),
                ("k", ctypes.c_uint)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


def _block_inet_sockets(block_sysv_ipc=False):
    """Seccomp filter: socket() only for AF_UNIX/AF_NETLINK, no io_uring (whose socket op
    would bypass the filter), no foreign-ABI system calls, no ptrace or process_vm_* (a
    child rewriting the runner's memory), and with ``block_sysv_ipc`` no new System V
    shared memory, semaphores or queues nor POSIX message queues (which outlive a process
    and, without an IPC namespace, reach the next submission: a red team passed a message
    from one grading to the next through ``mq_open``). Returns False where unsupported.

    This is the network block where no network namespace can be made (user mode), and a
    second wall behind it in root mode. The filter is inherited by every child and cannot
    be removed."""
    arch = _SECCOMP_ARCH.get(os.uname().machine)
    if arch is None:
        return False
    audit_arch, nr_socket, ipc_calls, memory_calls = arch
    ld, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    allow, deny = 0x7FFF0000, 0x00050000 | EACCES
    refused = list(ipc_calls if block_sysv_ipc else ()) + [_NR_IO_URING_SETUP, *memory_calls]
    n = len(refused)
    # layout: 0 ld arch, 1 jeq arch, 2 ld nr, 3 jge x32, 4..3+n refused calls,
    # 4+n jeq socket, 5+n ld domain, 6+n AF_UNIX, 7+n AF_NETLINK, 8+n deny, 9+n allow
    deny_at, allow_at = 8 + n, 9 + n
    program = [
        (ld, 0, 0, 4),                                  # A = seccomp_data.arch
        (jeq, 0, deny_at - 2, audit_arch),              # foreign ABI -> deny
        (ld, 0, 0, 0),                                  # A = seccomp_data.nr
        (jge, deny_at - 4, 0, 0x40000000),              # x32 ABI -> deny
    ]
    for i, nr in enumerate(refused):
        program.append((jeq, deny_at - (5 + i), 0, nr))  # -> deny
    program += [
        (jeq, 0, allow_at - (5 + n), nr_socket),        # not socket() -> allow
        (ld, 0, 0, 16),                                 # A = low word of args[0]
        (jeq, allow_at - (7 + n), 0, AF_UNIX),          # -> allow
        (jeq, allow_at - (8 + n), 0, AF_NETLINK),       # -> allow
        (ret, 0, 0, deny),
        (ret, 0, 0, allow),
    ]
    filters = (_SockFilter * len(program))(*[_SockFilter(*op) for op in program])
    fprog = _SockFprog(len(program), filters)
    return _libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) == 0


def _set_limits(rlimits):
    for name, value in rlimits.items():
        limit = getattr(resource, name)
        resource.setrlimit(limit, (int(value), int(value)))


SETUP_FAILED = 121  # the status the host reads as "the sandbox could not be set up"


def die_with_parent(expected_parent):
    """SIGKILL this process when the one that started it dies (set again after setuid).

    The parent is named by pid rather than assumed alive unless we were re-parented to 1:
    a grader that is itself pid 1 (``docker run`` without ``--init``) is a live parent."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != int(expected_parent):  # the parent died before prctl took effect
        os._exit(SETUP_FAILED)


def _join_cgroup(cfg):
    """Enter the sandbox's cgroup first, so the kernel counts everything that follows."""
    for procs in cfg.get("cgroup_procs") or []:
        with open(procs, "w") as handle:
            handle.write(str(os.getpid()))


def _exit_like(status):
    """End this process the way its child ended (a signal stays a signal)."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
        os._exit(128 + sig)
    code = os.WEXITSTATUS(status)
    if code > 128 and os.getpid() != 1:  # init's way of saying "killed by a signal"
        signal.signal(code - 128, signal.SIG_DFL)
        os.kill(os.getpid(), code - 128)
    os._exit(code)


def _close_all_but_std():
    os.closerange(3, 1 << 16)


def _relay(child):
    """Outside the PID namespace: wait for its init and end the same way."""
    _close_all_but_std()
    while True:
        try:
            _, status = os.waitpid(child, 0)
            break
        except InterruptedError:
            continue
    _exit_like(status)


def _init(child, uid, gid):
    """PID 1 of the sandbox: reaps orphans; when the runner ends, so does the namespace
    (the kernel kills every process left in it). Runs as the sandbox's uid, no privilege."""
    _close_all_but_std()
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2,
                signal.SIGPIPE, signal.SIGALRM):
        signal.signal(sig, signal.SIG_DFL)  # pid 1 ignores signals without a handler
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except InterruptedError:
            continue
        except ChildProcessError:
            os._exit(1)
        if pid == child:
            if os.WIFSIGNALED(status):
                os._exit(128 + os.WTERMSIG(status))
            os._exit(os.WEXITSTATUS(status))


def _drop_to(cfg):
    os.setgroups([])
    os.setgid(cfg["gid"])
    os.setuid(cfg["uid"])
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # cleared by setuid


def confine(cfg):
    """Everything but the exec: shared by cold starts (below) and warm forks (forkserver).

    On the namespaces rung the calling process stays outside as a relay and never returns;
    what returns is a process two forks down, inside the new namespaces."""
    mode = cfg["mode"]
    _join_cgroup(cfg)
    if mode == "namespaces":
        # A warm fork server forks each student process straight into a PID namespace of
        # its own (forkserver.PidNamespaces), as its pid 1: no relay needed.
        # A cold launcher is never pid 1 (the grader started it), so it makes one here.
        made = os.getpid() == 1
        flags = CLONE_NEWNS | CLONE_NEWIPC | (0 if made else CLONE_NEWPID)
        flags |= CLONE_NEWNET if not cfg["network"] else 0
        _check(_libc.unshare(flags), "unshare")
        if not made:
            child = os.fork()
            if child:
                _relay(child)
        # pid 1 of the new PID namespace
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        _build_root(cfg)
        os.chown("/home/student", cfg["uid"], cfg["gid"])
        child = os.fork()
        if child:
            _init(child, cfg["uid"], cfg["gid"])
        _set_limits(cfg["rlimits"])
        _drop_to(cfg)
    elif mode == "setuid":
        _set_limits(cfg["rlimits"])
        _drop_to(cfg)
        os.chdir(cfg["home"])
    elif mode == "user":
        _set_limits(cfg["rlimits"])
    else:
        raise ValueError(f"unknown sandbox rung {mode!r}")
    _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    if not cfg["network"] and not _block_inet_sockets(block_sysv_ipc=mode != "namespaces") \
            and mode != "namespaces":
        raise OSError("network access cannot be blocked on this machine (no seccomp); "
                      "grade as root, or set SandboxPolicy(network=True) knowingly")
    os.umask(0o077)
    for link, target in cfg.get("links", []):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(target, link)


def hide_home(home):
    """In a mount namespace of this process's own, make ``home`` (the path children get as
    ``HOME``) an empty tmpfs, so nothing planted in the real one changes an import. Root
    only; skipped where namespaces cannot be made or the interpreter's own files live there.
    True when this process now has a mount namespace of its own."""
    if os.geteuid() != 0:
        return False
    if _libc.unshare(CLONE_NEWNS) != 0:
        return False
    _mount("none", "/", None, MS_REC | MS_PRIVATE)
    # A home the host lacks is made inside a tmpfs over its nearest existing parent (so
    # Keras' import, which creates ~/.keras, writes nothing on the host), never over "/".
    cover = os.path.realpath(home)
    while not os.path.isdir(cover):
        cover = os.path.dirname(cover)
    needed = [os.path.realpath(p) for p in sys.path + [sys.executable, sys.prefix] if p]
    inside = [p for p in needed if (p + "/").startswith(cover.rstrip("/") + "/")]
    if cover != "/" and not inside:  # never hide the interpreter's own files
        _mount("server-home", cover, "tmpfs", MS_NOSUID | MS_NODEV, "size=16m,mode=755")
        os.makedirs(home, mode=0o700, exist_ok=True)
    return True


def no_new_privileges():
    """This process and its children can never gain privileges (setuid files, ...)."""
    _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)


def confine_server(home):
    """The server runs as root (it must build each child's namespaces) but sees none of the
    host's home folders (:func:`hide_home`) and can never gain privileges."""
    if hide_home(home):
        os.chdir("/")
        no_new_privileges()


def read_config(fd):
    chunks = []
    while True:
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(fd)
    return json.loads(b"".join(chunks))


def main():
    if sys.argv[1:2] != ["--config-fd"]:
        raise ValueError("usage: launcher.py --config-fd N")
    cfg = read_config(int(sys.argv[2]))
    die_with_parent(cfg["parent_pid"])
    confine(cfg)
    argv = cfg["argv"]
    os.execve(argv[0], argv, cfg["env"])


if __name__ == "__main__":
    try:
        main()
    except BaseException as exc:  # noqa: BLE001 - report why confinement failed, then die
        sys.stderr.write(f"sandbox setup failed: {exc}\n")
        os._exit(121)
