"""Job slots: each slot of a batch has a uid of its own, its limits, and a control group where the machine lets the
grader make one (root, cgroup v1 or delegated v2).

Rlimits are per process, so without this a fork bomb of busy loops (up to the process limit) would take most of the
CPU from the submission graded next to it, and many processes of 2 GiB each could exhaust the machine's memory.
Each slot's group gets the same CPU weight, whatever its number of processes, a memory limit and a process limit.
Where no group can be made, grading still works; the batch says so, and the rlimits remain.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import time
from pathlib import Path

MOUNT = Path("/sys/fs/cgroup")
SLOT_UID_BASE = 2_000_000_000  # far above any real user's uid; one uid per job slot of each batch
MAX_SLOTS = 256
MiB = 2**20


def slot_uid(slot: int, batch: int | None = None) -> int:
    """The uid of a job slot of the batch whose process id is ``batch`` (this process by default)."""
    if not 0 <= slot < MAX_SLOTS:
        raise ValueError(f"slot must be in [0, {MAX_SLOTS}), got {slot}")
    return SLOT_UID_BASE + ((batch or os.getpid()) % 4_194_304) * MAX_SLOTS + slot  # pid_max is at most 2**22


def slot_processes(uid: int) -> list[int]:
    """Live processes of a slot's uid (zombies are dead already: skipped)."""
    out = []
    for p in Path("/proc").glob("[0-9]*"):
        try:
            if p.stat().st_uid == uid and (p / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                out.append(int(p.name))
        except (OSError, IndexError):
            pass
    return out


def clear_slot(uid: int, timeout: float = 15) -> None:
    """Make sure nothing of an earlier sandbox of this slot still runs (it would count against the process limit
    of the next one): wait while a killed PID namespace is torn down, then kill what is left."""
    if os.getuid() != 0:
        return
    end = time.monotonic() + timeout
    while (left := slot_processes(uid)) and time.monotonic() < end:
        if time.monotonic() > end - timeout / 2:
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        time.sleep(0.05)


def limits(uid: int, memory_mb: int, cpu_seconds: int, group: SlotGroup | None, max_processes: int = 64):
    """preexec_fn: join the slot's control groups, drop to the slot's uid (when root), set the limits, and die with
    the grader."""
    def apply():
        if group is not None:
            group.join()
        memory = memory_mb * MiB
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))  # SIGXCPU, then SIGKILL
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * MiB, 64 * MiB))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
        if os.getuid() == 0:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            resource.setrlimit(resource.RLIMIT_NPROC, (max_processes, max_processes))  # processes, threads of the uid
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG, after the uid change
    return apply


def _places() -> dict[str, Path]:
    """For each controller we use, the folder of this process's own group (children are made inside it)."""
    out = {}
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return out
    for line in lines:
        _, controllers, path = line.split(":", 2)
        for c in controllers.split(","):
            if c in ("cpu", "memory", "pids") and (MOUNT / c).is_dir():
                out[c] = MOUNT / c / path.lstrip("/")
        if controllers == "" and (MOUNT / "cgroup.controllers").exists() and not out:
            out["unified"] = MOUNT / path.lstrip("/")
    return out


class SlotGroup:
    """The groups of one job slot: equal CPU weight, ``memory_mb`` of memory, at most ``pids`` processes."""

    def __init__(self, name: str, memory_mb: int, pids: int = 64):
        self.dirs: list[Path] = []
        settings = {"cpu": {"cpu.shares": "1024"}, "memory": {"memory.limit_in_bytes": str(memory_mb * 2**20)},
                    "pids": {"pids.max": str(pids)},
                    "unified": {"cpu.weight": "100", "memory.max": str(memory_mb * 2**20), "pids.max": str(pids)}}
        if os.getuid() != 0:
            return
        for controller, place in _places().items():
            folder = place / name
            try:
                folder.mkdir(exist_ok=True)
                for key, value in settings[controller].items():
                    (folder / key).write_text(value)
                self.dirs.append(folder)
            except OSError:
                self.remove_one(folder)

    @property
    def active(self) -> bool:
        return bool(self.dirs)

    def join(self) -> None:
        """Move the calling process into the groups (called in the child, before it runs bwrap)."""
        for folder in self.dirs:
            fd = os.open(folder / "cgroup.procs", os.O_WRONLY)
            try:
                os.write(fd, b"0")  # "0" is the writing process itself
            finally:
                os.close(fd)

    @staticmethod
    def remove_one(folder: Path) -> None:
        try:
            folder.rmdir()
        except OSError:
            pass

    def remove(self) -> None:
        for folder in self.dirs:
            self.remove_one(folder)
