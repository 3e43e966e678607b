"""The live stack for end-to-end tests (top-ups, webhooks, the open API): real Celery
workers (threads), the live Django server, simulated suppliers over real HTTP. Nothing
is mocked. Loaded for every test directory by tests/conftest.py."""

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from decimal import Decimal

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from celery.worker import state as worker_state
from django.db import connections
from kombu.asynchronous import set_event_loop

from kameng.catalog.models import Sku
from kameng.celery import app as celery_app
from kameng.suppliers import services as suppliers
from kameng.suppliers.models import Supplier
from kameng.upstream import services as upstream
from kameng.upstream.simulator import SimConfig, SimProduct, SimulatedSupplier
from tests import factories

PRODUCT = "MOBILE-50"


@pytest.fixture
def topup_settings(settings, live_server):
    settings.KAMENG_PUBLIC_URL = live_server.url
    settings.KAMENG_SUPPLIER_TIMEOUT = 0.5
    settings.KAMENG_TOPUP_QUERY_AFTER_SECONDS = 0.4
    settings.KAMENG_TOPUP_QUERY_MAX_SECONDS = 2
    return settings


WORKER_THREADS = 4


@pytest.fixture(scope="session")
def _worker_thread(django_db_setup, django_db_blocker) -> Iterator[object]:
    """Real workers for the session, on the configured broker (files on SQLite runs,
    Redis with REDIS_URL), one per queue as production runs them: "celery" (top-ups
    and the rest) and "webhooks"; stopping them takes seconds, so they start once.
    Yields the "celery" one."""
    # Production workers keep their connections (CELERY_DB_REUSE_MAX); here each task
    # closes its own, so none is left open on the test database when it is dropped.
    task_postrun.connect(_close_connections, weak=False)
    with django_db_blocker.unblock(), ExitStack() as running:
        _purge()
        tasks = running.enter_context(_embedded_worker(celery_app, "celery"))
        running.enter_context(_embedded_worker(webhooks_app, "webhooks"))
        # Starting a worker makes its app the default one: the project's app again.
        celery_app.set_default()
        celery_app.set_current()
        yield tasks
    task_postrun.disconnect(_close_connections)


def _make_webhooks_app() -> Celery:
    """Celery keeps a worker's choice of queues on its app (app.amqp.queues), so the
    second worker in this process runs on an app of its own, configured alike."""
    app = Celery("kameng")
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.autodiscover_tasks()
    return app


webhooks_app = _make_webhooks_app()


@contextmanager
def _embedded_worker(app: Celery, queue: str) -> Iterator[object]:
    """A worker on `queue` with an event loop of its own: Celery's Hub step takes the
    process's current kombu event loop if there is one, and two workers sharing one,
    run from two threads, stall each other (on Redis, whose transport uses it)."""
    set_event_loop(None)
    with start_worker(
        app,
        pool="threads",
        concurrency=WORKER_THREADS,
        perform_ping_check=False,
        shutdown_timeout=30,
        queues=[queue],
        hostname=f"{queue}@test",
    ) as running:
        yield running


def _purge() -> None:
    """Drop every waiting task of both queues (each app purges the queue it consumes)."""
    celery_app.control.purge()
    webhooks_app.control.purge()


def _close_connections(**kwargs) -> None:
    connections.close_all()


@pytest.fixture
def worker(transactional_db, topup_settings, _worker_thread) -> Iterator[object]:
    """The workers, with empty queues: no test sees another's tasks. Afterwards they
    are let run dry (tasks held for later included), so nothing they do overlaps the
    emptying of the test database."""
    _purge()
    yield _worker_thread
    _purge()
    deadline = time.monotonic() + 15
    while worker_state.active_requests or worker_state.reserved_requests:
        if time.monotonic() > deadline:
            raise AssertionError("a worker is still busy 15 s after the test")
        time.sleep(0.05)


@pytest.fixture
def sims(worker) -> Iterator[Callable[..., SimulatedSupplier]]:
    """Simulated suppliers; stopped before the worker runs dry (no more callbacks)."""
    started: list[SimulatedSupplier] = []

    def make(stock: int | None = None, **config) -> SimulatedSupplier:
        config.setdefault("process_time", 0.05)
        products = {PRODUCT: SimProduct(Decimal("45.00"), stock=stock)}
        sim = SimulatedSupplier(SimConfig(products=products, **config)).start()
        started.append(sim)
        return sim

    yield make
    for sim in started:
        sim.stop()


@pytest.fixture
def direct_world(transactional_db):
    """The usual agent chain plus a direct SKU (face 50) no supplier serves yet."""
    world = factories.World.build()
    world.direct = factories.sku("50.00", kind=Sku.Kind.DIRECT)
    return world


def connect(sim: SimulatedSupplier, sku: Sku, cost: str = "45.00", name: str = "") -> Supplier:
    """An approved API supplier speaking to `sim`, licensed for `sku` at `cost`."""
    source = factories.supplier(name or None)
    upstream.configure_api(
        source,
        adapter="kameng-http",
        base_url=sim.url,
        merchant_id=sim.config.merchant_id,
        secret=sim.config.secret,
    )
    suppliers.set_offer(source, sku, Decimal(cost), remote_sku=PRODUCT)
    return source


def wait_until(check: Callable[[], bool], timeout: float = 10.0) -> float:
    """Seconds it took for `check` to hold; fails the test after `timeout`."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not reached within {timeout}s")
        time.sleep(0.02)
    return time.monotonic() - start
