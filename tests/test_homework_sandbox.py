"""The grading sandbox (tools/homework/sandbox.py), one property per test, each checked from inside.

Each test runs a tiny notebook in the sandbox (a fraction of a second: the driver imports nothing heavy) and asks
it, through the same channel the grader uses, what it could see or do.  Weakening the sandbox makes these fail:
dropping ``--unshare-all`` fails the network, PID and uid tests; binding the repository fails the file tests;
not dropping to the slot's uid fails ``test_runs_as_nobody_outside_too``; removing a limit fails its test.
"""

from __future__ import annotations

import json
import os
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
from tools.homework import sandbox, slots  # noqa: E402

pytestmark = pytest.mark.skipif(sandbox.bwrap_path() is None, reason="bubblewrap (bwrap) is not installed")
UID = slots.slot_uid(7)  # a slot of this process's own: no batch running at the same time shares it


def run(tmp_path: Path, code: str, *, get: str = "probe", deadline: float = 30, memory_mb: int = 1024,
        cell_limit: float = 10):
    """Run ``code`` as the only cell of a notebook in the sandbox; return (value of ``get``, close() status)."""
    tmp_path = Path(tempfile.mkdtemp(prefix="hw-sandbox-test-"))  # pytest's tmp_path is private to root (0700)
    nb = tmp_path / "hw.ipynb"
    nb.write_text(json.dumps({"cells": [{"cell_type": "code", "source": code, "metadata": {}}], "metadata": {},
                              "nbformat": 4, "nbformat_minor": 5}))
    os.chmod(tmp_path, 0o755)
    os.chmod(nb, 0o444)
    box = sandbox.Sandbox(nb, "hw01_gumbel.ipynb", tmp_path / "log", uid=UID, cell_limit=cell_limit, limit=10,
                          memory_mb=memory_mb, deadline=time.monotonic() + deadline)
    value = None
    try:
        box.wait_ready()
        value = box.get(get)
    except sandbox.SandboxDied:
        pass
    why = box.close()
    shutil.rmtree(tmp_path)
    return value, why


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
        tmp = Path(tempfile.mkdtemp(prefix="hw-sandbox-test-"))
        os.chmod(tmp, 0o755)
        nb = tmp / "hw.ipynb"
        nb.write_text(json.dumps({"cells": [{"cell_type": "code", "metadata": {}, "source": (
            "import subprocess, time\nkids = [subprocess.Popen(['sleep', '30']) for _ in range(3)]\ntime.sleep(2)")}],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
        os.chmod(nb, 0o444)
        box = sandbox.Sandbox(nb, "hw.ipynb", tmp / "log", uid=UID, cell_limit=10, limit=10, memory_mb=1024,
                              deadline=time.monotonic() + 30, group=group)
        time.sleep(1.2)
        inside = {int(p) for d in group.dirs for p in (d / "cgroup.procs").read_text().split()}
        live = set(slot_processes())
        box.close()
        assert len(live) >= 5 and live <= inside, (live, inside)  # bwrap, its init, the driver, three children
        assert all((d / "pids.max").read_text().strip() == "32" for d in group.dirs if d.parent.name == "pids")
        shutil.rmtree(tmp)
    finally:
        time.sleep(0.5)
        group.remove()
