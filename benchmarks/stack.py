"""What the benchmarks share: the stack they start and the world they seed.

- start-up: `recreate_database` (DROP and CREATE; the name must contain "bench"),
  `flush_redis` (never db 0), `free_port`, `shared_environment`, `setup_django`
  (own KAMENG_DATA_DIR, DEBUG off, persistent connections, migrate), and `bring_up`,
  which does all of them in the order the multi-process benchmarks need;
- `Stack`: the subprocesses a run starts (start / wait_for / check_alive / tail / stop),
  their log folder, stopped at exit whatever happens;
- the world: `set_levels` and `create_buyers` (the agent chain and funded depth-3
  buyers), and the card world place_orders.py and api_orders.py share
  (`seed_card_world`, `restock`, `seed_history`, `stock_phase`, `check_card_books`);
- timed phases of forked client processes (`run_phase`, `run_loop`, `service_client`,
  `summarise`, `percentile`) and the machine's context (`pg_sessions`, `cpu_ticks`).

The suppliers' and stock's imports stand only in the small functions at the end of this file.
"""

import atexit
import json
import multiprocessing as mp
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import redis
from cryptography.fernet import Fernet
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # .venv/bin when run with .venv/bin/python
LEVELS = ((1, "金牌", "0.95"), (2, "银牌", "0.97"), (3, "铜牌", "0.985"))
PREPAID = Decimal("50000000.00")  # per buyer: far more than any run can spend
CARD_FACE_VALUE = Decimal("100.00")
CARD_COST = Decimal("90.00")  # below the level-1 price of 95.00
BARRIER_TIMEOUT = 120  # seconds for every client to connect and warm up
STARTUP_TIMEOUT = 60.0  # seconds for each subprocess to be ready

T = TypeVar("T")


class SetupFailed(Exception):
    """The stack could not be started (exit status 2) or one of its processes died (1)."""


# --- start-up -----------------------------------------------------------------------------


