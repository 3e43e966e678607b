"""Card stock: batches of imported codes and the encrypted cards themselves. The tables
keep the names they had in the old `supply` app."""

from django.db import models
from django.db.models import Q

from kameng.catalog.models import Sku
from kameng.money import MoneyField
from kameng.suppliers.models import Supplier


class CardBatch(models.Model):
    supplier = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, related_name="batches", verbose_name="供应商"
    )
    sku = models.ForeignKey(
        Sku, on_delete=models.PROTECT, related_name="batches", verbose_name="商品规格"
    )
    cost = MoneyField(verbose_name="成本价")
    source_name = models.CharField(max_length=255, blank=True, verbose_name="来源文件")
    imported = models.PositiveIntegerField(default=0, verbose_name="导入数")
    rejected = models.PositiveIntegerField(default=0, verbose_name="拒绝数")
    created_at = models.DateTimeField(auto_now_add=True, verbose_name="导入时间")

    class Meta:
        db_table = "supply_cardbatch"
        verbose_name = verbose_name_plural = "卡密批次"

    def __str__(self) -> str:
        return f"#{self.pk} {self.sku} ×{self.imported}"


class Card(models.Model):
    """One code/secret pair. The secret is stored only encrypted; `secret_digest` (a keyed
    hash) lets the database refuse the same secret twice without being able to read it."""

    class Status(models.TextChoices):
        AVAILABLE = "available", "可售"
        RESERVED = "reserved", "待支付保留"  # held for an unpaid storefront order
        SOLD = "sold", "已售"
        INVALID = "invalid", "无效"

    sku = models.ForeignKey(
        Sku, on_delete=models.PROTECT, related_name="cards", verbose_name="商品规格"
    )
    supplier = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, related_name="cards", verbose_name="供应商"
    )
    batch = models.ForeignKey(
        CardBatch, on_delete=models.PROTECT, related_name="cards", verbose_name="批次"
    )
    code = models.CharField(max_length=128, blank=True, verbose_name="卡号")
    secret_encrypted = models.TextField(verbose_name="卡密（加密）")
    secret_digest = models.CharField(max_length=64, unique=True, verbose_name="卡密摘要")
    cost = MoneyField(verbose_name="成本价")
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.AVAILABLE, verbose_name="状态"
    )
    order = models.ForeignKey(
        "orders.Order",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cards",
        verbose_name="订单",
    )
    sold_at = models.DateTimeField(null=True, blank=True, verbose_name="售出时间")

    class Meta:
        db_table = "supply_card"
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
