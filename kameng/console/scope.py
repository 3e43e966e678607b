"""What each principal may see: ONE helper per object family, the only way console
pages read objects that belong to someone. Each returns a QuerySet already limited to
the principal; a page narrows it further (filters, search, pagination) and fetches
single objects through `one`, so an id or order number of another principal's object,
guessed or typed into a URL, is a 404 — never its data, never a 403 that says it
exists.

    order = one(agent_orders(request.principal), order_no=order_no)

Distributors see themselves and their subtree, suppliers their own goods, batches,
orders and statements; the operator sees everything and needs no helper here.
"""

from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from kameng.agents.models import (
    Agent,
    AgentPrice,
    ApiKey,
    InviteLink,
    TopUpRequest,
    WithdrawalRequest,
)
from kameng.ledger.models import Entry
from kameng.orders.models import Order, OrderEvent
from kameng.orders.states import Status as OrderStatus
from kameng.stock.models import Card, CardBatch
from kameng.storefront.models import Coupon, PriceTier, Storefront
from kameng.suppliers.models import (
    ApplicationDocument,
    Offer,
    Supplier,
    SupplierAccount,
    SupplierApplication,
)
from kameng.topup.models import Attempt
from kameng.webhooks.models import Delivery

M = TypeVar("M", bound=models.Model)


def one(queryset: QuerySet[M], **lookup: object) -> M:
    """The one object of `queryset` (a helper's, narrowed) matching `lookup`, else
    Http404 (the console's 404 page). A malformed id is a 404 too, not a 500."""
    try:
        return queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise Http404(f"no {queryset.model._meta.label} {lookup} here") from exc


# --- distributors -------------------------------------------------------------------


def agent_orders(agent: Agent) -> QuerySet[Order]:
    """Orders made by or for the agent: its own purchases (API, console) and its
    storefront's sales. Never a sub-agent's orders: their sales are summed, not shown."""
    return Order.objects.filter(agent=agent).select_related("sku__product")


def subtree(agent: Agent, *, include_self: bool = True) -> QuerySet[Agent]:
    """The agent and every agent below it (their path starts with its path and "/":
    agent 3 is not the parent of agent 31)."""
    below = Q(path__startswith=f"{agent.path}/")
    return Agent.objects.filter(below | Q(pk=agent.pk) if include_self else below).select_related(
        "user"
    )


def agent_keys(agent: Agent) -> QuerySet[ApiKey]:
    """The agent's API keys (their secrets stay encrypted: shown once, when created)."""
    return ApiKey.objects.filter(agent=agent).defer("secret_encrypted")


def agent_prices(agent: Agent) -> QuerySet[AgentPrice]:
    """The prices the agent set: what its sub-agents pay, what its shop charges."""
    return AgentPrice.objects.filter(agent=agent).select_related("sku__product")


def agent_webhook_deliveries(agent: Agent) -> QuerySet[Delivery]:
    """Webhook deliveries about the agent's orders."""
    return Delivery.objects.filter(order__agent=agent).select_related("order")


def agent_journal_lines(agent: Agent) -> QuerySet[Entry]:
    """Every posting on the agent's prepaid wallet (its statement)."""
    return Entry.objects.filter(account_id=agent.wallet_id).select_related("journal")


def agent_storefronts(agent: Agent) -> QuerySet[Storefront]:
    return Storefront.objects.filter(agent=agent)


def agent_coupons(agent: Agent) -> QuerySet[Coupon]:
    return Coupon.objects.filter(agent=agent)


def agent_price_tiers(agent: Agent) -> QuerySet[PriceTier]:
    return PriceTier.objects.filter(agent=agent).select_related("sku__product")


def agent_invites(agent: Agent) -> QuerySet[InviteLink]:
    """The agent's invite links."""
    return InviteLink.objects.filter(agent=agent)


def agent_top_up_requests(agent: Agent) -> QuerySet[TopUpRequest]:
    """The agent's top-up requests."""
    return TopUpRequest.objects.filter(agent=agent)


def agent_withdrawal_requests(agent: Agent) -> QuerySet[WithdrawalRequest]:
    """The agent's withdrawal requests."""
    return WithdrawalRequest.objects.filter(agent=agent)


# --- suppliers ----------------------------------------------------------------------


def supplier_offers(supplier: Supplier) -> QuerySet[Offer]:
    """The SKUs the supplier is licensed to supply, at its cost."""
    return Offer.objects.filter(supplier=supplier).select_related("sku__product")


def supplier_batches(supplier: Supplier) -> QuerySet[CardBatch]:
    return CardBatch.objects.filter(supplier=supplier).select_related("sku__product")


def supplier_cards(supplier: Supplier) -> QuerySet[Card]:
    """The supplier's cards, for counting stock. Their secrets are not even loaded:
    nobody sees a secret after upload, the supplier included."""
    return Card.objects.filter(supplier=supplier).defer("secret_encrypted", "secret_digest")


def supplier_orders(supplier: Supplier) -> QuerySet[Order]:
    """Orders with the supplier's goods in them: its cards, or a top-up tried at it.
    (The buyer's contact and account are the order's; pages show a supplier what it
    needs to handle a complaint, no more.)"""
    cards = Card.objects.filter(supplier=supplier, order__isnull=False).values("order_id")
    attempts = Attempt.objects.filter(supplier=supplier).values("order_id")
    return Order.objects.filter(Q(pk__in=cards) | Q(pk__in=attempts)).select_related("sku__product")


def supplier_attempts(supplier: Supplier) -> QuerySet[Attempt]:
    """Direct top-ups tried at the supplier."""
    return Attempt.objects.filter(supplier=supplier).select_related("order")


def supplier_journal_lines(supplier: Supplier) -> QuerySet[Entry]:
    """Every posting on what the platform owes the supplier (settlements, payouts)."""
    return Entry.objects.filter(account_id=supplier.payable_id).select_related("journal")


# --- supplier persons (applicants and approved) -------------------------------------


def account_applications(account: SupplierAccount) -> QuerySet[SupplierApplication]:
    """The applications the supplier person submitted from the console (its own, never
    another company's, whoever approved them)."""
    return SupplierApplication.objects.filter(applicant_id=account.user_id)


def account_documents(account: SupplierAccount) -> QuerySet[ApplicationDocument]:
    """The qualification documents of the person's own applications (served to it and to
    operators, nobody else)."""
    return ApplicationDocument.objects.filter(application__applicant_id=account.user_id)


def supplier_complaints(supplier: Supplier) -> QuerySet[Order]:
    """Orders with the supplier's goods that drew a complaint: disputed now, or refunded
    after a dispute (as reporting.dashboards.supplier_quality counts them)."""
    refunded_after_dispute = Q(status=OrderStatus.REFUNDED) & Exists(
        OrderEvent.objects.filter(
            order_id=OuterRef("pk"),
            from_status=OrderStatus.DISPUTED,
            to_status=OrderStatus.REFUNDED,
        )
    )
    return supplier_orders(supplier).filter(Q(status=OrderStatus.DISPUTED) | refunded_after_dispute)
