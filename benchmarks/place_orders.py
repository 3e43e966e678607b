"""Throughput of `place_order` against a minimal raw-SQL equivalent, on PostgreSQL.

    .venv/bin/python benchmarks/place_orders.py [--clients 16] [--seconds 10] [--rounds 5]
        [--database-url postgres://postgres@127.0.0.1:5432/kameng_bench]

The database named in --database-url is DROPPED and recreated (its name must contain
"bench"), migrated and seeded through the service layer. Then three timed phases run with
the same N client processes, each buying one code at a time for its own buyer agent
(depth 3, so the price carries two agents' spreads):

  A. service layer: `kameng.orders.services.place_order`, exactly as the CLI calls it
     (each order scored by risk control first, as every order is);
  A0. the same with risk control's scoring off (KAMENG_RISK_ENABLED): what scoring
     every order costs is A against A0 (risk control's budget: within 10%);
  B. raw SQL: one psycopg transaction per order doing the least work that leaves the
     same money and stock rows behind (card taken, order, journal, two entries, both
     balances; the escrow account place_order would choose for the order number). It
     skips what place_order also does: the SKU/price read before the transaction
     (agents.pricing.sale_quote) and the 3 orders_orderevent rows.

The phases alternate, A A0 B A A0 B ..., for --rounds rounds: a shared machine's speed
drifts by ±20% over a minute (other tenants, autovacuum), and alternating puts each
phase under the same drift. Each round prints its own ratio; the result is the median
round's.

It prints orders/s, p50 and p99 latency per phase and the service/raw ratio, then checks
the books (`ledger.verify()`) and that no card went to two orders. Exit status 1 if a
check fails, 2 if the setup fails. The start-up, the seed, phase A's client and the book
checks are benchmarks/stack.py's (api_orders.py uses the same); phase B is this file's.
"""

