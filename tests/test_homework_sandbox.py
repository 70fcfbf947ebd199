"""The grading sandbox (tools/homework/sandbox.py), one property per test, each checked from inside.

Each test runs a tiny notebook in the sandbox (a fraction of a second: the driver imports nothing heavy) and asks
it, through the same channel the grader uses, what it could see or do.  Weakening the sandbox makes these fail:
dropping ``--unshare-all`` fails the network, PID and uid tests; binding the repository fails the file tests;
not dropping to the slot's uid fails ``test_runs_as_nobody_outside_too``; removing a limit fails its test.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tools/ is not an installed package
from tools.homework import sandbox, session, slots  # noqa: E402
from tools.homework.channel import LineReader  # noqa: E402
from tools.homework.stage import Staging  # noqa: E402

pytestmark = pytest.mark.skipif(sandbox.bwrap_path() is None, reason="bubblewrap (bwrap) is not installed")
UID = slots.slot_uid(7)  # a slot of this process's own: no batch running at the same time shares it


@pytest.fixture(scope="module", autouse=True)
def staging():
    global STAGING
    STAGING = Staging(sandbox.python_folders())
    yield STAGING
    STAGING.remove()


def _student(code: str, get: str, deadline: float, memory_mb: int, cell_limit: float, group) -> dict:
    """In a forked child (its own mount namespace, as a judging process): start the student's sandbox on a one-cell
    notebook, act as a minimal judge (wait for ``ready``, ``get`` one variable), and say what happened."""
    nb = json.dumps({"cells": [{"cell_type": "code", "source": code, "metadata": {}}], "metadata": {},
                     "nbformat": 4, "nbformat_minor": 5}).encode()
    log = Path(tempfile.mkdtemp(prefix="hw-sandbox-test-")) / "log"
    box = sandbox.Sandbox({"/home/student/hw01_gumbel.ipynb": nb}, [sandbox.interpreter(), "-I", "-S", "-c",
                          session.DRIVER], log, uid=UID, memory_mb=memory_mb, cpu_seconds=int(deadline) + 10,
                          places=STAGING.enter(), home="/home/student", group=group)
    end = time.monotonic() + deadline
    os.set_blocking(box.stdin, True)
    os.write(box.stdin, json.dumps({"site": sandbox.site_folders(), "notebook": "/home/student/hw01_gumbel.ipynb",
                                    "cell_limit": cell_limit, "call_limit": 10}).encode() + b"\n")
    reader = LineReader(box.stdout, session.MAX_LINE)

    def answer():
        while (line := reader.pop()) is None:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError
            if select.select([box.stdout], [], [], min(left, 1))[0] and not reader.read():
                raise EOFError(box.how_it_ended())
        return json.loads(line)

    try:
        ready = answer()
        assert ready.get("type") == "ready", ready
        os.write(box.stdin, json.dumps({"op": "get", "name": get, "id": "probe-1"}).encode() + b"\n")
        got = answer()
        if got.get("id") != "probe-1":
            return {"value": None, "why": "the sandbox broke the protocol"}
        return {"value": got.get("value"), "why": None}
    except TimeoutError:
        return {"value": None, "why": "time limit"}
    except (EOFError, OSError, ValueError) as exc:
        return {"value": None, "why": f"ended: {exc}"}
    finally:
        box.kill()
        shutil.rmtree(log.parent, ignore_errors=True)


def run(tmp_path: Path, code: str, *, get: str = "probe", deadline: float = 30, memory_mb: int = 1024,
        cell_limit: float = 10, group=None):
    """Run ``code`` as the only cell of a notebook in the student's sandbox; return (value of ``get``, why it failed
    or None)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(r)
        try:
            out = _student(code, get, deadline, memory_mb, cell_limit, group)
        except BaseException as exc:  # noqa: BLE001
            out = {"value": None, "why": f"test helper failed: {exc!r}"}
        os.write(w, json.dumps(out).encode())
        os._exit(0)
    os.close(w)
    data = b""
    while chunk := os.read(r, 1 << 16):
        data += chunk
    os.close(r)
    os.waitpid(pid, 0)
    out = json.loads(data)
    return out["value"], out["why"]


def probe(tmp_path: Path, expr: str, setup: str = "import os, json"):
    value, why = run(tmp_path, f"{setup}\nprobe = json.dumps({expr})")
    assert why is None, why
    return json.loads(value)


def slot_processes() -> list[int]:
    """Live processes (zombies excluded: they are dead, waiting for init to reap them) of the test's slot uid."""
    return slots.slot_processes(UID)


