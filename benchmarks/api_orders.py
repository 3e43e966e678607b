"""Card orders through the open API over real HTTP, against `place_order` called directly.

    .venv/bin/python benchmarks/api_orders.py [--clients 1,16,64] [--seconds 10]
        [--service-clients 1,16,64] [--web-workers 4] [--worker-class gthread]
        [--threads 4] [--client-processes 8] [--stock-per-second 2000]
        [--database-url postgres://postgres@127.0.0.1:5432/kameng_bench_api]
        [--redis-url redis://127.0.0.1:6379/14]

The production stack runs on this machine: PostgreSQL, Redis (API nonces and rate
counts) and gunicorn serving `kameng.wsgi:application` with --web-workers processes
(default 2 × CPUs, at least 4), persistent database connections (KAMENG_CONN_MAX_AGE
600), DEBUG off and the per-key rate limit set so high that nothing is throttled.
Worker class: gthread, --threads 4, keep-alive; chosen by measuring both on this machine
(2 cores, 4 workers, 5 s phases, two runs each, 2026-11-26, while a test run elsewhere
kept one core busy): gthread 73 / 87 / 96 and 66 / 80 / 89 orders/s at 1 / 16 / 64
clients, sync 60 / 84 / 84 and 53 / 84 / 77. A sync worker closes the connection after
every answer, so each order also pays a new connection; its p99 at 64 clients was
lower (0.9–1.0 s against 1.1–1.2 s), since whichever worker is free accepts the next
connection, while a gthread connection stays with the worker that accepted it.
`--worker-class sync` measures the other.

DROPPED and recreated: the database named in --database-url (its name must contain
"bench"), migrated and seeded through the service layer as `place_orders.py` does (the
same seed, restock, history, phase-A client and book checks: benchmarks/stack.py's).
FLUSHED: the Redis database of --redis-url (never db 0). Only card SKUs are ordered:
they are delivered inside the request, so no Celery worker runs.

For each client count N in --clients, N client threads each hold their own API key (one
funded depth-3 buyer agent each) and their own `kameng.client.KamengClient` (keep-alive
connection, every request signed), spread over up to --client-processes forked
processes so that the GIL of one client process is not the limit. Each thread places
one warm-up order (not counted), then all start together and POST /api/v1/orders
(quantity 1, a new out_trade_no each, `KamengClient.create_order`) one after another
for --seconds. Counted: orders answered with status "delivered" and their one card
within the window. An error answer (KamengError: status, code, message) or any other
body is an error, and the first ones are printed. The public client does not show a
201 from a 200 (an out_trade_no used before, e.g. after its one reconnect), so a check
afterwards counts each phase's stored orders: they must equal the orders answered.

For each count N in --service-clients the same run also measures `place_order` called
directly by N processes (place_orders.py phase A), and prints API orders/s ÷
service-layer orders/s at each count measured both ways. Before every phase stock is
topped up to --stock-per-second × --seconds cards and the hot tables are vacuumed.

Printed per phase: orders/s, p50 and p99 latency, count, errors; for API phases also how
busy the machine's CPUs were during the window, the share the client processes took
and the PostgreSQL sessions opened. Then the books are checked: ledger `verify()`, no
card sold twice, every delivered order holds its quantity of cards, every order has
exactly one payment journal, escrow = what the orders paid, each API phase stored the
orders it was answered with. Exit status 1 if a check fails or any API request got an
error, 2 if the setup fails.
"""

import argparse
import dataclasses
import json
import os
import queue
import signal
import sys
import threading
import time
from array import array
from dataclasses import dataclass, field
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.stack import (  # noqa: E402  (needs ROOT on sys.path)
    BARRIER_TIMEOUT,
    BIN,
    CardWorld,
    ClientResult,
    PhaseSummary,
    SetupFailed,
    Stack,
    bring_up,
    check_card_books,
    cpu_busy,
    cpu_ticks,
    pg_sessions,
    run_loop,
    run_phase,
    seed_card_world,
    service_client,
    sessions_opened,
    setup_failed,
    stock_phase,
    summarise,
)
from kameng.client import KamengClient, KamengError  # noqa: E402  (stdlib only: no Django needed)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kameng_bench_api"
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"
RATE_LIMIT = "100000000/1"  # requests per key per second: never reached
SHOWN_ERRORS = 5  # distinct error answers printed


# --- arguments ----------------------------------------------------------------------------


