"""Demo data, loaded through the same services operators use.

A platform operator, two suppliers, the agent chain agent1 → agent2 → agent3 with
prepaid balances, 24 SKUs across game cards, phone top-up and video memberships,
and a few thousand card codes. For end users: the payment gateway pointed at the bundled
simulated 易支付 provider (`kameng sim-pay`, which `make demo` runs), a storefront for
every agent, the platform's own storefront (run by the house agent `kameng`, a level-1
agent that buys nothing itself: what its shop earns above the level-1 price is the
platform's), a coupon and a price tier to try.

For the consoles: a log-in per role (distributors agent1–agent3, suppliers `supplier1`
for 星辰卡业 and `supplier2` for 速充通讯, an applicant `applicant1` whose application
waits in the operator's queue, the operator), two weeks of card sales so the dashboards
have something to draw, and one of each request the operator's queues hold.
"""

import io
import json
import random
import secrets
from datetime import datetime, timedelta
from decimal import Decimal

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone
from PIL import Image

from kameng import vault
from kameng.agents import requests as agent_requests
from kameng.agents import services as agents
from kameng.agents.credentials import create_api_key
from kameng.agents.models import Agent, ApiKey
from kameng.catalog import services as catalog
from kameng.catalog.models import Sku
from kameng.errors import DomainError
from kameng.ledger.models import Journal
from kameng.orders import services as orders
from kameng.orders.models import Order, OrderEvent
from kameng.payments import services as payments
from kameng.payments.simulator import DEFAULT_KEY as SIM_PAY_KEY
from kameng.payments.simulator import DEFAULT_PID as SIM_PAY_PID
from kameng.stock import services as stock
from kameng.storefront import services as storefronts
from kameng.suppliers import services as suppliers
from kameng.suppliers.accounts import register_supplier_user
from kameng.suppliers.models import Supplier
from kameng.suppliers.onboarding import submit_application
from kameng.upstream import services as upstream

OPERATOR = ("operator", "kameng-demo")
AGENTS = [
    ("agent1", None, "10000.00"),
    ("agent2", "agent1", "5000.00"),
    ("agent3", "agent2", "2000.00"),
]
AGENT_PASSWORD = "kameng-demo"
# Supplier people (username, supplier or None for an applicant), with AGENT_PASSWORD.
SUPPLIER_PEOPLE = [("supplier1", "星辰卡业"), ("supplier2", "速充通讯"), ("applicant1", None)]
# Card sales on each of the last HISTORY_DAYS days (fixed seed: the same demo every time).
HISTORY_DAYS = 14
LEVELS = [(1, "一级代理", "0.9500"), (2, "二级代理", "0.9700"), (3, "推广者", "0.9850")]
CODES_PER_CARD_SKU = 150

# (category, product, [face values], kind)
GOODS = [
    ("游戏点卡", "腾讯Q币卡", ["10", "30", "50", "100"], Sku.Kind.CARD),
    ("游戏点卡", "网易一卡通", ["15", "30", "50"], Sku.Kind.CARD),
    ("游戏点卡", "完美一卡通", ["15", "30"], Sku.Kind.CARD),
    ("游戏点卡", "Steam 充值卡", ["50", "100"], Sku.Kind.CARD),
    ("话费充值", "中国移动话费直充", ["30", "50", "100"], Sku.Kind.DIRECT),
    ("话费充值", "中国联通话费直充", ["30", "50", "100"], Sku.Kind.DIRECT),
    ("视频会员", "爱奇艺黄金会员", ["25", "68", "248"], Sku.Kind.CARD),
    ("视频会员", "腾讯视频VIP", ["30", "88"], Sku.Kind.CARD),
    ("视频会员", "优酷VIP", ["25", "198"], Sku.Kind.CARD),
]
COST_RATIO = Decimal("0.92")  # suppliers sell to the platform at 92% of face value
# The top-up supplier is the bundled simulator (`make demo` starts it with this catalog).
SIM_MERCHANT = ("demo", "kameng-demo-sim-secret")
DIRECT_SUPPLIER = "速充通讯"
DEMO_KEY_LABEL = "demo"
# The platform's own storefront (shown at /) is run by this level-1 house agent.
HOUSE_AGENT = "kameng"
# (agent, slug, name, colour, notice)
STOREFRONTS = [
    (
        HOUSE_AGENT,
        "official",
        "Kameng 官方商城",
        "#1677ff",
        "正版授权，自动发货。会员券 VIP3 九七折。",
    ),
    ("agent1", "xingchen", "星辰卡铺", "#0f766e", "付款后秒发。新客券 NEW2：满 50 减 2。"),
    ("agent2", "suchong", "速充小店", "#c2410c", "话费直充，到账快。"),
    ("agent3", "tuiguang", "推广者小店", "#7c3aed", "游戏点卡、视频会员，自动发货。"),
]


