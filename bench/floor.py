"""The floor: a bare Flask app serving one "hello" HTML page, nothing else.

`bench/run.py` serves it under the same gunicorn settings as Inkstand, so the
difference between the two is what Inkstand itself costs per request. The
page is padded to BENCH_FLOOR_BYTES (default 7 KiB), the size of the home page,
so both send about as many bytes.
"""

from __future__ import annotations

import os

from flask import Flask

_HEAD = (
    '<!doctype html>\n<html lang="en">\n<head>\n  <meta charset="utf-8">\n'
    "  <title>hello</title>\n</head>\n<body>\n  <h1>hello</h1>\n"
)
_LINE = "  <p>hello, world: a line of padding so the floor sends what the home page sends.</p>\n"
_TAIL = "</body>\n</html>\n"


def page(size: int) -> str:
    """A valid HTML page of ``size`` bytes (or the smallest one, if that is larger)."""
    room = max(0, size - len(_HEAD) - len(_TAIL))
    lines, rest = divmod(room, len(_LINE))
    return _HEAD + _LINE * lines + " " * rest + _TAIL


PAGE = page(int(os.environ.get("BENCH_FLOOR_BYTES", "7168")))

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return PAGE