def recreate_database(url: str) -> str:
    """Drop and create the benchmark database; return the conninfo for it."""
    dbname = conninfo_to_dict(url).get("dbname") or ""
    if "bench" not in dbname:
        raise SystemExit(f"refusing to drop database {dbname!r}: its name must contain 'bench'")
    admin = make_conninfo(url, dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    return make_conninfo(url)


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["KAMENG_CONN_MAX_AGE"] = "600"
    os.environ["KAMENG_SINGLE_HOST"] = "1"  # one machine: throwaway keys, no Redis needed
    data_dir = tempfile.mkdtemp(prefix="kameng-bench-")  # throwaway keys (secrets.json)
    atexit.register(shutil.rmtree, data_dir, ignore_errors=True)  # forked clients skip atexit
    os.environ["KAMENG_DATA_DIR"] = data_dir
    os.environ["KAMENG_DEBUG"] = "0"  # DEBUG keeps every query in memory: not a benchmark
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kameng.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def prepare_database(url: str) -> str:
    """A fresh, migrated database and Django set up on it; the conninfo for it."""
    conninfo = recreate_database(url)
    setup_django(url)
    return conninfo


def flush_redis(url: str) -> None:
    """Start from an empty broker: no queued task from an earlier run may be delivered."""
    client = redis.Redis.from_url(url)
    db = int(client.connection_pool.connection_kwargs.get("db") or 0)
    if db == 0:
        raise SetupFailed(f"refusing to flush Redis db 0 ({url}): name another database")
    try:
        client.flushdb()
    except redis.RedisError as exc:
        raise SetupFailed(f"Redis at {url}: {exc}") from exc
    finally:
        client.close()


def free_port() -> int:
    """A port nobody listens on now (it could be taken before the server binds it: rare)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def shared_environment(redis_url: str, port: int) -> None:
    """Settings every process must agree on, set before Django reads them. The keys
    especially: the supplier's secret is encrypted with CARD_KEYS here and decrypted by
    the workers, and without them each process would generate its own."""
    os.environ.pop("CELERY_BROKER_URL", None)  # it would win over REDIS_URL
    os.environ["REDIS_URL"] = redis_url
    os.environ["KAMENG_PUBLIC_URL"] = f"http://127.0.0.1:{port}"
    os.environ["KAMENG_SECRET_KEY"] = secrets.token_urlsafe(50)
    os.environ["KAMENG_CARD_KEYS"] = Fernet.generate_key().decode()
    os.environ["KAMENG_CARD_DIGEST_KEY"] = secrets.token_urlsafe(32)
    os.environ["PYTHONUNBUFFERED"] = "1"


def bring_up(
    database_url: str, redis_url: str, env: dict[str, str] | None = None
) -> tuple[str, int]:
    """For a stack of several processes: Redis flushed, a free port for this run's web
    server, the shared environment (plus `env`) set, then the database and Django.
    Returns (conninfo, port)."""
    flush_redis(redis_url)
    port = free_port()
    shared_environment(redis_url, port)  # one set of keys for every process
    os.environ.update(env or {})
    return prepare_database(database_url), port


def setup_failed(exc: BaseException) -> int:
    """Say why the setup failed (a traceback when it is not one of the expected
    failures); the exit status for it."""
    if not isinstance(exc, SetupFailed | SystemExit | psycopg.Error | redis.RedisError):
        traceback.print_exc()
    print(f"setup failed: {exc}", file=sys.stderr)
    return 2


# --- subprocesses -------------------------------------------------------------------------


class Stack:
    """The subprocesses this run started; stopped (by pid) at exit, whatever happens.
    Creating it makes their log folder and turns SIGTERM into sys.exit, so that the
    caller's `finally: stack.close(ok)` runs."""

    def __init__(self, name: str) -> None:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        self.log_dir = Path(tempfile.mkdtemp(prefix=f"kameng-bench-{name}-logs-"))
        self.procs: list[tuple[str, subprocess.Popen]] = []
        self.owner = os.getpid()  # forked clients must never stop the parent's stack
        atexit.register(self.stop)

    def start(self, name: str, argv: list[str], *, stdout: Any = None) -> subprocess.Popen:
        with open(self.log_dir / f"{name}.log", "wb") as log:  # the child keeps its copy
            proc = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=dict(os.environ),
                stdin=subprocess.DEVNULL,
                stdout=log if stdout is None else stdout,
                stderr=log,
            )
        self.procs.append((name, proc))
        return proc

    def wait_for(
        self, probe: Callable[[], T | None], failure: Callable[[], str], interval: float
    ) -> T:
        """Call `probe` until it returns something other than None (an OSError counts
        as not yet), every process still alive; SetupFailed(failure()) after
        STARTUP_TIMEOUT seconds."""
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            self.check_alive()
            error = None
            try:
                value = probe()
            except OSError as exc:
                value, error = None, exc
            if value is not None:
                return value
            if time.monotonic() > deadline:
                raise SetupFailed(failure()) from error
            time.sleep(interval)

    def check_alive(self) -> None:
        for name, proc in self.procs:
            if proc.poll() is not None:
                raise SetupFailed(f"{name} exited with status {proc.returncode}\n{self.tail(name)}")

    def tail(self, name: str, lines: int = 15) -> str:
        path = self.log_dir / f"{name}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(f"  {name}| {line}" for line in text.splitlines()[-lines:])

    def stop(self) -> None:
        if os.getpid() != self.owner:
            return
        for _, proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()  # warm shutdown for the workers
        deadline = time.monotonic() + 10
        for _, proc in self.procs:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs.clear()

    def close(self, ok: bool) -> None:
        """End of the run: forked clients still running (a phase cut short) and the
        stack stopped; the logs removed, or kept and named if the run failed."""
        for proc in mp.active_children():
            proc.terminate()
        self.stop()
        if ok or not any(self.log_dir.iterdir()):
            shutil.rmtree(self.log_dir, ignore_errors=True)
        else:
            print(f"logs of the stack's processes kept in {self.log_dir}", file=sys.stderr)


# --- the machine --------------------------------------------------------------------------


def pg_sessions(conninfo: str) -> int | None:
    """Sessions opened in the benchmark database so far (PostgreSQL 14+): a fresh
    session costs PostgreSQL far more CPU than a query on a kept one, so this shows
    which processes do not keep their connections."""
    try:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            row = conn.execute(
                "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
            ).fetchone()
    except psycopg.Error:
        return None
    return int(row[0]) if row and row[0] is not None else None


