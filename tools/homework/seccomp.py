"""A seccomp filter for the sandboxes, built with libseccomp (Debian's ``libseccomp2``) and handed to bubblewrap.

Namespaces already keep a sandbox away from the network, the grader's files and its processes; the filter takes
away the kernel interfaces a notebook never needs and an escape usually starts from: tracing other processes
(``ptrace``, ``process_vm_*``), the kernel keyring, BPF, perf events, ``userfaultfd``, io_uring, new mounts and
namespaces (``mount``, ``unshare``, ``setns``; bubblewrap's ``--disable-userns`` closes nested user namespaces too),
file handles (``open_by_handle_at``), kernel modules, clocks, swap and reboot, and typing into a terminal
(``ioctl(TIOCSTI)``).  A blocked call fails with ``EPERM``, as on a system that forbids it, so Python reports an
ordinary ``PermissionError`` instead of dying.  Calls made in another ABI (32-bit x86, x32) kill the process: the
filter is written for the native one.

``filter_bpf()`` returns the compiled program (bytes); ``bwrap --seccomp FD`` reads it from a descriptor and loads it
just before it runs the sandbox's first process.  Where libseccomp is missing, it returns None and the batch says so.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
from functools import cache

DENIED = (
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    "add_key", "keyctl", "request_key",
    "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
    "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "fsopen", "fsconfig", "fsmount", "fspick",
    "move_mount", "open_tree", "mount_setattr",
    "open_by_handle_at", "name_to_handle_at", "lookup_dcookie",
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load",
    "swapon", "swapoff", "reboot", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
    "acct", "quotactl", "syslog", "uselib", "vhangup", "iopl", "ioperm", "fanotify_init", "personality",
    "move_pages", "migrate_pages", "mbind", "set_mempolicy", "nfsservctl", "_sysctl", "sysfs", "ustat",
)
TIOCSTI, TIOCLINUX = 0x5412, 0x541C  # ioctls that push input into a terminal, or reach the console
SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_ACT_KILL_PROCESS = 0x80000000
SCMP_FLTATR_ACT_BADARCH = 2
SCMP_CMP_MASKED_EQ = 7


def SCMP_ACT_ERRNO(code: int) -> int:  # noqa: N802 - libseccomp's name
    return 0x00050000 | (code & 0xFFFF)


class ArgCmp(ctypes.Structure):
    """``struct scmp_arg_cmp``: compare system-call argument ``arg`` with ``op`` against the data."""
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int), ("datum_a", ctypes.c_uint64),
                ("datum_b", ctypes.c_uint64)]


@cache
def _library():
    name = ctypes.util.find_library("seccomp") or "libseccomp.so.2"
    try:
        lib = ctypes.CDLL(name, use_errno=True)
    except OSError:
        return None
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_release.argtypes = [ctypes.c_void_p]
    lib.seccomp_attr_set.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint32]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint,
                                           ctypes.POINTER(ArgCmp)]
    lib.seccomp_export_bpf.argtypes = [ctypes.c_void_p, ctypes.c_int]
    return lib


@cache
def filter_bpf() -> bytes | None:
    """The compiled filter, or None where libseccomp cannot be loaded."""
    lib = _library()
    if lib is None:
        return None
    ctx = lib.seccomp_init(SCMP_ACT_ALLOW)
    if not ctx:
        return None
    try:
        deny = SCMP_ACT_ERRNO(errno.EPERM)
        if lib.seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) != 0:
            raise OSError("seccomp_attr_set failed")
        for name in DENIED:
            number = lib.seccomp_syscall_resolve_name(name.encode())
            if number < 0:  # not a system call on this architecture
                continue
            if lib.seccomp_rule_add_array(ctx, deny, number, 0, None) != 0:
                raise OSError(f"seccomp_rule_add {name} failed")
        ioctl = lib.seccomp_syscall_resolve_name(b"ioctl")
        for request in (TIOCSTI, TIOCLINUX):
            cmp = ArgCmp(1, SCMP_CMP_MASKED_EQ, 0xFFFFFFFF, request)
            if lib.seccomp_rule_add_array(ctx, deny, ioctl, 1, ctypes.byref(cmp)) != 0:
                raise OSError("seccomp_rule_add ioctl failed")
        fd = os.memfd_create("seccomp-bpf")
        try:
            if lib.seccomp_export_bpf(ctx, fd) != 0:
                raise OSError("seccomp_export_bpf failed")
            os.lseek(fd, 0, os.SEEK_SET)
            data = b""
            while chunk := os.read(fd, 1 << 16):
                data += chunk
            return data
        finally:
            os.close(fd)
    finally:
        lib.seccomp_release(ctx)


def filter_fd() -> int | None:
    """A fresh descriptor from which bubblewrap reads the filter (one per sandbox: bwrap reads it to the end)."""
    data = filter_bpf()
    if data is None:
        return None
    fd = os.memfd_create("seccomp-bpf", 0)  # not close-on-exec: bwrap inherits it (pass_fds keeps it open)
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd
