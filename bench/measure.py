"""One measured case: check the page, warm up, measure, read CPU and memory.

A case is one page served by one fresh server. The measured wrk run is repeated
(within a budget shared by the whole benchmark) when a worker held none of wrk's
connections, since then the run shows one core's worth of work, not all of them.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from load import connection_split, wrk
from servers import (
    HOST,
    Server,
    busy_seconds,
    children_seconds,
    fetch,
    peak_rss_mb,
    process_seconds,
    workers_of,
)


@dataclass
class Result:
    case: str
    posts: int | None
    path: str
    body_bytes: int
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    workers: int
    rss_max_mb: float
    rss_mean_mb: float
    server_cpu_cores: float  # CPU the server used during the measured run, in cores
    wrk_cpu_cores: float
    other_cpu_cores: float  # CPU that neither used: other processes, steal
    requests_per_cpu_s: float  # req/s per core the server used: steadier on a busy machine
    connections_per_worker: list[int]  # wrk's connections each worker held, midway
    attempts: int  # measured runs made: more than one when a worker was left idle
    ratio_to_floor: float | None = None
    cpu_ratio_to_floor: float | None = None


@dataclass
class Retries:
    """Measured runs that may be repeated in the whole benchmark (keeps it bounded)."""

    left: int

    def take(self) -> bool:
        if self.left <= 0:
            return False
        self.left -= 1
        return True


def measure(
    case: str, posts: int | None, server: Server, path: str, opts: argparse.Namespace,
    check: str, retries: Retries, headers: dict[str, str] | None = None,
) -> Result:  # fmt: skip
    """Warm up, then one measured wrk run, repeated if a worker was left without work;
    every request sends ``headers``."""
    body = warm_up(case, posts, server, path, opts, check, headers)
    return measured(case, posts, server, path, opts, retries, len(body), headers=headers)


def warm_up(
    case: str, posts: int | None, server: Server, path: str, opts: argparse.Namespace, check: str,
    headers: dict[str, str] | None = None,
) -> bytes:  # fmt: skip
    """Check the page, then load it for the warm-up seconds; returns the page."""
    status, body = fetch(server.port, path, timeout=60, headers=headers)  # a cold first answer
    if status != 200 or check.encode() not in body:
        raise RuntimeError(f"{case}: GET {path} gave {status}, {len(body)} bytes, no {check!r}")
    print(f"  {case:<14} {posts or '':>6}  warm-up {opts.warmup}s, measure {opts.duration}s")
    url = f"http://{HOST}:{server.port}{path}"
    wrk(url, opts.warmup, opts.threads, opts.connections, headers=headers)
    return body


def measured(
    case: str, posts: int | None, server: Server, path: str, opts: argparse.Namespace,
    retries: Retries, body_bytes: int, midway: Callable[[], None] | None = None,
    others: frozenset[int] = frozenset(), headers: dict[str, str] | None = None,
) -> Result:  # fmt: skip
    """The measured wrk run, repeated if a worker held none of wrk's connections.

    ``midway`` is called halfway through each run; ``others`` are client ports of
    connections that are not wrk's (held streams), left out of the split.
    """
    url = f"http://{HOST}:{server.port}{path}"
    workers = workers_of(server.pid)
    if len(workers) != opts.workers:
        print(f"  warning: found {len(workers)} workers under pid {server.pid}, not {opts.workers}")
    server_pids = [server.pid, *workers]

    def halfway() -> list[int]:
        if midway is not None:
            midway()
        return connection_split(server.port, workers, others)

    attempts = 0
    while True:
        attempts += 1
        before = (
            time.monotonic(),
            busy_seconds(),
            process_seconds(server_pids),
            children_seconds(),
        )
        load, split = wrk(
            url, opts.duration, opts.threads, opts.connections, midway=halfway, headers=headers
        )
        after = (time.monotonic(), busy_seconds(), process_seconds(server_pids), children_seconds())
        # gunicorn leaves it to the kernel which worker accepts a connection; when one
        # took all of wrk's, the other sat idle: measure again with fresh connections.
        if not (idle_worker(split) and retries.take()):
            break
        print(f"  {'':<14} {'':>6}  a worker held no connection ({split_text(split)}): again")
    wall, busy, served, waited = (b - a for a, b in zip(before, after, strict=True))
    peaks = [mb for mb in map(peak_rss_mb, workers) if mb is not None]
    return Result(
        case=case, posts=posts, path=path, body_bytes=body_bytes,
        requests_per_s=load.requests_per_s, p50_ms=load.p50_ms, p99_ms=load.p99_ms,
        requests=load.requests, errors=load.errors, workers=len(peaks),
        rss_max_mb=max(peaks, default=0.0), rss_mean_mb=statistics.fmean(peaks) if peaks else 0.0,
        server_cpu_cores=served / wall, wrk_cpu_cores=waited / wall,
        other_cpu_cores=max(0.0, busy - served - waited) / wall,
        requests_per_cpu_s=load.requests_per_s * wall / served if served else 0.0,
        connections_per_worker=split, attempts=attempts,
    )  # fmt: skip


def idle_worker(split: list[int]) -> bool:
    return len(split) > 1 and min(split) == 0


def split_text(split: list[int]) -> str:
    return "/".join(map(str, split))
