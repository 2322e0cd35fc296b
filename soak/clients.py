"""The load: threads, each a logged-in writer with her own keep-alive connection to
nginx, mixing anonymous and logged-in reads with posting and commenting; every
answer is recorded, and every write the site acknowledged is kept by its id."""

from __future__ import annotations

import html
import random
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import requests
from tests.helpers import PASSWORD, comment_form

TIMEOUT = 30
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
# (kind, weight): reads outnumber writes about three to one.
MIX = (
    ("home", 20), ("post", 20), ("post-logged-in", 15), ("api-list", 10),
    ("comment", 20), ("api-post", 15),
)  # fmt: skip


@dataclass(frozen=True)
class Answer:
    at: float  # seconds since the load began
    kind: str
    status: int  # 0: no answer (the connection failed)
    seconds: float
    error: str = ""

    def overlaps(self, start: float, end: float) -> bool:
        """Whether the request was in flight at some moment from ``start`` to ``end``."""
        return self.at <= end and self.at + self.seconds >= start


@dataclass
class Results:
    answers: list[Answer] = field(default_factory=list)
    posts: set[int] = field(default_factory=set)  # ids the site acknowledged
    comments: set[int] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, answer: Answer) -> None:
        with self.lock:
            self.answers.append(answer)

    def by_status(self) -> Counter[str]:
        return Counter(str(a.status or a.error) for a in self.answers)

    def percentile(self, fraction: float) -> float:
        times = sorted(a.seconds for a in self.answers)
        return times[min(len(times) - 1, int(len(times) * fraction))] if times else 0.0


class Writer:
    """One client: a writer logged in on the site (cookies) and holding an API token."""

    def __init__(self, base: str, username: str, token: str, posts: list[dict[str, Any]]):
        self.base, self.username, self.token, self.posts = base, username, token, posts
        self.site = requests.Session()
        self.anonymous = requests.Session()
        self.random = random.Random(username)

    def log_in(self) -> None:
        page = self.site.get(self.base + "/login", timeout=TIMEOUT).text
        found = CSRF.search(page)
        assert found, "no CSRF token on the log-in page"
        fields = {"csrf_token": html.unescape(found[1]), "login": self.username,
                  "password": PASSWORD}  # fmt: skip
        answer = self.site.post(self.base + "/login", data=fields, timeout=TIMEOUT)
        assert "Log out" in answer.text, f"{self.username} could not log in: {answer.status_code}"

    def run(self, results: Results, started: float, ends: float) -> None:
        kinds, weights = zip(*MIX, strict=True)
        while time.monotonic() < ends:
            kind = self.random.choices(kinds, weights)[0]
            began = time.monotonic()
            try:
                status = getattr(self, kind.replace("-", "_"))(results)
                error = ""
            except requests.RequestException as failure:
                status, error = 0, type(failure).__name__
            results.record(Answer(began - started, kind, status, time.monotonic() - began, error))

    def _post(self) -> dict[str, Any]:
        return self.random.choice(self.posts)

    def home(self, results: Results) -> int:
        return self.anonymous.get(self.base + "/", timeout=TIMEOUT).status_code

    def post(self, results: Results) -> int:
        url = f"{self.base}/posts/{self._post()['slug']}"
        return self.anonymous.get(url, timeout=TIMEOUT).status_code

    def post_logged_in(self, results: Results) -> int:
        url = f"{self.base}/posts/{self._post()['slug']}"
        return self.site.get(url, timeout=TIMEOUT).status_code

    def api_list(self, results: Results) -> int:
        headers = {"Authorization": f"Bearer {self.token}"}
        return self.anonymous.get(self.base + "/api/v1/posts", headers=headers,
                                  timeout=TIMEOUT).status_code  # fmt: skip

    def comment(self, results: Results) -> int:
        page = self.site.get(f"{self.base}/posts/{self._post()['slug']}", timeout=TIMEOUT)
        if page.status_code != 200:
            return page.status_code
        action, fields = comment_form(page.text)
        body = f"A word from {self.username} at {time.time():.3f}"
        answer = self.site.post(
            self.base + action, data={**fields, "body": body, "website": ""},
            headers={"Accept": "application/json"}, timeout=TIMEOUT,
        )  # fmt: skip
        if answer.status_code == 201:
            with results.lock:
                results.comments.add(int(answer.json()["id"]))
        return answer.status_code

    def api_post(self, results: Results) -> int:
        body = {"title": f"Soak by {self.username} {time.time():.6f}", "status": "published",
                "body": "Written under load.\n\nA second *paragraph*."}  # fmt: skip
        answer = self.anonymous.post(
            self.base + "/api/v1/posts", json=body,
            headers={"Authorization": f"Bearer {self.token}"}, timeout=TIMEOUT,
        )  # fmt: skip
        if answer.status_code == 201:
            with results.lock:
                results.posts.add(int(answer.json()["id"]))
        return answer.status_code


def run(writers: list[Writer], seconds: float, results: Results, started: float) -> None:
    """Every writer at once for ``seconds`` from ``started`` (``time.monotonic()``),
    each answer recorded in ``results``."""
    threads = [
        threading.Thread(target=w.run, args=(results, started, started + seconds), daemon=True)
        for w in writers
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 2 * TIMEOUT)
