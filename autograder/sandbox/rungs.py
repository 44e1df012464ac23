"""The capability ladder: which isolation this machine allows, chosen and named, never silent.

Rungs, strongest first (docs/threat-model.md says what each guarantees):

* ``namespaces``: root with ``CAP_SYS_ADMIN`` (CI, a VM, a privileged container). Mount,
  network, PID and IPC namespaces, a ``chroot`` into read-only binds, a minimal ``/dev``,
  a uid of its own, cgroups, rlimits, seccomp.
* ``setuid``: root without ``CAP_SYS_ADMIN`` (a default Docker container, Gradescope). A
  uid of its own (so it cannot signal the grader or write root's files), cgroups where
  ``/sys/fs/cgroup`` is writable, rlimits, seccomp. No private view of the file system.
* ``user``: an ordinary user. rlimits and seccomp only; the student's process runs as the
  grader's own user, so it could kill the grader and write its results. **Unsafe for
  untrusted work**: the entry points refuse it unless the operator says otherwise.
"""

from __future__ import annotations

import functools
import os
import stat
import subprocess
from pathlib import Path

NAMESPACES, SETUID, USER = "namespaces", "setuid", "user"
LADDER = (NAMESPACES, SETUID, USER)
SAFE_RUNGS = (NAMESPACES, SETUID)

# capability numbers (linux/capability.h)
CAP_KILL, CAP_SETGID, CAP_SETUID, CAP_SYS_CHROOT, CAP_SYS_ADMIN = 5, 6, 7, 18, 21
_SETUID_NEEDS = (CAP_SETUID, CAP_SETGID, CAP_KILL)


class UnsafeRung(Exception):
    """Untrusted work would be graded where the student could forge its result."""


def effective_capabilities() -> int:
    """This process's effective capability mask (0 when it cannot be read)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("CapEff:"):
                    return int(line.split()[1], 16)
    except (OSError, ValueError):
        pass
    return 0


def has_capability(cap: int) -> bool:
    return bool(effective_capabilities() >> cap & 1)


@functools.lru_cache(maxsize=1)
def detect() -> str:
    """The strongest rung this process can build, probed (not guessed from the uid)."""
    if os.geteuid() != 0:
        return USER
    if has_capability(CAP_SYS_ADMIN):
        probe = subprocess.run(["unshare", "--mount", "--net", "--pid", "--ipc", "--fork",
                                "true"], capture_output=True)
        if probe.returncode == 0:
            return NAMESPACES
    if all(has_capability(cap) for cap in _SETUID_NEEDS) and not unreachable_python():
        return SETUID
    return USER


def others_can_reach(path: str, *, read: bool = False) -> bool:
    """Whether a user with no relation to the file's owner can traverse to ``path`` (and
    read it): the setuid rung's sandbox runs the interpreter under a uid of its own."""
    real = os.path.realpath(path)
    parts = Path(real).parents
    try:
        for folder in parts:
            if not os.stat(folder).st_mode & stat.S_IXOTH:
                return False
        mode = os.stat(real).st_mode
    except OSError:
        return False
    if read and not mode & stat.S_IROTH:
        return False
    return not stat.S_ISDIR(mode) or bool(mode & stat.S_IXOTH)


def unreachable_python() -> list[str]:
    """The interpreter's files a uid of its own could not run or read (empty: all fine)."""
    import sys

    needed = [sys.executable, sys.base_prefix, sys.prefix]
    needed += [p for p in sys.path if "site-packages" in p and os.path.isdir(p)]
    return [p for p in needed if not others_can_reach(p, read=True)]


def resolve(confine: str) -> str:
    """``SandboxPolicy.confine`` to a rung: "auto" probes; "root" is the old name of
    ``namespaces``. A rung stronger than the machine allows fails when the sandbox starts."""
    if confine == "auto":
        return detect()
    if confine == "root":
        return NAMESPACES
    if confine not in LADDER:
        raise ValueError(f"unknown sandbox rung {confine!r}; one of {LADDER} or 'auto'")
    return confine


def is_safe(rung: str) -> bool:
    return rung in SAFE_RUNGS


def describe(rung: str) -> str:
    return {
        NAMESPACES: "namespaces (private root, PID/IPC/network namespaces, own uid, cgroups)",
        SETUID: "setuid (own uid, rlimits, seccomp, cgroups where writable; no private "
                "file-system view)",
        USER: "user (same uid as the grader: the student's code could kill the grader and "
              "forge its results)",
    }[rung]


def require_safe(rung: str, *, allow_unsafe: bool = False, outputs=()) -> None:
    """Raise :class:`UnsafeRung` unless untrusted work can be graded safely here.

    ``outputs`` are the paths the grader will write results to: on a rung without a
    private file-system view they must not be writable by the sandbox's uid."""
    if allow_unsafe:
        return
    if not is_safe(rung):
        blocked = unreachable_python() if os.geteuid() == 0 else []
        if blocked:
            raise UnsafeRung(
                f"refusing to grade untrusted work on the '{rung}' rung: root without "
                f"CAP_SYS_ADMIN could run the student under a uid of its own, but that uid "
                f"cannot reach the Python installation ({blocked[0]}); install Python where "
                f"all users can read it, or grant CAP_SYS_ADMIN")
        raise UnsafeRung(
            f"refusing to grade untrusted work on the '{rung}' rung: {describe(rung)}. "
            f"Grade as root (a container is enough), or pass --allow-unsafe-rung to grade "
            f"work you trust")
    if rung == SETUID:
        for path in outputs:
            where = open_to_others(Path(path))
            if where is not None:
                raise UnsafeRung(
                    f"refusing to write results under {where}: on the '{rung}' rung the "
                    f"student's uid could write there (it is writable by all users)")


def open_to_others(path: Path) -> Path | None:
    """The first folder at or above ``path`` that any user may write into, if any.

    A sticky ``/tmp`` counts too: the student could plant a file there before the grader
    writes its own."""
    path = Path(os.path.abspath(path))
    for folder in [path, *path.parents]:
        try:
            info = os.lstat(folder)
        except OSError:
            continue
        if stat.S_ISDIR(info.st_mode) and info.st_mode & stat.S_IWOTH:
            return folder
        if stat.S_ISDIR(info.st_mode):
            return None  # the nearest existing folder decides who may create under it
    return None