def cpu_ticks() -> tuple[int, int] | None:
    """(busy, total) jiffies of the whole machine from /proc/stat; None off Linux."""
    try:
        with open("/proc/stat") as fh:
            values = [int(v) for v in fh.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return sum(values) - idle, sum(values)


def sessions_opened(before: int | None, after: int | None) -> int | None:
    """Sessions opened between two `pg_sessions` readings, minus the one counting them."""
    return after - before - 1 if before is not None and after is not None else None


def cpu_busy(start: tuple[int, int] | None, end: tuple[int, int] | None) -> float | None:
    """The fraction of all cores busy between two `cpu_ticks` readings."""
    if start and end and end[1] > start[1]:
        return (end[0] - start[0]) / (end[1] - start[1])
    return None


# --- the world ----------------------------------------------------------------------------


def set_levels() -> None:
    from kameng.agents import services as agents

    for depth, name, discount in LEVELS:
        agents.set_level(depth, name, discount)


def create_buyers(clients: int, *, history: bool = False) -> tuple[list[Any], Any]:
    """The chain bench-agent1 → bench-agent2 and `clients` funded buyers under agent2
    (depth 3, so the price carries two agents' spreads); with `history`, also the funded
    bench-agent3 under agent2 that buys the seeded past sales. (buyers, agent3 or None)"""
    from kameng.agents import services as agents

    agent1 = agents.create_agent("bench-agent1")
    agent2 = agents.create_agent("bench-agent2", parent=agent1)
    past = None
    if history:
        past = agents.create_agent("bench-agent3", parent=agent2)
        agents.top_up(past, PREPAID, reference="bench-seed-history")
    buyers = []
    for n in range(clients):
        buyer = agents.create_agent(f"bench-buyer{n:03d}", parent=agent2)
        agents.top_up(buyer, PREPAID, reference=f"bench-seed-{n}")
        buyers.append(buyer)
    return buyers, past


@dataclass
class CardWorld:
    """Ids the card clients need; plain values so they survive fork and pickling."""

    sku_id: int
    supplier_id: int
    escrow_id: int
    unit_price: Decimal  # what a depth-3 buyer pays
    platform_gross: Decimal  # what the platform receives per unit (level-1 price)
    spreads: str  # JSON as place_order stores it
    buyers: list[tuple[int, int]] = field(default_factory=list)  # (agent id, wallet id)
    history_buyer: tuple[int, int] = (0, 0)  # (agent id, wallet id) of the seeded past sales


def seed_card_world(clients: int) -> CardWorld:
    """Levels, supplier, card SKU, offer, the chain, one funded buyer per client; all
    through the service layer (cards come later, in `restock`)."""
    from kameng.agents.pricing import quote
    from kameng.catalog import services as catalog
    from kameng.ledger import services as ledger
    from kameng.orders.services import _spreads_json

    set_levels()
    product = catalog.create_product("Benchmark", "Bench card")
    sku = catalog.create_sku(product, "100元", CARD_FACE_VALUE, authorised=True)
    supplier_id = create_card_supplier(sku)
    buyers, past = create_buyers(clients, history=True)

    prices = quote(buyers[0], sku)
    assert len(prices.links) == 3 and len(prices.spreads(1)) == 2, prices
    return CardWorld(
        sku_id=sku.pk,
        supplier_id=supplier_id,
        escrow_id=ledger.system_account_id(ledger.ESCROW),
        unit_price=prices.unit_price,
        platform_gross=prices.top_price,
        spreads=json.dumps(_spreads_json(prices, 1)),
        buyers=[(b.pk, b.wallet_id) for b in buyers],
        history_buyer=(past.pk, past.wallet_id),
    )


def restock(world: CardWorld, target: int) -> tuple[int, float]:
    """Bring available stock up to `target`; return (cards added, seconds taken).

    The first batch goes through `import_cards` (the real path: parse, dedupe, encrypt).
    BENCHMARK SEED ONLY: the bulk of the stock is then inserted as Card rows directly,
    encrypted and hashed with the same `vault` functions but skipping import_cards'
    parsing and duplicate look-ups, which would dominate the run time.
    """
    started = time.perf_counter()
    missing = target - available_stock(world.sku_id)
    if missing <= 0:
        return 0, time.perf_counter() - started
    first = min(missing, 200)
    import_cards(world, first)
    if missing > first:
        insert_cards(world, missing - first)
    return missing, time.perf_counter() - started


def seed_history(world: CardWorld, conninfo: str, orders: int) -> float:
    """BENCHMARK SEED ONLY: `orders` past sales of one card each, written set-based in one
    transaction (the same rows a real sale leaves, minus order events), so the shop looks
    as if it had been trading. Without it the fresh stock makes ANALYZE believe every
    card is available, and the planner then takes the first available card by scanning
    supply_card_pkey past every sold card (cost growing with sales) instead of using
    supply_card_available_idx; one phase would get one plan and the other the other."""
    started = time.perf_counter()
    agent_id, wallet_id = world.history_buyer
    total = world.unit_price * orders
    params = {
        "n": orders,
        "agent": agent_id,
        "sku": world.sku_id,
        "price": world.unit_price,
        "spreads": world.spreads,
        "gross": world.platform_gross,
        "wallet": wallet_id,
        "escrow": world.escrow_id,
        "total": total,
    }
    statements = [
        """INSERT INTO orders_order (
               order_no, agent_id, channel, out_trade_no, request_hash, sku_id, quantity,
               unit_price, amount, recharge_account, buyer_contact, callback_url, status,
               spreads, platform_gross, created_at, paid_at, delivered_at, confirm_deadline,
               dispute_reason)
           SELECT 'H' || lpad(g::text, 12, '0'), %(agent)s, 'agent', 'history-' || g,
                  repeat('0', 64), %(sku)s, 1, %(price)s, %(price)s, '', '', '', 'delivered',
                  %(spreads)s::jsonb, %(gross)s, now(), now(), now(),
                  now() + interval '72 hours', ''
           FROM generate_series(1, %(n)s) AS g""",
        """UPDATE supply_card AS c SET status = 'sold', order_id = o.id, sold_at = now()
           FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM supply_card
                 WHERE sku_id = %(sku)s AND status = 'available' ORDER BY id LIMIT %(n)s) AS pc
           JOIN (SELECT id, row_number() OVER (ORDER BY id) AS n FROM orders_order
                 WHERE agent_id = %(agent)s) AS o USING (n)
           WHERE c.id = pc.id""",
        """INSERT INTO ledger_journal (key, kind, reference, memo, created_at)
           SELECT 'order:' || order_no || ':pay', 'order_pay', order_no, '', now()
           FROM orders_order WHERE agent_id = %(agent)s""",
        """INSERT INTO ledger_entry (journal_id, account_id, amount)
           SELECT j.id, line.account, line.amount FROM ledger_journal AS j
           CROSS JOIN (VALUES (%(wallet)s::bigint, -%(price)s::numeric),
                              (%(escrow)s::bigint, %(price)s::numeric)) AS line(account, amount)
           JOIN orders_order AS o ON o.order_no = j.reference
           WHERE o.agent_id = %(agent)s""",
        """UPDATE ledger_account SET balance = balance - %(total)s
           WHERE id = %(wallet)s AND balance >= %(total)s""",
        "UPDATE ledger_account SET balance = balance + %(total)s WHERE id = %(escrow)s",
    ]
    with psycopg.connect(conninfo) as conn:
        for statement in statements:
            cur = conn.execute(statement, params)
            if statement.lstrip().startswith("UPDATE ledger_account"):
                assert cur.rowcount == 1, statement
            # Fresh tables have no statistics; without them the joins above get nested
            # loops over thousands of rows (seconds instead of milliseconds).
            conn.execute("ANALYZE supply_card, orders_order, ledger_journal")
    return time.perf_counter() - started


def allocation_plan(sku_id: int) -> str:
    """The index the card-allocation query uses now: EXPLAIN of the SQL that
    allocate_cards' queryset compiles to."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        query, params = card_allocation_queryset(sku_id).query.sql_with_params()
        cursor.execute(f"EXPLAIN {query}", params)
        rows = cursor.fetchall()
    names = [row[0].split(" using ")[1].split()[0] for row in rows if " using " in row[0]]
    return ", ".join(names) or "no index"


def vacuum(conninfo: str) -> None:
    """Same starting point for each phase: no dead card rows at the head of the index."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for table in ("supply_card", "orders_order", "ledger_account", "ledger_journal"):
            conn.execute(sql.SQL("VACUUM ANALYZE {}").format(sql.Identifier(table)))


def stock_phase(world: CardWorld, conninfo: str, stock: int, first: bool) -> str:
    """Before a phase: stock topped up to `stock` (and, before the first phase, a fifth
    of that sold as past sales on top), tables vacuumed; a line saying so."""
    history = stock // 5 if first else 0
    added, took = restock(world, stock + history)
    if history:
        took += seed_history(world, conninfo, history)
    vacuum(conninfo)
    sold = f" ({history} sold as history)" if history else ""
    return (
        f"stocked {added} cards{sold} in {took:.1f} s; "
        f"card query uses {allocation_plan(world.sku_id)}"
    )


def check_card_books(world: CardWorld, conninfo: str) -> tuple[list[str], list[str]]:
    """(ledger problems from `verify()`, card/order consistency problems)."""
    from kameng.ledger.services import verify

    ledger_problems = verify()
    problems: list[str] = []
    with psycopg.connect(conninfo, autocommit=True) as conn:
        twice = conn.execute(
            """SELECT o.order_no, count(c.id) FROM orders_order o
               LEFT JOIN supply_card c ON c.order_id = o.id
               WHERE o.status = 'delivered'
               GROUP BY o.id HAVING count(c.id) <> max(o.quantity)"""
        ).fetchall()
        problems += [f"order {no} holds {n} cards instead of its quantity" for no, n in twice]
        sold, orders, quantity, journals, escrow, paid = conn.execute(
            """SELECT (SELECT count(*) FROM supply_card WHERE status = 'sold'),
                      (SELECT count(*) FROM orders_order),
                      (SELECT coalesce(sum(quantity), 0) FROM orders_order),
                      (SELECT count(*) FROM ledger_journal WHERE kind = 'order_pay'),
                      (SELECT sum(balance) FROM ledger_account WHERE kind = 'escrow'),
                      (SELECT coalesce(sum(amount), 0) FROM orders_order)"""
        ).fetchone()
    if sold != quantity:
        problems.append(f"{sold} cards sold but orders hold {quantity}")
    if journals != orders:
        problems.append(f"{journals} payment journals for {orders} orders")
    if escrow != paid:
        problems.append(f"escrow holds {escrow}, orders paid {paid}")
    print(f"orders: {orders}, cards sold: {sold}, payment journals: {journals}, escrow: {escrow}")
    return ledger_problems, problems


# --- timed phases -------------------------------------------------------------------------


@dataclass
class ClientResult:
    client: int
    latencies: array  # seconds, of orders completed inside the window
    errors: dict[str, int] = field(default_factory=dict)
    first_error: str = ""
    out_of_stock: bool = False


def run_loop(client, barrier, seconds, once, results) -> None:
    """Warm up, wait for everyone, then call `once(i)` until the window closes."""
    result = ClientResult(client, array("d"))
    try:
        once(-1)  # warm-up: connection, caches, first query plans; not counted
        barrier.wait(BARRIER_TIMEOUT)
        deadline = time.perf_counter() + seconds
        i = 0
        while True:
            t0 = time.perf_counter()
            if t0 >= deadline:
                break
            try:
                once(i)
            except Exception as exc:
                name = type(exc).__name__
                result.errors[name] = result.errors.get(name, 0) + 1
                result.first_error = result.first_error or f"{name}: {exc}"
                if "OutOfStock" in name:
                    result.out_of_stock = True
                    break
                if sum(result.errors.values()) >= 100:
                    break
            else:
                t1 = time.perf_counter()
                if t1 <= deadline:
                    result.latencies.append(t1 - t0)
            i += 1
    except Exception as exc:
        result.errors[type(exc).__name__] = result.errors.get(type(exc).__name__, 0) + 1
        result.first_error = result.first_error or traceback.format_exc()
        if not barrier.broken:
            barrier.abort()
    results.put(result)


def service_client(client, world, barrier, seconds, results) -> None:
    """`kameng.orders.services.place_order`, exactly as the CLI calls it, for this
    client's own buyer (place_orders.py phase A)."""
    from django.db import connections

    # The parent closed its connections before forking; this makes sure the child never
    # reuses an inherited one and opens its own on first use.
    connections.close_all()
    from kameng.agents.models import Agent
    from kameng.orders.services import place_order

    agent = Agent.objects.get(pk=world.buyers[client][0])
    tag = secrets.token_hex(3)  # phases may run again (rounds): numbers of their own

    def once(i: int) -> None:
        placed = place_order(
            agent=agent, sku_id=world.sku_id, quantity=1, out_trade_no=f"svc-{tag}-{client}-{i}"
        )
        assert placed.created

    run_loop(client, barrier, seconds, once, results)


def run_phase(name: str, target, args_for, clients: int, seconds: float) -> list[Any]:
    """Fork `clients` processes running `target`, release them together, collect results."""
    from django.db import connections

    # Close the parent's connection BEFORE forking: a child closing an inherited
    # connection would send Terminate on the parent's socket.
    connections.close_all()
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(clients + 1)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=target, args=(n, *args_for(barrier, results)), name=f"{name}-{n}")
        for n in range(clients)
    ]
    for proc in procs:
        proc.start()
    try:
        barrier.wait(BARRIER_TIMEOUT)
    except threading.BrokenBarrierError:
        print(f"phase {name}: a client failed before the start", file=sys.stderr)
    collected = []
    for _ in procs:
        collected.append(results.get(timeout=BARRIER_TIMEOUT + seconds + 60))
    for proc in procs:
        proc.join(30)
    return sorted(collected, key=lambda r: r.client)


