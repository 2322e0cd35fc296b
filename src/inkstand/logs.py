"""The application log: Inkstand's loggers at the configured level, on stderr."""

from __future__ import annotations

import logging

from flask import Flask

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def init_app(app: Flask) -> None:
    log = logging.getLogger("inkstand")
    log.setLevel(app.config["LOG_LEVEL"])
    # Under a server that configured logging already (or a test runner), use its handlers.
    if not log.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(FORMAT))
        log.addHandler(handler)
