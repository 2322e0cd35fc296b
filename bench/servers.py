"""Servers: start and stop gunicorn, and read what its processes used from /proc.

Every server runs in its own session on a free loopback port and is stopped when
its `serving` block ends, however it ends. Memory is the peak resident set
(VmHWM) of each worker; CPU time is read for the server's processes, for the
wrk runs this process waited for, and for the whole machine.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"  # loopback only: nothing here is ever sent off this machine
APP_SPEC = "inkstand:create_app()"
FLOOR_SPEC = "floor:app"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def fetch(
    port: int, path: str, timeout: float = 5.0, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a gunicorn master we started, then anything left in its process group."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()  # gunicorn: graceful shutdown of master and workers
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
    # The server runs in its own session: its group id is the master's pid.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


@contextlib.contextmanager
def serving(
    cmd: list[str], env: dict[str, str], port: int, log: Path, timeout: float = 30.0
) -> Iterator[Server]:
    """Run a server until the block ends, however it ends."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches us, and we stop it in order
        )  # fmt: skip
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}:\n{tail(log)}")
            try:
                fetch(port, "/", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"server not up after {timeout:.0f}s:\n{tail(log)}"
                    ) from None
                time.sleep(0.1)
        yield Server(proc, port, log)
    finally:
        stop(proc)


def gunicorn_args(master: int) -> list[str]:
    """The arguments `inkstand serve` gave gunicorn, read back from the running master."""
    argv = Path(f"/proc/{master}/cmdline").read_bytes().rstrip(b"\0").decode().split("\0")
    starts = [i for i, arg in enumerate(argv) if Path(arg).name == "gunicorn"]
    if not starts or argv[-1] != APP_SPEC:
        raise RuntimeError(f"unexpected gunicorn command line: {argv}")
    return argv[starts[0] + 1 : -1]


def floor_command(app_args: list[str], port: int) -> list[str]:
    """The app's gunicorn command line with only the bind address and the app swapped."""
    args = list(app_args)
    args[args.index("--bind") + 1] = f"{HOST}:{port}"
    return [str(BIN / "gunicorn"), *args, "--pythonpath", str(BENCH), FLOOR_SPEC]


def workers_of(master: int) -> list[int]:
    """Pids of the processes whose parent is ``master`` (gunicorn's workers)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()  # after "pid (comm) "
        if int(fields[1]) == master:
            pids.append(int(stat.parent.name))
    return sorted(pids)


def peak_rss_mb(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(match[1]) / 1024 if match else None


def rss_mb(pid: int) -> float | None:
    """Resident memory of ``pid`` right now (VmRSS), in MB."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return int(match[1]) / 1024 if match else None


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def busy_seconds() -> float:
    """CPU time the whole machine has spent busy (steal included), all cores together."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields)
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def process_seconds(pids: list[int]) -> float:
    """CPU time used so far by these processes (every thread), in seconds."""
    total = 0
    for pid in pids:
        try:
            text = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


def children_seconds() -> float:
    """CPU time of the child processes this one has waited for (wrk runs)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