@dataclass
class PhaseSummary:
    name: str
    count: int
    per_second: float
    p50_ms: float
    p99_ms: float
    errors: dict[str, int]
    first_error: str
    out_of_stock: bool


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def summarise(name: str, results: list[ClientResult], seconds: float) -> PhaseSummary:
    latencies = sorted(x for r in results for x in r.latencies)
    errors: dict[str, int] = {}
    for r in results:
        for key, value in r.errors.items():
            errors[key] = errors.get(key, 0) + value
    return PhaseSummary(
        name=name,
        count=len(latencies),
        per_second=len(latencies) / seconds,
        p50_ms=percentile(latencies, 0.50) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        errors=errors,
        first_error=next((r.first_error for r in results if r.first_error), ""),
        out_of_stock=any(r.out_of_stock for r in results),
    )


# --- suppliers and stock: their imports stand only here, one small function each --------


def create_card_supplier(sku: Any) -> int:
    """An approved manual supplier licensed for the card `sku`; its id."""
    from kameng.suppliers import services as supply

    supplier = supply.create_supplier("bench-supplier", status="approved")
    supply.set_offer(supplier, sku, CARD_COST)
    return supplier.pk


def available_stock(sku_id: int) -> int:
    from kameng.stock import services as stock

    return stock.available_stock(sku_id)


