"""Kernel measures that keep model code away from the app's secrets (Linux, via ctypes; stdlib only).

The app calls `make_undumpable()` once: its `/proc/<pid>/environ` and `/proc/<pid>/mem` then need
CAP_SYS_PTRACE, which no worker keeps. A worker calls `confine()` after its imports and before any
model code: no network (own network namespace), an empty root directory (chroot), no capabilities
(bounding set dropped, uid/gid switched to nobody when started as root, all capability sets
cleared), no way to regain privileges (no_new_privs), an address-space limit, a CPU-time limit and
death with its parent (PR_SET_PDEATHSIG, so no worker outlives the app). Before that, the zygote's
child calls `isolate_processes()`: its own PID namespace (it sees and signals no other worker, and
everything it starts ends with it), or, where the kernel refuses, no new processes at all (RLIMIT_NPROC).
Every measure is tried and reported; a measure the kernel refuses is reported as not applied, never faked.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import resource
import signal
from collections.abc import Collection

from sandbox.protocol import readable_within

PR_SET_PDEATHSIG = 1
PR_GET_PDEATHSIG = 2
PR_SET_DUMPABLE = 4
PR_GET_DUMPABLE = 3
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
PR_GET_NO_NEW_PRIVS = 39
PR_SET_CHILD_SUBREAPER = 36
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000
_CAP_VERSION_3 = 0x20080522
NOBODY = 65534

_libc = None


def libc() -> ctypes.CDLL:
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    return _libc


def _prctl(option: int, arg: int = 0) -> int:
    result = libc().prctl(option, ctypes.c_ulong(arg), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))
    if result < 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    return result


def make_undumpable() -> bool:
    """Close this process's /proc/<pid>/environ and /mem to anything without CAP_SYS_PTRACE."""
    try:
        _prctl(PR_SET_DUMPABLE, 0)
        return _prctl(PR_GET_DUMPABLE) == 0
    except (OSError, AttributeError):
        return False


def is_dumpable() -> bool:
    return _prctl(PR_GET_DUMPABLE) != 0


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def capabilities() -> int:
    """This process's effective | permitted | inheritable capability bits (0 = none)."""
    header, data = _CapHeader(_CAP_VERSION_3, 0), (_CapData * 2)()
    if libc().capget(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capget failed")
    return sum((d.effective | d.permitted | d.inheritable) << (32 * i) for i, d in enumerate(data))


def _clear_capabilities() -> None:
    header, data = _CapHeader(_CAP_VERSION_3, 0), (_CapData * 2)()
    if libc().capset(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")


def _last_cap() -> int:
    try:
        with open("/proc/sys/kernel/cap_last_cap") as handle:
            return int(handle.read())
    except (OSError, ValueError):
        return 40


def _unshare(flags: int) -> None:
    if libc().unshare(ctypes.c_int(flags)) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno))


def _new_network_unprivileged() -> None:
    """A network namespace without root: inside the PID namespace's user namespace the worker already holds the
    rights (and, unmapped there, could not make another user namespace); otherwise with a user namespace of its
    own."""
    try:
        _unshare(CLONE_NEWNET)
    except OSError:
        _unshare(CLONE_NEWUSER | CLONE_NEWNET)


def _attempt(report: dict, name: str, action, skip: Collection[str]) -> None:
    if name in skip:
        report[name] = "skipped (test setting)"
        return
    try:
        action()
        report[name] = True
    except (OSError, AttributeError) as exc:
        report[name] = f"refused: {exc}"


def parent_is_alive(watch_fd: int) -> bool:
    """False once the process holding the other end of the `watch_fd` pipe is gone (the read end is at EOF)."""
    return not readable_within(watch_fd, 0)


def die_with_parent(watch_fd: int) -> None:
    """SIGKILL this process when its parent ends (PR_SET_PDEATHSIG); exit now if the parent already has."""
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if not parent_is_alive(watch_fd):  # it ended before the setting took: nobody would send the signal
        os._exit(0)


def become_subreaper() -> bool:
    """Orphans below this process (a worker's children whose parent died) become its children (the zygote
    reaps them at once), instead of zombies of the machine's init."""
    try:
        _prctl(PR_SET_CHILD_SUBREAPER, 1)
        return True
    except (OSError, AttributeError):
        return False


def isolate_processes(report: dict, skip: Collection[str] = ()) -> bool:
    """In the zygote's child, before it becomes a worker: a PID namespace for what follows (the caller then
    forks; the child is the namespace's first process). True when the namespace was made; else the worker
    runs without one and `confine` forbids it new processes instead (RLIMIT_NPROC)."""
    if os.geteuid() == 0:
        _attempt(report, "pid_namespace", lambda: _unshare(CLONE_NEWPID), skip)
    else:  # an unprivileged user namespace brings the right to make a PID namespace
        _attempt(report, "pid_namespace", lambda: _unshare(CLONE_NEWUSER | CLONE_NEWPID), skip)
    return report["pid_namespace"] is True


