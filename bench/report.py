"""Report: the floor ratios, the table, the summary lines and bench/results/latest.json."""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from live import Live
from measure import Result, idle_worker, split_text
from servers import BENCH

RESULTS = BENCH / "results" / "latest.json"
AIM = 0.4  # the aim: every page serves at least this share of the floor's req/s
FLAT = 0.9  # req/s at the largest size over the smallest: at least this is "flat"
# Search's own aims: 25% of the floor, and at the largest size (100,000 posts) no more
# than 1.5 times the cost at the smallest (10,000): req/s at least 1 / 1.5 of it.
SEARCH_AIM = 0.25
SEARCH_FLAT = 1 / 1.5
NOISY_CPU = 0.15  # cores used by other processes during a run that make it suspect
NOISY_SPREAD = 0.15  # first and last floor runs further apart than this: suspect


def is_floor(result: Result) -> bool:
    """A run of the bare Flask floor (the analytics rows have no post count either)."""
    return result.case.startswith("floor")


def floor_rate(results: list[Result]) -> float:
    """The floor's req/s: the mean of its runs."""
    return statistics.fmean(r.requests_per_s for r in results if is_floor(r))


def floor_cpu_rate(results: list[Result]) -> float:
    """The floor's requests per CPU second of the server: the mean of its runs."""
    return statistics.fmean(r.requests_per_cpu_s for r in results if is_floor(r))


def compare_to_floor(results: list[Result], others: list[Result] | None = None) -> None:
    """Fill in every row's 'vs floor' and 'vs floor/CPU' (and those of ``others``)."""
    reference, per_cpu = floor_rate(results), floor_cpu_rate(results)
    for result in [*results, *(others or [])]:
        result.ratio_to_floor = result.requests_per_s / reference
        result.cpu_ratio_to_floor = result.requests_per_cpu_s / per_cpu


