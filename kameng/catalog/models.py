"""What can be sold: categories, products and their SKUs (one face value each)."""

from django.db import models
from django.db.models import Q

from kameng.money import MoneyField


class Category(models.Model):
    name = models.CharField(max_length=64, unique=True, verbose_name="名称")
    sort_order = models.PositiveIntegerField(default=0, verbose_name="排序")

    class Meta:
        verbose_name = verbose_name_plural = "商品分类"
        ordering = ["sort_order", "pk"]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="products", verbose_name="分类"
    )
    name = models.CharField(max_length=128, verbose_name="名称")
    description = models.TextField(blank=True, verbose_name="描述")
    active = models.BooleanField(default=True, verbose_name="上架")

    class Meta:
        verbose_name = verbose_name_plural = "商品"
        ordering = ["category", "pk"]

    def __str__(self) -> str:
        return self.name


class Sku(models.Model):
    class Kind(models.TextChoices):
        CARD = "card", "卡密"
        DIRECT = "direct", "直充"

    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="skus", verbose_name="商品"
    )
    name = models.CharField(max_length=128, verbose_name="规格")
    face_value = MoneyField(verbose_name="面值")
    kind = models.CharField(
        max_length=8, choices=Kind.choices, default=Kind.CARD, verbose_name="发货方式"
    )
    # What the level discounts apply to (agents.pricing); empty: the face value. A docked
    # SKU's is the upstream's price with the connection's markup (kameng.docking).
    list_price = MoneyField(null=True, blank=True, verbose_name="标价")
    # Card codes bought from an upstream site for each order (docking), not from stock:
    # the order waits in `delivering` until the upstream answers.
    forwarded = models.BooleanField(default=False, verbose_name="上游代发")
    # Set by the operator once the goods are confirmed as officially licensed (正版授权).
    authorised = models.BooleanField(default=False, verbose_name="正版授权")
    active = models.BooleanField(default=True, verbose_name="上架")
    created_at = models.DateTimeField(auto_now_add=True, verbose_name="创建时间")

    class Meta:
        verbose_name = verbose_name_plural = "SKU 规格"
        ordering = ["product", "face_value", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(face_value__gt=0), name="catalog_sku_face_positive"),
            # Never a price of 0: a list price, when set, is a real one.
            models.CheckConstraint(
                condition=Q(list_price__isnull=True) | Q(list_price__gt=0),
                name="catalog_sku_list_price_positive",
            ),
            models.CheckConstraint(
                condition=Q(forwarded=False) | Q(kind="card"), name="catalog_sku_forwarded_card"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.name} {self.name}"

    @property
    def base_price(self):
        """What the level discounts apply to: the list price, else the face value."""
        return self.list_price if self.list_price is not None else self.face_value

    @property
    def price_ceiling(self):
        """The most an agent may ask: the face value, or a docked SKU's list price above it."""
        return max(self.face_value, self.base_price)


class QuoteVersion(models.Model):
    """One row (id 1) whose token changes whenever anything a price quote is computed
    from changes: SKUs, products, agents, levels, agents' prices. Database triggers on
    those tables set a new random token in the writer's own transaction (migrations
    catalog 0005, agents 0006), whoever writes: services, the admin, a shell. The order
    path caches quotes per process and keeps one only while the token it was read with
    is still current (kameng.agents.pricing)."""

    token = models.CharField(max_length=32, verbose_name="版本")
    # When it last changed, in unix seconds (the same triggers): the product listing's
    # `updated_after` answers every SKU when prices may have changed since.
    changed_at = models.FloatField(null=True, verbose_name="变更时间")

    class Meta:
        verbose_name = verbose_name_plural = "报价版本"

    def __str__(self) -> str:
        return self.token
