"""The end user's whole path over HTTP: product page, checkout, the gateway, the notify,
the result page with the codes.

    .venv/bin/python benchmarks/storefront.py [--clients 1,16] [--seconds 10]
        [--web-workers 4] [--threads 4] [--client-processes 8]
        [--database-url postgres://postgres@127.0.0.1:5432/kameng_bench_shop]
        [--redis-url redis://127.0.0.1:6379/12]

The production stack runs on this machine: PostgreSQL, Redis, gunicorn (gthread,
--web-workers × --threads, keep-alive, DEBUG off) and the simulated 易支付 provider
(`kameng sim-pay`, its own process, notifying at once) configured as the payment gateway.
DROPPED and recreated: the database of --database-url (its name must contain "bench");
FLUSHED: the Redis database of --redis-url (never db 0). The seed is place_orders.py's
card world (benchmarks/stack.py); one of its agents gets a storefront selling the card.

Each client is a buyer with its own cookies, phone number and address (sent as
X-Forwarded-For, with KAMENG_TRUSTED_PROXIES=1 as behind a reverse proxy), looping for
--seconds over one purchase of one card, timed step by step:

  product   GET  /s/<slug>/p/<sku>/                 the product page and its form
  checkout  POST the form → 303 → GET /pay/<no>/     the order, its held code, the
                                                      payment started, the hand-off page
  gateway   POST submit.php, POST pay.php (sim)       the simulated cashier: the buyer
                                                      pays; the sim sends its notify
  result    GET  /pay/return/epay/ → 303 → result    until the page shows the code (the
                                                      notify applied, else its status
                                                      fragment polled every 20 ms)

A flow counts when its result page showed the code inside the window. The captcha that
checkout asks for after a few orders from one address is switched off
(KAMENG_STOREFRONT_CAPTCHA_AFTER): a benchmark is not a person. Afterwards the books are
checked: every flow's order delivered once with one code, one payment journal per paid
order, no code sold twice, `ledger.verify()` clean. Exit status 1 if a check fails or a
flow erred, 2 if the setup fails.
"""

import argparse
import html
import multiprocessing as mp
import re
import sys
import threading
import time
from array import array
from dataclasses import dataclass, field
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.stack import (  # noqa: E402  (needs ROOT on sys.path)
    BARRIER_TIMEOUT,
    BIN,
    SetupFailed,
    Stack,
    bring_up,
    free_port,
    percentile,
    seed_card_world,
    setup_failed,
    stock_phase,
)

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/kameng_bench_shop"
DEFAULT_REDIS = "redis://127.0.0.1:6379/12"
STEPS = ("product", "checkout", "gateway", "result")
SLUG = "bench-shop"
SIM_PID = "1001"
SIM_KEY = "kameng-bench-epay-key-0123456789"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="1,16", help="client counts, comma-separated")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase")
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4, help="threads per web worker")
    parser.add_argument("--client-processes", type=int, default=8)
    parser.add_argument("--stock", type=int, default=20000, help="cards before each phase")
    parser.add_argument("--database-url", default=DEFAULT_DB, help="dropped and recreated!")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS, help="flushed!")
    args = parser.parse_args(argv)
    try:
        args.clients = [int(n) for n in args.clients.split(",")]
    except ValueError:
        parser.error("--clients: numbers separated by commas, e.g. 1,16")
    if min(args.clients) < 1 or args.seconds <= 0 or args.client_processes < 1:
        parser.error("--clients, --seconds and --client-processes must be positive")
    return args


# --- a browser, as little of one as the path needs -----------------------------------------


