"""Payments through an operator's gateway: its configuration, one Payment per storefront
order, every word heard from a gateway (GatewayEvent), and refunds sent back through it.
Workflows live in services.py."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from kameng.money import MoneyField
from kameng.orders.models import Order
from kameng.payments.states import PaymentStatus, RefundStatus


class GatewayConfig(models.Model):
    """What the operator entered for one gateway (its name is the protocol: "epay").
    The merchant key is kept encrypted (kameng.vault) and never shown back."""

    name = models.CharField(max_length=32, unique=True, verbose_name="网关")
    url = models.CharField(max_length=255, verbose_name="网关地址")
    pid = models.CharField(max_length=64, verbose_name="商户号")
    key_encrypted = models.TextField(verbose_name="商户密钥（加密）")
    # Comma-separated payment types offered to buyers: "alipay,wxpay".
    types = models.CharField(max_length=128, default="alipay,wxpay", verbose_name="支付方式")
    enabled = models.BooleanField(default=True, verbose_name="启用")
    updated_at = models.DateTimeField(auto_now=True, verbose_name="更新时间")

    class Meta:
        verbose_name = verbose_name_plural = "支付网关"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def type_list(self) -> list[str]:
        return [t for t in self.types.split(",") if t]


class Payment(models.Model):
    class Via(models.TextChoices):
        NOTIFY = "notify", "异步通知"
        QUERY = "query", "主动查询"
        OPERATOR = "operator", "人工确认"

    # One per order; the gateway's out_trade_no is the order's order_no.
    order = models.OneToOneField(
        Order, on_delete=models.PROTECT, related_name="payment", verbose_name="订单"
    )
    gateway = models.CharField(max_length=32, verbose_name="网关")
    type = models.CharField(max_length=16, blank=True, verbose_name="支付方式")
    amount = MoneyField(max_digits=14, verbose_name="金额")
    status = models.CharField(
        max_length=10,
        choices=PaymentStatus.choices,
        default=PaymentStatus.PENDING,
        verbose_name="状态",
    )
    # The gateway's trade number: one trade pays one order, once.
    trade_no = models.CharField(
        max_length=64, null=True, blank=True, unique=True, verbose_name="网关交易号"
    )
    paid_via = models.CharField(
        max_length=10, choices=Via.choices, blank=True, verbose_name="确认方式"
    )
    paid_at = models.DateTimeField(null=True, blank=True, verbose_name="支付时间")
    # When the poller asks the gateway next, while unpaid (None: no more queries).
    next_query_at = models.DateTimeField(null=True, blank=True, verbose_name="下次查询")
    queries = models.PositiveIntegerField(default=0, verbose_name="查询次数")
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="确认人",
    )
    confirm_reason = models.TextField(blank=True, verbose_name="确认理由")
    created_at = models.DateTimeField(default=timezone.now, verbose_name="创建时间")

    class Meta:
        verbose_name = verbose_name_plural = "支付"
        indexes = [
            models.Index(
                fields=["next_query_at"],
                condition=Q(status="pending"),
                name="payments_unpaid_due_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.gateway}:{self.order_id}"


class GatewayEvent(models.Model):
    """Every notify, return visit, query answer, refund answer and operator decision,
    trusted or not: the evidence the operator reads. Kept short; never holds the key."""

    class Kind(models.TextChoices):
        NOTIFY = "notify", "异步通知"
        RETURN = "return", "同步跳转"
        QUERY = "query", "查询"
        REFUND = "refund", "退款"
        OPERATOR = "operator", "人工操作"

    class Outcome(models.TextChoices):
        PAID = "paid", "已入账"
        DUPLICATE = "duplicate", "重复通知"
        SECOND_TRADE = "second_trade", "重复支付，已退回"
        NOT_PAYABLE = "not_payable", "订单无法支付，已退回"
        RETRY_LATER = "retry_later", "订单状态变化中，稍后重试"
        FORGED = "forged", "签名无效"
        WRONG_MONEY = "wrong_money", "金额不符"
        NOT_PAID = "not_paid", "交易未成功"
        UNKNOWN_ORDER = "unknown_order", "未知订单"
        TRADE_NO_TAKEN = "trade_no_taken", "交易号已被占用"
        MALFORMED = "malformed", "格式错误"
        TOO_LARGE = "too_large", "内容过大"
        UNCONFIGURED = "unconfigured", "网关未配置"
        THROTTLED = "throttled", "失败过多(此后不再记录)"
        SEEN = "seen", "已查看"
        UNPAID = "unpaid", "未支付"
        UNREACHABLE = "unreachable", "网关无法访问"
        REFUNDED = "refunded", "已退款"
        REFUSED = "refused", "网关拒绝"
        CONFIRMED = "confirmed", "人工确认收款"
        RETRIED = "retried", "人工重试退款"

    gateway = models.CharField(max_length=32, verbose_name="网关")
    kind = models.CharField(max_length=10, choices=Kind.choices, verbose_name="类型")
    payment = models.ForeignKey(
        Payment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
        verbose_name="支付",
    )
    out_trade_no = models.CharField(max_length=64, blank=True, verbose_name="商户订单号")
    trade_no = models.CharField(max_length=64, blank=True, verbose_name="网关交易号")
    outcome = models.CharField(max_length=16, choices=Outcome.choices, verbose_name="结果")
    detail = models.CharField(max_length=255, blank=True, verbose_name="说明")
    params = models.CharField(max_length=500, blank=True, verbose_name="参数摘录")
    remote_ip = models.CharField(max_length=64, blank=True, verbose_name="来源地址")
    at = models.DateTimeField(default=timezone.now, verbose_name="时间")

    class Meta:
        verbose_name = verbose_name_plural = "网关记录"
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.out_trade_no} {self.outcome}"


class Refund(models.Model):
    """Money given back through the gateway: the order's own trade (the order was
    refunded), or a second trade that paid an order already paid."""

    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="refunds", verbose_name="支付"
    )
    gateway = models.CharField(max_length=32, verbose_name="网关")
    # The gateway trade given back: at most one refund per trade.
    trade_no = models.CharField(max_length=64, unique=True, verbose_name="网关交易号")
    amount = MoneyField(max_digits=14, verbose_name="金额")
    status = models.CharField(
        max_length=10,
        choices=RefundStatus.choices,
        default=RefundStatus.PENDING,
        verbose_name="状态",
    )
    reason = models.CharField(max_length=255, verbose_name="原因")
    tries = models.PositiveIntegerField(default=0, verbose_name="本轮尝试次数")
    # Refund requests sent ever: once one left, its outcome may be unknown, so the next
    # try asks the gateway (query) first.
    sends = models.PositiveIntegerField(default=0, verbose_name="发送次数")
    last_error = models.CharField(max_length=255, blank=True, verbose_name="最近错误")
    next_try_at = models.DateTimeField(null=True, blank=True, verbose_name="下次尝试")
    created_at = models.DateTimeField(default=timezone.now, verbose_name="创建时间")
    done_at = models.DateTimeField(null=True, blank=True, verbose_name="完成时间")

    class Meta:
        verbose_name = verbose_name_plural = "退款"
        indexes = [
            models.Index(
                fields=["next_try_at"],
                condition=Q(status="pending"),
                name="payments_refund_due_idx",
            )
        ]

    def __str__(self) -> str:
        return f"退款 {self.trade_no}"
