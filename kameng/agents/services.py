"""Agent verbs: join the tree, set prices, receive a top-up of the prepaid balance.

Agents earn only the spread on goods actually sold below them (see pricing.py);
nothing here pays anyone for recruiting.
"""

import uuid
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from kameng.agents.errors import (
    AgentInactive,
    AgentNotFound,
    DepthLimitExceeded,
    PriceOutOfBounds,
    UsernameTaken,
    WeakPassword,
)
from kameng.agents.models import Agent, AgentLevel, AgentPrice
from kameng.agents.pricing import quote
from kameng.catalog.models import Sku
from kameng.errors import InvalidInput
from kameng.ledger import services as ledger
from kameng.ledger.errors import AlreadyPosted
from kameng.ledger.models import Account, Journal
from kameng.money import parse_money


def get_agent(username: str) -> Agent:
    try:
        return Agent.objects.select_related("user").get(user__username=username)
    except Agent.DoesNotExist as exc:
        raise AgentNotFound(f"no agent named {username!r}", username=username) from exc


def create_agent(
    username: str, *, parent: Agent | None = None, password: str | None = None, email: str = ""
) -> Agent:
    """Add an agent under `parent` (None: a top-level agent under the platform).
    No password: the agent cannot log in yet. A password given (even an empty one)
    must pass the validators, as the admin's password forms require."""
    username = username.strip()
    if not username or len(username) > 150:
        raise InvalidInput("username must be 1–150 characters")
    user_model = get_user_model()
    if password is not None:
        _check_password(password, user_model(username=username, email=email))
    depth = 1 if parent is None else parent.depth + 1
    limit = settings.KAMENG_MAX_AGENT_DEPTH
    if depth > limit:
        raise DepthLimitExceeded(
            f"agents may be at most {limit} levels deep; {parent} is already at level "
            f"{parent.depth if parent else 0}",
            max_depth=limit,
        )
    if parent is not None and not parent.active:
        raise AgentInactive(f"{parent} is not active and cannot take sub-agents")
    try:
        with transaction.atomic():
            user = user_model.objects.create_user(username=username, email=email, password=password)
            wallet = ledger.open_account(
                f"agent:{username}", f"预存款 {username}", Account.Kind.AGENT_WALLET
            )
            agent = Agent.objects.create(user=user, parent=parent, depth=depth, wallet=wallet)
            agent.path = f"{parent.path}/{agent.pk}" if parent else str(agent.pk)
            agent.save(update_fields=["path"])
    except IntegrityError as exc:
        raise UsernameTaken(f"username {username!r} is taken", username=username) from exc
    return agent


def set_active(agent: Agent, active: bool) -> Agent:
    """Disable or re-enable an agent. Disabled: it cannot buy, sell or get API keys; its
    sub-agents still buy, and its spread on their purchases goes to the platform
    (agents.pricing)."""
    Agent.objects.filter(pk=agent.pk).update(active=active)
    agent.active = active
    return agent


def _check_password(password: str, user) -> None:
    if not password:  # whatever the validators configured say
        raise WeakPassword("password refused: it is empty (give none for no login yet)")
    # The validators' messages are translated; CLI and API errors are English.
    with translation.override("en"):
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise WeakPassword("password refused: " + " ".join(exc.messages)) from exc


def set_level(depth: int, name: str, discount: Decimal | str) -> AgentLevel:
    try:
        discount = Decimal(discount)
    except (InvalidOperation, TypeError, ValueError):
        discount = Decimal("NaN")
    if not discount.is_finite() or discount.as_tuple().exponent < -4 or not 0 < discount <= 1:
        raise InvalidInput(
            "a level discount is a fraction of face value in (0, 1], at most four decimals"
        )
    if not (1 <= depth <= settings.KAMENG_MAX_AGENT_DEPTH):
        raise InvalidInput(f"level depth must be 1–{settings.KAMENG_MAX_AGENT_DEPTH}")
    level, _ = AgentLevel.objects.update_or_create(
        depth=depth, defaults={"name": name, "discount": discount}
    )
    return level


def set_price(
    agent: Agent,
    sku: Sku,
    *,
    sub_agent_price: Decimal | str | None = None,
    retail_price: Decimal | str | None = None,
) -> AgentPrice:
    """An agent's own prices for a SKU, bounded by its cost below and face value above
    (a docked SKU listed above its face value: its list price)."""
    own_cost = quote(agent, sku).links[-1].unit_price
    ceiling = sku.price_ceiling
    values: dict[str, Decimal | None] = {}
    for field, raw in (("sub_agent_price", sub_agent_price), ("retail_price", retail_price)):
        if raw is None:
            continue
        price = parse_money(raw)
        if price < own_cost or price > ceiling:
            raise PriceOutOfBounds(
                f"{field} must be between your cost {own_cost} and face value {ceiling}",
                min=str(own_cost),
                max=str(ceiling),
            )
        values[field] = price
    if "sub_agent_price" in values and agent.depth >= settings.KAMENG_MAX_AGENT_DEPTH:
        raise InvalidInput("an agent at the deepest level has no sub-agents to price for")
    price_row, _ = AgentPrice.objects.update_or_create(agent=agent, sku=sku, defaults=values)
    return price_row


def top_up(agent: Agent, amount: Decimal | str, *, reference: str | None = None) -> Journal:
    """Credit money the agent paid in (operator action). Idempotent on `reference`."""
    amount = parse_money(amount)
    reference = reference or uuid.uuid4().hex
    key = f"topup:{reference}"
    try:
        with transaction.atomic():  # a savepoint: a repeat must leave us able to look it up
            journal_id = ledger.post(
                key=key,
                kind=Journal.Kind.TOPUP,
                reference=agent.user.username,
                lines=[
                    (ledger.system_account_id(ledger.FUNDING), -amount),
                    (agent.wallet_id, amount),
                ],
                memo=f"top-up {reference}",
            )
        return Journal.objects.get(pk=journal_id)
    except AlreadyPosted:
        existing = Journal.objects.get(key=key)
        credited = existing.entries.filter(account_id=agent.wallet_id, amount=amount).exists()
        if not credited:
            raise
        return existing