def client_counts(text: str) -> list[int]:
    """'1,16,64' → [1, 16, 64] (sorted, each once, all positive)."""
    try:
        counts = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a list of whole numbers: {text!r}") from exc
    if not counts or counts[0] < 1:
        raise argparse.ArgumentTypeError(f"client counts must be positive: {text!r}")
    return counts


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    cpus = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--clients", type=client_counts, default=[1, 16, 64], help="API clients (1,16,64)"
    )
    parser.add_argument(
        "--service-clients",
        type=client_counts,
        default=None,
        help="client processes calling place_order directly (default: as --clients)",
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase (10)")
    parser.add_argument(
        "--web-workers",
        type=int,
        default=max(4, 2 * cpus),
        help=f"gunicorn worker processes ({max(4, 2 * cpus)}: 2 × CPUs, at least 4)",
    )
    parser.add_argument(
        "--worker-class", choices=("gthread", "sync"), default="gthread", help="(gthread)"
    )
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker (4)")
    parser.add_argument(
        "--client-processes", type=int, default=8, help="most API client processes (8)"
    )
    parser.add_argument(
        "--stock-per-second",
        type=int,
        default=2000,
        help="cards in stock before each phase = this × --seconds (2000)",
    )
    parser.add_argument("--database-url", default=DEFAULT_URL, help="dropped and recreated!")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS, help="flushed! never db 0")
    args = parser.parse_args(argv)
    if args.service_clients is None:
        args.service_clients = args.clients
    if args.seconds <= 0:
        parser.error("--seconds must be positive")
    if min(args.web_workers, args.threads, args.client_processes, args.stock_per_second) < 1:
        parser.error(
            "--web-workers, --threads, --client-processes and --stock-per-second must be positive"
        )
    return args


# --- the stack ----------------------------------------------------------------------------


def issue_keys(world: CardWorld, count: int) -> list[tuple[str, str]]:
    """One API key for each of the first `count` buyers: (app key, secret)."""
    from kameng.agents.credentials import create_api_key
    from kameng.agents.models import Agent

    agents = Agent.objects.in_bulk([agent_id for agent_id, _ in world.buyers[:count]])
    keys = []
    for agent_id, _ in world.buyers[:count]:
        issued = create_api_key(agents[agent_id], label="bench")
        keys.append((issued.key.app_key, issued.secret))
    return keys


def start_gunicorn(stack: Stack, args: argparse.Namespace, port: int) -> str:
    """gunicorn on 127.0.0.1:`port` with the environment set so far; returns its URL once
    a worker answers (401 to an unsigned request)."""
    argv = [
        str(BIN / "gunicorn"),
        "kameng.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(args.web_workers),
        "--worker-class",
        args.worker_class,
        "--keep-alive",
        "75",  # the clients' connections idle while the others warm up
        "--log-level",
        "warning",
    ]
    if args.worker_class == "gthread":
        argv += ["--threads", str(args.threads)]
    if Path("/dev/shm").is_dir():
        argv += ["--worker-tmp-dir", "/dev/shm"]  # heartbeat files off the disk
    stack.start("gunicorn", argv)

    def unauthorised() -> str:
        conn = HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", "/api/v1/balance")
            status = conn.getresponse().status
        finally:
            conn.close()
        if status == 401:
            return f"http://127.0.0.1:{port}"
        raise SetupFailed(f"gunicorn answered {status} to an unsigned request, not 401")

    return stack.wait_for(
        unauthorised, lambda: f"gunicorn not answering on {port}\n{stack.tail('gunicorn')}", 0.2
    )


# --- API clients --------------------------------------------------------------------------


class Refused(Exception):
    """A 2xx answer that is not one delivered order with one card for this request."""


class ApiOutOfStock(Exception):
    """409 out_of_stock ("OutOfStock" in the name: `run_loop` stops the client)."""


def place(client: KamengClient, out_trade_no: str, sku_id: int) -> None:
    """One order through the public client; an error answer raises KamengError (its
    status, code and message: the body)."""
    try:
        order = client.create_order(out_trade_no=out_trade_no, sku_id=sku_id, quantity=1)
    except KamengError as exc:
        if exc.code == "out_of_stock":
            raise ApiOutOfStock(str(exc)) from exc
        raise
    if (
        order.get("out_trade_no") != out_trade_no
        or order.get("status") != "delivered"
        or len(order.get("cards") or []) != 1
    ):
        raise Refused(json.dumps(order, ensure_ascii=False)[:400])


