"""Storefront verbs: an agent's shop, its coupons and quantity prices, and what an end
user does there: price, check out, look an order up, see its codes, confirm or
complain. Views, the CLI and the admin call these; they trust nothing a browser sends.

Money: a shop charges its retail price (agents.pricing), lowered by a price tier
(阶梯价) for larger quantities and by a coupon. Both come out of the shop owner's own
spread only: the total never goes below what the owner itself pays for the goods, so
its parents and the platform earn what they always do (Order.spreads).
"""

import dataclasses
import hashlib
import ipaddress
import math
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from kameng import db, guards, vault
from kameng.agents.models import Agent
from kameng.agents.pricing import Quote, quote
from kameng.catalog.errors import SkuNotFound
from kameng.catalog.models import Sku
from kameng.catalog.queries import check_sku_id, sellable_sku
from kameng.errors import InvalidInput
from kameng.money import CENT, ZERO, parse_money
from kameng.orders import services as orders
from kameng.orders.errors import OrderNotFound
from kameng.orders.models import Order
from kameng.orders.states import Status
from kameng.payments import services as payments
from kameng.payments.errors import GatewayNotConfigured, PaymentTypeNotOffered
from kameng.risk.verdicts import CLI, STOREFRONT, Origin
from kameng.stock import queries as stock_queries
from kameng.storefront import queries
from kameng.storefront.errors import (
    AccountsDoNotMatch,
    CouponCodeTaken,
    CouponExpired,
    CouponNotApplicable,
    CouponNotFound,
    CouponUsedUp,
    InvalidColour,
    InvalidContact,
    InvalidCouponCode,
    InvalidPaymentType,
    InvalidRechargeAccount,
    InvalidSlug,
    LookupFailed,
    PlatformStorefrontExists,
    PriceTierNotFound,
    RateLimited,
    SlugTaken,
    StorefrontNotFound,
    TierPriceOutOfBounds,
    TooManyOpenOrders,
)
from kameng.storefront.logos import checked_logo
from kameng.storefront.models import Checkout, Coupon, PriceTier, Storefront
from kameng.text import is_printable, require_printable

# --- the shop ------------------------------------------------------------------------

# 3–32 lower-case letters, digits and hyphens, beginning and ending with a letter or digit.
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{1,30}[a-z0-9]")
COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
DEFAULT_COLOUR = "#1677ff"
NOTICE_LIMIT = 2000


def set_storefront(
    agent: Agent,
    *,
    slug: str,
    name: str,
    notice: str = "",
    colour: str = DEFAULT_COLOUR,
    logo: File | None = None,
    platform: bool = False,
    clear_logo: bool = False,
) -> Storefront:
    """Open or change `agent`'s shop. `logo`: an uploaded file (None: keep the current
    one; `clear_logo`: remove it), re-encoded before it is stored. `platform`: this is
    the platform's own shop, served at / (refused while another one is).

    Raises InvalidSlug, SlugTaken, InvalidInput (name, notice), InvalidColour,
    InvalidLogo, PlatformStorefrontExists; nothing is changed then."""
    slug = _check_slug(slug)
    name = require_printable(str(name or "").strip(), "storefront name", limit=64)
    notice = str(notice or "").strip()
    if len(notice) > NOTICE_LIMIT:
        raise InvalidInput(f"the notice must be at most {NOTICE_LIMIT} characters")
    colour = _check_colour(colour)
    new_logo = checked_logo(logo) if logo is not None else None
    if Storefront.objects.filter(slug=slug).exclude(agent=agent).exists():
        raise SlugTaken(f"storefront address {slug!r} is taken", slug=slug)
    written = ""
    try:
        with transaction.atomic():
            shop = Storefront.objects.select_for_update().filter(agent=agent).first()
            if shop is None:
                shop = Storefront(agent=agent)
            others = Storefront.objects.filter(is_platform=True).exclude(agent=agent)
            if platform and others.exists():
                raise PlatformStorefrontExists("another storefront is already the platform's own")
            replaced = shop.logo.name if shop.logo and (new_logo or clear_logo) else ""
            shop.slug, shop.name, shop.notice, shop.colour = slug, name, notice, colour
            shop.is_platform = bool(platform)
            if new_logo is not None:
                shop.logo.save(new_logo.name, new_logo, save=False)
                written = shop.logo.name
            elif clear_logo:
                shop.logo = ""
            shop.save()
    except BaseException as exc:
        if written:
            shop.logo.storage.delete(written)
        if isinstance(exc, IntegrityError):
            if Storefront.objects.filter(slug=slug).exclude(agent=agent).exists():
                raise SlugTaken(f"storefront address {slug!r} is taken", slug=slug) from exc
            if platform:
                raise PlatformStorefrontExists(
                    "another storefront is already the platform's own"
                ) from exc
        raise
    if replaced:
        storage = shop.logo.storage
        transaction.on_commit(lambda: storage.delete(replaced))
    return shop


