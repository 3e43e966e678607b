"""Forwarded card orders: what buying through a docked site adds over buying upstream.

    .venv/bin/python benchmarks/docked_orders.py [--orders 200] [--postgres URL]
        [--redis redis://127.0.0.1:6379/13]

Two live Kameng sites on this machine, each gunicorn (2 processes × 4 threads) and a
Celery worker on its own database (tests/sites.py starts them; SQLite files, or with
--postgres fresh PostgreSQL databases on that server): the upstream A with a card SKU
and codes, and the downstream B docked to it (`kameng dock connect`, then a sync). With
--redis, B uses that Redis database and A the next one (both FLUSHED; never db 0) as
broker, nonce and rate store, as in production; else files and process memory.

One client, one order at a time, through the open API (kameng.client): `--orders` card
orders straight at A (the codes are in the answer: A's own time), then `--orders` at B
for the mirrored SKU, each polled (GET every 5 ms) until B shows it delivered with its
codes. Printed: p50/p90/p99/max of both, what B adds at p50 and p99, and B's own
placed → delivered time from its database (no polling in it). Exit status 1 if an order
at B ends otherwise than delivered with codes.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.stack import flush_redis, percentile  # noqa: E402
from kameng.client import KamengClient  # noqa: E402
from tests.sites import KamengSite  # noqa: E402

SEED_A = """
    import secrets as random
    from decimal import Decimal
    from kameng.catalog import services as catalog
    from kameng.stock import services as stock
    from kameng.suppliers import services as suppliers
    from tests import factories
    from tests.distributor import distributor_for

    factories.levels()
    supplier = factories.supplier("A卡商")
    product = catalog.create_product("游戏点卡", "基准卡")
    sku = catalog.create_sku(product, "50.00元", Decimal("50.00"))
    suppliers.set_offer(supplier, sku, Decimal("40.00"))
    tag = random.token_hex(4)
    text = "\\n".join(f"C{{tag}}{{i:06d}},S{{tag}}{{i:06d}}" for i in range({codes}))
    stock.import_cards(supplier, sku, text)
    direct_buyer = distributor_for(factories.agent("direct", funds="100000"))
    site_b = distributor_for(factories.agent("site_b", funds="100000"))
    emit({{"sku_id": sku.pk, "direct": [direct_buyer.app_key, direct_buyer.secret],
           "site_b": [site_b.app_key, site_b.secret]}})
"""

SEED_B = """
    from kameng.docking import services as docking
    from kameng.docking.models import DockedSku
    from tests import factories
    from tests.distributor import distributor_for

    factories.levels()
    connection = docking.connect("A", url="{url}", app_key="{key}", secret="{secret}")
    docking.sync(connection)
    buyer = distributor_for(factories.agent("buyer", funds="100000"))
    emit({{"sku_id": DockedSku.objects.get(remote_sku_id={sku}).sku_id,
           "buyer": [buyer.app_key, buyer.secret]}})
"""

TIMES_AT_B = """
    from kameng.orders.models import Order
    rows = Order.objects.filter(out_trade_no__startswith="bench-").order_by("created_at")
    emit([(d - c).total_seconds() * 1000
          for c, d in rows.values_list("created_at", "delivered_at") if d])
"""

ENV = {"KAMENG_RISK_ENABLED": "0", "KAMENG_API_RATE_LIMIT": "100000/1"}


def figures(values: list[float]) -> dict:
    ordered = sorted(values)
    return {
        "p50": round(percentile(ordered, 0.5), 1),
        "p90": round(percentile(ordered, 0.9), 1),
        "p99": round(percentile(ordered, 0.99), 1),
        "max": round(ordered[-1], 1),
        "mean": round(statistics.fmean(ordered), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--postgres", help="a PostgreSQL server URL for both sites")
    parser.add_argument("--redis", help="B's Celery broker (a Redis database, flushed)")
    options = parser.parse_args()
    if options.postgres:
        os.environ["DATABASE_URL"] = options.postgres  # tests/sites.py: PostgreSQL sites
    env_a, env_b = dict(ENV), dict(ENV)
    if options.redis:  # each site its own database on that server: queues must not mix
        base, _, number = options.redis.rpartition("/")
        for env, url in ((env_b, options.redis), (env_a, f"{base}/{int(number) + 1}")):
            flush_redis(url)
            env.update(REDIS_URL=url, KAMENG_SINGLE_HOST="1")
    root = Path(os.environ.get("TMPDIR", "/tmp")) / f"kameng-bench-docked-{os.getpid()}"
    a = KamengSite("bench_a", root, env=env_a, server="gunicorn")
    b = KamengSite("bench_b", root, env=env_b, server="gunicorn")
    warm = 10
    try:
        a.start()
        seeded = a.run(SEED_A.format(codes=2 * (options.orders + warm) + 10))
        b.start()
        key, secret = seeded["site_b"]
        docked = b.run(SEED_B.format(url=a.url, key=key, secret=secret, sku=seeded["sku_id"]))
        at_a = KamengClient(a.url, *seeded["direct"])
        at_b = KamengClient(b.url, *docked["buyer"])
        own = []
        for n in range(options.orders + warm):
            start = time.perf_counter()
            order = at_a.create_order(out_trade_no=f"own-{n}", sku_id=seeded["sku_id"])
            assert order["status"] == "delivered" and order["cards"], order
            if n >= warm:
                own.append((time.perf_counter() - start) * 1000)
        forwarded, wrong = [], 0
        for n in range(options.orders + warm):
            start = time.perf_counter()
            order = at_b.create_order(out_trade_no=f"bench-{n}", sku_id=docked["sku_id"])
            while order["status"] == "delivering":
                time.sleep(0.005)
                order = at_b.order(order["order_no"])
            elapsed = (time.perf_counter() - start) * 1000
            if order["status"] != "delivered" or not order["cards"]:
                wrong += 1
            elif n >= warm:
                forwarded.append(elapsed)
        at_b_db = b.run(TIMES_AT_B)[warm:]
    finally:
        for site in (b, a):
            site.stop()
    own_figures, forwarded_figures = figures(own), figures(forwarded)
    result = {
        "orders": options.orders,
        "database": "postgresql" if options.postgres else "sqlite",
        "broker_at_b": "redis" if options.redis else "files",
        "upstream_own_ms": own_figures,
        "forwarded_ms": forwarded_figures,
        "added_ms": {
            "p50": round(forwarded_figures["p50"] - own_figures["p50"], 1),
            "p99": round(forwarded_figures["p99"] - own_figures["p99"], 1),
        },
        "b_placed_to_delivered_ms": figures(at_b_db) if at_b_db else None,
        "not_delivered": wrong,
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
