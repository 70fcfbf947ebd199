"""A control group per job slot, where the machine lets the grader make one (root, cgroup v1 or delegated v2).

Rlimits are per process, so without this a fork bomb of busy loops (up to the process limit) would take most of the
CPU from the submission graded next to it, and many processes of 2 GiB each could exhaust the machine's memory.
Each slot's group gets the same CPU weight, whatever its number of processes, a memory limit and a process limit.
Where no group can be made, grading still works; the batch says so, and the rlimits remain.
"""

from __future__ import annotations

import os
from pathlib import Path

MOUNT = Path("/sys/fs/cgroup")


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