def default_storefront(agent: Agent) -> Storefront:
    """The agent's shop; one opened for it if it has none: its username as the address
    when that is a valid one and free (else shop-<id>), named after it."""
    existing = Storefront.objects.filter(agent=agent).first()
    if existing is not None:
        return existing
    username = agent.user.username
    candidates = [username.lower()] if SLUG.fullmatch(username.lower()) else []
    candidates += [f"shop-{agent.pk}", f"shop-{agent.pk}-{secrets.token_hex(3)}"]
    for slug in candidates:
        try:
            with transaction.atomic():
                return Storefront.objects.create(
                    agent=agent, slug=slug, name=f"{username}的小店"[:64], colour=DEFAULT_COLOUR
                )
        except IntegrityError:
            existing = Storefront.objects.filter(agent=agent).first()
            if existing is not None:
                return existing  # opened meanwhile by a twin request
    raise SlugTaken(f"no free storefront address for agent {username!r}")


def storefront_at(slug: str) -> Storefront:
    """The open shop at `/s/<slug>/`. Every agent has one: an active agent that has not
    set one up yet gets its default shop at its username the first time someone asks
    there. StorefrontNotFound else."""
    try:
        return queries.get_storefront(slug)
    except StorefrontNotFound:
        slug = str(slug or "").strip().lower()
        agent = (
            Agent.objects.select_related("user")
            .filter(user__username__iexact=slug, active=True, storefront__isnull=True)
            .first()
            if SLUG.fullmatch(slug)
            else None
        )
        if agent is None or default_storefront(agent).slug != slug:
            raise
        return queries.get_storefront(slug)


def set_storefront_active(storefront: Storefront, active: bool) -> Storefront:
    """Close a shop (its pages and checkout refuse) or open it again; orders already
    placed go on as usual."""
    Storefront.objects.filter(pk=storefront.pk).update(active=active)
    storefront.active = active
    return storefront


def _check_slug(slug: str) -> str:
    slug = str(slug or "").strip().lower()
    if not SLUG.fullmatch(slug):
        raise InvalidSlug(
            "a storefront address is 3–32 lower-case letters, digits or hyphens, "
            "beginning and ending with a letter or digit"
        )
    return slug


def _check_colour(colour: str) -> str:
    colour = str(colour or "").strip()
    if not COLOUR.fullmatch(colour):
        raise InvalidColour(f"a colour is #RRGGBB, got {colour[:16]!r}")
    return colour.lower()


# --- coupons and price tiers -------------------------------------------------------------

COUPON_CODE = re.compile(r"[A-Z0-9-]{3,32}")


def create_coupon(
    agent: Agent,
    *,
    code: str,
    kind: str,
    value: Decimal | str,
    min_amount: Decimal | str | int = 0,
    sku_ids: Iterable[int] = (),
    usage_limit: int | None = None,
    expires_at: datetime | None = None,
) -> Coupon:
    """A coupon for `agent`'s shop: `fixed` takes `value` yuan off, `percent` takes
    `value` percent (0.01–100) of the subtotal, rounded down to the cent. It applies
    from `min_amount` on, to `sku_ids` only (none: all), `usage_limit` times (None:
    unlimited) until `expires_at`. Codes are case-insensitive (kept in capitals).

    Raises InvalidCouponCode, InvalidInput, InvalidAmount, CouponCodeTaken."""
    code = normalise_coupon_code(code)
    if not COUPON_CODE.fullmatch(code):
        raise InvalidCouponCode("a coupon code is 3–32 letters, digits or hyphens")
    if kind not in Coupon.Kind.values:
        raise InvalidInput(f"a coupon is 'fixed' or 'percent', not {kind!r}")
    value = parse_money(value)
    if kind == Coupon.Kind.PERCENT and value > 100:
        raise InvalidInput("a percent coupon takes 0.01 to 100 percent off")
    min_amount = parse_money(min_amount, allow_zero=True)
    skus = _skus(sku_ids)
    if usage_limit is not None and (
        not isinstance(usage_limit, int) or isinstance(usage_limit, bool) or usage_limit < 1
    ):
        raise InvalidInput("a usage limit is a whole number of at least 1 (or none)")
    if expires_at is not None:
        if timezone.is_naive(expires_at):
            expires_at = timezone.make_aware(expires_at)
        if expires_at <= timezone.now():
            raise InvalidInput("the coupon would have expired already")
    if Coupon.objects.filter(agent=agent, code__iexact=code).exists():
        raise CouponCodeTaken(f"coupon code {code} already exists", code=code)
    try:
        with transaction.atomic():
            coupon = Coupon.objects.create(
                agent=agent,
                code=code,
                kind=kind,
                value=value,
                min_amount=min_amount,
                usage_limit=usage_limit,
                expires_at=expires_at,
            )
            coupon.skus.set(skus)
    except IntegrityError as exc:
        raise CouponCodeTaken(f"coupon code {code} already exists", code=code) from exc
    return coupon


