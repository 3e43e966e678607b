"""What can be sold: categories, products and their SKUs (one face value each)."""

from django.db import models
from django.db.models import Q

from kameng.money import MoneyField


class Category(models.Model):
    name = models.CharField(max_length=64, unique=True)
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = verbose_name_plural = "商品分类"
        ordering = ["sort_order", "pk"]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    name = models.CharField(max_length=128)
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        verbose_name = verbose_name_plural = "商品"
        ordering = ["category", "pk"]

    def __str__(self) -> str:
        return self.name


class Sku(models.Model):
    class Kind(models.TextChoices):
        CARD = "card", "卡密"
        DIRECT = "direct", "直充"

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="skus")
    name = models.CharField(max_length=128)
    face_value = MoneyField()
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.CARD)
    # Set by the operator once the goods are confirmed as officially licensed (正版授权).
    authorised = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "SKU 规格"
        ordering = ["product", "face_value", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(face_value__gt=0), name="catalog_sku_face_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.product.name} {self.name}"