def sim_catalog_path():
    return settings.DATA_DIR / "demo-sim-catalog.json"


def seed_demo() -> dict:
    """Load the demo once. A second run loads nothing and says so, shows the demo API
    key again and where the demo's top-up supplier sends top-ups."""
    if Agent.objects.filter(user__username="agent1").exists():
        return {
            "seeded": False,
            "reason": "demo data already present",
            "operator": {"username": OPERATOR[0], "password": OPERATOR[1]},
            **_demo_api_key(),
            "simulated_supplier": _simulator_in_use(),
            **_storefront_links(),
            "consoles": _console_logins(),
        }
    with transaction.atomic():
        user_model = get_user_model()
        user_model.objects.create_superuser(OPERATOR[0], "operator@example.com", OPERATOR[1])
        for depth, name, discount in LEVELS:
            agents.set_level(depth, name, Decimal(discount))
        card_supplier = suppliers.create_supplier("星辰卡业", status=Supplier.Status.APPROVED)
        direct_supplier = suppliers.create_supplier(
            DIRECT_SUPPLIER, status=Supplier.Status.APPROVED
        )
        upstream.configure_api(
            direct_supplier,
            adapter="kameng-http",
            base_url=settings.KAMENG_DEMO_SIM_URL,
            merchant_id=SIM_MERCHANT[0],
            secret=SIM_MERCHANT[1],
        )
        sim_catalog: dict[str, dict] = {}
        card_skus = []
        for category, product_name, faces, kind in GOODS:
            product = catalog.create_product(category, product_name)
            for face in faces:
                sku = catalog.create_sku(product, f"{face}元", Decimal(face), kind=kind)
                supplier = card_supplier if kind == Sku.Kind.CARD else direct_supplier
                remote_sku = f"SIM-{sku.pk}" if kind == Sku.Kind.DIRECT else None
                offer = suppliers.set_offer(
                    supplier, sku, sku.face_value * COST_RATIO, remote_sku=remote_sku
                )
                if remote_sku:
                    sim_catalog[remote_sku] = {"price": str(offer.cost), "stock": 100000}
                else:
                    card_skus.append(sku)
        codes = 0
        for sku in card_skus:
            text = "\n".join(
                f"{sku.pk:03d}{secrets.randbelow(10**12):012d},{secrets.token_hex(8).upper()}"
                for _ in range(CODES_PER_CARD_SKU)
            )
            codes += stock.import_cards(card_supplier, sku, text, source_name="demo").imported
        sim_catalog_path().write_text(json.dumps(sim_catalog, indent=2))
        by_name: dict[str, Agent] = {}
        for username, parent, balance in AGENTS:
            agent = agents.create_agent(
                username, parent=by_name.get(parent or ""), password=AGENT_PASSWORD
            )
            agents.top_up(agent, Decimal(balance), reference=f"demo-{username}")
            by_name[username] = agent
        # So the open API can be tried at once (docs/API.md); shown only here.
        api_key = create_api_key(by_name["agent3"], label=DEMO_KEY_LABEL)
        by_name[HOUSE_AGENT] = agents.create_agent(HOUSE_AGENT)  # no log-in: the operator runs it
        _seed_storefronts(by_name, card_skus)
        _seed_console_people([card_supplier, direct_supplier])
        _seed_history(by_name, card_skus)
        _seed_requests(by_name)
    return {
        "seeded": True,
        "operator": {"username": OPERATOR[0], "password": OPERATOR[1]},
        "agents": [name for name, _, _ in AGENTS],
        "skus": Sku.objects.count(),
        "card_codes": codes,
        "api_key": {
            "agent": "agent3",
            "app_key": api_key.key.app_key,
            "secret": api_key.secret,
        },
        "simulated_supplier": {
            "url": settings.KAMENG_DEMO_SIM_URL,
            "catalog": str(sim_catalog_path()),
        },
        **_storefront_links(),
        "consoles": _console_logins(),
    }


