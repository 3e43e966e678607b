"""Direct top-up attempts (one order may try several suppliers, one at a time), every
callback suppliers sent us, and every operator decision on an attempt. Workflows live
in services.py."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from kameng.money import MoneyField
from kameng.orders.models import Order
from kameng.suppliers.models import Supplier
from kameng.topup.states import UNSETTLED, AttemptStatus


class Attempt(models.Model):
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="topup_attempts", verbose_name="订单"
    )
    supplier = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, related_name="attempts", verbose_name="供应商"
    )
    number = models.PositiveSmallIntegerField(verbose_name="次序")
    # Our order number at the supplier (its out_order_no): unique, reused on resubmit
    # so the supplier recognises a repeat instead of topping up twice.
    request_id = models.CharField(max_length=48, unique=True, verbose_name="请求号")
    supplier_order_no = models.CharField(max_length=64, blank=True, verbose_name="供应商单号")
    remote_sku = models.CharField(max_length=64, verbose_name="对方商品编码")
    cost = MoneyField(max_digits=14, verbose_name="成本")  # owed to the supplier
    status = models.CharField(
        max_length=10,
        choices=AttemptStatus.choices,
        default=AttemptStatus.PENDING,
        verbose_name="状态",
    )
    retryable = models.BooleanField(
        default=False, verbose_name="可换供应商重试"
    )  # failed: may the next supplier try?
    error_code = models.CharField(max_length=32, blank=True, verbose_name="错误码")
    message = models.CharField(max_length=255, blank=True, verbose_name="消息")
    queries = models.PositiveIntegerField(default=0, verbose_name="查询次数")
    # Sends started, counted before each one leaves: while it is 0 the supplier cannot
    # have seen this request, and a first send that never left proves it still has not.
    submits = models.PositiveIntegerField("提交次数", default=0)
    created_at = models.DateTimeField(verbose_name="创建时间")
    submitted_at = models.DateTimeField(null=True, blank=True, verbose_name="提交时间")
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name="结束时间")
    # When the poller should ask the supplier, if nothing final was heard by then.
    next_query_at = models.DateTimeField(null=True, blank=True, verbose_name="下次查询")

    class Meta:
        verbose_name = verbose_name_plural = "直充尝试"
        constraints = [
            models.UniqueConstraint(fields=["order", "number"], name="topup_attempt_number"),
            # At most one supplier ever delivers an order.
            models.UniqueConstraint(
                fields=["order"], condition=Q(status="succeeded"), name="topup_one_success"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_query_at"],
                condition=Q(status__in=sorted(UNSETTLED)),
                name="topup_open_due_idx",
            )
        ]

    def __str__(self) -> str:
        return self.request_id


class Callback(models.Model):
    """Every callback received, trusted or not: the evidence when a supplier disputes.
    Failed ones are kept short (an excerpt), and past the per-address limit only the
    first one over it is kept (THROTTLED), so a flood cannot fill the database."""

    class Effect(models.TextChoices):
        APPLIED = "applied", "已处理"
        DUPLICATE = "duplicate", "重复"
        FORGED = "forged", "签名无效"
        UNKNOWN_REQUEST = "unknown_request", "未知订单"
        CONTRADICTION = "contradiction", "与终态矛盾"
        MALFORMED = "malformed", "格式错误"
        TOO_LARGE = "too_large", "内容过大"
        UNVERIFIABLE = "unverifiable", "无法验签(密钥不可读)"
        THROTTLED = "throttled", "失败过多(此后不再记录)"

    supplier = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, related_name="callbacks", verbose_name="供应商"
    )
    request_id = models.CharField(max_length=64, blank=True, verbose_name="请求号")
    outcome = models.CharField(max_length=12, blank=True, verbose_name="结果")
    effect = models.CharField(max_length=16, choices=Effect.choices, verbose_name="处理")
    body = models.TextField(
        verbose_name="内容摘录"
    )  # the first characters, control characters escaped
    reason = models.CharField(max_length=255, blank=True, verbose_name="原因")  # why it was refused
    remote_addr = models.CharField(max_length=64, blank=True, verbose_name="来源地址")
    received_at = models.DateTimeField(auto_now_add=True, verbose_name="收到时间")

    class Meta:
        verbose_name = verbose_name_plural = "供应商回调"

    def __str__(self) -> str:
        return f"{self.request_id} {self.effect}"


class Resolution(models.Model):
    """Append-only: every operator decision on an attempt, who made it, why, and (for
    a query) what the supplier said. Written by services.resolve, never edited."""

    class Action(models.TextChoices):
        QUERY = "query", "重新查询"
        DELIVERED = "delivered", "确认已充值"
        FAILED = "failed", "确认失败并退款"

    class Heard(models.TextChoices):
        SUCCEEDED = "succeeded", "供应商确认成功"
        FAILED = "failed", "供应商确认失败"
        PROCESSING = "processing", "供应商处理中"
        NOT_FOUND = "not_found", "供应商无此订单"
        UNREACHABLE = "unreachable", "供应商无法访问"

    attempt = models.ForeignKey(
        Attempt, on_delete=models.PROTECT, related_name="resolutions", verbose_name="直充尝试"
    )
    action = models.CharField("处理方式", max_length=12, choices=Action.choices)
    status_before = models.CharField("处理前状态", max_length=10, choices=AttemptStatus.choices)
    status_after = models.CharField("处理后状态", max_length=10, choices=AttemptStatus.choices)
    reason = models.TextField("理由", blank=True)
    heard = models.CharField("查询结果", max_length=12, choices=Heard.choices, blank=True)
    detail = models.CharField("供应商答复", max_length=255, blank=True)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="topup_resolutions",
        verbose_name="操作员",
    )
    at = models.DateTimeField("时间")

    class Meta:
        verbose_name = verbose_name_plural = "直充人工处理记录"
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.attempt} {self.action}"
