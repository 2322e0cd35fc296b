"""Load: run wrk against a URL and parse what it prints.

`wrk` runs with `--latency`, so its output carries the 50th and 99th percentiles;
while it runs, `connection_split` counts how many of its connections each
gunicorn worker holds, which shows a worker left without work.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Load:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int  # socket errors plus non-2xx/3xx responses


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match[1]) * _UNITS_MS[match[2]]


def parse_wrk(output: str) -> Load:
    def find(pattern: str) -> re.Match[str]:
        match = re.search(pattern, output, re.MULTILINE)
        if not match:
            raise ValueError(f"wrk output lacks {pattern!r}:\n{output}")
        return match

    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    return Load(
        requests_per_s=float(find(r"^Requests/sec:\s+([\d.]+)")[1]),
        p50_ms=_ms(find(r"^\s+50%\s+(\S+)")[1]),
        p99_ms=_ms(find(r"^\s+99%\s+(\S+)")[1]),
        requests=int(find(r"^\s+(\d+) requests in")[1]),
        errors=errors + (int(bad[1]) if bad else 0),
    )


def wrk(
    url: str, seconds: int, threads: int, connections: int,
    midway: Callable[[], list[int]] | None = None, headers: dict[str, str] | None = None,
) -> tuple[Load, list[int]]:  # fmt: skip
    """Load ``url`` for ``seconds``, sending ``headers``; ``midway`` is called halfway
    through, its answer returned."""
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s"]
    for name, value in (headers or {}).items():
        cmd += ["-H", f"{name}: {value}"]
    proc = subprocess.Popen(
        [*cmd, "--latency", url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        seen: list[int] = []
        if midway is not None:
            time.sleep(seconds / 2)
            seen = midway()
        out, err = proc.communicate(timeout=seconds + 30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed ({proc.returncode}):\n{out}\n{err}")
    return parse_wrk(out), seen


def connection_split(
    port: int, workers: list[int], others: frozenset[int] = frozenset()
) -> list[int]:
    """How many established connections to ``port`` each worker holds right now,
    leaving out those from the client ports ``others``."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                local, remote, state, inode = fields[1], fields[2], fields[3], fields[9]
                if (
                    state == "01"
                    and int(local.rsplit(":", 1)[1], 16) == port
                    and int(remote.rsplit(":", 1)[1], 16) not in others
                ):
                    inodes.add(inode)
    split = []
    for pid in workers:
        held = 0
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    target = os.readlink(fd)
                    held += target.startswith("socket:[") and target[8:-1] in inodes
        split.append(held)
    return split