class GroupBarrier:
    """The threads of one client process meet here; the last to arrive waits at the
    phase's barrier between processes, so every thread of every process starts at once.
    Measured at that moment: the machine's CPU ticks, this process's CPU time."""

    def __init__(self, parties: int, between_processes: Any) -> None:
        self.outer = between_processes
        self.inner = threading.Barrier(parties, action=self._all_here)
        self.started: tuple[float, float, tuple[int, int] | None] | None = None

    def _all_here(self) -> None:
        self.outer.wait(BARRIER_TIMEOUT)
        self.started = (time.perf_counter(), time.process_time(), cpu_ticks())

    def wait(self, timeout: float | None = None) -> int:
        # Longer than the outer wait, which runs inside the last thread's `wait`.
        return self.inner.wait(3 * BARRIER_TIMEOUT)

    @property
    def broken(self) -> bool:
        return self.inner.broken or self.outer.broken

    def abort(self) -> None:
        self.inner.abort()
        self.outer.abort()


@dataclass
class ApiResult(ClientResult):
    """One client process: its threads' results merged."""

    samples: list[str] = field(default_factory=list)  # distinct first errors
    answered: int = 0  # orders answered, the warm-up's and those after the window too
    wall: float = 0.0  # seconds from the start to the last thread's end
    cpu_seconds: float = 0.0  # this process, same span
    ticks: tuple[tuple[int, int] | None, tuple[int, int] | None] = (None, None)


