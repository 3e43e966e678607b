"""Orders and their status history. Workflows live in services.py."""

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils import timezone

from kameng.agents.models import Agent
from kameng.catalog.models import Sku
from kameng.money import MoneyField
from kameng.orders.states import Status


class Order(models.Model):
    class Channel(models.TextChoices):
        AGENT = "agent", "代理进货"  # a distributor pays from its prepaid balance
        STOREFRONT = "storefront", "店铺零售"  # an end user pays through a gateway

    order_no = models.CharField(max_length=32, unique=True)
    # The agent whose order this is: the buyer (agent channel) or the storefront owner.
    agent = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="orders")
    channel = models.CharField(max_length=12, choices=Channel.choices, default=Channel.AGENT)
    out_trade_no = models.CharField(max_length=64)
    request_hash = models.CharField(max_length=64)
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="orders")
    quantity = models.PositiveIntegerField()
    unit_price = MoneyField()
    amount = MoneyField(max_digits=14)
    # Top-up target for direct SKUs (phone number, game account).
    recharge_account = models.CharField(max_length=128, blank=True)
    buyer_contact = models.CharField(max_length=128, blank=True)
    # Open-API orders: the key that placed it (signs its webhooks) and where they go.
    api_key = models.ForeignKey(
        "agents.ApiKey", null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    callback_url = models.CharField(max_length=512, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.CREATED)
    # How escrow is split on release, fixed at purchase: [[wallet account id, "amount"], ...]
    # for each agent's spread, and what the platform receives before supplier cost.
    spreads = models.JSONField(default=list)
    platform_gross = MoneyField(max_digits=14, default=0)
    payment_ref = models.CharField(max_length=64, null=True, blank=True, unique=True)
    # Set by the order path to the same instant as its events (auto_now_add would stamp
    # the insert a moment later than paid_at/delivered_at).
    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    confirm_deadline = models.DateTimeField(null=True, blank=True, db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    dispute_reason = models.TextField(blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "订单"
        constraints = [
            models.UniqueConstraint(
                fields=["agent", "out_trade_no"], name="orders_out_trade_no_unique"
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="orders_quantity_positive"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="orders_amount_positive"),
        ]
        indexes = [models.Index(fields=["status", "confirm_deadline"], name="orders_due_idx")]

    def __str__(self) -> str:
        return self.order_no

    @property
    def platform_unit_price(self) -> Decimal:
        """What the platform receives per unit: no supplier may cost more."""
        return self.platform_gross / self.quantity


class OrderEvent(models.Model):
    """Every status change, in order: the order's own history."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="events")
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    note = models.CharField(max_length=255, blank=True)
    at = models.DateTimeField()

    class Meta:
        verbose_name = verbose_name_plural = "订单状态记录"
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.from_status or '·'} → {self.to_status}"
