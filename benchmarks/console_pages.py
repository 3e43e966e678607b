"""How fast the consoles' pages answer on the demo data, each role logged in.

    .venv/bin/python benchmarks/console_pages.py [--requests 200] [--warm-up 10]
        [--database-url postgres://postgres@127.0.0.1:5432/kameng_bench_console]
        [--web-workers 2] [--threads 2]

The demo (`kameng seed-demo`: three distributors, two suppliers and an applicant, two
weeks of sales, the operator's queues) is loaded into a fresh database: by default
SQLite in a temporary folder (the embedded default `make demo` runs), or the
PostgreSQL database of --database-url (DROPPED and recreated: its name must contain
"bench"). gunicorn (gthread, DEBUG off) serves it. One client per role logs in through
the log-in page (distributor agent1, the top of the demo's tree; supplier1; the
operator) and fetches each page of its console's menu (kameng/console/nav.py, so new
pages are measured as they are added) and a few detail pages, one request at a time:
--warm-up requests first, then --requests timed ones, from the request sent to the
last byte of the page read. Prints p50 / p99 / max per page. The budget is 100 ms at
p99 (issue 15); the exit status is 1 if a page answered anything but 200 or went over
it, 2 if the setup failed.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.stack import (  # noqa: E402  (needs ROOT on sys.path)
    BIN,
    SetupFailed,
    Stack,
    free_port,
    percentile,
    prepare_database,
    setup_failed,
)
from benchmarks.storefront import Browser, hidden_fields  # noqa: E402

BUDGET_MS = 100.0
# Who logs in for each console: the demo's people (kameng/demo/seed.py).
PEOPLE = {"distributor": "agent1", "supplier": "supplier1", "operator": "operator"}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--warm-up", type=int, default=10, help="untimed requests per page")
    parser.add_argument("--database-url", default="", help="PostgreSQL (else SQLite)")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    return parser.parse_args(argv)


def set_up(args: argparse.Namespace) -> str:
    """A fresh database with the demo in it; the kind of database, for the report."""
    os.environ["KAMENG_DEBUG"] = "0"  # DEBUG keeps every query in memory: not a benchmark
    os.environ["KAMENG_CONN_MAX_AGE"] = "600"
    os.environ["PYTHONUNBUFFERED"] = "1"
    if args.database_url:
        prepare_database(args.database_url)  # also sets up Django, KAMENG_DATA_DIR
    else:
        data_dir = tempfile.mkdtemp(prefix="kameng-bench-console-")
        os.environ.pop("DATABASE_URL", None)
        os.environ["KAMENG_DATA_DIR"] = data_dir
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kameng.settings")
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    from kameng.demo.seed import seed_demo

    seed_demo()
    return "PostgreSQL" if args.database_url else "SQLite (WAL)"


def start_gunicorn(stack: Stack, args: argparse.Namespace) -> str:
    port = free_port()
    argv = [str(BIN / "gunicorn"), "kameng.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    argv += ["--workers", str(args.web_workers), "--worker-class", "gthread"]
    argv += ["--threads", str(args.threads), "--keep-alive", "75", "--log-level", "warning"]
    stack.start("gunicorn", argv)

    def answers() -> str | None:
        conn = HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", "/console/login/")
            status = conn.getresponse().status
        finally:
            conn.close()
        if status != 200:
            raise SetupFailed(f"the log-in page answered {status}")
        return f"http://127.0.0.1:{port}"

    return stack.wait_for(answers, lambda: f"gunicorn not answering\n{stack.tail('gunicorn')}", 0.2)


def log_in(base: str, username: str) -> Browser:
    from kameng.demo.seed import AGENT_PASSWORD, OPERATOR

    password = OPERATOR[1] if username == OPERATOR[0] else AGENT_PASSWORD
    browser = Browser("127.0.0.1")
    status, _, page = browser.request("GET", f"{base}/console/login/")
    _, fields = hidden_fields(page)
    fields.update(username=username, password=password)
    status, headers, _ = browser.request("POST", f"{base}/console/login/", fields)
    if status != 302 or "/console/login" in headers.get("location", ""):
        raise SetupFailed(f"{username} could not log in ({status})")
    return browser


def _first(model: str, **lookup: object) -> object | None:
    from django.apps import apps

    return apps.get_model(model).objects.filter(**lookup).order_by("-pk").first()


def detail_pages() -> dict[str, list[tuple[str, Callable[[], dict]]]]:
    """Pages below the menu worth timing: (URL name, its arguments from the demo)."""

    def order() -> dict:
        return {"order_no": _first("orders.Order", agent__user__username="agent1").order_no}

    def batch() -> dict:
        return {"pk": _first("stock.CardBatch", supplier__name="星辰卡业").pk}

    def application() -> dict:
        return {"pk": _first("suppliers.SupplierApplication").pk}

    def agent() -> dict:
        return {"pk": _first("agents.Agent", user__username="agent1").pk}

    def account() -> dict:
        return {"pk": _first("agents.Agent", user__username="agent1").wallet_id}

    def journal() -> dict:
        return {"pk": _first("ledger.Journal").pk}

    return {
        "distributor": [("console:d:order", order), ("console:d:buy", dict)],
        "supplier": [("console:s:batch", batch)],
        "operator": [
            ("console:o:application", application),
            ("console:o:agent", agent),
            ("console:o:account", account),
            ("console:o:journal", journal),
        ],
    }


def pages(role: str) -> list[str]:
    """The role's menu pages that exist, then its detail pages that exist."""
    from django.urls import NoReverseMatch, reverse

    from kameng.console import nav

    urls = []
    for item in nav.NAV[role]:
        try:
            urls.append(reverse(item.url_name))
        except NoReverseMatch:
            continue
    for name, arguments in detail_pages()[role]:
        try:
            urls.append(reverse(name, kwargs=arguments()))
        except (NoReverseMatch, AttributeError):
            continue
    return urls