def _console_logins() -> dict:
    return {
        "url": "/console/",
        "distributors": [name for name, _, _ in AGENTS],
        "suppliers": [name for name, _ in SUPPLIER_PEOPLE],
        "operator": OPERATOR[0],
        "password": AGENT_PASSWORD,
    }


def _seed_console_people(approved: list[Supplier]) -> None:
    """A log-in for each supplier, and an applicant with its application waiting."""
    by_name = {supplier.name: supplier for supplier in approved}
    for username, supplier_name in SUPPLIER_PEOPLE:
        account = register_supplier_user(
            username,
            AGENT_PASSWORD,
            f"{username}@example.com",
            supplier=by_name.get(supplier_name or ""),
        )
        if supplier_name is None:
            licence = ContentFile(_png(), name="营业执照.png")
            submit_application(
                company_name="云端数卡（深圳）有限公司",
                licence_number="91440300MA5DK8Q2X3",
                contact_name="李经理",
                contact_phone="13800138000",
                contact_email=f"{username}@example.com",
                documents=[licence],
                goods_note="网易一卡通、Steam 充值卡，日供 5000 张",
                applicant=account.user,
            )


def _seed_history(by_name: dict[str, Agent], card_skus: list[Sku]) -> None:
    """Card sales over the last HISTORY_DAYS days, placed through place_order now and
    then dated back (only this demo does that), most confirmed by their buyers so
    their spreads are released; one disputed, for the operator's queue."""
    rng = random.Random(2026)
    buyers = [by_name["agent1"], by_name["agent2"], by_name["agent3"]]
    for agent in buyers:  # what the two weeks cost, paid in before them
        agents.top_up(agent, Decimal("3000.00"), reference=f"demo-history-{agent.user.username}")
    cheap = [sku for sku in card_skus if sku.face_value <= 50]
    now = timezone.now()
    placed: list[Order] = []
    # Two weeks of history placed in one burst: not live traffic, so not scored by risk
    # control (its velocity rules would hold the burst for review).
    with override_settings(KAMENG_RISK_ENABLED=False):
        _place_history(buyers, cheap, rng, now, placed)
    orders.open_dispute(placed[-1], "卡密提示已被使用")


