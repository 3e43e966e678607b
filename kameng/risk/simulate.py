"""`kameng risk simulate`: seeded, labelled traffic in the replay format (see
kameng/risk/replay.py), for tuning rules, training the model and the benchmark.

Normal traffic (label "normal") is what real shops see, honest edge cases included:
- many buyers over the days with a daily rhythm (quiet nights, evening peak), repeat
  customers (a few buy often), mobile carrier NAT (many buyers behind a small pool of
  IPs), a buyer topping up the family's two or three accounts, an occasional large gift
  order, honest payment failures, honest new buyers using a shop's coupon;
- a net café (网吧): ~50 regulars behind one IP on machines whose cookie is wiped every
  day (so one device id serves several buyers a day), and a campus NAT: ~120 students
  behind one IP with their own phones;
- a holiday (the third day): 4× the traffic;
- a distributor's bot buying in bulk through the open API: one seller, steady high
  volume all day and night, large quantities, no contact, no device, one server IP.

Attacks (label "fraud"), about 7% of the orders: stolen-account card buyers reselling,
card testing (small orders among failed payments), one IP placing hundreds of orders
(a cookie-less script), a buyer cycling recharge accounts, an agent suddenly selling far
off its pattern, coupon farming with fresh contacts, brushing (刷单).

Each order line also says which kind of traffic it is (`kind`: home, mobile, cafe,
campus, bot, or the attack's name), for analysis; replay ignores it.
Failed payments are lines {"ts", "payment_failed": true, "ip", "device_id", "contact"}
(replay counts them; they are not orders).
"""

import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from kameng.errors import InvalidInput

TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2025, 3, 3, tzinfo=TZ)  # a Monday
HOLIDAY_DAY = 2
HOLIDAY_FACTOR = 4.0
FRAUD_SHARE = 0.07
# Orders per hour of the day, relative (quiet at night, lunch and evening peaks).
HOURLY = [2, 1, 1, 0.5, 0.5, 0.5, 1, 2, 4, 5, 6, 7, 8, 7, 6, 6, 6, 7, 8, 10, 12, 12, 9, 5]

# (sku_id, face value, direct top-up?)
SKUS = [
    (101, 10, False),
    (102, 30, False),
    (103, 50, False),
    (104, 100, False),
    (105, 200, False),
    (106, 500, False),
    (201, 30, True),
    (202, 50, True),
    (203, 100, True),
    (204, 200, True),
    (301, 15, False),
    (302, 25, False),
]
SMALL_SKUS = [s for s in SKUS if s[1] <= 30]
BIG_SKUS = [s for s in SKUS if s[1] >= 200]
DIRECT_SKUS = [s for s in SKUS if s[2]]


@dataclass
class Buyer:
    contact: str
    device: str
    home_ip: str
    seller: str
    skus: list
    accounts: list[str]
    mobile: bool
    weight: float