def import_cards(world: CardWorld, count: int) -> None:
    """`count` new cards through `import_cards`, the real path."""
    from kameng.catalog.models import Sku
    from kameng.stock import services as stock
    from kameng.suppliers.models import Supplier

    supplier = Supplier.objects.get(pk=world.supplier_id)
    sku = Sku.objects.get(pk=world.sku_id)
    lines = "\n".join(f"{secrets.token_hex(6)},{secrets.token_hex(12)}" for _ in range(count))
    report = stock.import_cards(supplier, sku, lines, source_name="bench-import")
    assert report.imported == count and not report.rejected, report.as_dict()


def insert_cards(world: CardWorld, count: int) -> None:
    """BENCHMARK SEED ONLY: `count` Card rows inserted directly (see `restock`)."""
    from kameng import vault
    from kameng.catalog.models import Sku
    from kameng.stock.models import Card, CardBatch
    from kameng.suppliers.models import Supplier

    supplier = Supplier.objects.get(pk=world.supplier_id)
    sku = Sku.objects.get(pk=world.sku_id)
    batch = CardBatch.objects.create(
        supplier=supplier, sku=sku, cost=CARD_COST, source_name="bench-bulk", imported=count
    )
    chunk = 5000
    for start in range(0, count, chunk):
        cards = []
        for _ in range(min(chunk, count - start)):
            secret = secrets.token_hex(12)
            cards.append(
                Card(
                    sku=sku,
                    supplier=supplier,
                    batch=batch,
                    code=secrets.token_hex(6),
                    secret_encrypted=vault.encrypt(secret),
                    secret_digest=vault.digest(secret),
                    cost=CARD_COST,
                )
            )
        Card.objects.bulk_create(cards, batch_size=1000)


def card_allocation_queryset(sku_id: int) -> Any:
    """The queryset allocate_cards takes the first available card with."""
    from kameng.stock.models import Card
    from kameng.suppliers.models import Supplier

    return (
        Card.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(
            sku_id=sku_id, status=Card.Status.AVAILABLE, supplier__status=Supplier.Status.APPROVED
        )
        .order_by("pk")
        .values_list("pk", "supplier_id", "cost")[:1]
    )
