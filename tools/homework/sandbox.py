"""Run one student notebook in a bubblewrap sandbox and talk to it across the process boundary.

The sandbox (``bwrap``, Debian package ``bubblewrap``):

* runs as an unprivileged user: the grader drops to a uid of its own for each job slot of each batch
  (``slot_uid``, a uid that owns no file), and inside the sandbox that user is ``nobody`` (65534), even when
  ``make grade`` runs as root.  A separate uid per slot makes the process limit (``RLIMIT_NPROC``) a limit per
  submission, and two batches at once never share one;
* ``--unshare-all``: no network (only an unconfigured loopback), its own PID namespace (it sees and can signal only
  its own processes; when its first process ends, every process in it is killed), its own IPC, UTS and user
  namespaces; ``--die-with-parent`` and a parent-death signal: it cannot outlive the grader;
* sees a read-only ``/usr``, a few files of ``/etc`` (the dynamic loader's cache, fonts), the read-only virtual
  environment and ``lectures_lib`` (the course library the notebooks import), a private empty ``/tmp`` and home
  (size-limited tmpfs), and, of the course files, only its own read-only copy of the notebook.  Not the repository,
  the build (hidden tests, solutions), the other submissions, the grades, ``/root`` or ``/work``;
* has limits: address space, CPU seconds, file size, number of processes, open files; the grader adds a wall-clock
  limit and kills it at the end.

The grader talks to the driver (``driver.py``) over its stdin and stdout, one JSON object per line, each request
with a random id that the answer must repeat; an answer line longer than ``MAX_LINE`` ends the sandbox.
"""

from __future__ import annotations

import json
import os
import secrets
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from . import ROOT, wire
from .slots import SlotGroup, clear_slot, limits

DRIVER = (Path(__file__).parent / "driver.py").read_text()
MAX_LINE = 96 * 2**20
MiB = 2**20
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "fonts", "alternatives")


