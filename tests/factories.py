"""Test data, built through the services (the same path operators use)."""

import itertools
from dataclasses import dataclass
from decimal import Decimal

from kameng.agents import services as agents
from kameng.agents.models import Agent
from kameng.catalog import services as catalog
from kameng.catalog.models import Sku
from kameng.ledger.services import balance
from kameng.stock import services as stock_services
from kameng.suppliers import services as suppliers
from kameng.suppliers.models import Supplier

_serial = itertools.count(1)

LEVELS = [(1, "一级", Decimal("0.95")), (2, "二级", Decimal("0.97")), (3, "三级", Decimal("0.985"))]


def levels() -> None:
    for depth, name, discount in LEVELS:
        agents.set_level(depth, name, discount)


def supplier(name: str | None = None, status: str = Supplier.Status.APPROVED) -> Supplier:
    return suppliers.create_supplier(name or f"供应商{next(_serial)}", status=status)


def sku(face: str = "100.00", kind: str = Sku.Kind.CARD, **flags) -> Sku:
    product = catalog.create_product("游戏点卡", f"测试卡{next(_serial)}")
    return catalog.create_sku(product, f"{face}元", Decimal(face), kind=kind, **flags)


def stock(sku: Sku, supplier: Supplier, count: int, cost: str = "90.00") -> list[str]:
    """Import `count` unique cards; returns their secrets in import order."""
    suppliers.set_offer(supplier, sku, Decimal(cost))
    n = next(_serial)
    secrets_ = [f"S{n:04d}X{i:06d}" for i in range(count)]
    text = "\n".join(f"C{n:04d}-{i:06d},{s}" for i, s in enumerate(secrets_))
    report = stock_services.import_cards(supplier, sku, text)
    assert report.imported == count
    return secrets_


def agent(username: str | None = None, parent: Agent | None = None, funds: str = "0") -> Agent:
    created = agents.create_agent(username or f"agent-{next(_serial)}", parent=parent)
    if Decimal(funds):
        agents.top_up(created, Decimal(funds))
    return created


def wallet(agent: Agent) -> Decimal:
    return balance(agent.wallet_id)


@dataclass
class World:
    supplier: Supplier
    sku: Sku
    a1: Agent
    a2: Agent
    a3: Agent

    @classmethod
    def build(cls, *, cards: int = 20, face: str = "100.00", cost: str = "90.00") -> "World":
        levels()
        source = supplier()
        item = sku(face)
        stock(item, source, cards, cost=cost)
        a1 = agent("agent1", funds="10000")
        a2 = agent("agent2", parent=a1, funds="5000")
        a3 = agent("agent3", parent=a2, funds="2000")
        return cls(source, item, a1, a2, a3)


# --- supplier onboarding --------------------------------------------------------------

PDF_BYTES = b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(17)
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(16) + b"\xff\xd9"


def licence_number() -> str:
    """A fresh, valid 统一社会信用代码 (its check character computed)."""
    from kameng.suppliers.onboarding import uscc_check_character

    first17 = f"91110108{next(_serial):09d}"
    return first17 + uscc_check_character(first17)


def document(name: str = "营业执照.pdf", data: bytes = PDF_BYTES):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def application(**overrides):
    """A submitted supplier application with one product and one PDF."""
    from kameng.suppliers import onboarding

    n = next(_serial)
    fields = {
        "company_name": f"上游科技{n}有限公司",
        "licence_number": licence_number(),
        "contact_name": "张三",
        "contact_phone": "13800138000",
        "contact_email": f"supplier{n}@example.com",
        "product_ids": [catalog.create_product("游戏点卡", f"授权商品{n}").pk],
        "goods_note": "",
        "documents": [document()],
    }
    fields.update(overrides)
    return onboarding.submit_application(**fields)


# --- storefronts ------------------------------------------------------------------------


def storefront(agent: Agent, slug: str | None = None, **fields):
    """The agent's shop, through the service (slug shop<N> unless given)."""
    from kameng.storefront import services as storefront_services

    fields.setdefault("name", f"测试小店{next(_serial)}")
    return storefront_services.set_storefront(agent, slug=slug or f"shop{next(_serial)}", **fields)


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (64, 48), **save) -> bytes:
    """A real image, encoded by Pillow (PNG, JPEG, WEBP, GIF, ...)."""
    from io import BytesIO

    from PIL import Image

    mode = "RGB" if fmt in ("JPEG", "GIF") else "RGBA"
    out = BytesIO()
    Image.new(mode, size, (22, 119, 255) if mode == "RGB" else (22, 119, 255, 200)).save(
        out, format=fmt, **save
    )
    return out.getvalue()


def direct_sku(face: str = "50.00", category: str = "手机话费") -> Sku:
    """A direct top-up SKU in `category` (its name decides which account it takes)."""
    product = catalog.create_product(category, f"直充{next(_serial)}")
    return catalog.create_sku(product, f"{face}元", Decimal(face), kind=Sku.Kind.DIRECT)


def api_offer(sku: Sku, cost: str = "45.00") -> Supplier:
    """An approved API supplier able to top `sku` up (no server behind it: enough for
    an order awaiting payment, which only checks someone could deliver)."""
    from kameng.suppliers.models import Offer

    source = supplier()
    Supplier.objects.filter(pk=source.pk).update(mode=Supplier.Mode.API)
    suppliers.set_offer(source, sku, Decimal(cost))
    Offer.objects.filter(supplier=source, sku=sku).update(remote_sku="R-1", remote_available=True)
    return source


# --- supplier persons, operators (the consoles' people) ------------------------------------

PERSON_PASSWORD = "Kameng-console-2026"


def supplier_person(username: str | None = None, *, supplier: Supplier | None = None):
    """A supplier console log-in (kameng.suppliers.accounts), password PERSON_PASSWORD:
    no supplier yet (it applies), or `supplier`'s."""
    from kameng.suppliers.accounts import register_supplier_user

    name = username or f"person{next(_serial)}"
    return register_supplier_user(name, PERSON_PASSWORD, f"{name}@example.com", supplier=supplier)


def operator(username: str | None = None):
    """An active staff user (no superuser): decides requests, applications, disputes."""
    from django.contrib.auth import get_user_model

    name = username or f"operator{next(_serial)}"
    return get_user_model().objects.create_user(
        name, f"{name}@example.com", PERSON_PASSWORD, is_staff=True
    )