@dataclass
class Timing:
    role: str
    path: str
    status: int
    p50: float
    p99: float
    worst: float


def measure(browser: Browser, base: str, role: str, path: str, args: argparse.Namespace) -> Timing:
    status = 200
    for _ in range(args.warm_up):
        status, _, _ = browser.request("GET", base + path)
    samples = []
    for _ in range(args.requests):
        started = time.perf_counter()
        answered, _, _ = browser.request("GET", base + path)
        samples.append((time.perf_counter() - started) * 1000)
        if answered != 200:
            status = answered
    samples.sort()
    p50, p99 = percentile(samples, 0.5), percentile(samples, 0.99)
    return Timing(role, path, status, p50, p99, samples[-1])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stack = Stack("console")
    ok = False
    try:
        try:
            database = set_up(args)
            base = start_gunicorn(stack, args)
            browsers = {role: log_in(base, username) for role, username in PEOPLE.items()}
        except Exception as exc:  # any setup failure: say why, exit 2
            return setup_failed(exc)
        print(f"console pages on the demo data: {database}, gunicorn {args.web_workers}×")
        print(f"{args.threads} threads, {args.requests} timed requests per page, one at a time")
        print(f"{'role':<12} {'page':<34} {'status':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
        timings = []
        for role, browser in browsers.items():
            for path in pages(role):
                timing = measure(browser, base, role, path, args)
                timings.append(timing)
                print(
                    f"{role:<12} {path:<34} {timing.status:>6} {timing.p50:>8.1f} "
                    f"{timing.p99:>8.1f} {timing.worst:>8.1f}",
                    flush=True,
                )
        failed = [t for t in timings if t.status != 200]
        slow = [t for t in timings if t.p99 >= BUDGET_MS]
        worst = max(timings, key=lambda t: t.p99)
        print(
            f"{len(timings)} pages; slowest p99 {worst.p99:.1f} ms ({worst.path}); "
            f"budget {BUDGET_MS:.0f} ms: {'kept' if not slow else f'{len(slow)} over'}"
        )
        for timing in failed:
            print(f"  {timing.path} answered {timing.status}", file=sys.stderr)
        ok = not failed and not slow
        return 0 if ok else 1
    finally:
        stack.close(ok)
        data_dir = os.environ.get("KAMENG_DATA_DIR", "")
        if not args.database_url and "kameng-bench-console-" in data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
