"""Throughput of `place_order` against a minimal raw-SQL equivalent, on PostgreSQL.

    .venv/bin/python benchmarks/place_orders.py [--clients 16] [--seconds 10]
        [--database-url postgres://postgres@127.0.0.1:5432/kameng_bench]

The database named in --database-url is DROPPED and recreated (its name must contain
"bench"), migrated and seeded through the service layer. Then two timed phases run with
the same N client processes, each buying one code at a time for its own buyer agent
(depth 3, so the price carries two agents' spreads):

  A. service layer: `kameng.orders.services.place_order`, exactly as the CLI calls it;
  B. raw SQL: one psycopg transaction per order doing the least work that leaves the
     same money and stock rows behind (card taken, order, journal, two entries, both
     balances). It skips what place_order also does: the SKU/price reads before the
     transaction (sellable_sku and quote: 2 SELECTs) and the 3 orders_orderevent rows.

It prints orders/s, p50 and p99 latency per phase and the service/raw ratio, then checks
the books (`ledger.verify()`) and that no card went to two orders. Exit status 1 if a
check fails, 2 if the setup fails.
"""

import argparse
import atexit
import json
import multiprocessing as mp
import os
import secrets
import shutil
import sys
import tempfile
import threading
import time
import traceback
from array import array
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kameng_bench"
FACE_VALUE = Decimal("100.00")
LEVELS = ((1, "金牌", "0.95"), (2, "银牌", "0.97"), (3, "铜牌", "0.985"))
SUPPLIER_COST = Decimal("90.00")  # below the level-1 price of 95.00
PREPAID = Decimal("50000000.00")  # per buyer: far more than any run can spend
BARRIER_TIMEOUT = 120  # seconds for every client to connect and warm up


# --- setup --------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16, help="client processes (16)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase (10)")
    parser.add_argument("--database-url", default=DEFAULT_URL, help="dropped and recreated!")
    parser.add_argument(
        "--stock-per-second",
        type=int,
        default=3000,
        help="cards stocked before each phase = this × --seconds (3000)",
    )
    args = parser.parse_args(argv)
    if args.clients < 1 or args.seconds <= 0 or args.stock_per_second < 1:
        parser.error("--clients, --seconds and --stock-per-second must be positive")
    return args


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


@dataclass
class World:
    """Ids the clients need; plain values so they survive fork and pickling."""

    sku_id: int
    supplier_id: int
    escrow_id: int
    unit_price: Decimal  # what a depth-3 buyer pays
    platform_gross: Decimal  # what the platform receives per unit (level-1 price)
    spreads: str  # JSON as place_order stores it
    buyers: list[tuple[int, int]] = field(default_factory=list)  # (agent id, wallet id)
    history_buyer: tuple[int, int] = (0, 0)  # (agent id, wallet id) of the seeded past sales


def seed(clients: int) -> World:
    """Levels, supplier, SKU, offer, the chain, one funded buyer per client; all through
    the service layer (cards come later, in `restock`)."""
    from kameng.agents import services as agents
    from kameng.agents.pricing import quote
    from kameng.catalog import services as catalog
    from kameng.ledger import services as ledger
    from kameng.orders.services import _spreads_json
    from kameng.suppliers import services as supply

    for depth, name, discount in LEVELS:
        agents.set_level(depth, name, discount)
    supplier = supply.create_supplier("bench-supplier", status="approved")
    product = catalog.create_product("Benchmark", "Bench card")
    sku = catalog.create_sku(product, "100元", FACE_VALUE, authorised=True)
    supply.set_offer(supplier, sku, SUPPLIER_COST)

    agent1 = agents.create_agent("bench-agent1")
    agent2 = agents.create_agent("bench-agent2", parent=agent1)
    agent3 = agents.create_agent("bench-agent3", parent=agent2)  # buys the seeded history
    agents.top_up(agent3, PREPAID, reference="bench-seed-history")
    buyers = []
    for n in range(clients):
        buyer = agents.create_agent(f"bench-buyer{n:03d}", parent=agent2)
        agents.top_up(buyer, PREPAID, reference=f"bench-seed-{n}")
        buyers.append(buyer)

    prices = quote(buyers[0], sku)
    assert len(prices.links) == 3 and len(prices.spreads(1)) == 2, prices
    return World(
        sku_id=sku.pk,
        supplier_id=supplier.pk,
        escrow_id=ledger.system_account_id(ledger.ESCROW),
        unit_price=prices.unit_price,
        platform_gross=prices.top_price,
        spreads=json.dumps(_spreads_json(prices, 1)),
        buyers=[(b.pk, b.wallet_id) for b in buyers],
        history_buyer=(agent3.pk, agent3.wallet_id),
    )


