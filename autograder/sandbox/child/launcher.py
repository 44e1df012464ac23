"""Confines the current process, then execs the student runner.

Started by :mod:`autograder.sandbox` as a fresh interpreter (``python -I -S``), so none of
this runs inside the grader's own, multi-threaded process (where ``preexec_fn`` would be
unsafe). Standard library only. Reads one JSON argument:

``{"mode": "root"|"user", "root_dir", "binds_ro": [...], "runner_dir", "data_dir",
"uid", "gid", "tmpfs_mb", "network": bool, "rlimits": {...}, "argv": [...], "env": {...},
"links": [[link, target], ...]}`` (symlinks made as the final uid, just before exec)

As root it builds a private mount namespace whose new root holds only read-only binds of
the system and Python directories, the runner and the data, and two small tmpfs mounts
(``/home/student`` and ``/tmp``); it unshares the network namespace, sets resource limits,
drops to an unprivileged uid/gid and execs. As an ordinary user it can only set limits.
In both modes, unless the policy allows network, a seccomp filter refuses network sockets.
"""

import ctypes
import json
import os
import resource
import signal
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 1, 38, 22, 2
# machine -> (AUDIT_ARCH_*, __NR_socket); io_uring_setup is 425 on both
_SECCOMP_ARCH = {"x86_64": (0xC000003E, 41), "aarch64": (0xC00000B7, 198)}
_NR_IO_URING_SETUP = 425
AF_UNIX, AF_NETLINK, EACCES = 1, 16, 13

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result, what):
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


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
    _mount("sandbox-tmp", target, "tmpfs", MS_NOSUID | MS_NODEV,
           f"size={int(cfg['tmpfs_mb'])}m,mode=1777")


def _build_root(cfg):
    root = cfg["root_dir"]
    _mount("none", "/", None, MS_REC | MS_PRIVATE)
    _mount("sandbox-root", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=16m,mode=755")
    # Writable dirs first: a bind below /tmp (a venv in a CI checkout under /tmp) must
    # land on top of the new /tmp, not be hidden by it.
    _writable_tmpfs(root + "/home/student", cfg)
    _writable_tmpfs(root + "/tmp", cfg)
    for path in cfg["binds_ro"]:
        inside = root + path
        if os.path.islink(path) and os.path.dirname(path) == "/":
            os.symlink(os.readlink(path), inside)  # merged /usr: /bin -> usr/bin
        elif os.path.exists(path) and not os.path.lexists(inside):
            _bind_readonly(path, inside)
        elif os.path.exists(path) and os.path.isdir(inside) and not os.listdir(inside):
            _bind_readonly(path, inside)
    _bind_readonly(cfg["runner_dir"], root + "/sandbox/runner")
    if cfg.get("data_dir"):
        _bind_readonly(cfg["data_dir"], root + "/sandbox/data")
    _writable_tmpfs(root + "/dev/shm", cfg)  # inside the /dev bind, so after it
    os.makedirs(root + "/proc", exist_ok=True)
    _mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    os.chroot(root)
    os.chdir("/home/student")


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte),
                ("k", ctypes.c_uint)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


def _block_inet_sockets():
    """Seccomp filter: socket() only for AF_UNIX/AF_NETLINK, no io_uring (whose socket op
    would bypass the filter), no foreign-ABI system calls. Returns False where unsupported.

    This is the network block where no network namespace can be made (user mode), and a
    second wall behind it in root mode. The filter is inherited by every child and cannot
    be removed."""
    arch = _SECCOMP_ARCH.get(os.uname().machine)
    if arch is None:
        return False
    audit_arch, nr_socket = arch
    ld, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    allow, deny = 0x7FFF0000, 0x00050000 | EACCES
    program = [
        (ld, 0, 0, 4),                      # 0: A = seccomp_data.arch
        (jeq, 0, 7, audit_arch),            # 1: foreign ABI -> 9
        (ld, 0, 0, 0),                      # 2: A = seccomp_data.nr
        (jge, 5, 0, 0x40000000),            # 3: x32 ABI -> 9
        (jeq, 4, 0, _NR_IO_URING_SETUP),    # 4: -> 9
        (jeq, 0, 4, nr_socket),             # 5: not socket() -> 10
        (ld, 0, 0, 16),                     # 6: A = low word of args[0] (the domain)
        (jeq, 2, 0, AF_UNIX),               # 7: -> 10
        (jeq, 1, 0, AF_NETLINK),            # 8: -> 10
        (ret, 0, 0, deny),                  # 9
        (ret, 0, 0, allow),                 # 10
    ]
    filters = (_SockFilter * len(program))(*[_SockFilter(*op) for op in program])
    fprog = _SockFprog(len(program), filters)
    return _libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) == 0


def _set_limits(rlimits):
    for name, value in rlimits.items():
        limit = getattr(resource, name)
        resource.setrlimit(limit, (int(value), int(value)))


def die_with_parent():
    """SIGKILL this process when the one that started it dies (set again after setuid)."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() == 1:  # parent already gone
        os._exit(1)


def confine(cfg):
    """Everything but the exec: shared by cold starts (below) and warm forks (forkserver)."""
    if cfg["mode"] == "root":
        flags = CLONE_NEWNS | (CLONE_NEWNET if not cfg["network"] else 0)
        _check(_libc.unshare(flags), "unshare")
        _build_root(cfg)
        os.chown("/home/student", cfg["uid"], cfg["gid"])
        _set_limits(cfg["rlimits"])
        os.setgroups([])
        os.setgid(cfg["gid"])
        os.setuid(cfg["uid"])
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # cleared by setuid
    else:
        _set_limits(cfg["rlimits"])
    _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    if not cfg["network"] and not _block_inet_sockets() and cfg["mode"] != "root":
        raise OSError("network access cannot be blocked on this machine (no seccomp); "
                      "grade as root, or set SandboxPolicy(network=True) knowingly")
    os.umask(0o077)
    for link, target in cfg.get("links", []):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(target, link)


def main():
    cfg = json.loads(sys.argv[1])
    die_with_parent()
    confine(cfg)
    argv = cfg["argv"]
    os.execve(argv[0], argv, cfg["env"])


if __name__ == "__main__":
    try:
        main()
    except BaseException as exc:  # noqa: BLE001 - report why confinement failed, then die
        sys.stderr.write(f"sandbox setup failed: {exc}\n")
        os._exit(121)