def deactivate_coupon(agent: Agent, code: str) -> Coupon:
    """Stop a coupon at once (orders that used it keep their price). CouponNotFound."""
    coupon = Coupon.objects.filter(agent=agent, code=normalise_coupon_code(code)).first()
    if coupon is None:
        raise CouponNotFound(f"no coupon {code!r} for agent {agent}")
    Coupon.objects.filter(pk=coupon.pk).update(active=False)
    coupon.active = False
    return coupon


def normalise_coupon_code(code: object) -> str:
    return code.strip().upper() if isinstance(code, str) else ""


def set_price_tier(
    agent: Agent, sku: Sku, *, min_quantity: int, unit_price: Decimal | str
) -> PriceTier:
    """From `min_quantity` units (2 up to KAMENG_MAX_ORDER_QUANTITY) on, one unit costs
    `unit_price` in `agent`'s shop: between its own cost and its retail price (checked
    again whenever an order is priced). Raises InvalidInput, InvalidAmount,
    TierPriceOutOfBounds."""
    limit = settings.KAMENG_MAX_ORDER_QUANTITY
    if (
        not isinstance(min_quantity, int)
        or isinstance(min_quantity, bool)
        or not 2 <= min_quantity <= limit
    ):
        raise InvalidInput(f"a price tier starts at 2 to {limit} units")
    price = parse_money(unit_price)
    prices = quote(agent, sku, retail=True)
    own_cost, retail = prices.links[-1].unit_price, prices.retail_price
    if not own_cost <= price <= retail:
        raise TierPriceOutOfBounds(
            f"a tier price must be between your cost {own_cost} and your retail price {retail}",
            min=str(own_cost),
            max=str(retail),
        )
    tier, _ = PriceTier.objects.update_or_create(
        agent=agent, sku=sku, min_quantity=min_quantity, defaults={"unit_price": price}
    )
    return tier


def remove_price_tier(agent: Agent, sku: Sku, *, min_quantity: int) -> None:
    """PriceTierNotFound if the shop has no tier there."""
    deleted, _ = PriceTier.objects.filter(agent=agent, sku=sku, min_quantity=min_quantity).delete()
    if not deleted:
        raise PriceTierNotFound(f"no price tier from {min_quantity} units for SKU {sku.pk}")


def _skus(sku_ids: Iterable[int]) -> list[Sku]:
    wanted: list[int] = []
    for sku_id in sku_ids:
        if not isinstance(sku_id, int) or isinstance(sku_id, bool):
            raise InvalidInput(f"a SKU id is a whole number, got {sku_id!r}")
        if sku_id not in wanted:
            wanted.append(sku_id)
    found = {sku.pk: sku for sku in Sku.objects.filter(pk__in=wanted)}
    missing = [sku_id for sku_id in wanted if sku_id not in found]
    if missing:
        raise InvalidInput(f"no SKU with id {', '.join(map(str, missing))}")
    return [found[sku_id] for sku_id in wanted]


# --- prices --------------------------------------------------------------------------


@dataclass(frozen=True)
class Price:
    unit_list_price: Decimal  # the shop's retail price
    unit_price: Decimal  # after the price tier
    quantity: int
    subtotal: Decimal  # unit_price × quantity
    discount: Decimal  # the coupon's, capped at the shop owner's own spread
    total: Decimal  # what the buyer pays
    coupon: Coupon | None = None


