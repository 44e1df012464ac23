"""A cgroup per sandbox: a CPU share, kernel-counted memory and processes, one kill for all.

Works with cgroup v2 (a unified hierarchy at ``/sys/fs/cgroup``) and v1 (one hierarchy
per controller: ``cpu``, ``memory``, ``pids``). Where neither can be written (an ordinary
user, a container with a read-only ``/sys/fs/cgroup``), :func:`create` returns ``None`` and
the sandbox falls back to rlimits and its polling memory guard; the rung still says so.

The launcher moves itself into the group (it writes its pid into each ``procs`` file
before it runs anything of the student's), so every process it starts is counted from the
first instruction, forks and memfds included: the kernel charges a memfd's pages and
shared memory to the group that touched them.
"""

from __future__ import annotations

import functools
import os
import signal
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
PARENT = "autograder"  # our folder under each hierarchy
CFS_PERIOD_US = 100_000


def version(root: Path = ROOT) -> int:
    """2 for a unified hierarchy, 1 for per-controller folders, 0 for none."""
    if (root / "cgroup.controllers").is_file():
        return 2
    if (root / "cpu" / "cgroup.procs").is_file() or (root / "memory" / "cgroup.procs").is_file():
        return 1
    return 0


@dataclass
class Cgroup:
    """The folders of one sandbox's group (one for v2, one per controller for v1)."""

    folders: list[Path] = field(default_factory=list)
    version: int = 2

    @property
    def procs_files(self) -> list[str]:
        return [str(f / "cgroup.procs") for f in self.folders]

    def pids(self) -> list[int]:
        found: set[int] = set()
        for folder in self.folders:
            try:
                found.update(int(p) for p in (folder / "cgroup.procs").read_text().split())
            except (OSError, ValueError):
                continue
        return sorted(found)

    def memory_bytes(self) -> int | None:
        """Anonymous plus shared memory the kernel charges the group: every process's heap,
        System V and POSIX shared memory, memfds and tmpfs files, mapped or not (page cache
        of files read is left out: it is not the student's to hold)."""
        for folder in self.folders:
            try:
                stats = dict(line.split() for line in
                             (folder / "memory.stat").read_text().splitlines())
            except (OSError, ValueError):
                continue
            if "anon" in stats:  # v2
                return int(stats["anon"]) + int(stats.get("shmem", 0))
            return int(stats.get("total_rss", stats.get("rss", 0))) + \
                int(stats.get("total_shmem", stats.get("shmem", 0)))
        return None

    def cpu_usage_seconds(self) -> float | None:
        for folder in self.folders:
            try:
                if self.version == 2:
                    for line in (folder / "cpu.stat").read_text().splitlines():
                        if line.startswith("usage_usec"):
                            return int(line.split()[1]) / 1e6
                else:
                    text = (folder / "cpuacct.usage").read_text()
                    return int(text) / 1e9
            except (OSError, ValueError):
                continue
        return None

    def signal_kill(self) -> bool:
        """v2: SIGKILL every process in the group at once, forks in flight included (the
        kernel's cgroup.kill), without waiting for them to die; False where that could not
        be done (v1 has no cgroup.kill: :meth:`kill` then hunts them one by one)."""
        done = False
        for folder in self.folders:
            kill_file = folder / "cgroup.kill"
            if kill_file.exists():
                try:
                    kill_file.write_text("1")
                    done = True
                except OSError:
                    pass
        return done

    def kill(self) -> None:
        """SIGKILL every process in the group, until none is left (forks race the kill)."""
        self.signal_kill()
        for attempt in range(50):
            pids = self.pids()
            if not pids:
                return
            for folder in self.folders:
                _freeze(folder, True)
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            for folder in self.folders:
                _freeze(folder, False)
            time.sleep(min(0.02, 0.001 * 2 ** attempt))  # most are gone within a ms

    def remove(self) -> None:
        self.kill()
        for folder in self.folders:
            for attempt in range(50):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:  # still has (dying) tasks
                    time.sleep(min(0.02, 0.001 * 2 ** attempt))  # most are gone within a ms


def _freeze(folder: Path, frozen: bool) -> None:
    """v2 only: a frozen group cannot fork while it is being killed."""
    freeze = folder / "cgroup.freeze"
    if freeze.exists():
        try:
            freeze.write_text("1" if frozen else "0")
        except OSError:
            pass