def _place_history(
    buyers: list[Agent], cheap: list[Sku], rng: random.Random, now: datetime, placed: list[Order]
) -> None:
    for days_ago in range(HISTORY_DAYS - 1, -1, -1):
        for n in range(rng.randint(3, 8) + (HISTORY_DAYS - days_ago) // 3):
            order = orders.place_order(
                agent=rng.choice(buyers),
                sku_id=rng.choice(cheap).pk,
                quantity=rng.choice((1, 1, 1, 2)),
                out_trade_no=f"demo-{days_ago:02d}-{n:02d}",
            ).order
            if days_ago >= 2 and rng.random() < 0.85:
                order = orders.confirm_receipt(order)
            placed.append(order)
            _date_back(order, now - timedelta(days=days_ago, minutes=rng.randint(0, 600)))


def _date_back(order: Order, when: object) -> None:
    shift = when - order.created_at
    moved = {
        field: getattr(order, field) + shift
        for field in ("created_at", "paid_at", "delivered_at", "confirm_deadline", "closed_at")
        if getattr(order, field) is not None
    }
    Order.objects.filter(pk=order.pk).update(**moved)
    for event in OrderEvent.objects.filter(order=order):
        OrderEvent.objects.filter(pk=event.pk).update(at=event.at + shift)
    for journal in Journal.objects.filter(reference=order.order_no):
        Journal.objects.filter(pk=journal.pk).update(created_at=journal.created_at + shift)


def _seed_requests(by_name: dict[str, Agent]) -> None:
    """A top-up and a withdrawal waiting for the operator."""
    agent_requests.request_top_up(by_name["agent2"], "500.00", "DEMO-BANK-20261201", "工行转账")
    agent_requests.request_withdrawal(by_name["agent1"], "200.00", "支付宝 agent1@example.com")


def _seed_storefronts(by_name: dict[str, Agent], card_skus: list[Sku]) -> None:
    """The gateway (the simulated 易支付 provider), a storefront per agent, the platform's
    own, a coupon and a price tier."""
    payments.configure_gateway(
        "epay",
        url=settings.KAMENG_DEMO_PAY_URL,
        pid=SIM_PAY_PID,
        key=SIM_PAY_KEY,
        types="alipay,wxpay,qqpay",
    )
    for username, slug, name, colour, notice in STOREFRONTS:
        storefronts.set_storefront(
            by_name[username],
            slug=slug,
            name=name,
            colour=colour,
            notice=notice,
            platform=username == HOUSE_AGENT,
        )
    # Coupons come out of the shop owner's own margin (5% for a level-1 agent here).
    storefronts.create_coupon(
        by_name["agent1"], code="NEW2", kind="fixed", value=Decimal("2"), min_amount=Decimal("50")
    )
    storefronts.create_coupon(by_name[HOUSE_AGENT], code="VIP3", kind="percent", value=Decimal("3"))
    storefronts.set_price_tier(
        by_name["agent1"],
        card_skus[0],
        min_quantity=5,
        unit_price=card_skus[0].face_value * Decimal("0.98"),
    )


def _storefront_links() -> dict:
    public = settings.KAMENG_PUBLIC_URL
    return {
        "storefronts": [f"{public}/"] + [f"{public}/s/{slug}/" for _, slug, *_ in STOREFRONTS[1:]],
        "payment_gateway": {"url": settings.KAMENG_DEMO_PAY_URL, "pid": SIM_PAY_PID},
    }


def _demo_api_key() -> dict:
    """The key seeded for agent3, its secret decrypted again (the demo's own key, so
    showing it twice is what a newcomer needs), or why it cannot be shown."""
    key = (
        ApiKey.objects.filter(agent__user__username="agent3", label=DEMO_KEY_LABEL)
        .order_by("pk")
        .first()
    )
    if key is None or key.revoked_at is not None:
        return {
            "api_key": None,
            "api_key_note": "the demo API key is gone or revoked; make one with "
            "`kameng api-key create --agent agent3`",
        }
    try:
        secret = vault.decrypt(key.secret_encrypted)
    except (InvalidToken, DomainError):
        return {
            "api_key": None,
            "api_key_note": "the demo API key's secret cannot be decrypted with the current "
            "keys; make a new one with `kameng api-key create --agent agent3`",
        }
    return {"api_key": {"agent": "agent3", "app_key": key.app_key, "secret": secret}}


def _simulator_in_use() -> dict:
    """Where the demo's top-up supplier sends top-ups. It is not moved here: `make
    demo SIM_PORT=...` exports KAMENG_DEMO_SIM_URL, a bare `kameng seed-demo` gets the
    default, so only the operator knows which is right; a mismatch is said, with the
    command that moves it."""
    expected = settings.KAMENG_DEMO_SIM_URL.rstrip("/")
    supplier = Supplier.objects.filter(name=DIRECT_SUPPLIER).first()
    url = supplier.api_base_url if supplier is not None else ""
    shown: dict = {"url": url, "catalog": str(sim_catalog_path())}
    if supplier is not None and url != expected:
        shown["note"] = (
            f"{DIRECT_SUPPLIER} sends top-ups to {url or 'nowhere'}, not to the simulator at "
            f"KAMENG_DEMO_SIM_URL {expected}; to move it: kameng connect-supplier "
            f"{DIRECT_SUPPLIER} --url {expected} --merchant-id {SIM_MERCHANT[0]} "
            f"--secret {SIM_MERCHANT[1]}"
        )
    return shown


def _png() -> bytes:
    """A small image for the applicant's licence document."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 40), (22, 119, 255)).save(buffer, format="PNG")
    return buffer.getvalue()