def price(storefront: Storefront, sku_id: int, quantity: int, coupon_code: str = "") -> Price:
    """What `quantity` of a SKU costs in this shop now, from the database only: the
    retail price, the lowest tier price whose min_quantity ≤ quantity (tiers below the
    owner's cost or above the retail price are ignored), then the coupon. Raises
    SkuNotFound, SkuNotSellable, InvalidInput (quantity), CouponNotFound, CouponExpired,
    CouponUsedUp, CouponNotApplicable."""
    _check_quantity(quantity)
    sku = sellable_sku(sku_id)
    now = timezone.now()
    coupon = _usable_coupon(storefront.agent_id, coupon_code, sku_id, now)
    prices = quote(storefront.agent, sku, retail=True)
    return _priced(prices, _tiers(storefront.agent_id, sku_id), coupon, quantity)


def _priced(
    prices: Quote, tiers: list[tuple[int, Decimal]], coupon: Coupon | None, quantity: int
) -> Price:
    list_price = prices.unit_price
    own_cost = prices.links[-1].unit_price
    unit_price = list_price
    for min_quantity, tier_price in tiers:
        if min_quantity <= quantity and own_cost <= tier_price < unit_price:
            unit_price = tier_price
    subtotal = unit_price * quantity
    discount = ZERO
    if coupon is not None:
        if subtotal < coupon.min_amount:
            raise CouponNotApplicable(
                f"coupon {coupon.code} applies from {coupon.min_amount}; the order is {subtotal}"
            )
        if coupon.kind == Coupon.Kind.FIXED:
            wanted = coupon.value
        else:
            wanted = (subtotal * coupon.value / 100).quantize(CENT, rounding=ROUND_DOWN)
        # Out of the owner's own spread only: never below its cost.
        discount = max(ZERO, min(wanted, subtotal - own_cost * quantity))
        if not discount:
            raise CouponNotApplicable(f"coupon {coupon.code} takes nothing off this order")
    return Price(
        unit_list_price=list_price,
        unit_price=unit_price,
        quantity=quantity,
        subtotal=subtotal,
        discount=discount,
        total=subtotal - discount,
        coupon=coupon,
    )


def _tiers(agent_id: int, sku_id: int) -> list[tuple[int, Decimal]]:
    return list(
        PriceTier.objects.filter(agent_id=agent_id, sku_id=sku_id)
        .order_by("min_quantity")
        .values_list("min_quantity", "unit_price")
    )


def _usable_coupon(agent_id: int, code: str, sku_id: int, now: datetime) -> Coupon | None:
    """The shop's coupon under `code` if this SKU may use it now (None: no code)."""
    code = normalise_coupon_code(code)
    if not code:
        return None
    coupon = None
    if COUPON_CODE.fullmatch(code):
        coupon = Coupon.objects.filter(agent_id=agent_id, code=code, active=True).first()
    if coupon is None:
        raise CouponNotFound("no such coupon in this shop")
    problem = _unusable(coupon, now)
    if problem is not None:
        raise problem
    sku_ids = frozenset(coupon.skus.values_list("pk", flat=True))
    if sku_ids and sku_id not in sku_ids:
        raise CouponNotApplicable(f"coupon {coupon.code} does not apply to SKU {sku_id}")
    return coupon


def _unusable(coupon: Coupon, now: datetime) -> Exception | None:
    if not coupon.active:
        return CouponNotFound("no such coupon in this shop")
    if coupon.expires_at is not None and coupon.expires_at <= now:
        return CouponExpired(f"coupon {coupon.code} expired at {coupon.expires_at.isoformat()}")
    if coupon.usage_limit is not None and coupon.used_count >= coupon.usage_limit:
        return CouponUsedUp(f"coupon {coupon.code} has been used {coupon.usage_limit} times")
    return None