import argparse
import secrets
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.stack import (  # noqa: E402  (needs ROOT on sys.path)
    PhaseSummary,
    check_card_books,
    prepare_database,
    run_loop,
    run_phase,
    seed_card_world,
    service_client,
    stock_phase,
    summarise,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kameng_bench"


# --- setup --------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16, help="client processes (16)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase (10)")
    parser.add_argument("--rounds", type=int, default=5, help="A/B rounds (5)")
    parser.add_argument("--database-url", default=DEFAULT_URL, help="dropped and recreated!")
    parser.add_argument(
        "--stock-per-second",
        type=int,
        default=3000,
        help="cards stocked before each phase = this × --seconds (3000)",
    )
    args = parser.parse_args(argv)
    if args.clients < 1 or args.seconds <= 0 or args.stock_per_second < 1 or args.rounds < 1:
        parser.error("--clients, --seconds, --rounds and --stock-per-second must be positive")
    return args


# --- clients ------------------------------------------------------------------------------


RAW_ORDER = """
INSERT INTO orders_order (
    order_no, agent_id, channel, out_trade_no, request_hash, sku_id, quantity, unit_price,
    amount, recharge_account, buyer_contact, callback_url, status, spreads, platform_gross,
    created_at, paid_at, delivered_at, confirm_deadline, dispute_reason, escrow_account_id
) VALUES (
    %(order_no)s, %(agent_id)s, 'agent', %(out_trade_no)s, %(request_hash)s, %(sku_id)s, 1,
    %(price)s, %(price)s, '', '', '', 'delivered', %(spreads)s, %(gross)s, now(), now(), now(),
    now() + interval '72 hours', '', %(escrow_id)s
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
    # The same escrow account as place_order would credit for this order number, and the
    # balances changed in the ledger's own lock order (whatever merge_lines sorts to),
    # which decides how long the shared escrow row stays locked.
    from kameng.ledger.services import escrow_account_id, merge_lines

    def balance_updates(escrow_id: int) -> list[tuple[str, tuple]]:
        statements = {
            wallet_id: (RAW_DEBIT, (price, wallet_id, price)),
            escrow_id: (RAW_CREDIT, (price, escrow_id)),
        }
        lines = merge_lines([(wallet_id, -price), (escrow_id, price)])
        return [statements[account_id] for account_id, _ in lines]

    updates_by_escrow: dict[int, list[tuple[str, tuple]]] = {}

    def once(i: int) -> None:
        order_no = f"R{tag}{client:03d}{i + 1:010d}"
        escrow_id = escrow_account_id(order_no)
        if escrow_id not in updates_by_escrow:
            updates_by_escrow[escrow_id] = balance_updates(escrow_id)
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
                        "out_trade_no": f"raw-{tag}-{client}-{i}",
                        "request_hash": request_hash,
                        "sku_id": world.sku_id,
                        "price": price,
                        "spreads": world.spreads,
                        "gross": world.platform_gross,
                        "escrow_id": escrow_id,
                    },
                )
                order_id = cur.fetchone()[0]
                cur.execute(RAW_SELL_CARD, (order_id, card_id))
                cur.execute(RAW_JOURNAL, (f"order:{order_no}:pay", order_no))
                journal_id = cur.fetchone()[0]
                cur.execute(
                    RAW_ENTRIES,
                    (journal_id, wallet_id, -price, journal_id, escrow_id, price),
                )
                for statement, params in updates_by_escrow[escrow_id]:
                    cur.execute(statement, params)
                    if cur.rowcount != 1:
                        raise RawInsufficientBalance(f"account update {params} hit no row")
            conn.commit()
        except BaseException:
            conn.rollback()
            raise

    try:
        run_loop(client, barrier, seconds, once, results)
    finally:
        conn.close()


# --- report -------------------------------------------------------------------------------


def service_client_without_risk(client, world, barrier, seconds, results) -> None:
    """Phase A0: phase A's client with risk control's scoring off in this process."""
    from django.conf import settings

    settings.KAMENG_RISK_ENABLED = False
    service_client(client, world, barrier, seconds, results)


def print_table(rounds: list[list[PhaseSummary]], clients: int, seconds: float) -> None:
    print(f"\nplace_order benchmark: {clients} client(s), {seconds:g} s per phase, PostgreSQL")
    header = f"{'round':<7}{'phase':<13}{'orders/s':>10}{'p50 ms':>10}{'p99 ms':>10}"
    print(f"{header}{'count':>9}  errors")
    for number, phases in enumerate(rounds, 1):
        for p in phases:
            errors = ", ".join(f"{k}×{v}" for k, v in p.errors.items()) or "-"
            print(
                f"{number:<7}{p.name:<13}{p.per_second:>10.1f}{p.p50_ms:>10.2f}"
                f"{p.p99_ms:>10.2f}{p.count:>9}  {errors}"
            )
        print(f"{number:<7}service/raw {ratio(phases):>10.1%}")
        print(f"{number:<7}risk on/off {risk_ratio(phases):>10.1%}")
    middle = sorted(rounds, key=ratio)[len(rounds) // 2]
    print(
        f"service/raw throughput: {ratio(middle):.1%} (median of {len(rounds)} rounds:"
        f" service {middle[0].per_second:.1f}, raw {middle[2].per_second:.1f} orders/s)"
    )
    middle = sorted(rounds, key=risk_ratio)[len(rounds) // 2]
    print(
        f"scoring on/off throughput: {risk_ratio(middle):.1%} (median of {len(rounds)} rounds:"
        f" scoring on {middle[0].per_second:.1f}, off {middle[1].per_second:.1f} orders/s)"
    )
    for phases in rounds:
        for p in phases:
            if p.first_error:
                print(f"first error in {p.name}: {p.first_error}")
            if p.out_of_stock:
                print(f"WARNING: {p.name} ran out of stock; raise --stock-per-second")


def ratio(phases: list[PhaseSummary]) -> float:
    service, _, raw = phases
    return service.per_second / raw.per_second if raw.per_second else 0.0


def risk_ratio(phases: list[PhaseSummary]) -> float:
    scored, unscored, _ = phases
    return scored.per_second / unscored.per_second if unscored.per_second else 0.0


# --- main ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    try:
        conninfo = prepare_database(args.database_url)
        world = seed_card_world(args.clients)
    except psycopg.Error as exc:
        print(f"setup failed: {exc}", file=sys.stderr)
        return 2
    stock = int(args.stock_per_second * args.seconds)
    print(
        f"seeded in {time.perf_counter() - started:.1f} s: {args.clients} buyers at depth 3 "
        f"paying {world.unit_price} (platform {world.platform_gross}, spreads {world.spreads})"
    )

    rounds: list[list[PhaseSummary]] = []
    for number in range(1, args.rounds + 1):
        phases = []
        for name, target, args_for in (
            (
                "A service",
                service_client,
                lambda barrier, results: (world, barrier, args.seconds, results),
            ),
            (
                "A0 no risk",
                service_client_without_risk,
                lambda barrier, results: (world, barrier, args.seconds, results),
            ),
            (
                "B raw SQL",
                raw_client,
                lambda barrier, results: (world, conninfo, barrier, args.seconds, results),
            ),
        ):
            ready = stock_phase(world, conninfo, stock, first=not rounds and not phases)
            print(f"round {number} {name}: {ready}; running {args.seconds:g} s ...")
            results = run_phase(name, target, args_for, args.clients, args.seconds)
            phases.append(summarise(name, results, args.seconds))
        rounds.append(phases)

    print_table(rounds, args.clients, args.seconds)
    ledger_problems, card_problems = check_card_books(world, conninfo)
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