def api_client(
    process: int,
    base_url: str,
    sku_id: int,
    assignments: list[list[int]],
    keys: list[tuple[str, str]],
    tag: str,
    barrier: Any,
    seconds: float,
    results: Any,
) -> None:
    """A forked client process: one thread, key and connection per client index in
    `assignments[process]`, each running stack.py's `run_loop`."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent's handler is not for us
    indexes = assignments[process]
    gate = GroupBarrier(len(indexes), barrier)
    done: queue.SimpleQueue = queue.SimpleQueue()

    answered = [0] * len(indexes)  # orders answered, warm-up and late ones included

    def run(slot: int, index: int) -> None:
        app_key, secret = keys[index]
        client = KamengClient(base_url, app_key, secret, timeout=60)

        def once(i: int) -> None:
            place(client, f"{tag}-{index}-{i}", sku_id)
            answered[slot] += 1

        try:
            run_loop(index, gate, seconds, once, done)
        finally:
            client.close()

    threads = [
        threading.Thread(target=run, args=(slot, index), daemon=True)
        for slot, index in enumerate(indexes)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ended = (time.perf_counter(), time.process_time(), cpu_ticks())
    merged = ApiResult(process, array("d"))
    while not done.empty():
        one: ClientResult = done.get()
        merged.latencies.extend(one.latencies)
        for name, count in one.errors.items():
            merged.errors[name] = merged.errors.get(name, 0) + count
        if one.first_error and one.first_error not in merged.samples:
            merged.samples.append(one.first_error)
        merged.out_of_stock = merged.out_of_stock or one.out_of_stock
    merged.first_error = merged.samples[0] if merged.samples else ""
    merged.answered = sum(answered)
    if gate.started is not None:
        merged.wall = ended[0] - gate.started[0]
        merged.cpu_seconds = ended[1] - gate.started[1]
        merged.ticks = (gate.started[2], ended[2])
    results.put(merged)


# --- phases -------------------------------------------------------------------------------


@dataclass
class Measured:
    path: str  # "API" or "service"
    clients: int
    summary: PhaseSummary
    processes: int
    samples: list[str] = field(default_factory=list)
    cpu_busy: float | None = None  # fraction of the machine during the window
    client_cpu: float | None = None  # fraction of the machine the client processes used
    sessions: int | None = None  # PostgreSQL sessions opened during the phase
    answered: int = 0  # API: every order answered, in the window or not


def service_phase(world: CardWorld, args: argparse.Namespace, clients: int, first: int) -> Measured:
    """place_orders.py phase A with `clients` processes, buyers[first:first + clients]."""
    mine = dataclasses.replace(world, buyers=world.buyers[first : first + clients])
    name = f"service {clients}"
    results = run_phase(
        name,
        service_client,
        lambda barrier, results: (mine, barrier, args.seconds, results),
        clients,
        args.seconds,
    )
    return Measured(
        "service",
        clients,
        summarise(name, results, args.seconds),
        clients,
        samples=[r.first_error for r in results if r.first_error][:SHOWN_ERRORS],
    )


def api_phase(
    world: CardWorld,
    args: argparse.Namespace,
    clients: int,
    keys: list[tuple[str, str]],
    base_url: str,
    conninfo: str,
) -> Measured:
    processes = min(clients, args.client_processes)
    assignments = [list(range(p, clients, processes)) for p in range(processes)]
    name = f"API {clients}"
    before = pg_sessions(conninfo)
    results: list[ApiResult] = run_phase(
        name,
        api_client,
        lambda barrier, results: (
            base_url,
            world.sku_id,
            assignments,
            keys,
            f"api{clients}",
            barrier,
            args.seconds,
            results,
        ),
        processes,
        args.seconds,
    )
    time.sleep(1.0)  # backends report their sessions to the statistics within ~1 s
    after = pg_sessions(conninfo)
    measured = Measured("API", clients, summarise(name, results, args.seconds), processes)
    measured.answered = sum(r.answered for r in results)
    for r in results:
        measured.samples += [s for s in r.samples if s not in measured.samples]
    measured.samples = measured.samples[:SHOWN_ERRORS]
    measured.sessions = sessions_opened(before, after)
    timed = [r for r in results if r.wall > 0]
    if timed:
        ncpu = os.cpu_count() or 1
        wall = max(r.wall for r in timed)
        measured.client_cpu = sum(r.cpu_seconds for r in timed) / (wall * ncpu)
        measured.cpu_busy = cpu_busy(*timed[0].ticks)
    return measured


def run_all(
    world: CardWorld,
    args: argparse.Namespace,
    keys: list[tuple[str, str]],
    base_url: str,
    conninfo: str,
    stack: Stack,
) -> list[Measured]:
    """At each client count: the service layer, then the API, each from fresh stock."""
    measured: list[Measured] = []
    next_buyer = 0  # service phases each get their own buyers: their out_trade_no repeat
    stock = int(args.stock_per_second * args.seconds)
    for clients in sorted(set(args.clients) | set(args.service_clients)):
        for path in ("service", "API"):
            if clients not in (args.service_clients if path == "service" else args.clients):
                continue
            ready = stock_phase(world, conninfo, stock, first=not measured)
            print(f"{path} {clients}: {ready}; running {args.seconds:g} s ...", flush=True)
            if path == "service":
                measured.append(service_phase(world, args, clients, next_buyer))
                next_buyer += clients
            else:
                measured.append(api_phase(world, args, clients, keys, base_url, conninfo))
                stack.check_alive()
    return measured


# --- report -------------------------------------------------------------------------------


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def print_table(measured: list[Measured], args: argparse.Namespace, conninfo: str) -> None:
    web = (
        f"{args.web_workers} × gthread ({args.threads} threads, keep-alive)"
        if args.worker_class == "gthread"
        else f"{args.web_workers} × sync"
    )
    print(
        f"\nAPI orders over HTTP (signed POST /api/v1/orders, card SKU, quantity 1) vs "
        f"place_order called directly; {args.seconds:g} s per phase"
    )
    print(
        f"{'path':<9}{'clients':>8}{'procs':>7}{'orders/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'count':>8}{'CPU busy':>10}{'clients CPU':>13}{'PG sessions':>13}  errors"
    )
    for m in measured:
        s = m.summary
        errors = ", ".join(f"{k}×{v}" for k, v in s.errors.items()) or "-"
        sessions = "-" if m.sessions is None else str(m.sessions)
        print(
            f"{m.path:<9}{m.clients:>8}{m.processes:>7}{s.per_second:>10.1f}{s.p50_ms:>9.2f}"
            f"{s.p99_ms:>9.2f}{s.count:>8}{percent(m.cpu_busy):>10}"
            f"{percent(m.client_cpu):>13}{sessions:>13}  {errors}"
        )
    service = {m.clients: m.summary.per_second for m in measured if m.path == "service"}
    ratios = [
        f"{m.clients} client{'s' if m.clients > 1 else ''} "
        f"{m.summary.per_second / service[m.clients]:.1%}"
        for m in measured
        if m.path == "API" and service.get(m.clients)
    ]
    print(f"API ÷ service-layer orders/s: {', '.join(ratios) or 'no count measured both ways'}")
    backends = None
    try:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            row = conn.execute(
                "SELECT count(*) - 1 FROM pg_stat_activity WHERE datname = current_database()"
            ).fetchone()
            backends = row[0] if row else None
    except psycopg.Error:
        pass
    print(
        f"context: gunicorn kameng.wsgi {web}; API clients in up to {args.client_processes} "
        f"processes (threads, one key and keep-alive connection each); {os.cpu_count()} CPUs "
        "shared by clients, gunicorn, PostgreSQL and Redis; CPU busy and clients CPU are "
        "shares of the whole machine during the API window"
        + (f"; PostgreSQL sessions open now: {backends}" if backends is not None else "")
    )
    for m in measured:
        for sample in m.samples:
            print(f"error in {m.path} {m.clients}: {sample.strip()}")
        if m.summary.out_of_stock:
            print(f"WARNING: {m.path} {m.clients} ran out of stock; raise --stock-per-second")


def check_payments(conninfo: str, measured: list[Measured]) -> list[str]:
    """Every order has exactly one payment journal; each API phase stored exactly the
    orders its clients were answered with (a 200, the answer for an out_trade_no used
    before, or a lost answer would make them differ)."""
    problems = []
    with psycopg.connect(conninfo, autocommit=True) as conn:
        row = conn.execute(
            """SELECT count(*) FROM orders_order o
               LEFT JOIN (SELECT reference, count(*) AS n FROM ledger_journal
                          WHERE kind = 'order_pay' GROUP BY reference) j
                 ON j.reference = o.order_no
               WHERE coalesce(j.n, 0) <> 1"""
        ).fetchone()
        if row and row[0]:
            problems.append(f"{row[0]} orders without exactly one payment journal")
        for m in measured:
            if m.path != "API":
                continue
            row = conn.execute(
                "SELECT count(*) FROM orders_order WHERE out_trade_no LIKE %s",
                (f"api{m.clients}-%",),
            ).fetchone()
            stored = row[0] if row else 0
            if stored != m.answered:
                problems.append(f"API {m.clients}: {m.answered} orders answered, {stored} stored")
    return problems


def check(world: CardWorld, conninfo: str, measured: list[Measured]) -> bool:
    """Print the checks; True if all pass."""
    ledger_problems, card_problems = check_card_books(world, conninfo)
    card_problems += check_payments(conninfo, measured)
    refused = [m for m in measured if m.summary.errors]
    ok = True
    for title, problems, fine in (
        ("ledger", ledger_problems, "balanced"),
        (
            "orders",
            card_problems,
            "no card sold twice; every order holds exactly its quantity and is paid once",
        ),
        (
            "answers",
            [f"{m.path} {m.clients}: {m.summary.errors}" for m in refused],
            "every request was answered with a new delivered order and its card",
        ),
    ):
        if problems:
            ok = False
            print(f"{title}: PROBLEMS")
            for problem in problems:
                print(f"  {problem}")
        else:
            print(f"{title}: {fine}")
    return ok


# --- main ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    stack = Stack("api")  # also: SIGTERM exits, so the finally below runs
    ok = False
    try:
        try:
            conninfo, port = bring_up(
                args.database_url,
                args.redis_url,
                {"KAMENG_API_RATE_LIMIT": RATE_LIMIT, "KAMENG_ALLOWED_HOSTS": "127.0.0.1"},
            )
            world = seed_card_world(max(max(args.clients), sum(args.service_clients)))
            keys = issue_keys(world, max(args.clients))
            base_url = start_gunicorn(stack, args, port)
        except (Exception, SystemExit) as exc:  # recreate_database refuses by SystemExit
            return setup_failed(exc)
        print(
            f"set up in {time.perf_counter() - started:.1f} s: {len(world.buyers)} buyers at "
            f"depth 3 paying {world.unit_price}, {len(keys)} API keys; gunicorn at {base_url} "
            f"({args.web_workers} {args.worker_class} workers)",
            flush=True,
        )
        measured = run_all(world, args, keys, base_url, conninfo, stack)
        print_table(measured, args, conninfo)
        ok = check(world, conninfo, measured)
        print(f"total run time {time.perf_counter() - started:.1f} s")
        return 0 if ok else 1
    except SetupFailed as exc:
        print(f"a process of the stack died: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        stack.close(ok)  # clients of a phase cut short terminated, the stack stopped


if __name__ == "__main__":
    sys.exit(main())