class Browser:
    """One buyer: keep-alive connections per host, cookies, its own address."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.cookies: dict[str, str] = {}
        self.connections: dict[str, HTTPConnection] = {}

    def request(
        self, method: str, url: str, form: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], str]:
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {"X-Forwarded-For": self.address}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = url  # Django's CSRF check wants one on https; harmless here
        for attempt in (1, 2):
            conn = self.connections.get(parts.netloc)
            if conn is None:
                conn = self.connections[parts.netloc] = HTTPConnection(parts.netloc, timeout=30)
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                text = response.read().decode("utf-8", "replace")
                break
            except (ConnectionError, OSError):
                conn.close()
                del self.connections[parts.netloc]
                if attempt == 2:
                    raise
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
        return response.status, {k.lower(): v for k, v in response.getheaders()}, text


def hidden_fields(page: str, form_id: str = "") -> tuple[str, dict[str, str]]:
    """(action, {name: value}) of the page's form (with that id)."""
    pattern = rf'<form[^>]*id="{form_id}"[^>]*>(.*?)</form>' if form_id else r"<form(.*?)</form>"
    found = re.search(pattern, page, re.S)
    if found is None:
        raise AssertionError(f"no form {form_id!r} on the page")
    tag = re.search(rf'<form[^>]*id="{form_id}"[^>]*>' if form_id else r"<form[^>]*>", page)
    action = re.search(r'action="([^"]*)"', tag.group(0)) if tag else None
    fields = {
        html.unescape(name): html.unescape(value)
        for name, value in re.findall(
            r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', found.group(0)
        )
    }
    return html.unescape(action.group(1)) if action else "", fields


@dataclass
class FlowResult:
    client: int
    steps: dict[str, array] = field(default_factory=lambda: {s: array("d") for s in STEPS})
    flows: array = field(default_factory=lambda: array("d"))
    orders: list[str] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    first_error: str = ""


def buy_once(shop: str, sku_id: int, browser: Browser, phone: str, timings: dict) -> str:
    """One purchase, step by step; returns the order number once its code is shown."""
    product_url = f"{shop}/s/{SLUG}/p/{sku_id}/"
    t = time.perf_counter()
    status, _, page = browser.request("GET", product_url)
    assert status == 200, f"product page: {status}"
    _, fields = hidden_fields(page, "checkout")
    timings["product"] = time.perf_counter() - t

    t = time.perf_counter()
    form = {
        "csrfmiddlewaretoken": fields["csrfmiddlewaretoken"],
        "quantity": "1",
        "contact": phone,
        "payment_type": "alipay",
    }
    status, headers, page = browser.request("POST", product_url, form)
    assert status == 303, f"checkout: {status} {page[:300]}"
    status, _, page = browser.request("GET", shop + headers["location"])
    assert status == 200, f"hand-off page: {status}"
    gateway_url, signed = hidden_fields(page, "pay-handoff")
    order_no = signed["out_trade_no"]
    timings["checkout"] = time.perf_counter() - t

    t = time.perf_counter()
    status, _, page = browser.request("POST", gateway_url, signed)
    assert status == 200, f"gateway page: {status}"
    trade_no = re.search(r'name="trade_no" value="([^"]+)"', page).group(1)  # the 支付 form
    base = gateway_url.rsplit("/", 1)[0]
    status, headers, _ = browser.request("POST", f"{base}/pay.php", {"trade_no": trade_no})
    assert status == 302, f"paying: {status}"
    timings["gateway"] = time.perf_counter() - t

    t = time.perf_counter()
    status, headers, _ = browser.request("GET", headers["location"])
    assert status in (302, 303), f"return: {status}"
    result_url = shop + headers["location"]
    status, _, page = browser.request("GET", result_url)
    status_url = result_url.replace(f"/o/{order_no}/", f"/o/{order_no}/status/")
    while "secret__value" not in page:
        if time.perf_counter() - t > 20:
            raise AssertionError(f"{order_no}: no code on the result page after 20 s")
        time.sleep(0.02)
        status, _, page = browser.request("GET", status_url)
    timings["result"] = time.perf_counter() - t
    return order_no


