"""Make the course's Python reachable for the sandboxes' users, wherever the instructor's checkout lies.

A sandbox runs as a uid that owns nothing (``slots``), and bubblewrap, running as that uid, must be able to walk to
every folder it binds.  A checkout in a private home folder (``/home/alice`` is 0700 on Debian, and so is every
``mktemp -d``) or a Python under ``/root`` cannot be walked to by anyone else.

So a grader running as root gives each judging process a mount namespace of its own (``unshare(CLONE_NEWNS)``, its
mounts private: the rest of the machine sees nothing) and bind-mounts each needed folder onto an empty folder of a
world-searchable staging folder that the batch made.  Bubblewrap then binds from there, and inside the sandbox the
folder appears at its usual path again.  The staging folder only exposes the folders themselves, read-only in the
sandbox as before; none of the private folders above them.  Without root, the sandboxes run as the instructor's own
uid, which can walk their own folders: nothing needs staging.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import tempfile
from pathlib import Path

CLONE_NEWNS = 0x00020000
MS_RDONLY, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 0x1, 0x20, 0x1000, 0x4000, 0x40000


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_void_p]
    libc.unshare.argtypes = [ctypes.c_int]
    return libc


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


class Staging:
    """Empty, world-searchable folders (made by the batch) onto which a judging process mounts the folders."""

    def __init__(self, folders: list[Path]):
        self.folders = sorted({Path(f) for f in folders})
        self.root: Path | None = None
        if os.getuid() == 0:
            self.root = Path(tempfile.mkdtemp(prefix="hw-stage-"))
            os.chmod(self.root, 0o755)
            for i, _ in enumerate(self.folders):
                (self.root / str(i)).mkdir(mode=0o755)

    def enter(self) -> dict[Path, Path]:
        """In the calling process (a judge, just forked): a private mount namespace with each folder mounted on its
        staging folder.  Returns {folder: where bubblewrap finds it}; the folders themselves where nothing is staged
        (not root) or the kernel refuses (then the sandbox probe says whether grading works at all)."""
        plain = {f: f for f in self.folders}
        if self.root is None:
            return plain
        libc = _libc()
        try:
            _check(libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
            _check(libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "make / private")
            for i, folder in enumerate(self.folders):
                target = os.fsencode(self.root / str(i))
                _check(libc.mount(os.fsencode(folder), target, None, MS_BIND | MS_REC, None), f"bind {folder}")
                _check(libc.mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY, None), f"read-only {folder}")
        except OSError:
            return plain
        return {folder: self.root / str(i) for i, folder in enumerate(self.folders)}

    def remove(self) -> None:
        """Remove the staging folders (empty outside the judges' namespaces, which end with them)."""
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