@dataclass
class Sim:
    rng: random.Random
    seed: int
    days: int
    lines: list[dict] = field(default_factory=list)
    serial: int = 0

    # --- identities --------------------------------------------------------------------
    def phone(self) -> str:
        return "1" + self.rng.choice("3456789") + "".join(self.rng.choices("0123456789", k=9))

    def contact(self) -> str:
        if self.rng.random() < 0.3:
            return f"u{self.rng.randrange(10**8)}@qq.com"
        return self.phone()

    def device(self) -> str:
        return "d" + "".join(self.rng.choices("0123456789abcdef", k=16))

    def ip(self) -> str:
        rng = self.rng
        return (
            f"{rng.choice([36, 58, 60, 101, 112, 113, 114, 116, 117, 120, 183, 223])}."
            + ".".join(str(rng.randrange(1, 255)) for _ in range(3))
        )

    # --- output ------------------------------------------------------------------------
    def order(
        self,
        at: datetime,
        label: str,
        *,
        channel: str = "storefront",
        seller: str,
        sku: tuple,
        quantity: int = 1,
        ip: str = "",
        device: str = "",
        contact: str = "",
        account: str = "",
        coupon: str = "",
        price: float = 1.0,
        kind: str = "",
    ) -> None:
        self.serial += 1
        amount = Decimal(sku[1] * quantity * price).quantize(Decimal("0.01"), ROUND_HALF_UP)
        self.lines.append(
            {
                "ts": at.isoformat(timespec="seconds"),
                "order_no": f"SIM{self.seed}-{self.serial:07d}",
                "channel": channel,
                "seller": seller,
                "sku_id": sku[0],
                "quantity": quantity,
                "amount": str(amount),
                "ip": ip,
                "device_id": device,
                "contact": contact,
                "recharge_account": account if sku[2] else "",
                "coupon": coupon,
                "label": label,
                "kind": kind,
            }
        )

    def failed(self, at: datetime, *, ip: str, device: str, contact: str) -> None:
        self.lines.append(
            {
                "ts": at.isoformat(timespec="seconds"),
                "payment_failed": True,
                "ip": ip,
                "device_id": device,
                "contact": contact,
            }
        )

    def moment(self, day: int, hour: int | None = None) -> datetime:
        if hour is None:
            hour = self.rng.choices(range(24), weights=HOURLY)[0]
        return START + timedelta(days=day, hours=hour, seconds=self.rng.randrange(3600))

    def attack_start(self) -> datetime:
        day = self.rng.randrange(self.days)
        return self.moment(day, self.rng.choices(range(24), weights=HOURLY)[0])


SELLERS = [f"agent{i:02d}" for i in range(1, 31)]
BOT_SELLER = "distbot"


def simulate(*, seed: int, orders: int, days: int = 7) -> list[dict]:
    """The lines of the file, in time order."""
    if orders < 100:
        raise InvalidInput("simulate at least 100 orders")
    if not 1 <= days <= 60:
        raise InvalidInput("days must be 1–60")
    sim = Sim(random.Random(seed), seed, days)
    fraud_target = int(orders * FRAUD_SHARE)
    _attacks(sim, fraud_target)
    fraud = sum(1 for line in sim.lines if line.get("label") == "fraud")
    _normal(sim, max(orders - fraud, 0))
    sim.lines.sort(key=lambda line: line["ts"])
    return sim.lines


def write(path: str | Path, lines: list[dict]) -> None:
    with Path(path).open("w", encoding="utf-8") as fh:
        for line in lines:
            fh.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")


# --- normal traffic ----------------------------------------------------------------------