def client_process(first: int, count: int, shop: str, sku_id: int, barrier, seconds, out) -> None:
    """`count` client threads (numbered from `first`) in this process."""
    results: list[FlowResult] = []
    ready = threading.Barrier(count + 1)

    def run(n: int) -> None:
        result = FlowResult(n)
        results.append(result)
        browser = Browser(f"10.{n // 250}.{n % 250}.{7}")
        phone = f"138{n:08d}"
        try:
            buy_once(shop, sku_id, browser, phone, {})  # warm-up, not counted
        except Exception as exc:
            result.errors[type(exc).__name__] = 1
            result.first_error = f"warm-up: {type(exc).__name__}: {exc}"
        ready.wait()
        go.wait()
        deadline = start_at[0] + seconds
        while time.perf_counter() < deadline:
            timings: dict[str, float] = {}
            t0 = time.perf_counter()
            try:
                order_no = buy_once(shop, sku_id, browser, phone, timings)
            except Exception as exc:
                name = type(exc).__name__
                result.errors[name] = result.errors.get(name, 0) + 1
                result.first_error = result.first_error or f"{name}: {exc}"
                if sum(result.errors.values()) >= 20:
                    break
                continue
            if time.perf_counter() <= deadline:
                result.flows.append(time.perf_counter() - t0)
                result.orders.append(order_no)
                for step, took in timings.items():
                    result.steps[step].append(took)

    start_at = [0.0]
    go = threading.Event()
    threads = [threading.Thread(target=run, args=(first + i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    ready.wait()
    barrier.wait(BARRIER_TIMEOUT)
    start_at[0] = time.perf_counter()
    go.set()
    for thread in threads:
        thread.join()
    out.put(results)


@dataclass
class Phase:
    clients: int
    flows: int
    per_second: float
    flow_p50: float
    flow_p99: float
    steps: dict[str, tuple[float, float]]
    orders: list[str]
    errors: dict[str, int]
    first_error: str


def run_phase(args: argparse.Namespace, clients: int, shop: str, sku_id: int) -> Phase:
    from django.db import connections

    connections.close_all()
    processes = min(clients, args.client_processes)
    per = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(processes + 1)
    out = ctx.Queue()
    procs, first = [], 0
    for count in per:
        procs.append(
            ctx.Process(
                target=client_process,
                args=(first, count, shop, sku_id, barrier, args.seconds, out),
            )
        )
        first += count
    for proc in procs:
        proc.start()
    barrier.wait(BARRIER_TIMEOUT + 60)
    results: list[FlowResult] = []
    for _ in procs:
        results += out.get(timeout=BARRIER_TIMEOUT + args.seconds + 120)
    for proc in procs:
        proc.join(30)
    flows = sorted(x for r in results for x in r.flows)
    errors: dict[str, int] = {}
    for r in results:
        for name, n in r.errors.items():
            errors[name] = errors.get(name, 0) + n
    steps = {}
    for step in STEPS:
        values = sorted(x for r in results for x in r.steps[step])
        steps[step] = (percentile(values, 0.5) * 1000, percentile(values, 0.99) * 1000)
    return Phase(
        clients=clients,
        flows=len(flows),
        per_second=len(flows) / args.seconds,
        flow_p50=percentile(flows, 0.5) * 1000,
        flow_p99=percentile(flows, 0.99) * 1000,
        steps=steps,
        orders=[no for r in results for no in r.orders],
        errors=errors,
        first_error=next((r.first_error for r in results if r.first_error), ""),
    )


# --- the stack ------------------------------------------------------------------------------


def start_sim(stack: Stack) -> str:
    """The simulated gateway as its own process; its URL once it answers."""
    sim_port = free_port()
    argv = [str(BIN / "kameng"), "sim-pay", "--port", str(sim_port), "--pid", SIM_PID]
    stack.start("sim-pay", [*argv, "--key", SIM_KEY])

    def answers() -> str | None:
        conn = HTTPConnection("127.0.0.1", sim_port, timeout=2)
        try:
            conn.request("GET", "/_sim/trades")
            return f"http://127.0.0.1:{sim_port}" if conn.getresponse().status == 200 else None
        finally:
            conn.close()

    return stack.wait_for(answers, lambda: f"sim-pay not answering\n{stack.tail('sim-pay')}", 0.2)


def start_gunicorn(stack: Stack, args: argparse.Namespace, port: int) -> str:
    """gunicorn (gthread) on 127.0.0.1:`port`; its URL once the storefront answers."""
    argv = [str(BIN / "gunicorn"), "kameng.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    argv += ["--workers", str(args.web_workers), "--worker-class", "gthread"]
    argv += ["--threads", str(args.threads), "--keep-alive", "75", "--log-level", "warning"]
    if Path("/dev/shm").is_dir():
        argv += ["--worker-tmp-dir", "/dev/shm"]
    stack.start("gunicorn", argv)

    def answers() -> str | None:
        conn = HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", f"/s/{SLUG}/")
            status = conn.getresponse().status
        finally:
            conn.close()
        if status != 200:
            raise SetupFailed(f"the storefront answered {status}")
        return f"http://127.0.0.1:{port}"

    return stack.wait_for(answers, lambda: f"gunicorn not answering\n{stack.tail('gunicorn')}", 0.2)


def seed_shop(world, sim_url: str) -> None:
    from kameng.agents.models import Agent
    from kameng.payments import services as payments
    from kameng.storefront import services as storefronts

    seller = Agent.objects.get(pk=world.buyers[0][0])
    storefronts.set_storefront(seller, slug=SLUG, name="压测小店")
    payments.configure_gateway("epay", url=sim_url, pid=SIM_PID, key=SIM_KEY, types="alipay")


# --- report and checks ----------------------------------------------------------------------


def print_table(phases: list[Phase], args: argparse.Namespace) -> None:
    print(
        f"\nstorefront benchmark: {args.seconds:g} s per phase, gunicorn {args.web_workers} × "
        f"{args.threads} threads, PostgreSQL + Redis, sim-pay; times in ms (p50 / p99)"
    )
    head = f"{'clients':>7} {'flows/s':>8} {'flow':>15}" + "".join(f" {s:>15}" for s in STEPS)
    print(head + "  errors")
    for p in phases:
        cells = "".join(f" {p.steps[s][0]:>6.1f} / {p.steps[s][1]:<6.1f}" for s in STEPS)
        errors = ", ".join(f"{k}×{v}" for k, v in p.errors.items()) or "-"
        print(
            f"{p.clients:>7} {p.per_second:>8.1f} {p.flow_p50:>6.1f} / {p.flow_p99:<6.1f}"
            f"{cells}  {errors}"
        )
    for p in phases:
        if p.first_error:
            print(f"first error at {p.clients} client(s): {p.first_error}")


def check(phases: list[Phase], conninfo: str) -> bool:
    from kameng.ledger.services import verify

    problems = verify()
    counted = [no for p in phases for no in p.orders]
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute(
            """
            SELECT o.order_no, o.status,
                (SELECT count(*) FROM supply_card c WHERE c.order_id = o.id AND c.status = 'sold'),
                (SELECT count(*) FROM ledger_journal j
                 WHERE j.reference = o.order_no AND j.kind = 'order_pay')
            FROM orders_order o WHERE o.order_no = ANY(%s)
            """,
            [counted],
        ).fetchall()
        twice = conn.execute(
            "SELECT count(*) FROM (SELECT order_id FROM supply_card WHERE order_id IS NOT NULL"
            " GROUP BY id, order_id HAVING count(*) > 1) x"
        ).fetchone()[0]
    if len(rows) != len(set(counted)):
        problems.append(f"{len(set(counted))} flows counted, {len(rows)} orders found")
    problems += [
        f"{no}: {status}, {cards} code(s), {journals} payment journal(s)"
        for no, status, cards, journals in rows
        if status != "delivered" or cards != 1 or journals != 1
    ]
    if twice:
        problems.append(f"{twice} code(s) sold twice")
    print(
        "books: "
        + (
            "balanced; every flow's order delivered once with one code"
            if not problems
            else "PROBLEMS"
        )
    )
    for problem in problems[:20]:
        print(f"  {problem}")
    return not problems


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    stack = Stack("shop")  # also: SIGTERM exits, so the finally below runs
    ok = False
    try:
        try:
            conninfo, port = bring_up(
                args.database_url,
                args.redis_url,
                {
                    "KAMENG_ALLOWED_HOSTS": "127.0.0.1",
                    "KAMENG_TRUSTED_PROXIES": "1",
                    "KAMENG_STOREFRONT_CAPTCHA_AFTER": "1000000000",
                },
            )
            world = seed_card_world(1)
            seed_shop(world, start_sim(stack))
            shop = start_gunicorn(stack, args, port)
        except (Exception, SystemExit) as exc:  # recreate_database refuses by SystemExit
            return setup_failed(exc)
        print(
            f"set up in {time.perf_counter() - started:.1f} s: shop at {shop}/s/{SLUG}/", flush=True
        )
        phases = []
        for clients in args.clients:
            ready = stock_phase(world, conninfo, args.stock, first=not phases)
            print(f"{clients} client(s): {ready}; running {args.seconds:g} s ...", flush=True)
            phases.append(run_phase(args, clients, shop, world.sku_id))
        print_table(phases, args)
        ok = check(phases, conninfo) and not any(p.errors for p in phases)
        print(f"total run time {time.perf_counter() - started:.1f} s")
        return 0 if ok else 1
    except SetupFailed as exc:
        print(f"a process of the stack died: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        stack.close(ok)


if __name__ == "__main__":
    sys.exit(main())
