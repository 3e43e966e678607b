"""Where goods come from: suppliers, the SKUs each is licensed to sell, and card stock."""

from django.db import models
from django.db.models import Q

from kameng.catalog.models import Sku
from kameng.ledger.models import Account


class Supplier(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "待审核"
        APPROVED = "approved", "已通过"
        REJECTED = "rejected", "已驳回"
        SUSPENDED = "suspended", "已暂停"

    class Mode(models.TextChoices):
        MANUAL = "manual", "手工上卡"
        API = "api", "API 对接"

    name = models.CharField(max_length=128, unique=True)
    mode = models.CharField(max_length=8, choices=Mode.choices, default=Mode.MANUAL)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    payable = models.OneToOneField(Account, on_delete=models.PROTECT, related_name="supplier")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "供应商"

    def __str__(self) -> str:
        return self.name


class Offer(models.Model):
    """A supplier is licensed to supply this SKU at this cost (what the platform owes it)."""

    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="offers")
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="offers")
    cost = models.DecimalField(max_digits=12, decimal_places=2)
    active = models.BooleanField(default=True)

    class Meta:
        verbose_name = verbose_name_plural = "供货授权"
        constraints = [
            models.UniqueConstraint(fields=["supplier", "sku"], name="supply_offer_unique"),
            models.CheckConstraint(condition=Q(cost__gt=0), name="supply_offer_cost_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.supplier} → {self.sku} @ {self.cost}"


class CardBatch(models.Model):
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="batches")
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="batches")
    cost = models.DecimalField(max_digits=12, decimal_places=2)
    source_name = models.CharField(max_length=255, blank=True)
    imported = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "卡密批次"

    def __str__(self) -> str:
        return f"#{self.pk} {self.sku} ×{self.imported}"


class Card(models.Model):
    """One code/secret pair. The secret is stored only encrypted; `secret_digest` (a keyed
    hash) lets the database refuse the same secret twice without being able to read it."""

    class Status(models.TextChoices):
        AVAILABLE = "available", "可售"
        SOLD = "sold", "已售"
        INVALID = "invalid", "无效"

    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="cards")
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="cards")
    batch = models.ForeignKey(CardBatch, on_delete=models.PROTECT, related_name="cards")
    code = models.CharField(max_length=128, blank=True)
    secret_encrypted = models.TextField()
    secret_digest = models.CharField(max_length=64, unique=True)
    cost = models.DecimalField(max_digits=12, decimal_places=2)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.AVAILABLE)
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="cards"
    )
    sold_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "卡密"
        constraints = [
            models.UniqueConstraint(
                fields=["sku", "code"], condition=~Q(code=""), name="supply_card_code_unique"
            ),
            # A sold card always names its order; an unsold one never does.
            models.CheckConstraint(
                condition=Q(status="available", order__isnull=True) | ~Q(status="available"),
                name="supply_card_available_has_no_order",
            ),
            models.CheckConstraint(
                condition=~Q(status="sold") | Q(order__isnull=False),
                name="supply_card_sold_has_order",
            ),
        ]
        indexes = [
            models.Index(
                fields=["sku", "id"],
                condition=Q(status="available"),
                name="supply_card_available_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.masked_code}"

    @property
    def masked_code(self) -> str:
        if len(self.code) <= 6:
            return "*" * len(self.code)
        return f"{self.code[:3]}{'*' * (len(self.code) - 6)}{self.code[-3:]}"
