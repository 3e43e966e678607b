"""Webhook deliveries to distributors and every try made for each. Workflows live in
services.py."""

from django.db import models

from kameng.orders.models import Order
from kameng.webhooks.states import DeliveryState


class Delivery(models.Model):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="webhook_deliveries")
    # The order status this delivery announces (the body carries the order as it is
    # when sent, so a late try never reports an older state than the current one).
    status = models.CharField(max_length=12)
    url = models.CharField(max_length=512)
    state = models.CharField(
        max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    manual = models.BooleanField(default=False)  # re-sent at the distributor's request
    tries = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()
    # Due time of the next try; while a try runs, the end of its lease.
    next_try_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

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
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField()
    at = models.DateTimeField()
    # The answer's status code, or none; nothing else of the answer is ever stored.
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=255, blank=True)  # not a 2xx: why, in our words
    duration_ms = models.PositiveIntegerField()

    class Meta:
        verbose_name = verbose_name_plural = "回调尝试"
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="webhooks_try_number"),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.http_status or self.error}"