def own_path(controller: str | None) -> str:
    """This process's cgroup in a v1 hierarchy (``controller``) or in v2 (None): sandboxes
    nest below it, so whatever limits the grader itself lives under still hold for them."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return "/"
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if (controller is None and controllers == "") or \
                (controller is not None and controller in controllers.split(",")):
            return path or "/"
    return "/"


STALE_SECONDS = 3600


def remove_stale(parent: Path) -> None:
    """Remove sandbox groups left empty by a grader that was killed (an hour old, so a
    group another grader has just made and not yet entered is never touched)."""
    try:
        entries = list(parent.iterdir())
    except OSError:
        return
    for folder in entries:
        try:
            if not folder.name.startswith("sandbox-") or \
                    time.time() - folder.stat().st_mtime < STALE_SECONDS or \
                    (folder / "cgroup.procs").read_text().strip():
                continue
            folder.rmdir()
        except OSError:
            continue


def _write(path: Path, value) -> bool:
    try:
        path.write_text(str(value))
        return True
    except OSError:
        return False


def _burst_us(cpus: float) -> int:
    """CPU time a group may save from the periods it left unused and spend above its quota
    later (CFS burst), at most one period's quota. A student's process is mostly one busy
    thread, but a thread inside TensorFlow's runtime works beside it at times (nn-basics'
    MLP cells): under a bare quota those moments throttled both (0.12-0.16 s of the
    notebook's 1.2 s of cells, against 0.02 s with the burst). What a group saves it has
    not used, so over any stretch of time it still gets at most its share: a process that
    keeps spinning never saves any (tests/test_rungs.py)."""
    return int(cpus * CFS_PERIOD_US)


@functools.lru_cache(maxsize=1)
def available(root: Path = ROOT) -> bool:
    """Whether this process can give a sandbox a cgroup (CPU share, memory count, process
    limit): not as an ordinary user, nor where the cgroup file system is read-only (a
    default Docker container). Made and removed once to find out."""
    group = create(1, 64 << 20, 8, root)
    if group is None:
        return False
    group.remove()
    return True


def create(cpus: float, memory_bytes: int, max_pids: int, root: Path = ROOT) -> Cgroup | None:
    """A new group limited to ``cpus`` cores (0: no quota), ``memory_bytes`` and
    ``max_pids``; None when
    this process cannot make one. The name is random, so no student can guess it ahead."""
    if os.geteuid() != 0:
        return None
    name = f"sandbox-{uuid.uuid4().hex[:16]}"
    found = version(root)
    try:
        if found == 2:
            here = root / own_path(None).lstrip("/")
            parent = here / PARENT
            parent.mkdir(exist_ok=True)
            wanted = {"cpu", "memory", "pids"}
            available = set((here / "cgroup.controllers").read_text().split())
            _write(here / "cgroup.subtree_control",
                   " ".join(f"+{c}" for c in sorted(wanted & available)))
            _write(parent / "cgroup.subtree_control",
                   " ".join(f"+{c}" for c in sorted(wanted & available)))
            remove_stale(parent)
            folder = parent / name
            folder.mkdir()
            group = Cgroup([folder], 2)
            if cpus > 0:  # 0: no quota (benchmarks compare with and without)
                _write(folder / "cpu.max", f"{int(cpus * CFS_PERIOD_US)} {CFS_PERIOD_US}")
                _write(folder / "cpu.max.burst", _burst_us(cpus))  # kernels >= 5.14
            _write(folder / "memory.max", memory_bytes)
            _write(folder / "memory.swap.max", 0)
            _write(folder / "pids.max", max_pids)
            return group
        if found == 1:
            group = Cgroup([], 1)
            for controller in ("cpu", "memory", "pids"):
                base = root / controller
                if not (base / "cgroup.procs").is_file():
                    continue
                folder = base / own_path(controller).lstrip("/") / PARENT / name
                remove_stale(folder.parent)
                folder.mkdir(parents=True)
                group.folders.append(folder)
                if controller == "cpu" and cpus > 0:
                    _write(folder / "cpu.cfs_period_us", CFS_PERIOD_US)
                    _write(folder / "cpu.cfs_quota_us", int(cpus * CFS_PERIOD_US))
                    _write(folder / "cpu.cfs_burst_us", _burst_us(cpus))  # kernels >= 5.14
                elif controller == "memory":
                    _write(folder / "memory.limit_in_bytes", memory_bytes)
                    _write(folder / "memory.memsw.limit_in_bytes", memory_bytes)
                else:
                    _write(folder / "pids.max", max_pids)
            return group if group.folders else None
    except OSError:
        return None
    return None
