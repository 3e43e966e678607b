"""Orders and their status history. Workflows live in services.py."""

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils import timezone

from kameng.agents.models import Agent
from kameng.catalog.models import Sku
from kameng.ledger.models import Account
from kameng.money import MoneyField
from kameng.orders.states import Status


class Order(models.Model):
    class Channel(models.TextChoices):
        AGENT = "agent", "代理进货"  # a distributor pays from its prepaid balance
        STOREFRONT = "storefront", "店铺零售"  # an end user pays through a gateway

    order_no = models.CharField(max_length=32, unique=True, verbose_name="订单号")
    # The agent whose order this is: the buyer (agent channel) or the storefront owner.
    agent = models.ForeignKey(
        Agent, on_delete=models.PROTECT, related_name="orders", verbose_name="代理"
    )
    channel = models.CharField(
        max_length=12, choices=Channel.choices, default=Channel.AGENT, verbose_name="渠道"
    )
    out_trade_no = models.CharField(max_length=64, verbose_name="外部订单号")
    request_hash = models.CharField(max_length=64, verbose_name="请求摘要")
    sku = models.ForeignKey(
        Sku, on_delete=models.PROTECT, related_name="orders", verbose_name="商品规格"
    )
    quantity = models.PositiveIntegerField(verbose_name="数量")
    unit_price = MoneyField(verbose_name="单价")
    amount = MoneyField(max_digits=14, verbose_name="金额")
    # Top-up target for direct SKUs (phone number, game account).
    recharge_account = models.CharField(max_length=128, blank=True, verbose_name="充值账号")
    buyer_contact = models.CharField(max_length=128, blank=True, verbose_name="买家联系方式")
    # Open-API orders: the key that placed it (signs its webhooks) and where they go.
    api_key = models.ForeignKey(
        "agents.ApiKey",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name="API 密钥",
    )
    callback_url = models.CharField(max_length=512, blank=True, verbose_name="回调地址")
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.CREATED, verbose_name="状态"
    )
    # How escrow is split on release, fixed at purchase: [[wallet account id, "amount"], ...]
    # for each agent's spread, and what the platform receives before supplier cost.
    spreads = models.JSONField(default=list, verbose_name="分润")
    platform_gross = MoneyField(max_digits=14, default=0, verbose_name="平台收入（含成本）")
    # The escrow account holding the order's money (ledger.escrow_account_id, chosen by
    # the order number). Empty on orders placed before escrow was split: the first one.
    escrow_account = models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        verbose_name="托管账户",
    )
    payment_ref = models.CharField(
        max_length=64, null=True, blank=True, unique=True, verbose_name="支付流水号"
    )
    # Set by the order path to the same instant as its events (auto_now_add would stamp
    # the insert a moment later than paid_at/delivered_at).
    created_at = models.DateTimeField(default=timezone.now, verbose_name="下单时间")
    paid_at = models.DateTimeField(null=True, blank=True, verbose_name="支付时间")
    delivered_at = models.DateTimeField(null=True, blank=True, verbose_name="发货时间")
    confirm_deadline = models.DateTimeField(
        null=True, blank=True, db_index=True, verbose_name="确认收货截止"
    )
    # Storefront orders: the end of the payment window, during which their codes are held.
    payment_deadline = models.DateTimeField(null=True, blank=True, verbose_name="支付截止")
    closed_at = models.DateTimeField(null=True, blank=True, verbose_name="关闭时间")
    dispute_reason = models.TextField(blank=True, verbose_name="申诉理由")
    # Risk control held it for an operator's review (kameng.risk): it waits in `review`
    # once paid, instead of being delivered. Stays set after the decision.
    held_for_review = models.BooleanField(default=False, db_default=False, verbose_name="风控待审")

    class Meta:
        verbose_name = verbose_name_plural = "订单"
        constraints = [
            models.UniqueConstraint(
                fields=["agent", "out_trade_no"], name="orders_out_trade_no_unique"
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="orders_quantity_positive"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="orders_amount_positive"),
        ]
        indexes = [
            models.Index(fields=["status", "confirm_deadline"], name="orders_due_idx"),
            models.Index(
                fields=["payment_deadline"],
                condition=Q(status="created"),
                name="orders_unpaid_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.order_no

    @property
    def platform_unit_price(self) -> Decimal:
        """What the platform receives per unit: no supplier may cost more."""
        return self.platform_gross / self.quantity


class OrderEvent(models.Model):
    """Every status change, in order: the order's own history."""

    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="events", verbose_name="订单"
    )
    from_status = models.CharField(max_length=12, blank=True, verbose_name="原状态")
    to_status = models.CharField(max_length=12, verbose_name="新状态")
    note = models.CharField(max_length=255, blank=True, verbose_name="说明")
    at = models.DateTimeField(verbose_name="时间")

    class Meta:
        verbose_name = verbose_name_plural = "订单状态记录"
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.from_status or '·'} → {self.to_status}"