def _grid(rows: list[tuple[str, ...]]) -> str:
    """Rows as aligned columns under a rule, the first column to the left."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _optional(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def live_table(lives: list[Live]) -> str:
    """The streams case: each row against the floor and against its server with none open."""
    header = (
        "server", "streams", "open", "req/s", "vs floor", "vs none", "p50 ms", "p99 ms",
        "p99 vs none", "RSS MB", "MB/stream", "received", "delivery p50/max s", "errors",
        "CPU server", "CPU other", "req/CPU-s", "vs none/CPU",
    )  # fmt: skip
    rows: list[tuple[str, ...]] = [header]
    for live in lives:
        r = live.load
        none = next(
            (n.load for n in lives if n.server == live.server and not n.streams), r
        )  # the first row of each server: no stream, no log-in
        delivery = (
            f"{live.delivery_p50_s:.2f}/{live.delivery_max_s:.2f}"
            if live.delivery_p50_s is not None and live.delivery_max_s is not None
            else "-"
        )
        rows.append((
            live.server,
            str(live.streams) if live.logins is None else f"0, {live.logins} log-ins",
            str(live.opened),
            f"{r.requests_per_s:,.0f}",
            _optional(r.ratio_to_floor, ".0%"),
            f"{r.requests_per_s / none.requests_per_s:.0%}",
            f"{r.p50_ms:.2f}",
            f"{r.p99_ms:.2f}",
            f"{r.p99_ms / none.p99_ms:.2f}x",
            f"{live.rss_with_mb:.1f}",
            _optional(live.mb_per_stream, ".3f"),
            "-" if live.delivered is None else f"{live.delivered}/{live.opened}",
            delivery,
            str(r.errors),
            f"{r.server_cpu_cores:.2f}",
            f"{r.other_cpu_cores:.2f}",
            f"{r.requests_per_cpu_s:,.0f}",
            f"{r.requests_per_cpu_s / none.requests_per_cpu_s:.0%}",
        ))  # fmt: skip
    return _grid(rows)


def table(results: list[Result]) -> str:
    header = (
        "case", "posts", "req/s", "p50 ms", "p99 ms", "RSS max MB", "RSS mean MB",
        "vs floor", "KB", "errors", "conns", "CPU server", "CPU other", "req/CPU-s",
        "vs floor/CPU",
    )  # fmt: skip
    rows = [header] + [
        (
            r.case,
            f"{r.posts:,}" if r.posts is not None else "-",
            f"{r.requests_per_s:,.0f}",
            f"{r.p50_ms:.2f}",
            f"{r.p99_ms:.2f}",
            f"{r.rss_max_mb:.1f}",
            f"{r.rss_mean_mb:.1f}",
            f"{r.ratio_to_floor:.0%}" if r.ratio_to_floor is not None else "-",
            f"{r.body_bytes / 1024:.1f}",
            str(r.errors),
            split_text(r.connections_per_worker),
            f"{r.server_cpu_cores:.2f}",
            f"{r.other_cpu_cores:.2f}",
            f"{r.requests_per_cpu_s:,.0f}",
            f"{r.cpu_ratio_to_floor:.0%}" if r.cpu_ratio_to_floor is not None else "-",
        )
        for r in results
    ]
    return _grid(rows)


def _name(result: Result) -> str:
    return result.case + (f" at {result.posts:,}" if result.posts is not None else "")


def _cases(results: list[Result]) -> dict[str, list[Result]]:
    """Inkstand's rows by case, in table order, each case's rows by database size."""
    cases: dict[str, list[Result]] = {}
    for r in results:
        if r.posts is not None:
            cases.setdefault(r.case, []).append(r)
    return {case: sorted(rows, key=lambda r: r.posts or 0) for case, rows in cases.items()}


def aims(case: str) -> tuple[float, float]:
    """A case's aims: its share of the floor's req/s, and of its req/s at the smallest
    size that it keeps at the largest."""
    return (SEARCH_AIM, SEARCH_FLAT) if case.startswith("search") else (AIM, FLAT)


def _meets_aim(result: Result) -> bool:
    return (result.ratio_to_floor or 0) >= aims(result.case)[0]


def summary(results: list[Result]) -> dict[str, Any]:
    floors = [r.requests_per_s for r in results if is_floor(r)]
    found: dict[str, Any] = {
        "floor_requests_per_s": floor_rate(results),
        "floor_spread": (max(floors) - min(floors)) / statistics.fmean(floors),
        "max_other_cpu_cores": max(r.other_cpu_cores for r in results),
        "repeated_runs": [_name(r) for r in results if r.attempts > 1],
        "idle_worker_runs": [_name(r) for r in results if idle_worker(r.connections_per_worker)],
        "aim_ratio_to_floor": AIM,
        "aim_ratio_to_floor_by_case": {case: aims(case)[0] for case in _cases(results)},
        "meets_aim": {_name(r): _meets_aim(r) for r in results if r.posts is not None},
        "flatness": {},
    }
    cases = _cases(results)
    for case, rows in cases.items():
        if len(rows) >= 2:
            small, large = rows[0], rows[-1]
            ratio = large.requests_per_s / small.requests_per_s
            cpu_ratio = large.requests_per_cpu_s / small.requests_per_cpu_s
            flat = aims(case)[1]
            found["flatness"][case] = {
                "from_posts": small.posts,
                "to_posts": large.posts,
                "ratio": ratio,
                "cpu_ratio": cpu_ratio,
                "aim": flat,
                "flat": ratio >= flat,
                "flat_per_cpu": cpu_ratio >= flat,
            }
    # The keys earlier versions wrote, for whoever reads them.
    if "home" in found["flatness"]:
        found["home_flatness"] = found["flatness"]["home"]
    found["home_below_40pct_of_floor"] = not all(map(_meets_aim, cases.get("home", [])))
    return found


def _flatness_text(flat: dict[str, Any]) -> str:
    text = f"{flat['ratio']:.2f}x req/s, {flat['cpu_ratio']:.2f}x req/CPU-s: "
    text += "flat" if flat["flat"] else "NOT flat"
    if flat["flat_per_cpu"] != flat["flat"]:
        text += " (per CPU: " + ("flat" if flat["flat_per_cpu"] else "NOT flat") + ")"
    return text


def summary_lines(results: list[Result], found: dict[str, Any]) -> list[str]:
    """One line per case: each of its rows against the aim, then flat or not across sizes."""
    cases = _cases(results)
    rows: list[list[str]] = []
    for case, runs in cases.items():
        cells = [case]
        for r in runs:
            verdict = "meets the aim" if _meets_aim(r) else "BELOW the aim"
            cells.append(
                f"{r.posts:,}: {r.ratio_to_floor or 0:.0%} ({r.cpu_ratio_to_floor or 0:.0%}) "
                f"{verdict}"
            )
        flat = found["flatness"].get(case)
        if flat:
            cells.append(_flatness_text(flat))
        rows.append(cells)
    columns = max(map(len, rows), default=0)
    widths = [max((len(r[i]) for r in rows if i < len(r)), default=0) for i in range(columns)]
    sizes = sorted({r.posts for r in results if r.posts is not None})
    lines = [
        f"Aim: each page at >= {AIM:.0%} of the floor's req/s ('vs floor'; 'vs floor/CPU' "
        f"in brackets). Flat: req/s at {sizes[-1]:,} posts >= {FLAT:.2f}x req/s at "
        f"{sizes[0]:,}."
        if sizes
        else f"Aim: each page at >= {AIM:.0%} of the floor's req/s."
    ]
    if any(case.startswith("search") for case in cases):
        lines.append(
            f"Search's aims: >= {SEARCH_AIM:.0%} of the floor's req/s, and at the largest "
            f"size >= {SEARCH_FLAT:.2f}x the req/s at the smallest (at most 1.5 times the cost)."
        )
    lines += [
        "  " + "   ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=False)).rstrip()
        for r in rows
    ]
    return lines


def _server_text(opts: argparse.Namespace) -> str:
    if opts.worker_class == "gthread":
        return f"gunicorn gthread, {opts.workers} workers x {opts.server_threads} threads"
    return f"gunicorn {opts.worker_class}, {opts.workers} workers"


def live_lines(lives: list[Live], opts: argparse.Namespace) -> list[str]:
    bus = f"Redis ({opts.redis_used})" if opts.redis_used else "in-process (no Redis)"
    lines = [
        "",
        f"Streams: the post page under the same wrk while N comment streams are open; "
        f"{opts.workers} workers; gthread with {opts.stream_threads} threads each; event bus "
        f"{bus}; one comment posted halfway through each run with streams; 'log-ins': "
        "readers logging in one after another throughout the run, no stream.",
        "'vs none': req/s against the same server with no stream open; RSS MB: all workers "
        "after the run, streams open; MB/stream: that minus the workers' RSS before the "
        "streams opened, divided by N.",
        "",
        live_table(lives),
    ]
    for live in lives:
        if live.opened < live.streams or (live.delivered or 0) < live.opened:
            lines.append(
                f"WARNING: {live.server}, {live.streams} streams: {live.opened} opened, "
                f"{live.delivered} received the comment; {'; '.join(live.failures)}"
            )
    return lines


def report(
    results: list[Result], lives: list[Live], opts: argparse.Namespace, elapsed: float,
    page_cache_seconds: int,
) -> None:  # fmt: skip
    print()
    print(
        f"wrk -t{opts.threads} -c{opts.connections} -d{opts.duration}s --latency "
        f"(after a {opts.warmup}s warm-up); {_server_text(opts)}; {os.cpu_count()} cores; "
        "SQLite"
    )
    print(
        "home, post: a visitor without a session cookie, served from the page cache "
        f"(INKSTAND_PAGE_CACHE_SECONDS={page_cache_seconds}, the default); ', rendered': "
        "INKSTAND_PAGE_CACHE_SECONDS=0, every request rendered (a logged-in reader, a miss)"
    )
    print()
    print(table(results))
    print()
    found = summary(results)
    print(
        f"Floor: {found['floor_requests_per_s']:,.0f} req/s, the mean of its first and last "
        f"runs ({found['floor_spread']:.0%} apart); 'vs floor' divides by it."
    )
    for line in summary_lines(results, found):
        print(line)
    if any(r.errors for r in results):
        print("WARNING: some runs had socket errors or non-2xx/3xx responses (see 'errors')")
    if found["repeated_runs"]:
        print(
            "Repeated because a worker held none of wrk's connections (the kernel, not "
            f"gunicorn, spreads them): {', '.join(found['repeated_runs'])}"
        )
    if found["idle_worker_runs"]:
        print(
            f"Note: a worker sat idle in {', '.join(found['idle_worker_runs'])} (see 'conns'): "
            "there req/s shows one core, not two; req/CPU-s is unaffected"
        )
    if found["max_other_cpu_cores"] > NOISY_CPU or found["floor_spread"] > NOISY_SPREAD:
        print(
            "WARNING: the machine was not quiet (other processes used up to "
            f"{found['max_other_cpu_cores']:.2f} cores; the floor moved "
            f"{found['floor_spread']:.0%}): compare these numbers with care, or rerun"
        )
    if lives:
        for line in live_lines(lives, opts):
            print(line)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "settings": {
            "wrk": {
                "threads": opts.threads,
                "connections": opts.connections,
                "duration_s": opts.duration,
                "warmup_s": opts.warmup,
            },
            "gunicorn": {
                "worker_class": opts.worker_class,
                "workers": opts.workers,
                "threads": opts.server_threads if opts.worker_class == "gthread" else None,
            },
            "streams": {
                "counts": [0, *opts.streams],
                "worker_classes": list(opts.servers),
                "gthread_threads": opts.stream_threads,
                "event_bus": "redis" if opts.redis_used else "in-process",
            },
            "page_cache_seconds": {"cached": page_cache_seconds, "rendered": 0},
            "database": "sqlite",
            "cores": os.cpu_count(),
            "python": platform.python_version(),
        },
        "results": [asdict(r) for r in results],
        "live": [asdict(live) | {"mb_per_stream": live.mb_per_stream} for live in lives],
        "summary": found,
        "elapsed_s": round(elapsed, 1),
    }
    RESULTS.write_text(json.dumps(document, indent=2) + "\n")
    print(f"Results written to {RESULTS.relative_to(BENCH.parent)} ({elapsed:.0f}s in all)")