def restock(world: World, target: int) -> tuple[int, float]:
    """Bring available stock up to `target`; return (cards added, seconds taken).

    The first batch goes through `import_cards` (the real path: parse, dedupe, encrypt).
    BENCHMARK SEED ONLY: the bulk of the stock is then inserted as Card rows directly,
    encrypted and hashed with the same `vault` functions but skipping import_cards'
    parsing and duplicate look-ups, which would dominate the run time.
    """
    from kameng import vault
    from kameng.catalog.models import Sku
    from kameng.stock import services as supply
    from kameng.stock.models import Card, CardBatch
    from kameng.suppliers.models import Supplier

    started = time.perf_counter()
    missing = target - supply.available_stock(world.sku_id)
    if missing <= 0:
        return 0, time.perf_counter() - started
    supplier = Supplier.objects.get(pk=world.supplier_id)
    sku = Sku.objects.get(pk=world.sku_id)
    first = min(missing, 200)
    lines = "\n".join(f"{secrets.token_hex(6)},{secrets.token_hex(12)}" for _ in range(first))
    report = supply.import_cards(supplier, sku, lines, source_name="bench-import")
    assert report.imported == first and not report.rejected, report.as_dict()
    rest = missing - first
    if rest:
        batch = CardBatch.objects.create(
            supplier=supplier, sku=sku, cost=SUPPLIER_COST, source_name="bench-bulk", imported=rest
        )
        chunk = 5000
        for start in range(0, rest, chunk):
            cards = []
            for _ in range(min(chunk, rest - start)):
                secret = secrets.token_hex(12)
                cards.append(
                    Card(
                        sku=sku,
                        supplier=supplier,
                        batch=batch,
                        code=secrets.token_hex(6),
                        secret_encrypted=vault.encrypt(secret),
                        secret_digest=vault.digest(secret),
                        cost=SUPPLIER_COST,
                    )
                )
            Card.objects.bulk_create(cards, batch_size=1000)
    return missing, time.perf_counter() - started


def seed_history(world: World, conninfo: str, orders: int) -> float:
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

    from kameng.stock.models import Card
    from kameng.suppliers.models import Supplier

    queryset = (
        Card.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(
            sku_id=sku_id, status=Card.Status.AVAILABLE, supplier__status=Supplier.Status.APPROVED
        )
        .order_by("pk")
        .values_list("pk", "supplier_id", "cost")[:1]
    )
    with transaction.atomic(), connection.cursor() as cursor:
        query, params = queryset.query.sql_with_params()
        cursor.execute(f"EXPLAIN {query}", params)
        rows = cursor.fetchall()
    names = [row[0].split(" using ")[1].split()[0] for row in rows if " using " in row[0]]
    return ", ".join(names) or "no index"


