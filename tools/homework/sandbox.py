"""One bubblewrap sandbox: the student's notebook runs in one, the tests (the judge) in another.

Every sandbox:

* runs as an unprivileged uid of its own (``slots.slot_uid``: a uid that owns no file; a different one for the
  student's and the judge's sandbox of each job slot), and inside as ``nobody`` (65534), without capabilities;
* ``--unshare-all`` plus ``--unshare-user --disable-userns``: no network (an unconfigured loopback only), its own
  PID, IPC and UTS namespaces, and no further user namespaces inside (``unshare -Ur`` fails);
  ``--die-with-parent``, a parent-death signal and ``--new-session``: it cannot outlive its judge or reach a terminal;
* a seccomp filter (``seccomp.py``) on the kernel interfaces a notebook never needs;
* sees read-only: ``/usr``, a few files of ``/etc`` (the loader cache, fonts), the Python the grader runs on and its
  virtual environment, ``lectures_lib``, and the files it is given as data (``--ro-bind-data``: the notebook, or the
  judge's code); nothing else of the machine: not the checkout, the build, other submissions, the grades, ``/root``;
* can write only into size-limited memory: ``/tmp``, its home and ``/dev/shm`` are tmpfs with ``--size``; ``/`` and
  ``/dev`` are remounted read-only, so no write lands outside those (and none in the grader's files at all);
* has limits: address space, CPU seconds, file size, open files, processes (per uid), no core dumps; a control group
  where the machine allows one (``slots.SlotGroup``).

``Sandbox`` starts one and gives its stdin (to write), stdout (to read) and the exit status; stderr goes to a log file.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from . import ROOT, seccomp
from .slots import SlotGroup, clear_slot, limits

MiB = 2**20
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "fonts", "alternatives")
ENV = {"TMPDIR": "/tmp", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "MPLBACKEND": "Agg", "MPLCONFIGDIR": "/tmp",
       "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
       "MKL_NUM_THREADS": "1", "MALLOC_ARENA_MAX": "2"}


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def python_folders() -> list[Path]:
    """The folders a sandbox needs bound to run this Python with the course's packages: the interpreter's prefix
    (unless it is under /usr), the virtual environment, and lectures_lib; none inside another."""
    wanted = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), (ROOT / "lectures_lib").resolve()}
    wanted = {p for p in wanted if not p.is_relative_to("/usr")}
    return sorted(p for p in wanted if not any(p != q and p.is_relative_to(q) for q in wanted))


def interpreter() -> str:
    """The interpreter this grader runs on (the sandbox binds its prefix, so it exists inside at the same path)."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    return str(Path(sys.base_prefix).resolve() / "bin" / version)


def site_folders() -> list[str]:
    """The folders of installed packages (the venv's site-packages), which the sandboxed Python adds to its path."""
    import site

    return [p for p in site.getsitepackages() if Path(p).is_dir() and Path(p).is_relative_to(sys.prefix)]


def bwrap_command(files: dict[str, int], argv: list[str], *, places: dict[Path, Path], seccomp_fd: int | None,
                  home: str, tmp_mb: int = 64) -> list[str]:
    """The ``bwrap`` command line that runs ``argv``; ``files`` maps a path inside to a descriptor whose content
    becomes that read-only file; ``places`` maps each folder of ``python_folders`` to where bwrap finds it."""
    cmd = [bwrap_path() or "bwrap", "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent",
           "--new-session", "--uid", "65534", "--gid", "65534", "--hostname", "sandbox",
           "--ro-bind", "/usr", "/usr", "--proc", "/proc", "--dev", "/dev"]
    for top in ("bin", "lib", "lib64", "sbin"):  # merged /usr: these are symlinks into /usr
        path = Path("/") / top
        if path.is_symlink():
            cmd += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            cmd += ["--ro-bind", str(path), str(path)]
    for name in ETC_FILES:
        if (Path("/etc") / name).exists():
            cmd += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    size = str(tmp_mb * MiB)
    # The writable places first (each a size-limited tmpfs), then the read-only folders on top: a checkout that lies
    # under /tmp or /home stays visible instead of being hidden by them.
    cmd += ["--size", size, "--tmpfs", "/tmp", "--size", size, "--tmpfs", "/home", "--size", size, "--tmpfs",
            "/dev/shm"]
    for folder, source in places.items():
        cmd += ["--ro-bind", str(source), str(folder)]
    cmd += ["--dir", home]
    for inside, fd in files.items():
        cmd += ["--ro-bind-data", str(fd), inside]
    if seccomp_fd is not None:
        cmd += ["--seccomp", str(seccomp_fd)]
    cmd += ["--remount-ro", "/dev", "--remount-ro", "/", "--chdir", home, "--clearenv"]
    for key, value in {**ENV, "HOME": home}.items():
        cmd += ["--setenv", key, value]
    return [*cmd, "--", *argv]


class Sandbox:
    """A running sandbox: write requests to ``stdin``, read answers from ``stdout`` (both raw descriptors)."""

    def __init__(self, files: dict[str, bytes], argv: list[str], log: Path, *, uid: int, memory_mb: int,
                 cpu_seconds: int, places: dict[Path, Path], home: str, group: SlotGroup | None = None,
                 max_processes: int = 64):
        clear_slot(uid)
        fds = {}
        for inside, data in files.items():  # each file's content in a memory file: no path of the grader's
            fd = os.memfd_create("sandbox-file", 0)
            os.write(fd, data)
            os.lseek(fd, 0, os.SEEK_SET)
            fds[inside] = fd
        filter_fd = seccomp.filter_fd()
        passed = [*fds.values(), *([filter_fd] if filter_fd is not None else [])]
        self.log = open(log, "wb")  # noqa: SIM115 - closed in kill()
        try:
            self.proc = subprocess.Popen(
                bwrap_command(fds, argv, places=places, seccomp_fd=filter_fd, home=home), stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=self.log, pass_fds=passed, close_fds=True, bufsize=0,
                env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},  # bwrap's own process (PID 1 inside) shows it
                preexec_fn=limits(uid, memory_mb, cpu_seconds, group, max_processes))
        finally:
            for fd in passed:
                os.close(fd)
        self.stdin, self.stdout = self.proc.stdin.fileno(), self.proc.stdout.fileno()
        os.set_blocking(self.stdin, False)

    def how_it_ended(self) -> str:
        """Why the sandbox's process ended, in words (the grader's own observation, never the sandbox's claim)."""
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return "closed its output"
        if code > 128 and code - 128 in signal.valid_signals():
            name = signal.Signals(code - 128).name
            why = {"SIGKILL": " (killed, or out of memory)", "SIGXCPU": " (the CPU-time limit)",
                   "SIGSEGV": " (a crash)", "SIGSYS": " (a forbidden system call)"}.get(name, "")
            return f"was killed by {name}{why}"
        return f"exited with code {code}"

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()  # bwrap; its PID namespace dies with it (--die-with-parent)
        self.proc.wait()
        if not self.log.closed:
            self.log.close()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
