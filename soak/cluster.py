"""The soak's own services, each started and stopped by it: a PostgreSQL cluster, a
Redis, an SMTP server that keeps what it receives, nginx in front of the app
processes, and `inkstand worker`."""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis
from aiosmtpd.controller import Controller
from tests.helpers import SERVER_HOST, free_port

HOST = SERVER_HOST
START_SECONDS = 30


def _wait(ready: Any, what: str, seconds: float = START_SECONDS) -> None:
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        if ready():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not start in {seconds} s")


def _as_postgres() -> list[str]:
    """initdb refuses to run as root: the cluster is then the postgres user's."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


class Postgres:
    """A PostgreSQL cluster of its own in ``root``, on a free loopback port."""

    def __init__(self, root: Path) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not found:
            raise RuntimeError("PostgreSQL's server is not installed (initdb not found)")
        self.bin = Path(found[-1]).parent
        self.root = root / "postgres"
        self.data = self.root / "data"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@{HOST}:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        subprocess.run([*_as_postgres(), *command], check=True, capture_output=True)

    def start(self) -> None:
        self.root.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                  "--auth=trust", "-E", "UTF8", "--no-sync")  # fmt: skip
        self._pg_ctl("start")

    def _pg_ctl(self, action: str, *options: str) -> None:
        settings = (
            f"-p {self.port} -k {self.root} -c listen_addresses={HOST} -c max_connections=300 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(str(self.bin / "pg_ctl"), action, "-D", str(self.data), "-w", "-t", "60",
                  "-l", str(self.root / "server.log"), "-o", settings, *options)  # fmt: skip

    def restart(self) -> None:
        """Stop at once (every connection is cut, as a crash or a failover would) and
        start again; returns when it accepts connections."""
        self._pg_ctl("restart", "-m", "fast")

    def stop(self) -> None:
        if self.data.exists():
            self._pg_ctl("stop", "-m", "immediate")


class RedisServer:
    """A redis-server of its own; its append-only file keeps the queue over a restart,
    as a production Redis holding jobs would."""

    def __init__(self, root: Path) -> None:
        self.dir = root / "redis"
        self.port = free_port()
        self.url = f"redis://{HOST}:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.dir.mkdir(exist_ok=True)
        with (self.dir / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", HOST, "--dir", str(self.dir),
                 "--appendonly", "yes", "--save", "", "--daemonize", "no"],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        client = redis.Redis.from_url(self.url)
        _wait(lambda: self._answers(client), "redis-server")
        client.close()

    @staticmethod
    def _answers(client: redis.Redis) -> bool:
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        """Stop as an operator would (SIGTERM: the append-only file is flushed)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.process = None


class Inbox:
    """An SMTP server's handler keeping every message. While ``stall`` is set, the next
    sender waits at MAIL FROM (its message not yet sent), long enough to be killed."""

    STALL_SECONDS = 8.0  # under the app's SMTP timeout (10 s)

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.stall = threading.Event()
        self.stalled = threading.Event()
        self._lock = threading.Lock()

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.stall.is_set():
            self.stall.clear()
            self.stalled.set()
            await asyncio.sleep(self.STALL_SECONDS)
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self.messages.append(bytes(envelope.content))
        return "250 Message accepted for delivery"

    def containing(self, marker: str) -> list[bytes]:
        with self._lock:
            return [m for m in self.messages if marker.encode() in m]


class SmtpServer:
    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self.controller = Controller(self.inbox, hostname=HOST, port=self.port)

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


NGINX_CONF = """\
{user}worker_processes 1;
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {root}/client_body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    upstream inkstand {{
{servers}
        keepalive 32;
    }}
    server {{
        listen {host}:{port};
        client_max_body_size 12m;
        location / {{
            proxy_pass http://inkstand;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host              $host;
            proxy_set_header X-Forwarded-For   $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host  $host;
            proxy_buffering off;
            proxy_read_timeout 60s;
        }}
    }}
}}
"""


class Nginx:
    """nginx from the distribution, as a child process with its own configuration,
    pid file and temporary folders, spreading requests over the app processes."""

    def __init__(self, root: Path) -> None:
        self.root = root / "nginx"
        self.port = free_port()
        self.base = f"http://{HOST}:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, upstreams: list[int]) -> None:
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(binary).exists():
            raise RuntimeError("nginx is not installed: apt-get install -y nginx-light")
        self.root.mkdir()
        servers = "\n".join(f"        server {HOST}:{port};" for port in upstreams)
        conf = self.root / "nginx.conf"
        conf.write_text(NGINX_CONF.format(
            user="user root;\n" if os.geteuid() == 0 else "", root=self.root,
            servers=servers, host=HOST, port=self.port,
        ))  # fmt: skip
        with (self.root / "stdout.log").open("wb") as log:
            self.process = subprocess.Popen(
                [binary, "-c", str(conf), "-p", str(self.root), "-e", str(self.root / "error.log")],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        _wait(self._listening, "nginx")

    def _listening(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError((self.root / "error.log").read_text())
        import socket

        with socket.socket() as sock:
            return sock.connect_ex((HOST, self.port)) == 0

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def inkstand_command() -> str:
    import sys

    return shutil.which("inkstand", path=str(Path(sys.executable).parent)) or "inkstand"


@dataclass
class Worker:
    """`inkstand worker` in a process group of its own (the worker and the work horse
    it forks for each job), so that killing it kills both, as a lost machine would."""

    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = field(default=None)

    def start(self) -> None:
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                [inkstand_command(), "worker"], env=self.env, stdout=output,
                stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip

    def kill(self) -> None:
        """SIGKILL to the worker and its work horse: no chance to tidy up."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
