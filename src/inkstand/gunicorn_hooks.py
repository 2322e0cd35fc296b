"""gunicorn's server hooks for `inkstand serve` (``--config python:inkstand.gunicorn_hooks``;
gunicorn_gevent.py takes them too, after its patching).

In prometheus-client's multiprocess mode each worker keeps its figures in files of
PROMETHEUS_MULTIPROC_DIR; when a worker exits, its live gauges (open streams,
connections in use) must stop counting, or a restarted worker's would add up forever.
"""

from __future__ import annotations

import os
from typing import Any


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