def _claim_coupon(coupon: Coupon, now: datetime) -> None:
    """Count one use, only while the coupon is active, unexpired and below its limit:
    one conditional UPDATE (the row lock makes racing checkouts take turns, each seeing
    the count the one before left)."""
    claimed = (
        Coupon.objects.filter(pk=coupon.pk, active=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .filter(Q(usage_limit__isnull=True) | Q(used_count__lt=F("usage_limit")))
        .update(used_count=F("used_count") + 1)
    )
    if claimed != 1:
        coupon.refresh_from_db()
        raise _unusable(coupon, now) or CouponUsedUp(f"coupon {coupon.code} is used up")


def give_coupon_back(order: Order) -> bool:
    """The order closed unpaid: the use its coupon counted is given back (once, and
    never below zero). Runs in the caller's transaction."""
    checkout = Checkout.objects.filter(order_id=order.pk, coupon_counted=True).first()
    if checkout is None:
        return False
    if not Checkout.objects.filter(pk=checkout.pk, coupon_counted=True).update(
        coupon_counted=False
    ):
        return False
    Coupon.objects.filter(pk=checkout.coupon_id, used_count__gt=0).update(
        used_count=F("used_count") - 1
    )
    return True


def count_coupon_again(order: Order) -> bool:
    """A closed order was paid after all (a late payment), at its coupon price: the use
    counts again, if the coupon's limit still has room (the buyer has paid; the use is
    not refused, only left uncounted)."""
    checkout = Checkout.objects.filter(
        order_id=order.pk, coupon__isnull=False, coupon_counted=False
    ).first()
    if checkout is None:
        return False
    counted = (
        Coupon.objects.filter(pk=checkout.coupon_id)
        .filter(Q(usage_limit__isnull=True) | Q(used_count__lt=F("usage_limit")))
        .update(used_count=F("used_count") + 1)
    )
    if counted:
        Checkout.objects.filter(pk=checkout.pk).update(coupon_counted=True)
    return bool(counted)


# --- checkout ------------------------------------------------------------------------

PHONE = re.compile(r"1[3-9]\d{9}")
ACCOUNT = re.compile(r"[0-9A-Za-z_@.+-]{3,64}")
PAYMENT_TYPE = re.compile(r"[a-z][a-z0-9_]{1,15}")
# A direct SKU whose product's category name holds one of these takes a mobile number.
MOBILE_CATEGORIES = ("话费", "流量")
QUERY_PASSWORD_LIMITS = (4, 64)


def checkout(
    storefront: Storefront,
    *,
    sku_id: int,
    quantity: int,
    contact: str,
    recharge_account: str = "",
    recharge_account_again: str = "",
    query_password: str = "",
    coupon_code: str = "",
    payment_type: str,
    buyer_ip: str,
    device_id: str = "",
) -> Order:
    """An end user orders in a shop: an unpaid order (orders.create_storefront_order)
    at the shop's price (tier, coupon; `price`), its goods held for the payment window.
    There is no price argument: the amount is always computed here.

    Checked first, server-side: the quantity (1..KAMENG_MAX_ORDER_QUANTITY; stock is
    checked by reserving it), the contact (an email, or a mainland mobile number
    1[3-9]xxxxxxxxx), the recharge account for the SKU's kind, typed twice and equal:
    a SKU says which account it takes through its category, there being no field for
    it: a direct SKU whose product's category name contains 话费 or 流量 takes an
    11-digit mobile number, any other direct SKU a game or member account of 3–64
    letters, digits or _@.+-, a card SKU none. An optional query password (4–64
    characters, kept hashed) guards the order's lookup.

    Risk control scores it first from where it comes (the buyer's address, the
    browser's device cookie `device_id`, the contact, the recharge account, the coupon):
    blocked → RiskBlocked and nothing is created; held → created as usual, and it waits
    for an operator's review once paid.

    One transaction: the open-order bound (KAMENG_STOREFRONT_MAX_OPEN_ORDERS unpaid
    orders per contact and per address), the order and its reservation, the coupon's
    use (a conditional UPDATE), the Checkout row. Anything refused leaves nothing.

    Raises StorefrontNotFound, InvalidInput, InvalidContact, InvalidRechargeAccount,
    AccountsDoNotMatch, InvalidPaymentType, PaymentTypeNotOffered and
    GatewayNotConfigured (payments: the type must be one `payments.offered_types()`
    lists), TooManyOpenOrders, Coupon* errors, SkuNotFound, SkuNotSellable, OutOfStock,
    AgentInactive, PriceBelowCost, RiskBlocked."""
    ip = _check_ip(buyer_ip)
    guards.store().count(_attempts_key(ip), CAPTCHA_WINDOW)  # every attempt counts
    contact, contact_kind = normalise_contact(contact)
    payment_type = _check_payment_type(payment_type)
    password_hash = _hash_query_password(query_password)
    return _place(
        storefront,
        sku_id=sku_id,
        quantity=quantity,
        contact=contact,
        contact_kind=contact_kind,
        account=(recharge_account, recharge_account_again),
        password_hash=password_hash,
        coupon_code=coupon_code,
        payment_type=payment_type,
        ip=ip,
        origin=Origin(channel=STOREFRONT, ip=ip, device_id=str(device_id or "")[:64]),
    )


def create_pay_link(
    seller: Agent,
    sku_id: int,
    quantity: int = 1,
    contact: str = "",
    recharge_account: str = "",
    *,
    origin: Origin | None = None,
) -> tuple[Order, str]:
    """代客下单: the seller makes an order in its own shop (opened for it if it has
    none) and sends the buyer the link to pay it. Checked and bounded as a checkout is
    (no coupon, no query password; the contact is optional; the payment type is chosen
    on the pay page). `origin`: where the seller asked from (its console, the CLI: the
    default), for risk control. Returns (order, pay_url); raises as `checkout` does."""
    if not payments.offered_types():
        raise GatewayNotConfigured("no payment gateway is configured: the shop cannot take money")
    shop = default_storefront(seller)
    contact_kind = ""
    if str(contact or "").strip():
        contact, contact_kind = normalise_contact(contact)
    order = _place(
        shop,
        sku_id=sku_id,
        quantity=quantity,
        contact=contact if contact_kind else "",
        contact_kind=contact_kind,
        account=(recharge_account, recharge_account),
        password_hash="",
        coupon_code="",
        payment_type="",
        ip=None,
        origin=origin or Origin(channel=CLI),
    )
    return order, pay_url(order.order_no)


def pay_url(order_no: str) -> str:
    return f"{settings.KAMENG_PUBLIC_URL}/pay/{order_no}/?t={order_access_token(order_no)}"


def _place(
    storefront: Storefront,
    *,
    sku_id: int,
    quantity: int,
    contact: str,
    contact_kind: str,
    account: tuple[str, str],
    password_hash: str,
    coupon_code: str,
    payment_type: str,
    ip: str | None,
    origin: Origin,
) -> Order:
    shop = Storefront.objects.select_related("agent").filter(pk=storefront.pk, active=True).first()
    if shop is None:
        raise StorefrontNotFound("this storefront is closed")
    _check_quantity(quantity)
    sku = _sku_with_category(sku_id)
    recharge_account = check_recharge_account(sku, *account)
    now = timezone.now()
    coupon = _usable_coupon(shop.agent_id, coupon_code, sku_id, now)
    tiers = _tiers(shop.agent_id, sku_id)
    priced: list[Price] = []

    def apply(sku: Sku, prices: Quote, quantity: int) -> tuple[Decimal, Decimal]:
        # The quote create_storefront_order read (and checks is current) at its commit.
        priced.append(_priced(prices, tiers, coupon, quantity))
        return priced[-1].unit_price, priced[-1].total

    def first() -> None:
        _take_turns(contact, ip)
        _check_open_orders(contact, ip, now)

    def then(order: Order) -> None:
        if coupon is not None:
            _claim_coupon(coupon, now)
        Checkout.objects.create(
            order=order,
            storefront=shop,
            contact=contact,
            contact_kind=contact_kind,
            query_password=password_hash,
            buyer_ip=ip,
            coupon=coupon,
            coupon_counted=coupon is not None,
            discount=priced[-1].discount if priced else ZERO,
            payment_type=payment_type,
        )

    # One transaction, opened by the order service after risk control has scored the
    # order (a blocked attempt is recorded in a commit of its own).
    return orders.create_storefront_order(
        seller=shop.agent,
        sku_id=sku_id,
        quantity=quantity,
        buyer_contact=contact,
        recharge_account=recharge_account,
        price=apply,
        now=now,
        origin=dataclasses.replace(
            origin,
            contact=contact,
            recharge_account=recharge_account,
            coupon=coupon.code if coupon is not None else "",
        ),
        within=(first, then),
    ).order


def normalise_contact(contact: object) -> tuple[str, str]:
    """(contact, kind): an email in lower case, or an 11-digit mainland mobile number
    (spaces, hyphens and a +86 prefix dropped). InvalidContact otherwise."""
    text = contact.strip() if isinstance(contact, str) else ""
    if "@" in text:
        email = text.lower()
        try:
            if len(email) > 254:
                raise ValidationError("too long")
            validate_email(email)
        except ValidationError:
            raise InvalidContact("the contact is not a valid email address") from None
        return email, Checkout.ContactKind.EMAIL
    phone = _mobile(text)
    if phone is None:
        raise InvalidContact("the contact must be an email address or an 11-digit mobile number")
    return phone, Checkout.ContactKind.PHONE


def check_recharge_account(sku: Sku, account: str, again: str) -> str:
    """The account to top up, as the SKU's kind wants it (see `checkout`), typed twice
    the same. Card SKUs take none."""
    account = str(account or "").strip()
    again = str(again or "").strip()
    if sku.kind == Sku.Kind.CARD:
        if account or again:
            raise InvalidRechargeAccount("this SKU delivers card codes; it takes no account")
        return ""
    if takes_mobile_number(sku):
        account, again = _mobile(account) or account, _mobile(again) or again
        if not PHONE.fullmatch(account):
            raise InvalidRechargeAccount("this top-up needs an 11-digit mobile number")
    elif not ACCOUNT.fullmatch(account):
        raise InvalidRechargeAccount(
            "this top-up needs the account to top up: 3–64 letters, digits or _@.+-"
        )
    if not constant_time_compare(account, again):
        raise AccountsDoNotMatch("the two recharge accounts differ")
    return account


def takes_mobile_number(sku: Sku) -> bool:
    """A direct SKU of a category named for phone credit (话费) or data (流量)."""
    category = sku.product.category.name
    return sku.kind == Sku.Kind.DIRECT and any(word in category for word in MOBILE_CATEGORIES)


def _mobile(text: str) -> str | None:
    digits = re.sub(r"[\s-]", "", text)
    if digits.startswith("+86"):
        digits = digits[3:]
    return digits if PHONE.fullmatch(digits) else None


def _sku_with_category(sku_id: int) -> Sku:
    check_sku_id(sku_id)
    sellable_sku(sku_id)  # SkuNotFound / SkuNotSellable, as the order path says
    sku = Sku.objects.select_related("product__category").filter(pk=sku_id).first()
    if sku is None:
        raise SkuNotFound(f"SKU {sku_id} does not exist", sku_id=str(sku_id))
    return sku


def _check_quantity(quantity: int) -> None:
    limit = settings.KAMENG_MAX_ORDER_QUANTITY
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= limit:
        raise InvalidInput(f"quantity must be a whole number from 1 to {limit}")


def _hash_query_password(password: str) -> str:
    password = str(password or "")
    if not password:
        return ""
    low, high = QUERY_PASSWORD_LIMITS
    if not (low <= len(password) <= high and password.isprintable()):
        raise InvalidInput(f"a query password is {low}–{high} printable characters")
    return make_password(password)


def _check_payment_type(payment_type: object) -> str:
    """One the operator's gateways offer now (an order nobody could pay would only hold
    goods): InvalidPaymentType, PaymentTypeNotOffered or GatewayNotConfigured."""
    kind = payment_type.strip() if isinstance(payment_type, str) else ""
    if not PAYMENT_TYPE.fullmatch(kind):
        raise InvalidPaymentType(f"not a payment type: {kind[:16]!r}")
    offered = dict(payments.offered_types())
    if not offered:
        raise GatewayNotConfigured("no payment gateway is configured: the shop cannot take money")
    if kind not in offered:
        raise PaymentTypeNotOffered(f"payment type {kind!r} is not offered", type=kind)
    return kind


def _check_ip(ip: object) -> str:
    try:
        return ipaddress.ip_address(str(ip or "").strip()).compressed
    except ValueError:
        raise InvalidInput("the buyer's address is not an IP address") from None


def _check_open_orders(contact: str, ip: str | None, now: datetime) -> None:
    """Unpaid orders hold goods for their payment window: one contact, one address may
    hold only so many at once."""
    limit = settings.KAMENG_STOREFRONT_MAX_OPEN_ORDERS
    unpaid = Checkout.objects.filter(order__status=Status.CREATED, order__payment_deadline__gt=now)
    if contact and unpaid.filter(contact=contact).count() >= limit:
        raise TooManyOpenOrders(f"this contact already has {limit} unpaid orders")
    if ip and unpaid.filter(buyer_ip=ip).count() >= limit:
        raise TooManyOpenOrders(f"this address already has {limit} unpaid orders")


def _take_turns(contact: str, ip: str | None) -> None:
    """Checkouts of one contact or one address take turns until they commit, so two at
    once cannot both pass the open-order bound. PostgreSQL: transaction-scoped advisory
    locks, taken in a fixed order; SQLite has one writer at a time already."""
    if connection.vendor != "postgresql":
        return
    for key in sorted({f"contact:{contact}" if contact else "", f"ip:{ip}" if ip else ""} - {""}):
        digest = hashlib.sha256(f"kameng.storefront.{key}".encode()).digest()
        db.fetch_one(
            "SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest[:8], "big", signed=True)]
        )


# --- the buyer's own links, lookup and order -------------------------------------------

_TOKEN_SALT = "kameng.storefront.order-access"
_DUMMY_PASSWORD: list[str] = []  # a hash to check against when no order matched


def order_access_token(order_no: str) -> str:
    """The key to the buyer's own links of an order (result page, pay link): an HMAC of
    the order number under the site's secret key."""
    return salted_hmac(_TOKEN_SALT, order_no, algorithm="sha256").hexdigest()[:32]


def check_access_token(order_no: str, token: object) -> bool:
    """Whether `token` opens `order_no`'s links (also under a previous secret key,
    settings.SECRET_KEY_FALLBACKS)."""
    if not isinstance(order_no, str) or not isinstance(token, str) or len(token) != 32:
        return False
    for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]:
        expected = salted_hmac(_TOKEN_SALT, order_no, secret=secret, algorithm="sha256")
        if constant_time_compare(token, expected.hexdigest()[:32]):
            return True
    return False


