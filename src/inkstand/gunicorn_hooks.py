"""gunicorn's server hooks for `inkstand serve` (``--config python:inkstand.gunicorn_hooks``;
gunicorn_gevent.py takes them too, after its patching).

With ``--preload`` the master builds the app once and every worker starts as a copy
of its memory, shared until one of them writes to a page. So the master also builds
what each worker would build on first use (inkstand/preload.py), and before each
fork moves every object it holds out of the garbage collector's reach
(``gc.freeze``): a collection in a worker would otherwise write into each object's
header, and so copy nearly every shared page into that worker's own memory.

In prometheus-client's multiprocess mode each worker keeps its figures in files of
PROMETHEUS_MULTIPROC_DIR; when a worker exits, its live gauges (open streams,
connections in use) must stop counting, or a restarted worker's would add up forever.
"""

from __future__ import annotations

import gc
import os
from typing import Any

from inkstand import preload


def when_ready(server: Any) -> None:
    if server.cfg.preload_app:
        preload.run(server.app.wsgi())


def pre_fork(server: Any, worker: Any) -> None:
    gc.freeze()


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