def _normal(sim: Sim, count: int) -> None:
    rng = sim.rng
    seller_weights = [1 / (i + 1) ** 0.8 for i in range(len(SELLERS))]
    seller_prices = {s: rng.uniform(1.0, 1.06) for s in SELLERS}
    coupons = {s: f"{s.upper()}VIP" for s in SELLERS}
    cgnat = [sim.ip() for _ in range(40)]
    population = max(200, count // 4)

    def make_buyer(home_ip: str | None = None, device: str | None = None) -> Buyer:
        favourite = rng.choices(SELLERS, weights=seller_weights)[0]
        skus = rng.sample(SKUS, k=rng.randint(1, 3))
        accounts = [sim.phone() for _ in range(rng.choices([1, 2, 3], weights=[85, 12, 3])[0])]
        return Buyer(
            contact=sim.contact(),
            device=device or sim.device(),
            home_ip=home_ip or sim.ip(),
            seller=favourite,
            skus=skus,
            accounts=accounts,
            mobile=rng.random() < 0.35,
            weight=min(rng.paretovariate(1.5), 8.0),
        )

    buyers = [make_buyer() for _ in range(population)]
    weights = [b.weight for b in buyers]
    cafe_ip, campus_ip = sim.ip(), sim.ip()
    cafe = [make_buyer(home_ip=cafe_ip) for _ in range(50)]
    campus = [make_buyer(home_ip=campus_ip) for _ in range(120)]
    cafe_machines = [f"cafe-pc{i:02d}" for i in range(20)]
    bot_ip = sim.ip()
    day_weights = [HOLIDAY_FACTOR if d == HOLIDAY_DAY else 1.0 for d in range(sim.days)]
    for _ in range(count):
        day = rng.choices(range(sim.days), weights=day_weights)[0]
        kind = rng.random()
        if kind < 0.08:  # the distributor's bot: steady all day, bulk, through the API
            at = START + timedelta(days=day, seconds=rng.randrange(86400))
            sku = rng.choice(SKUS[:6])
            sim.order(
                at,
                "normal",
                kind="bot",
                channel="api",
                seller=BOT_SELLER,
                sku=sku,
                quantity=rng.randint(10, 50),
                ip=bot_ip,
                price=0.97,
                account=sim.phone(),
            )
            continue
        at = sim.moment(day)
        if kind < 0.11:  # the net café: machines whose cookie is wiped daily
            buyer = rng.choice(cafe)
            machine = rng.choice(cafe_machines)
            device, ip, tag = f"{machine}-{sim.seed}-{day}", cafe_ip, "cafe"
        elif kind < 0.16:  # the campus NAT: students' own phones
            buyer = rng.choice(campus)
            device, ip, tag = buyer.device, campus_ip, "campus"
        else:
            buyer = rng.choices(buyers, weights=weights)[0]
            device = buyer.device
            ip = rng.choice(cgnat) if buyer.mobile else buyer.home_ip
            tag = "mobile" if buyer.mobile else "home"
        sku = rng.choice(buyer.skus)
        quantity = rng.choices([1, 2, 3, 5], weights=[80, 12, 5, 3])[0]
        if rng.random() < 0.01:  # a large gift order, once
            sku, quantity = rng.choice(BIG_SKUS), rng.randint(2, 5)
        seller = buyer.seller if rng.random() < 0.85 else rng.choice(SELLERS)
        coupon = coupons[seller] if rng.random() < 0.06 else ""
        if rng.random() < 0.03:  # an honest failed payment before paying again
            sim.failed(
                at - timedelta(seconds=rng.randrange(30, 300)),
                ip=ip,
                device=device,
                contact=buyer.contact,
            )
        sim.order(
            at,
            "normal",
            seller=seller,
            sku=sku,
            quantity=quantity,
            ip=ip,
            device=device,
            contact=buyer.contact,
            account=rng.choice(buyer.accounts),
            coupon=coupon,
            price=seller_prices[seller],
            kind=tag,
        )


# --- attacks -----------------------------------------------------------------------------


def _attacks(sim: Sim, target: int) -> None:
    rng = sim.rng
    campaigns = [
        _stolen_accounts,
        _card_testing,
        _ip_flood,
        _account_cycling,
        _seller_burst,
        _coupon_farming,
        _brushing,
    ]
    made = 0
    turn = 0
    while made < target:
        campaign = (
            campaigns[turn % len(campaigns)] if turn < len(campaigns) else rng.choice(campaigns)
        )
        turn += 1
        before = len(sim.lines)
        campaign(sim)
        made += sum(1 for line in sim.lines[before:] if line.get("label") == "fraud")


def _spread(start: datetime, n: int, minutes: float, rng: random.Random) -> list[datetime]:
    return sorted(start + timedelta(seconds=rng.uniform(0, minutes * 60)) for _ in range(n))


def _stolen_accounts(sim: Sim) -> None:
    """Stolen payment accounts buying high-value cards to resell: a fresh contact or
    two, one device, many orders of big cards in an hour or two."""
    rng = sim.rng
    seller = rng.choice(SELLERS)
    device, ip = sim.device(), sim.ip()
    contacts = [sim.contact() for _ in range(rng.randint(1, 2))]
    for at in _spread(sim.attack_start(), rng.randint(6, 15), rng.uniform(30, 120), rng):
        sim.order(
            at,
            "fraud",
            kind="stolen_accounts",
            seller=seller,
            sku=rng.choice(BIG_SKUS),
            quantity=rng.randint(1, 5),
            ip=ip if rng.random() < 0.7 else sim.ip(),
            device=device,
            contact=rng.choice(contacts),
            account=sim.phone(),
        )


def _card_testing(sim: Sim) -> None:
    """Testing stolen cards: many small orders among many failed payments."""
    rng = sim.rng
    seller = rng.choice(SELLERS)
    device, ip = sim.device(), sim.ip()
    start = sim.attack_start()
    minutes = rng.uniform(20, 60)
    for at in _spread(start - timedelta(minutes=3), rng.randint(15, 40), minutes, rng):
        sim.failed(at, ip=ip, device=device, contact="")
    for at in _spread(start, rng.randint(8, 20), minutes, rng):
        sim.order(
            at,
            "fraud",
            kind="card_testing",
            seller=seller,
            sku=rng.choice(SMALL_SKUS),
            ip=ip,
            device=device,
            contact=sim.contact(),
            account=sim.phone(),
        )


def _ip_flood(sim: Sim) -> None:
    """One IP placing hundreds of orders: a script that keeps no cookie."""
    rng = sim.rng
    seller = rng.choice(SELLERS)
    ip = sim.ip()
    contacts = [sim.contact() for _ in range(rng.randint(1, 5))]
    sku = rng.choice(SKUS)
    for at in _spread(sim.attack_start(), rng.randint(100, 300), rng.uniform(60, 180), rng):
        sim.order(
            at,
            "fraud",
            kind="ip_flood",
            seller=seller,
            sku=sku,
            ip=ip,
            device=sim.device(),
            contact=rng.choice(contacts),
            account=sim.phone(),
        )


def _account_cycling(sim: Sim) -> None:
    """One buyer topping up one recharge account after another (laundering stolen
    balance into accounts for resale)."""
    rng = sim.rng
    seller = rng.choice(SELLERS)
    device, ip, contact = sim.device(), sim.ip(), sim.contact()
    for at in _spread(sim.attack_start(), rng.randint(8, 20), rng.uniform(60, 360), rng):
        sim.order(
            at,
            "fraud",
            kind="account_cycling",
            seller=seller,
            sku=rng.choice(DIRECT_SKUS),
            ip=ip,
            device=device,
            contact=contact,
            account=sim.phone(),
        )


def _seller_burst(sim: Sim) -> None:
    """An agent suddenly selling far off its pattern: a burst of orders through its shop
    from many contacts and addresses within half an hour."""
    rng = sim.rng
    seller = rng.choice(SELLERS[8:])  # a small shop
    start = sim.attack_start() + timedelta(days=1 if sim.days > 1 else 0)
    if start >= START + timedelta(days=sim.days):
        start -= timedelta(days=1)
    ips = [sim.ip() for _ in range(rng.randint(5, 15))]
    for at in _spread(start, rng.randint(40, 120), rng.uniform(15, 40), rng):
        sim.order(
            at,
            "fraud",
            kind="seller_burst",
            seller=seller,
            sku=rng.choice(SKUS[2:6]),
            ip=rng.choice(ips),
            device=sim.device(),
            contact=sim.contact(),
            account=sim.phone(),
        )


def _coupon_farming(sim: Sim) -> None:
    """Fresh contacts, one after another, each using the shop's coupon, from one or two
    devices."""
    rng = sim.rng
    seller = rng.choice(SELLERS)
    devices = [sim.device() for _ in range(rng.randint(1, 2))]
    ip = sim.ip()
    for at in _spread(sim.attack_start(), rng.randint(10, 30), rng.uniform(30, 120), rng):
        sim.order(
            at,
            "fraud",
            kind="coupon_farming",
            seller=seller,
            sku=rng.choice(SMALL_SKUS),
            ip=ip,
            device=rng.choice(devices),
            contact=sim.contact(),
            account=sim.phone(),
            coupon=f"{seller.upper()}VIP",
        )


def _brushing(sim: Sim) -> None:
    """刷单: one seller, many small orders from a few devices and contacts over hours."""
    rng = sim.rng
    seller = rng.choice(SELLERS)
    pairs = [(sim.device(), sim.contact(), sim.ip()) for _ in range(rng.randint(2, 4))]
    for at in _spread(sim.attack_start(), rng.randint(30, 80), rng.uniform(180, 480), rng):
        device, contact, ip = rng.choice(pairs)
        sim.order(
            at,
            "fraud",
            kind="brushing",
            seller=seller,
            sku=rng.choice(SMALL_SKUS),
            ip=ip,
            device=device,
            contact=contact,
            account=sim.phone(),
        )
