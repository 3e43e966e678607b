"""Webhook deliveries to distributors and every try made for each. Workflows live in
services.py."""

from django.db import models

from kameng.orders.models import Order
from kameng.webhooks.states import DeliveryState


class Delivery(models.Model):
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="webhook_deliveries", verbose_name="订单"
    )
    # The order status this delivery announces (the body carries the order as it is
    # when sent, so a late try never reports an older state than the current one).
    status = models.CharField(max_length=12, verbose_name="通知的状态")
    url = models.CharField(max_length=512, verbose_name="回调地址")
    state = models.CharField(
        max_length=10,
        choices=DeliveryState.choices,
        default=DeliveryState.PENDING,
        verbose_name="送达状态",
    )
    # Re-sent at the distributor's request.
    manual = models.BooleanField(default=False, verbose_name="手动重发")
    tries = models.PositiveSmallIntegerField(default=0, verbose_name="尝试次数")
    created_at = models.DateTimeField(verbose_name="创建时间")
    # Due time of the next try; while a try runs, the end of its lease.
    next_try_at = models.DateTimeField(null=True, blank=True, verbose_name="下次尝试")
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name="结束时间")

    class Meta:
        verbose_name = verbose_name_plural = "回调通知"
        ordering = ["pk"]
        indexes = [models.Index(fields=["state", "next_try_at"], name="webhooks_due_idx")]
        constraints = [
            # One manual re-send of an order at a time (services.resend).
            models.UniqueConstraint(
                fields=["order"],
                condition=models.Q(manual=True, state=DeliveryState.PENDING),
                name="webhooks_one_pending_resend",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} → {self.status}"

    @property
    def event_id(self) -> str:
        return f"evt_{self.pk}"


class DeliveryTry(models.Model):
    delivery = models.ForeignKey(
        Delivery, on_delete=models.CASCADE, related_name="attempts", verbose_name="回调通知"
    )
    number = models.PositiveSmallIntegerField(verbose_name="次序")
    at = models.DateTimeField(verbose_name="时间")
    # The answer's status code, or none; nothing else of the answer is ever stored.
    http_status = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name="HTTP 状态码"
    )
    # Not a 2xx: why, in our words.
    error = models.CharField(max_length=255, blank=True, verbose_name="原因")
    duration_ms = models.PositiveIntegerField(verbose_name="耗时（毫秒）")

    class Meta:
        verbose_name = verbose_name_plural = "回调尝试"
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="webhooks_try_number"),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.http_status or self.error}"