def vacuum(conninfo: str) -> None:
    """Same starting point for each phase: no dead card rows at the head of the index."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for table in ("supply_card", "orders_order", "ledger_account", "ledger_journal"):
            conn.execute(sql.SQL("VACUUM ANALYZE {}").format(sql.Identifier(table)))


# --- clients ------------------------------------------------------------------------------


@dataclass
class ClientResult:
    client: int
    latencies: array  # seconds, of orders completed inside the window
    errors: dict[str, int] = field(default_factory=dict)
    first_error: str = ""
    out_of_stock: bool = False


def _run_loop(client, barrier, seconds, once, results) -> None:
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
    from django.db import connections

    # The parent closed its connections before forking; this makes sure the child never
    # reuses an inherited one and opens its own on first use.
    connections.close_all()
    from kameng.agents.models import Agent
    from kameng.orders.services import place_order

    agent = Agent.objects.get(pk=world.buyers[client][0])

    def once(i: int) -> None:
        placed = place_order(
            agent=agent, sku_id=world.sku_id, quantity=1, out_trade_no=f"svc-{client}-{i}"
        )
        assert placed.created

    _run_loop(client, barrier, seconds, once, results)


RAW_ORDER = """
INSERT INTO orders_order (
    order_no, agent_id, channel, out_trade_no, request_hash, sku_id, quantity, unit_price,
    amount, recharge_account, buyer_contact, callback_url, status, spreads, platform_gross,
    created_at, paid_at, delivered_at, confirm_deadline, dispute_reason
) VALUES (
    %(order_no)s, %(agent_id)s, 'agent', %(out_trade_no)s, %(request_hash)s, %(sku_id)s, 1,
    %(price)s, %(price)s, '', '', '', 'delivered', %(spreads)s, %(gross)s, now(), now(), now(),
    now() + interval '72 hours', ''
) RETURNING id
"""
RAW_TAKE_CARD = """
SELECT id FROM supply_card WHERE sku_id = %s AND status = 'available'
ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED
"""
RAW_SELL_CARD = (
    "UPDATE supply_card SET status = 'sold', order_id = %s, sold_at = now() WHERE id = %s"
)
RAW_JOURNAL = """
INSERT INTO ledger_journal (key, kind, reference, memo, created_at)
VALUES (%s, 'order_pay', %s, '', now()) RETURNING id
"""
RAW_ENTRIES = """
INSERT INTO ledger_entry (journal_id, account_id, amount) VALUES (%s, %s, %s), (%s, %s, %s)
"""
RAW_DEBIT = "UPDATE ledger_account SET balance = balance - %s WHERE id = %s AND balance >= %s"
RAW_CREDIT = "UPDATE ledger_account SET balance = balance + %s WHERE id = %s"


class RawOutOfStock(Exception):
    pass


class RawInsufficientBalance(Exception):
    pass


def raw_client(client, world, conninfo, barrier, seconds, results) -> None:
    """Phase B. Beyond the wallet debit, escrow's cached balance is credited too (as
    ledger.post does): without it `verify()` would rightly report escrow != its entries.
    psycopg prepares these statements server-side after 5 runs; Django's default
    client-side binding never does, so each service query is parsed and planned anew."""
    from django.db import connections

    connections.close_all()  # Django is not used here; drop anything inherited
    conn = psycopg.connect(conninfo, autocommit=False)
    agent_id, wallet_id = world.buyers[client]
    price = world.unit_price
    request_hash = secrets.token_hex(32)
    tag = secrets.token_hex(3)
    # Balances are changed in the ledger's own lock order (whatever merge_lines sorts to),
    # which decides how long the shared escrow row stays locked.
    from kameng.ledger.services import merge_lines

    statements = {
        wallet_id: (RAW_DEBIT, (price, wallet_id, price)),
        world.escrow_id: (RAW_CREDIT, (price, world.escrow_id)),
    }
    balance_updates = [
        statements[account_id]
        for account_id, _ in merge_lines([(wallet_id, -price), (world.escrow_id, price)])
    ]

    def once(i: int) -> None:
        order_no = f"R{tag}{client:03d}{i + 1:010d}"
        try:
            with conn.cursor() as cur:
                cur.execute(RAW_TAKE_CARD, (world.sku_id,))
                row = cur.fetchone()
                if row is None:
                    raise RawOutOfStock("no available card")
                card_id = row[0]
                cur.execute(
                    RAW_ORDER,
                    {
                        "order_no": order_no,
                        "agent_id": agent_id,
                        "out_trade_no": f"raw-{client}-{i}",
                        "request_hash": request_hash,
                        "sku_id": world.sku_id,
                        "price": price,
                        "spreads": world.spreads,
                        "gross": world.platform_gross,
                    },
                )
                order_id = cur.fetchone()[0]
                cur.execute(RAW_SELL_CARD, (order_id, card_id))
                cur.execute(RAW_JOURNAL, (f"order:{order_no}:pay", order_no))
                journal_id = cur.fetchone()[0]
                cur.execute(
                    RAW_ENTRIES,
                    (journal_id, wallet_id, -price, journal_id, world.escrow_id, price),
                )
                for statement, params in balance_updates:
                    cur.execute(statement, params)
                    if cur.rowcount != 1:
                        raise RawInsufficientBalance(f"account update {params} hit no row")
            conn.commit()
        except BaseException:
            conn.rollback()
            raise

    try:
        _run_loop(client, barrier, seconds, once, results)
    finally:
        conn.close()


def run_phase(name: str, target, args_for, clients: int, seconds: float) -> list[ClientResult]:
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


# --- report -------------------------------------------------------------------------------


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


def print_table(phases: list[PhaseSummary], clients: int, seconds: float) -> None:
    print(f"\nplace_order benchmark: {clients} client(s), {seconds:g} s per phase, PostgreSQL")
    print(f"{'phase':<16}{'orders/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'count':>9}  errors")
    for p in phases:
        errors = ", ".join(f"{k}×{v}" for k, v in p.errors.items()) or "-"
        print(
            f"{p.name:<16}{p.per_second:>10.1f}{p.p50_ms:>10.2f}{p.p99_ms:>10.2f}"
            f"{p.count:>9}  {errors}"
        )
    service, raw = phases
    if raw.per_second:
        print(f"service/raw throughput: {service.per_second / raw.per_second:.1%}")
    for p in phases:
        if p.first_error:
            print(f"first error in {p.name}: {p.first_error}")
        if p.out_of_stock:
            print(f"WARNING: {p.name} ran out of stock; raise --stock-per-second")


def check_books(world: World, conninfo: str) -> tuple[list[str], list[str]]:
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
                      (SELECT balance FROM ledger_account WHERE id = %s),
                      (SELECT coalesce(sum(amount), 0) FROM orders_order)""",
            (world.escrow_id,),
        ).fetchone()
    if sold != quantity:
        problems.append(f"{sold} cards sold but orders hold {quantity}")
    if journals != orders:
        problems.append(f"{journals} payment journals for {orders} orders")
    if escrow != paid:
        problems.append(f"escrow holds {escrow}, orders paid {paid}")
    print(f"orders: {orders}, cards sold: {sold}, payment journals: {journals}, escrow: {escrow}")
    return ledger_problems, problems