def confine(root_dir: str, memory_mb: int, skip: Collection[str] = (), *, cpu_s: int | None = None,
            watch_fd: int | None = None, report: dict | None = None, max_processes: int | None = None) -> dict:
    """Apply every measure in order; the report says which ones the kernel accepted.

    `cpu_s`: the CPU seconds this worker may use in its life (RLIMIT_CPU; None: no limit, reported missing).
    `watch_fd`: the read end of a pipe its parent holds open: with it the worker dies with its parent.
    `report`: what `isolate_processes` already reported (the PID namespace), extended here.
    `max_processes`: with a PID namespace, as uid nobody, the processes and threads uid nobody may have in all
    (RLIMIT_NPROC counts them across every worker): a worker forking without end is stopped there.
    `skip` (tests only: a pool built with `test_skip_measures`) leaves the named measures out, reported as
    skipped, so the partly-confined path can be exercised on a host where the kernel accepts everything."""
    report = {} if report is None else report
    as_root = os.geteuid() == 0
    _try = functools.partial(_attempt, skip=skip)
    if as_root:
        _try(report, "network_namespace", lambda: _unshare(CLONE_NEWNET))
    else:  # an unprivileged user namespace gives the rights needed for chroot, then they are dropped
        _try(report, "network_namespace", _new_network_unprivileged)
    last = _last_cap()

    def drop_bounding_set():
        for cap in range(last + 1):
            _prctl(PR_CAPBSET_DROP, cap)

    os.chdir(root_dir)
    _try(report, "empty_root", lambda: (os.chroot(root_dir), os.chdir("/")))
    _try(report, "capability_bounding_set", drop_bounding_set)
    if as_root:
        def become_nobody():
            os.setgroups([])
            os.setresgid(NOBODY, NOBODY, NOBODY)
            os.setresuid(NOBODY, NOBODY, NOBODY)

        _try(report, "uid_nobody", become_nobody)
    _try(report, "capabilities_cleared", _clear_capabilities)
    _try(report, "no_new_privs", lambda: _prctl(PR_SET_NO_NEW_PRIVS, 1))
    limit = memory_mb * 1024 * 1024
    _try(report, "memory_limit", lambda: resource.setrlimit(resource.RLIMIT_AS, (limit, limit)))
    if cpu_s is not None:  # soft = hard: SIGKILL at the limit (a namespace's first process ignores SIGXCPU)
        _try(report, "cpu_limit", lambda: resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s)))
    else:
        report["cpu_limit"] = "not requested"
    if report.get("pid_namespace") is not True:  # no namespace to end its processes with it: it may start none
        _try(report, "process_limit", lambda: resource.setrlimit(resource.RLIMIT_NPROC, (0, 0)))
    elif max_processes is not None and report.get("uid_nobody") is True:  # per-process memory/CPU limits bound
        # nothing in all while it may fork without end; only as nobody (the app's own user counts its threads)
        _try(report, "process_count_limit",
              lambda: resource.setrlimit(resource.RLIMIT_NPROC, (max_processes, max_processes)))
    if watch_fd is not None:  # last: a change of uid clears the parent-death signal
        _try(report, "parent_death_signal", lambda: die_with_parent(watch_fd))
    else:
        report["parent_death_signal"] = "no parent to watch"
    report["uid"] = os.getuid()
    report["capabilities_left"] = capabilities()
    return report


# Measure -> what a worker without it can do (for the warning and the pool's status).
REQUIRED = {
    "network_namespace": "reach the network",
    "empty_root": "read every file the app's user can read (the repository and a .env in it included)",
    "capabilities_cleared": "use capabilities",
    "no_new_privs": "gain privileges through setuid programs",
    "memory_limit": "use memory without limit",
    "cpu_limit": "use CPU time without limit",
    "parent_death_signal": "keep running after the app has ended",
    "pid_namespace": "see and signal other workers (they run as the same user)",
}
# Without a PID namespace, the worker must at least start no processes (else they outlive `release()`).
FALLBACK = {"process_limit": "start processes that outlive the worker"}
AS_ROOT = {"uid_nobody": "act as root (signal or read the app's processes and files)"}
APP_UNDUMPABLE = {"app_undumpable": "read the app's environment and memory through /proc/<app pid>"}


def missing_measures(report: dict) -> dict[str, str]:
    """Each measure the worker does not have -> why (the report's own words); empty when fully confined."""
    required = {**REQUIRED, **(AS_ROOT if "uid_nobody" in report else {}),
                **(FALLBACK if report.get("pid_namespace") is not True else {})}
    missing = {name: str(report.get(name) or "not reported") for name in required if report.get(name) is not True}
    if report.get("capabilities_left") != 0:
        missing["capabilities_left"] = f"capabilities left: {report.get('capabilities_left')!r}"
    return missing


def consequences(missing: dict[str, str]) -> list[str]:
    """What a worker missing these measures can do, one phrase per measure."""
    effects = {**REQUIRED, **AS_ROOT, **FALLBACK, **APP_UNDUMPABLE, "capabilities_left": "use capabilities"}
    return list(dict.fromkeys(effects[name] for name in missing if name in effects))


def fully_confined(report: dict) -> bool:
    return not missing_measures(report)
