"""Three app processes behave as one site, and stay one under load, a PostgreSQL
restart, a Redis outage and a worker killed in the middle of a job."""

from __future__ import annotations

import html
import http.client
import json
import re
import threading
import time
import uuid
from collections import Counter
from urllib.parse import urlsplit

import requests
from sqlalchemy import select, text
from tests.helpers import PASSWORD, comment_form

from inkstand.blog.models import Post
from inkstand.comments.models import Comment
from inkstand.extensions import db
from soak import clients
from soak.conftest import FIGURES, PREFIX, WRITERS, Site

LOAD_SECONDS = 60
WORKER_KILL_AT = 5  # seconds into the load
PG_RESTART_AT = 18
REDIS_STOP_AT = 36
REDIS_DOWN_SECONDS = 6
# Requests in flight when the database went, or queued behind them, may answer 503
# until this long after it is back.
PG_GRACE_SECONDS = 2
# A job of a killed worker is queued again within a heartbeat's lapse (60 s + 5 s)
# plus the worker's upkeep interval (30 s).
JOB_RERUN_SECONDS = 110
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


class Visitor:
    """Someone with a browser's cookies, on one app process or through nginx."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = requests.Session()

    def on(self, base: str) -> Visitor:
        """The same visitor (the same cookies) on another process."""
        other = Visitor(base)
        other.session = self.session
        return other

    def get(self, path: str) -> requests.Response:
        return self.session.get(self.base + path, timeout=10)

    def log_in(self, username: str, password: str = PASSWORD) -> requests.Response:
        found = CSRF.search(self.get("/login").text)
        assert found
        fields = {"csrf_token": html.unescape(found[1]), "login": username, "password": password}
        return self.session.post(self.base + "/login", data=fields, timeout=10)

    def comment(self, slug: str, body: str) -> int:
        action, fields = comment_form(self.get(f"/posts/{slug}").text)
        answer = self.session.post(
            self.base + action, data={**fields, "body": body, "website": ""},
            headers={"Accept": "application/json"}, timeout=10,
        )  # fmt: skip
        assert answer.status_code == 201, answer.text[:300]
        return int(answer.json()["id"])


def test_a_log_in_through_one_process_holds_on_the_others(soak_site: Site) -> None:
    one, *others = soak_site.processes
    visitor = Visitor(one)
    assert "Log out" in visitor.log_in("writer0").text
    for base in others:
        page = visitor.on(base).get("/")
        assert page.status_code == 200
        assert "Log out" in page.text, f"not logged in on {base}"


def test_a_rate_limit_counts_across_processes(soak_site: Site) -> None:
    """Five failed log-ins a minute per account and address: spread over the three
    processes, the sixth is refused, wherever it lands."""
    processes = soak_site.processes
    statuses = [
        Visitor(processes[n % 3]).log_in("target", "wrong password").status_code for n in range(6)
    ]
    assert statuses == [422] * 5 + [429]


def test_a_page_cached_by_one_is_retired_by_an_edit_through_another(soak_site: Site) -> None:
    one, two, three = soak_site.processes
    post = soak_site.posts[0]
    anonymous = requests.Session()
    assert post["title"] in anonymous.get(f"{one}/posts/{post['slug']}", timeout=10).text
    cached = [k for k in soak_site.redis_keys(f"{PREFIX}:kept:*") if post["slug"].encode() in k]
    assert cached, "the page was not kept in Redis"
    assert post["title"] in anonymous.get(f"{three}/posts/{post['slug']}", timeout=10).text

    new_title = f"Retitled {uuid.uuid4().hex[:8]}"
    saved = requests.patch(  # the author edits through the second process
        f"{two}/api/v1/posts/{post['id']}", json={"title": new_title},
        headers={"Authorization": f"Bearer {soak_site.author_token}"}, timeout=10,
    )  # fmt: skip
    assert saved.status_code == 200, saved.text[:300]
    post["title"] = new_title

    ends = time.monotonic() + 3
    seen: dict[str, float] = {}
    edited = time.monotonic()
    while len(seen) < 2 and time.monotonic() < ends:
        for base in (one, three):
            if (
                base not in seen
                and new_title in anonymous.get(f"{base}/posts/{post['slug']}", timeout=10).text
            ):
                seen[base] = time.monotonic() - edited
        time.sleep(0.05)
    assert set(seen) == {one, three}, "a process kept serving the page from before the edit"
    FIGURES["page cache: edit seen by the other processes"] = f"within {max(seen.values()):.2f} s"


def comment_reaches_stream(stream_base: str, commenter: Visitor, slug: str, post_id: int,
                           within: float = 1.0) -> float:  # fmt: skip
    """Open a live stream on ``stream_base``, comment through ``commenter``; the seconds
    the comment took to arrive. Fails when it does not arrive within ``within``."""
    address = urlsplit(stream_base)
    stream = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    try:
        stream.request("GET", f"/posts/{post_id}/comments/stream")
        response = stream.getresponse()
        assert response.status == 200
        assert response.readline().startswith(b"retry: ")
        marker = uuid.uuid4().hex
        comment_id = commenter.comment(slug, f"Live {marker}")
        sent = time.monotonic()  # acknowledged: committed, and published
        while True:  # other clients' comments on the post may come first
            event = _next_event(response)
            assert time.monotonic() - sent < within + 5, "no event"
            if json.loads(event["data"])["id"] == comment_id:
                break
        took = time.monotonic() - sent
        assert took < within, f"the comment took {took:.2f} s"
        return took
    finally:
        stream.close()


def _next_event(response: http.client.HTTPResponse) -> dict[str, str]:
    event: dict[str, str] = {}
    while "data" not in event:
        line = response.readline().decode().rstrip("\n")
        if line and not line.startswith(":"):
            name, _, value = line.partition(": ")
            event[name] = value
    return event


def test_a_comment_through_one_reaches_a_stream_on_another_within_a_second(
    soak_site: Site,
) -> None:
    one, _, three = soak_site.processes
    post = soak_site.posts[1]
    commenter = Visitor(one)
    commenter.log_in("writer1")
    took = comment_reaches_stream(three, commenter, post["slug"], post["id"])
    FIGURES["live comment, one process to another's stream"] = f"{took * 1000:.0f} ms"


def test_a_job_queued_by_one_process_is_run_by_the_worker(soak_site: Site) -> None:
    _, two, _ = soak_site.processes
    marker = uuid.uuid4().hex
    commenter = Visitor(two)
    commenter.log_in("writer2")
    commenter.comment(soak_site.mailee["slug"], f"Mail this {marker}")
    ends = time.monotonic() + 15
    while not soak_site.inbox.containing(marker) and time.monotonic() < ends:
        time.sleep(0.1)
    assert len(soak_site.inbox.containing(marker)) == 1


# Under load and faults.


class Faults:
    """What happens to the site during the load, and when (seconds into the load)."""

    def __init__(self, site: Site, started: float) -> None:
        self.site, self.started = site, started
        self.times: dict[str, float] = {}
        self.errors: list[str] = []
        self.marker = uuid.uuid4().hex

    def now(self) -> float:
        return time.monotonic() - self.started

    def sleep_until(self, at: float) -> None:
        time.sleep(max(0.0, at - self.now()))

    def run(self) -> None:
        try:
            self.sleep_until(WORKER_KILL_AT)
            self.kill_worker_mid_job()
            self.sleep_until(PG_RESTART_AT)
            self.times["pg restart"] = self.now()
            self.site.postgres.restart()
            self.times["pg back"] = self.now()
            self.sleep_until(REDIS_STOP_AT)
            self.times["redis stop"] = self.now()
            self.site.redis.stop()
            time.sleep(REDIS_DOWN_SECONDS)
            self.site.redis.start()
            self.times["redis back"] = self.now()
            self.watch_redis_return()
        except Exception as error:  # reported by the test, in the thread's stead
            self.errors.append(repr(error))

    def kill_worker_mid_job(self) -> None:
        """A comment's mail job starts; the mail server holds it at MAIL FROM; the worker
        (and its work horse) is killed with SIGKILL; a new worker is started."""
        inbox = self.site.inbox
        inbox.stall.set()
        commenter = Visitor(self.site.processes[0])
        commenter.log_in("writer3")
        commenter.comment(self.site.mailee["slug"], f"Mail once {self.marker}")
        assert inbox.stalled.wait(15), "the mail job did not start"
        self.site.worker.kill()
        self.times["worker killed"] = self.now()
        self.site.worker.start()

    def watch_redis_return(self) -> None:
        """Until every piece that lives in Redis works again: pages kept there, limits
        counted there, and live comments crossing processes."""
        back = self.now()
        ends = back + 20
        while not self.site.redis_keys(f"{PREFIX}:kept:*") and self.now() < ends:
            time.sleep(0.05)
        self.times["redis: page cache back"] = self.now() - back
        while not self.site.redis_keys(f"{PREFIX}-limits*") and self.now() < ends:
            time.sleep(0.05)
        self.times["redis: limits back"] = self.now() - back
        one, two, _ = self.site.processes
        commenter = Visitor(one)
        commenter.log_in("writer4")
        post = self.site.posts[2]
        while True:
            try:
                comment_reaches_stream(two, commenter, post["slug"], post["id"])
                break
            except AssertionError:
                if self.now() > ends:
                    raise
        self.times["redis: live comments back"] = self.now() - back


def test_sixty_seconds_of_load_through_a_database_restart_a_redis_outage_and_a_killed_worker(
    soak_site: Site,
) -> None:
    writers = [
        clients.Writer(soak_site.nginx.base, name, token, soak_site.posts)
        for name, token in soak_site.writers
    ]
    for writer in writers:
        writer.log_in()
    results = clients.Results()
    started = time.monotonic()
    faults = Faults(soak_site, started)
    fault_thread = threading.Thread(target=faults.run, daemon=True)
    fault_thread.start()
    waits: Counter[str] = Counter()
    sampler = threading.Thread(target=_sample_waits, args=(soak_site, started, waits), daemon=True)
    sampler.start()
    clients.run(writers, LOAD_SECONDS, results, started)
    fault_thread.join(timeout=60)
    assert not faults.errors, faults.errors
    answers = results.answers
    (soak_site.root / "answers.json").write_text(json.dumps([vars(a) for a in answers]))
    (soak_site.root / "waits.json").write_text(json.dumps(waits.most_common(30)))
    _record_figures(results, faults)

    # Zero 5xx but the 503s of the database's restart; no 500 ever, no lost connection.
    pg_from, pg_to = faults.times["pg restart"], faults.times["pg back"] + PG_GRACE_SECONDS
    outside = [a for a in answers if a.status >= 500 and not a.overlaps(pg_from, pg_to)]
    assert not outside, Counter((a.kind, a.status) for a in outside)
    assert not [a for a in answers if a.status >= 500 and a.status != 503]
    assert not [a for a in answers if a.status == 0], Counter(a.error for a in answers)
    assert not [a for a in answers if 400 <= a.status < 500], Counter(
        (a.kind, a.status) for a in answers if 400 <= a.status < 500
    )
    # Pages were served while Redis was down.
    during = [
        a for a in answers if a.overlaps(faults.times["redis stop"], faults.times["redis back"])
    ]
    assert during
    assert all(a.status < 300 for a in during), Counter((a.kind, a.status) for a in during)

    # Every write acknowledged to a client is in the database.
    with soak_site.database.app_context():
        posts = set(db.session.scalars(select(Post.id).where(Post.id.in_(results.posts))))
        comments = set(
            db.session.scalars(select(Comment.id).where(Comment.id.in_(results.comments)))
        )
        db.session.rollback()
    assert results.posts
    assert results.comments
    assert posts == results.posts, f"lost posts: {sorted(results.posts - posts)}"
    assert comments == results.comments, f"lost comments: {sorted(results.comments - comments)}"

    # The killed worker's job ran again, once.
    killed_at = faults.times["worker killed"]
    ends = started + killed_at + JOB_RERUN_SECONDS
    while not soak_site.inbox.containing(faults.marker) and time.monotonic() < ends:
        time.sleep(0.5)
    mails = soak_site.inbox.containing(faults.marker)
    FIGURES["killed job: run again after"] = f"{time.monotonic() - started - killed_at:.0f} s"
    assert len(mails) == 1, f"{len(mails)} mails for the killed job"
    time.sleep(2)
    assert len(soak_site.inbox.containing(faults.marker)) == 1


def _sample_waits(site: Site, started: float, waits: Counter[str]) -> None:
    """What the database's active sessions wait on, sampled twice a second."""
    from sqlalchemy import create_engine

    engine = create_engine(site.postgres.url, pool_pre_ping=True)
    while time.monotonic() - started < LOAD_SECONDS:
        try:
            with engine.connect() as conn:
                rows = conn.execute(text(
                    "SELECT coalesce(wait_event_type, 'cpu') || ' ' || coalesce(wait_event, '')"
                    " || ' ' || left(query, 50) FROM pg_stat_activity"
                    " WHERE state = 'active' AND pid <> pg_backend_pid()"
                )).scalars()  # fmt: skip
                waits.update(rows)
        except Exception:  # the database restarting
            time.sleep(0.5)
        time.sleep(0.5)
    engine.dispose()