# --- main ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    try:
        conninfo = recreate_database(args.database_url)
        setup_django(args.database_url)
        world = seed(args.clients)
    except psycopg.Error as exc:
        print(f"setup failed: {exc}", file=sys.stderr)
        return 2
    stock = int(args.stock_per_second * args.seconds)
    print(
        f"seeded in {time.perf_counter() - started:.1f} s: {args.clients} buyers at depth 3 "
        f"paying {world.unit_price} (platform {world.platform_gross}, spreads {world.spreads})"
    )

    phases = []
    for name, target, args_for in (
        (
            "A service",
            service_client,
            lambda barrier, results: (world, barrier, args.seconds, results),
        ),
        (
            "B raw SQL",
            raw_client,
            lambda barrier, results: (world, conninfo, barrier, args.seconds, results),
        ),
    ):
        history = stock // 5 if not phases else 0  # past sales: only before the first phase
        added, took = restock(world, stock + history)
        if history:
            took += seed_history(world, conninfo, history)
        vacuum(conninfo)
        print(
            f"{name}: stocked {added} cards{f' ({history} sold as history)' if history else ''}"
            f" in {took:.1f} s; card query uses {allocation_plan(world.sku_id)};"
            f" running {args.seconds:g} s ..."
        )
        results = run_phase(name, target, args_for, args.clients, args.seconds)
        phases.append(summarise(name, results, args.seconds))

    print_table(phases, args.clients, args.seconds)
    ledger_problems, card_problems = check_books(world, conninfo)
    if ledger_problems:
        print("ledger: PROBLEMS")
        for problem in ledger_problems:
            print(f"  {problem}")
    else:
        print("ledger: balanced")
    if card_problems:
        print("cards: PROBLEMS")
        for problem in card_problems:
            print(f"  {problem}")
    else:
        print("cards: no card sold twice; every order holds exactly its quantity")
    print(f"total run time {time.perf_counter() - started:.1f} s")
    return 1 if ledger_problems or card_problems else 0


if __name__ == "__main__":
    sys.exit(main())
