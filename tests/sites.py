"""Other live Kameng instances ("sites") for docking tests: each a deployment of its own
(data folder, database, keys, web server, Celery worker with beat, file broker), run as
subprocesses beside the test process, so one Kameng can be the supplier or distributor
of another over real HTTP, the way two operators' platforms would be.

    def test_docking(kameng_sites):
        upstream = kameng_sites("a")
        seeded = upstream.run("from tests import factories; emit(factories.agent().pk)")

Loaded for every test directory by tests/conftest.py (`pytest_plugins`).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

REPO = Path(__file__).resolve().parent.parent
# The test process runs from the project's venv: sites run its scripts.
BIN = Path(sys.prefix) / "bin"
START_TIMEOUT = 60.0
PROBE = "/api/v1/products"  # any answer will do: 401 unsigned
# Celery's "<hostname> ready." (an INFO line) is the worker's signal it consumes.
WORKER_LOGLEVEL = "INFO"
# The test process's own deployment: none of it may leak into a site (each site is a
# separate platform with its own keys, database, broker and public URL).
DROPPED_PREFIXES = ("KAMENG_", "DJANGO_", "PYTEST_")
DROPPED = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")
NAME = re.compile(r"^[a-z][a-z0-9_]{0,29}$")


def _free_port() -> int:
    """A port nobody listens on now (the kernel's pick; the server binds it right after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _tail(path: Path, lines: int) -> str:
    if not path.exists():
        return f"({path.name}: not written)"
    text = path.read_text(errors="replace").splitlines()[-lines:]
    return f"--- {path.name} (last {len(text)} lines) ---\n" + "\n".join(text)


def _with_database(url: str, name: str) -> str:
    """`url` (a PostgreSQL URL) naming database `name` on the same server instead."""
    return urllib.parse.urlsplit(url)._replace(path=f"/{name}").geturl()


class KamengSite:
    """One live Kameng deployment in subprocesses; `start()` it, `stop()` it after."""

    def __init__(
        self,
        name: str,
        root: Path,
        *,
        env: Mapping[str, str] | None = None,
        server: str = "runserver",
    ) -> None:
        self.server = server
        """`env`: settings for this site only (e.g. KAMENG_SUPPLIER_TIMEOUT), applied
        over the ones the harness sets."""
        if not NAME.match(name):
            raise ValueError(f"site name {name!r}: lowercase letters, digits and _ only")
        self.name = name
        self.data_dir = root / name
        self.extra_env = dict(env or {})
        self.env: dict[str, str] = {}
        self.port = 0
        self.database_url: str | None = None  # set when the site has its own PG database
        self._pg_admin_url: str | None = None
        self._pg_name: str | None = None
        self._processes: dict[str, subprocess.Popen[bytes]] = {}
        self.hostname = f"kameng-site-{name}@localhost"  # the worker's, in its log
        self.startup_seconds: float | None = None

    @property
    def url(self) -> str:
        """The base URL the site serves (and calls itself by: KAMENG_PUBLIC_URL)."""
        if not self.port:
            raise RuntimeError(f"site {self.name!r} is not started")
        return f"http://127.0.0.1:{self.port}"

    @property
    def runserver_log(self) -> Path:
        return self.data_dir / "runserver.log"

    @property
    def worker_log(self) -> Path:
        return self.data_dir / "worker.log"

    # --- life cycle ----------------------------------------------------------------------

    def start(self) -> None:
        """Database, migrations, web server and worker; returns once both answer. On
        any failure what was started is stopped again before the error propagates."""
        began = time.monotonic()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.env = self._environment()
        try:
            self._create_database()
            migrated = self._call([str(BIN / "kameng"), "migrate", "--noinput", "-v0"], 300)
            if migrated.returncode != 0:
                output = (migrated.stdout + migrated.stderr).splitlines()[-40:]
                raise RuntimeError(
                    f"site {self.name!r}: migrate failed ({migrated.returncode}):\n"
                    + "\n".join(output)
                )
            # Picked just before the server binds it (migrating takes seconds).
            self.port = _free_port()
            self.env["KAMENG_PUBLIC_URL"] = self.url
            self._spawn("runserver", self._server_argv(), self.runserver_log)
            # The Makefile's demo worker: both queues, beat inside, threads.
            self._spawn(
                "worker",
                [
                    str(BIN / "celery"),
                    "-A",
                    "kameng",
                    "worker",
                    "-B",
                    "-Q",
                    "celery,webhooks",
                    "--pool",
                    "threads",
                    "--concurrency",
                    "4",
                    "--hostname",
                    self.hostname,
                    "--loglevel",
                    WORKER_LOGLEVEL,
                ],
                self.worker_log,
            )
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - began

    def _server_argv(self) -> list[str]:
        """Django's runserver (tests), or gunicorn as production runs it (benchmarks);
        either logs each request, which is how start() knows it answers."""
        if self.server == "gunicorn":
            return [
                str(BIN / "gunicorn"),
                "kameng.wsgi:application",
                f"--bind=127.0.0.1:{self.port}",
                "--worker-class=gthread",
                "--workers=2",
                "--threads=4",
                "--access-logfile=-",
            ]
        return [str(BIN / "kameng"), "runserver", f"127.0.0.1:{self.port}", "--noreload"]

    def stop(self) -> None:
        """SIGTERM each process group (Celery's warm shutdown, beat's child included),
        SIGKILL what is still there after 20 s; then drop the site's PG database.
        Safe to call twice, and after a failed start."""
        for process in self._processes.values():
            if process.poll() is None:
                _signal_group(process, signal.SIGTERM)
        for process in self._processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait(timeout=10)
            # A group member that outlived its leader (beat's process) goes too.
            _signal_group(process, signal.SIGKILL)
        self._processes.clear()
        self._drop_database()

    def _environment(self) -> dict[str, str]:
        env = {
            name: value
            for name, value in os.environ.items()
            if name not in DROPPED and not name.startswith(DROPPED_PREFIXES)
        }
        env.update(
            DJANGO_SETTINGS_MODULE="kameng.settings",
            KAMENG_DATA_DIR=str(self.data_dir),
            # Sites dock to each other (and to test receivers) on 127.0.0.1.
            KAMENG_WEBHOOK_ALLOW_PRIVATE="1",
            PYTHONUNBUFFERED="1",  # logs reach the files as they happen
        )
        # KAMENG_PUBLIC_URL once the port is known. ALLOWED_HOSTS by default: 127.0.0.1,
        # localhost and the public URL's host, so no KAMENG_ALLOWED_HOSTS. No REDIS_URL:
        # the broker is files under the data dir, nonces and rate limits per process.
        test_database = os.environ.get("DATABASE_URL", "")
        if test_database.startswith("postgres"):
            self._pg_name = f"kameng_site_{self.name}_{os.getpid()}"
            self._pg_admin_url = _with_database(test_database, "postgres")
            self.database_url = _with_database(test_database, self._pg_name)
            env["DATABASE_URL"] = self.database_url
            # PostgreSQL without Redis and shared keys: this machine is the only host.
            env["KAMENG_SINGLE_HOST"] = "1"
        env.update(self.extra_env)
        return env

    def _create_database(self) -> None:
        if self._pg_name is None:
            return  # SQLite in the data dir, created by migrate
        self._drop_database()
        with _admin_connection(self._pg_admin_url) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self._pg_name)))

    def _drop_database(self) -> None:
        """Connections first: a worker thread's kept connection would block DROP."""
        if self._pg_name is None:
            return
        with _admin_connection(self._pg_admin_url) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [self._pg_name],
            )
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(self._pg_name))
            )

    def _spawn(self, role: str, argv: list[str], log: Path) -> None:
        """A long-running process in a session (process group) of its own, so stop()
        reaches its children too, and the terminal's Ctrl-C does not hit it first."""
        with log.open("ab") as out:
            self._processes[role] = subprocess.Popen(
                argv,
                env=self.env,
                cwd=REPO,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def _wait_until_ready(self) -> None:
        """Until the API answers (any status: 401 unsigned) and the worker says ready;
        a process that exits (a port taken meanwhile, a settings error) fails at once."""
        deadline = time.monotonic() + START_TIMEOUT
        serving = consuming = False
        while True:
            for role, process in self._processes.items():
                if process.poll() is not None:
                    raise RuntimeError(
                        f"site {self.name!r}: {role} exited with {process.returncode}\n"
                        + self.log_tail()
                    )
            if serving and consuming:
                return
            serving = serving or self._answers()
            consuming = consuming or self._worker_ready()
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"site {self.name!r} not ready after {START_TIMEOUT:.0f} s "
                    f"(web server answering: {serving}, worker ready: {consuming})\n"
                    + self.log_tail()
                )
            time.sleep(0.1)

    def _answers(self) -> bool:
        """The site's own server answered: its log shows the request (not some other
        server that took the port first)."""
        # http.client, not urllib: no proxy from the environment in the way.
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            connection.request("GET", PROBE)
            connection.getresponse().read()
        except OSError:
            return False
        finally:
            connection.close()
        deadline = time.monotonic() + 2  # the log line follows the answer
        while time.monotonic() < deadline:
            if f'"GET {PROBE} HTTP/1.1"' in self.runserver_log.read_text(errors="replace"):
                return True
            time.sleep(0.05)
        return False

    def _worker_ready(self) -> bool:
        log = self.worker_log
        return log.exists() and f"{self.hostname} ready." in log.read_text(errors="replace")

    # --- working with a site -------------------------------------------------------------

    def run(self, code: str, *, timeout: float = 120) -> Any:
        """Run Python inside the site (Django set up on its settings, `tests` importable);
        what the snippet passes to `emit(obj)` comes back as JSON: the last one."""
        marker = f"@@kameng-site-emit-{secrets.token_hex(8)}@@"
        prelude = textwrap.dedent(
            f"""\
            import json as _json
            import django

            django.setup()


            def emit(obj):
                print({marker!r} + _json.dumps(obj, default=str), flush=True)


            """
        )
        done = self._call([str(BIN / "python"), "-c", prelude + textwrap.dedent(code)], timeout)
        if done.returncode != 0:
            raise RuntimeError(
                f"site {self.name!r}: snippet failed ({done.returncode}):\n{done.stderr}"
            )
        emitted = [line for line in done.stdout.splitlines() if line.startswith(marker)]
        return json.loads(emitted[-1][len(marker) :]) if emitted else None

    def kameng(self, *args: str, timeout: float = 120) -> str:
        """`kameng ARGS` in the site: its stdout."""
        done = self._call([str(BIN / "kameng"), *args], timeout)
        if done.returncode != 0:
            raise RuntimeError(
                f"site {self.name!r}: kameng {' '.join(args)} failed ({done.returncode}):\n"
                f"{done.stderr}"
            )
        return done.stdout

    def log_tail(self, lines: int = 60) -> str:
        """The ends of the web server's and the worker's logs, for a failed test."""
        return f"{_tail(self.runserver_log, lines)}\n{_tail(self.worker_log, lines)}"

    def _call(self, argv: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
        """A short command in the site's environment, from the repository's root (so
        `tests` imports), its output captured, nothing to read on stdin."""
        if not self.env:
            raise RuntimeError(f"site {self.name!r} is not started")
        return subprocess.run(
            argv,
            env=self.env,
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def __repr__(self) -> str:
        return f"<KamengSite {self.name} {self.url if self.port else '(stopped)'}>"


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # the whole group has gone already
        os.killpg(process.pid, signum)


def _admin_connection(url: str | None) -> psycopg.Connection[Any]:
    """Autocommit (CREATE/DROP DATABASE refuse a transaction) on the `postgres` db."""
    assert url is not None
    return psycopg.connect(url, autocommit=True)


@pytest.fixture(scope="session")
def kameng_sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., KamengSite]]:
    """`kameng_sites("a")`: site "a", started on first use and kept for the session
    (starting one takes seconds); every site is stopped when the session ends."""
    root = tmp_path_factory.mktemp("sites")
    sites: dict[str, KamengSite] = {}

    def site(name: str, env: dict[str, str] | None = None) -> KamengSite:
        """`env`: the site's own settings, used when it is first started."""
        if name not in sites:
            started = KamengSite(name, root, env=env)
            started.start()
            sites[name] = started
        return sites[name]

    yield site
    errors: list[BaseException] = []
    for started in reversed(list(sites.values())):
        try:
            started.stop()
        except Exception as exc:  # stop the others all the same
            errors.append(exc)
    if errors:
        raise errors[0]