class SandboxDied(RuntimeError):
    """The sandbox ended, or broke the protocol, before it answered."""


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def bwrap_command(notebook_fd: int, name: str, *, tmp_mb: int = 64) -> list[str]:
    """The ``bwrap`` command line that runs the driver on the notebook open as ``notebook_fd``: bwrap copies it into
    the sandbox as a read-only file ``~/<name>``, so no path of the grader's appears inside."""
    cmd = [bwrap_path() or "bwrap", "--unshare-all", "--die-with-parent", "--new-session",
           "--uid", "65534", "--gid", "65534", "--hostname", "sandbox",
           "--ro-bind", "/usr", "/usr", "--proc", "/proc", "--dev", "/dev"]
    for top in ("bin", "lib", "lib64", "sbin"):  # merged /usr: these are symlinks into /usr
        path = Path("/") / top
        if path.is_symlink():
            cmd += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            cmd += ["--ro-bind", str(path), str(path)]
    for name_ in ETC_FILES:
        if (Path("/etc") / name_).exists():
            cmd += ["--ro-bind", f"/etc/{name_}", f"/etc/{name_}"]
    python = interpreter()
    home = "/home/student"
    # The empty /tmp and /home first: a checkout (and its venv) that lies under /tmp or /home is bound on top
    # of them below, read-only, instead of being hidden by them.
    cmd += ["--size", str(tmp_mb * MiB), "--tmpfs", "/tmp", "--size", str(tmp_mb * MiB), "--tmpfs", "/home"]
    for folder in {sys.prefix, *site_folders()}:  # the virtual environment with numpy, scipy, sympy
        if not any(Path(folder).is_relative_to(p) for p in ("/usr", "/etc")):
            cmd += ["--ro-bind", folder, folder]
    cmd += ["--ro-bind", str(ROOT / "lectures_lib"), str(ROOT / "lectures_lib")]
    cmd += ["--dir", home, "--ro-bind-data", str(notebook_fd), f"{home}/{name}", "--chdir", home, "--clearenv"]
    env = {"HOME": home, "TMPDIR": "/tmp", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "MPLBACKEND": "Agg",
           "MPLCONFIGDIR": "/tmp", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
           "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "MALLOC_ARENA_MAX": "2"}
    for key, value in env.items():
        cmd += ["--setenv", key, value]
    return [*cmd, "--", python, "-I", "-S", "-c", DRIVER]


def _world_readable(path: Path) -> bool:
    """Whether a user who owns nothing can reach ``path`` (every folder above it searchable by others)."""
    return all(os.stat(p).st_mode & 0o001 for p in [*path.parents][:-1]) and os.access(path, os.R_OK)


def interpreter() -> str:
    """A Python of this version that the sandbox's user can run: this one's base, else the system's."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    base = Path(sys.base_prefix) / "bin" / version
    if base.exists() and _world_readable(base.resolve()):
        return str(base.resolve())
    system = shutil.which(version, path="/usr/bin:/bin")
    if system is None:
        raise RuntimeError(f"no {version} that an unprivileged user can run (the base Python is under "
                           f"{sys.base_prefix}): install Debian's {version}")
    return system


def site_folders() -> list[str]:
    """The folders of installed packages (the venv's site-packages), which the driver adds to its path."""
    import site

    return [p for p in site.getsitepackages() if Path(p).is_dir() and Path(p).is_relative_to(sys.prefix)]


class Sandbox:
    """One running sandbox: ``start``, ``wait_ready``, then ``get``/``call``, then ``close``."""

    def __init__(self, notebook: Path, name: str, log: Path, *, uid: int, cell_limit: float, limit: float,
                 memory_mb: int, deadline: float, group: SlotGroup | None = None):
        self.deadline, self.limit, self.in_request = deadline, limit, False
        self.grader_objects: dict = {}
        self.log = open(log, "wb")  # noqa: SIM115 - closed in close()
        clear_slot(uid)
        fd = os.open(notebook, os.O_RDONLY)
        self.proc = subprocess.Popen(
            bwrap_command(fd, name), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, pass_fds=(fd,),
            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},  # bwrap's own process (PID 1 inside) shows its env
            preexec_fn=limits(uid, memory_mb, int(deadline - time.monotonic()) + 10, group), close_fds=True)
        os.close(fd)
        self.buffer = b""
        self.dead: str | None = None
        self._send({"site": site_folders(), "notebook": f"/home/student/{name}", "cell_limit": cell_limit,
                    "call_limit": limit})

    # -------------------------------------------------------------------------------------------- the channel
    def _send(self, msg: dict) -> None:
        try:
            self.proc.stdin.write((json.dumps(msg) + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise self._die("the sandbox closed its input") from exc

    def _die(self, why: str) -> SandboxDied:
        self.dead = self.dead or why
        self.kill()
        return SandboxDied(self.dead)

    def _read(self, until: float) -> dict:
        """The next JSON line from the sandbox, waiting at most until ``until`` (monotonic)."""
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buffer:
            left = min(until, self.deadline) - time.monotonic()
            if left <= 0:
                raise self._die("time limit" if time.monotonic() >= self.deadline else
                                f"no answer within {self.limit + 5:g} s (a call that ignores the time limit)")
            if not select.select([fd], [], [], min(left, 1.0))[0]:
                continue
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                raise self._die(self._how_it_ended())
            self.buffer += chunk
            if len(self.buffer) > MAX_LINE:
                raise self._die("the sandbox sent an answer larger than the size limit")
        line, self.buffer = self.buffer.split(b"\n", 1)
        try:
            msg = json.loads(line)
        except ValueError as exc:
            raise self._die("the sandbox broke the protocol (not JSON)") from exc
        if not isinstance(msg, dict):
            raise self._die("the sandbox broke the protocol")
        return msg

    def _how_it_ended(self) -> str:
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return "the notebook's process closed its answer channel"
        if code > 128 and code - 128 in signal.valid_signals():
            name = signal.Signals(code - 128).name
            why = {"SIGKILL": " (killed, or out of memory)", "SIGXCPU": " (the CPU-time limit)",
                   "SIGSEGV": " (a crash)"}.get(name, "")
            return f"the notebook's process was killed by {name}{why}"
        return f"the notebook's process exited with code {code}"

    def wait_ready(self) -> list[dict]:
        """Wait until the notebook has run; return the errors of its cells (untrusted, for feedback only)."""
        msg = self._read(self.deadline)
        if msg.get("type") != "ready":
            raise self._die("the sandbox broke the protocol")
        errors = msg.get("cell_errors")
        return [e for e in errors if isinstance(e, dict)][:50] if isinstance(errors, list) else []

    def request(self, msg: dict) -> dict:
        """Send a request and return its answer, serving the callbacks the student's code makes meanwhile."""
        if self.dead:
            raise SandboxDied(self.dead)
        msg["id"] = secrets.token_hex(8)  # an answer written in advance cannot match
        self.in_request = True  # if the grader's own time limit interrupts this, the channel is out of step
        self._send(msg)
        until = time.monotonic() + self.limit + 5
        while True:
            answer = self._read(until)
            if answer.get("type") == "callback":
                self._callback(answer)
                continue
            if answer.get("id") != msg["id"]:
                raise self._die("the sandbox broke the protocol (an answer to no request)")
            self.in_request = False
            return answer

    def _callback(self, msg: dict) -> None:
        try:
            target = self.grader_objects[msg.get("handle")]
            if msg.get("method") is not None:
                target = getattr(target, str(msg["method"]))
            generators: list = []
            args = [wire.decode(a, self) for a in msg.get("args") or []]
            kwargs = {str(k): wire.decode(x, self) for k, x in (msg.get("kwargs") or {}).items()}
            reply = {"type": "callback_result", "value": wire.encode(target(*args, **kwargs), self.grader_objects,
                                                                     generators)}
        except Exception as exc:  # noqa: BLE001 - the grader's object rejected the student's arguments
            reply = {"type": "callback_error", "error": f"{type(exc).__name__}: {str(exc)[:200]}"}
        self._send(reply)

    def grader_object(self, handle):
        if handle not in self.grader_objects:
            raise wire.WireError("unknown grader object")
        return self.grader_objects[handle]

    # -------------------------------------------------------------------------------------------- values
    def get(self, name: str):
        answer = self.request({"op": "get", "name": name})
        if answer.get("type") != "value":
            raise AssertionError(str(answer.get("error", "no value"))[:300])
        return wire.decode(answer.get("value"), self)

    def call(self, handle: str, args, kwargs):
        generators: list = []
        msg = {"op": "call", "handle": handle, "args": [wire.encode(a, self.grader_objects, generators) for a in args],
               "kwargs": {k: wire.encode(v, self.grader_objects, generators) for k, v in kwargs.items()}}
        answer = self.request(msg)
        if answer.get("type") == "error":
            raise RuntimeError(f"your function raised {str(answer.get('error'))[:300]}")
        if answer.get("type") != "result":
            raise self._die("the sandbox broke the protocol")
        states = answer.get("generators")
        if isinstance(states, list) and len(states) == len(generators):
            for g, state in zip(generators, states, strict=True):
                try:  # the student's code advanced the generator; a forged state is rejected by numpy
                    g.bit_generator.state = state
                except (TypeError, ValueError, KeyError):
                    pass
        return wire.decode(answer.get("value"), self)

    # -------------------------------------------------------------------------------------------- the end
    def close(self) -> str | None:
        """Say bye, then end the sandbox; return why it failed, or None if it answered everything to the end.

        Once the driver has acknowledged the bye, every answer is in: the sandbox is killed rather than waited for
        (its interpreter's shutdown would cost half a second, and nothing it does after that counts)."""
        if not self.dead:
            try:
                if self.request({"op": "bye"}).get("type") != "bye":
                    self._die("the sandbox broke the protocol")
            except SandboxDied:
                pass
        self.kill()
        return self.dead

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