def _record_figures(results: clients.Results, faults: Faults) -> None:
    answers = results.answers
    times = faults.times
    FIGURES["load"] = f"{LOAD_SECONDS} s, {len(clients.MIX)} kinds of request, {WRITERS} clients"
    FIGURES["requests"] = f"{len(answers)} ({len(answers) / LOAD_SECONDS:.0f} a second)"
    FIGURES["latency p50 / p99"] = (
        f"{results.percentile(0.5) * 1000:.0f} ms / {results.percentile(0.99) * 1000:.0f} ms"
    )
    FIGURES["answers by status"] = ", ".join(
        f"{k}: {v}" for k, v in sorted(results.by_status().items())
    )
    FIGURES["acknowledged writes (all found)"] = (
        f"{len(results.posts)} posts, {len(results.comments)} comments"
    )
    failed = [a for a in answers if a.status >= 500 or a.status == 0]
    pg_back = times["pg back"]
    FIGURES["postgres restart took"] = f"{pg_back - times['pg restart']:.1f} s"
    pg_failures = [a for a in failed if a.overlaps(times["pg restart"], pg_back + PG_GRACE_SECONDS)]
    last = max((a.at + a.seconds for a in pg_failures), default=pg_back)
    FIGURES["postgres: 503s during the restart"] = str(len(pg_failures))
    FIGURES["postgres: recovered after it was back"] = f"{max(0.0, last - pg_back):.2f} s"
    for name in ("redis: page cache back", "redis: limits back", "redis: live comments back"):
        FIGURES[name + " after its return"] = f"{times[name]:.2f} s"
    during = [a for a in answers if a.overlaps(times["redis stop"], times["redis back"])]
    FIGURES["while redis was down"] = (
        f"{len(during)} answers, {sum(a.status >= 500 for a in during)} 5xx, "
        f"p99 {sorted(a.seconds for a in during)[int(len(during) * 0.99)] * 1000:.0f} ms"
        if during
        else "no answers"
    )
    per_kind = Counter(a.kind for a in answers)
    FIGURES["mix"] = ", ".join(f"{k} {v}" for k, v in sorted(per_kind.items()))