def lookup(order_no: str, contact: str, query_password: str = "", *, client_ip: str) -> Order:
    """An end user finds its order again: the order number, the contact it gave and, if
    it set one, its query password must all match. Every mismatch is the same
    LookupFailed; an address may try KAMENG_STOREFRONT_LOOKUPS times per window
    (RateLimited beyond)."""
    ip = _check_ip(client_ip)
    limit, window = settings.KAMENG_STOREFRONT_LOOKUPS
    count, left = guards.store().count(f"storefront:lookup:{_client_key(ip)}", window)
    if count > limit:
        raise RateLimited(max(1, math.ceil(left)))
    try:
        contact, _ = normalise_contact(contact)
    except InvalidContact:
        contact = ""
    order_no = order_no.strip() if isinstance(order_no, str) else ""
    found = None
    if contact and is_printable(order_no, limit=32):
        found = (
            Checkout.objects.select_related("order")
            .filter(order__order_no=order_no, order__channel=Order.Channel.STOREFRONT)
            .exclude(contact="")
            .first()
        )
    password = query_password if isinstance(query_password, str) else ""
    stored = found.query_password if found is not None else ""
    # One password check whatever matched, so the time taken tells nothing either.
    password_ok = check_password(password, stored or _dummy_password())
    if found is None or not constant_time_compare(found.contact, contact):
        raise LookupFailed()
    if stored and not password_ok:
        raise LookupFailed()
    return found.order