def test_runs_as_nobody_inside(tmp_path):
    assert probe(tmp_path, "[os.getuid(), os.getgid(), os.geteuid()]") == [65534, 65534, 65534]


@pytest.mark.skipif(os.getuid() != 0, reason="the grader drops to a slot uid only when it runs as root")
def test_runs_as_nobody_outside_too(tmp_path):
    """Seen from outside, the sandbox's processes belong to the slot's uid, not to root, and hold no capability."""
    result = {}
    thread = threading.Thread(target=lambda: result.update(zip(("value", "why"), run(
        tmp_path, "import time\ntime.sleep(3)\nprobe = open('/proc/self/status').read()", deadline=20), strict=True)))
    thread.start()
    seen = []
    while thread.is_alive() and not seen:
        seen = slot_processes()
        time.sleep(0.1)
    thread.join()
    assert seen, "no process of the slot's uid: the sandbox ran as another user (root?)"
    assert result["why"] is None and "CapEff:\t0000000000000000" in result["value"]


def test_no_network(tmp_path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    try:
        got = probe(tmp_path, "[[n for _, n in socket.if_nameindex()], tries]", setup=(
            "import os, json, socket\ntries = []\n"
            f"for host in ['127.0.0.1', '10.0.0.1', '1.1.1.1', {socket.gethostbyname(socket.gethostname())!r}]:\n"
            "    try:\n"
            f"        socket.create_connection((host, {port}), timeout=1).close()\n"
            "        tries.append(host)\n"
            "    except OSError:\n"
            "        pass\n"))
    finally:
        server.close()
    assert got == [["lo"], []]  # only its own loopback, and the grader's server is out of reach


def test_own_pid_namespace(tmp_path):
    pids, cmdlines = probe(tmp_path, "[pids, [open(f'/proc/{p}/cmdline', 'rb').read().decode(errors='replace') "
                                     "for p in pids]]",
                           setup="import os, json\npids = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())")
    assert pids == [1, 2], (pids, cmdlines)  # bwrap's init and the driver: nothing of the grader or other jobs
    assert not any("pytest" in c or "tools.homework" in c or "hw-sandbox-test" in c for c in cmdlines)


def test_sees_only_its_notebook_of_the_course(tmp_path):
    got = probe(tmp_path, "{p: sorted(os.listdir(p)) if os.path.isdir(p) else None for p in paths}",
                setup="import os, json\npaths = ['/', '/home', '/home/student', '/tmp', '/work', '/root', "
                      f"{str(ROOT)!r}, {str(ROOT / 'build')!r}, {str(ROOT / 'homework')!r}, os.getcwd()]")
    # the top folder of the checkout and of the venv appear only as the way down to them (CI may clone anywhere)
    tops = {p.parts[1] for p in (ROOT, Path(sys.prefix), Path(sys.base_prefix)) if len(p.parts) > 1}
    assert set(got["/"]) <= {"usr", "bin", "lib", "lib64", "sbin", "etc", "proc", "dev", "tmp", "home", "work", "root",
                             "opt", "srv", *tops}, got["/"]
    # /tmp and /home are empty but for the way down to a checkout that lies under them (CI may clone there)
    way_in = {top: sorted({p.relative_to(top).parts[0] for p in (ROOT, Path(sys.prefix)) if p.is_relative_to(top)})
              for top in (Path("/tmp"), Path("/home"))}
    assert got["/home"] == sorted({"student", *way_in[Path("/home")]}), got["/home"]
    assert got["/home/student"] == ["hw01_gumbel.ipynb"]
    assert got["/tmp"] == way_in[Path("/tmp")], got["/tmp"]
    assert got[str(ROOT / "build")] is None and got[str(ROOT / "homework")] is None
    assert set(got[str(ROOT)]) <= {".venv", "lectures_lib"}, got[str(ROOT)]
    assert got["/root"] is None or set(got["/root"]) <= {".pyenv"}


def test_read_only_system_venv_and_notebook(tmp_path):
    targets = ["/usr/evil", f"{ROOT}/.venv/evil", f"{ROOT}/lectures_lib/evil.py", "/home/student/hw01_gumbel.ipynb",
               "/etc/ld.so.cache"]
    got = probe(tmp_path, "errors", setup="import os, json\nerrors = {}\n"
                f"for t in {targets!r}:\n"
                "    try:\n"
                "        open(t, 'a').write('x')\n"
                "        errors[t] = 'written'\n"
                "    except OSError as e:\n"
                "        errors[t] = type(e).__name__\n")
    assert "written" not in got.values(), got


def test_minimal_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("INSTRUCTOR_SECRET_TOKEN", "s3cr3t")
    env, init_env = probe(tmp_path, "[dict(os.environ), open('/proc/1/environ').read()]")
    assert env["HOME"] == "/home/student" and env["TMPDIR"] == "/tmp"
    assert not {k for k in env if "TOKEN" in k or "KEY" in k or k.startswith(("SSH", "GIT", "PYTEST"))}
    assert "s3cr3t" not in init_env and "PYTEST" not in init_env  # nor in bwrap's own process, PID 1 inside


def test_limits_are_set(tmp_path):
    got = probe(tmp_path, "[resource.getrlimit(r) for r in (resource.RLIMIT_AS, resource.RLIMIT_FSIZE, "
                          "resource.RLIMIT_NOFILE, resource.RLIMIT_CORE)]", setup="import os, json, resource")
    assert got == [[1024 * 2**20] * 2, [64 * 2**20] * 2, [256, 256], [0, 0]]


def test_memory_hog_gets_memory_error(tmp_path):
    got = probe(tmp_path, "err", setup="import json\ntry:\n    hog = bytearray(3 * 2**30)\n    err = 'allocated'\n"
                                       "except MemoryError:\n    err = 'MemoryError'")
    assert got == "MemoryError"


def test_file_size_and_tmpfs_are_limited(tmp_path):
    """One file of 100 MiB exceeds the file-size limit (64 MiB); ten of 10 MiB fill the 64 MiB /tmp and home."""
    got = probe(tmp_path, "out", setup=(
        "import errno, json\nout = []\n"
        "for files, mib in ((['/tmp/big'], 100), ([f'/tmp/f{i}' for i in range(10)], 10),"
        " ([f'/home/student/f{i}' for i in range(10)], 10)):\n"
        "    try:\n        for path in files:\n            with open(path, 'wb') as f:\n"
        "                for _ in range(mib):\n                    f.write(bytes(2**20))\n"
        "        out.append('wrote')\n"
        "    except OSError as e:\n        out.append(errno.errorcode[e.errno])\n"))
    assert got == ["EFBIG", "ENOSPC", "ENOSPC"]


@pytest.mark.skipif(os.getuid() != 0, reason="a per-slot process limit needs a uid of its own (root only)")
def test_fork_bomb_is_limited_and_leaves_nothing(tmp_path):
    got = probe(tmp_path, "n", setup=(
        "import os, json, time\nn = 0\ntry:\n    for _ in range(1000):\n        if os.fork() == 0:\n"
        "            time.sleep(60)\n            os._exit(0)\n        n += 1\nexcept OSError:\n    pass\n"))
    assert 10 < got < 64
    time.sleep(0.5)
    assert slot_processes() == []


def test_background_process_does_not_outlive_the_sandbox(tmp_path):
    value, why = run(tmp_path, "import subprocess\np = subprocess.Popen(['sleep', '300'], start_new_session=True)\n"
                               "probe = p.pid")
    assert value is not None and why is None
    time.sleep(0.5)
    assert slot_processes() == []


def test_endless_cell_is_interrupted(tmp_path):
    value, why = run(tmp_path, "while True:\n    pass", get="__name__", cell_limit=1)
    assert value == "__main__" and why is None  # the cell was stopped, the notebook went on


def test_wall_clock_limit_kills_what_ignores_the_alarm(tmp_path):
    # the answer says the wall-clock limit stopped it (no timing assertion: a loaded machine only makes it later)
    value, why = run(tmp_path, "import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\nwhile True:\n    pass",
                     deadline=4, cell_limit=1)
    assert value is None and why.startswith("time limit")
    time.sleep(0.5)
    assert slot_processes() == []


def test_a_killed_sandbox_is_a_crash_even_after_a_forged_answer(tmp_path):
    code = ("import sys, os, json\nout = sys.modules['__main__'].PROTO_OUT\n"
            "out.write(json.dumps({'type': 'ready', 'cell_errors': []}) + '\\n')\n"
            "out.write(json.dumps({'id': 'x', 'type': 'value', 'value': 'forged'}) + '\\n')\nout.flush()\n"
            "os.kill(os.getpid(), 9)")
    value, why = run(tmp_path, code)
    assert value is None and why is not None


def test_slot_control_group_holds_every_sandbox_process(tmp_path):
    """Where the grader can make control groups, the sandbox's processes are all in its slot's groups."""
    group = slots.SlotGroup(f"hw-grade-test-{os.getpid()}", 1024, pids=32)
    if not group.active:
        pytest.skip("no control groups can be made here (not root, or no cgroup access)")
    try:
        seen = {}

        def watch():
            time.sleep(1.5)
            seen["inside"] = {int(p) for d in group.dirs for p in (d / "cgroup.procs").read_text().split()}
            seen["live"] = set(slot_processes())

        watcher = threading.Thread(target=watch)
        watcher.start()
        run(tmp_path, "import subprocess, time\nkids = [subprocess.Popen(['sleep', '30']) for _ in range(3)]\n"
                      "time.sleep(3)\nprobe = 1", group=group)
        watcher.join()
        live, inside = seen["live"], seen["inside"]
        assert len(live) >= 5 and live <= inside, (live, inside)  # bwrap, its init, the driver, three children
        assert all((d / "pids.max").read_text().strip() == "32" for d in group.dirs if d.parent.name == "pids")
    finally:
        time.sleep(0.5)
        group.remove()


def test_only_tmp_home_and_shm_are_writable_and_each_is_limited(tmp_path):
    """``/`` and ``/dev`` are read-only (they were writable tmpfs without a size limit); ``/dev/shm`` is a 64 MiB
    tmpfs like ``/tmp`` and home, so nothing in the sandbox can fill the machine's memory through files."""
    got = probe(tmp_path, "out", setup=(
        "import errno, json\nout = {}\n"
        "for path in ('/evil', '/dev/evil', '/etc/evil', '/home/evil2/x', '/proc/evil'):\n"
        "    try:\n        open(path, 'w').write('x')\n        out[path] = 'written'\n"
        "    except OSError as e:\n        out[path] = errno.errorcode[e.errno]\n"
        "try:\n    for i in range(10):\n        with open(f'/dev/shm/f{i}', 'wb') as f:\n"
        "            for _ in range(10):\n                f.write(bytes(2**20))\n    out['shm'] = 'wrote 100 MiB'\n"
        "except OSError as e:\n    out['shm'] = errno.errorcode[e.errno]\n"))
    assert got["/evil"] == "EROFS" and got["/dev/evil"] == "EROFS", got
    assert "written" not in got.values() and got["shm"] == "ENOSPC", got


def test_no_user_namespace_inside(tmp_path):
    """No new user namespace (where the student would be root): ``unshare -Ur`` fails (the seccomp filter), and so
    does a raw ``clone(CLONE_NEWUSER)``, which the filter lets through, because of bwrap's ``--disable-userns``
    (the kernel says ENOSPC: the namespace limit inside is 0)."""
    got = probe(tmp_path, "[r.returncode, pid, errno.errorcode.get(err)]", setup=(
        "import ctypes, errno, json, os, subprocess\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "r = subprocess.run(['unshare', '-Ur', 'true'], capture_output=True)\n"
        "pid = libc.syscall(56, 0x10000000 | 17, 0, 0, 0, 0)  # clone(CLONE_NEWUSER | SIGCHLD): a fork, if allowed\n"
        "err = ctypes.get_errno()\n"
        "if pid == 0:\n    os._exit(0)\n"
        "if pid > 0:\n    os.waitpid(pid, 0)\n"))
    assert got[0] != 0 and got[1] == -1 and got[2] == "ENOSPC", got


def test_seccomp_filter_blocks_what_an_escape_starts_from(tmp_path):
    """ptrace, the keyring, BPF, perf events, userfaultfd, mount and file handles fail with EPERM (no filter: they
    fail differently or succeed; getpid still works)."""
    calls = {"ptrace": (101, 16, 1, 0, 0), "keyctl": (250, 0, 0, 0, 0), "bpf": (321, 0, 0, 0),
             "perf_event_open": (298, 0, 0, -1, -1, 0), "userfaultfd": (323, 0), "mount": (165, 0, 0, 0, 0, 0),
             "open_by_handle_at": (304, 0, 0, 0), "io_uring_setup": (425, 1, 0)}
    got = probe(tmp_path, "out", setup=(
        "import ctypes, errno, json, os\nlibc = ctypes.CDLL(None, use_errno=True)\nout = {}\n"
        f"for name, args in {calls!r}.items():\n"
        "    ctypes.set_errno(0)\n    r = libc.syscall(*args)\n"
        "    out[name] = errno.errorcode.get(ctypes.get_errno(), str(r)) if r == -1 else 'allowed'\n"
        "out['getpid'] = 'allowed' if libc.syscall(39) == os.getpid() else 'blocked'\n"))
    assert got.pop("getpid") == "allowed"
    assert set(got.values()) == {"EPERM"}, got