def buyer_cards(order: Order) -> list[tuple[str, str]]:
    """(code, secret) of a storefront order's card codes, decrypted, once delivered
    (delivered, completed or under complaint); before that, and for top-ups, none."""
    delivered = {Status.DELIVERED, Status.COMPLETED, Status.DISPUTED}
    if order.channel != Order.Channel.STOREFRONT or order.status not in delivered:
        return []
    return [
        (code, vault.decrypt(token, "the order's card codes"))
        for code, token in stock_queries.order_cards(order.pk)
    ]


def buyer_confirm(order: Order) -> Order:
    """The end user confirms receipt: escrow is split along the chain now."""
    return orders.confirm_receipt(_storefront_order(order))


def buyer_complain(order: Order, reason: str) -> Order:
    """The end user complains (售后) before its confirmation window closes."""
    reason = str(reason or "").strip()
    if len(reason) > 1000:
        raise InvalidInput("say what is wrong in at most 1000 characters")
    return orders.open_dispute(_storefront_order(order), reason)


def _storefront_order(order: Order) -> Order:
    if order.channel != Order.Channel.STOREFRONT:
        raise OrderNotFound(f"order {order.order_no} not found")
    return order


def _dummy_password() -> str:
    if not _DUMMY_PASSWORD:
        _DUMMY_PASSWORD.append(make_password(secrets.token_hex(8)))
    return _DUMMY_PASSWORD[0]


# --- captcha -------------------------------------------------------------------------

CAPTCHA_WINDOW = 600  # seconds


def captcha_needed(client_ip: str) -> bool:
    """Whether this address must pass a captcha to check out: it attempted
    KAMENG_STOREFRONT_CAPTCHA_AFTER checkouts (default 3) in the current 10 minutes;
    the first ones go without. Counts nothing itself (checkout counts)."""
    ip = _check_ip(client_ip)
    return guards.store().peek(_attempts_key(ip)) >= settings.KAMENG_STOREFRONT_CAPTCHA_AFTER


def _attempts_key(ip: str) -> str:
    return f"storefront:checkout:{_client_key(ip)}"


def _client_key(ip: str) -> str:
    """Counters per IPv4 address, per /64 for IPv6 (one host has a whole /64)."""
    address = ipaddress.ip_address(ip)
    if address.version == 6:
        return ipaddress.ip_network(f"{address}/64", strict=False).compressed
    return address.compressed
