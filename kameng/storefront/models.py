"""Storefronts (店铺): an agent's shop for end users, its coupons and quantity prices,
and what each checkout recorded beside its order. Verbs live in services.py."""

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper

from kameng.agents.models import Agent
from kameng.catalog.models import Sku
from kameng.money import MoneyField
from kameng.orders.models import Order


class Storefront(models.Model):
    agent = models.OneToOneField(
        Agent, on_delete=models.PROTECT, related_name="storefront", verbose_name="代理"
    )
    # The shop's address: /s/<slug>/ ([a-z0-9-]{3,32}, checked by services).
    slug = models.CharField(max_length=32, unique=True, verbose_name="店铺地址")
    name = models.CharField(max_length=64, verbose_name="店铺名称")
    # Re-encoded by services (never the uploaded bytes), under a random name.
    logo = models.ImageField(
        upload_to="storefront/logos/", blank=True, max_length=255, verbose_name="店铺标志"
    )
    notice = models.TextField(blank=True, verbose_name="店铺公告")
    colour = models.CharField(max_length=7, default="#1677ff", verbose_name="主题色")
    # The platform's own shop, served at /: at most one.
    is_platform = models.BooleanField(default=False, verbose_name="平台自营")
    active = models.BooleanField(default=True, verbose_name="营业中")
    created_at = models.DateTimeField(auto_now_add=True, verbose_name="开店时间")

    class Meta:
        verbose_name = verbose_name_plural = "店铺"
        ordering = ["slug"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_platform"],
                condition=Q(is_platform=True),
                name="storefront_one_platform",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.slug}）"


class Coupon(models.Model):
    class Kind(models.TextChoices):
        FIXED = "fixed", "立减（元）"
        PERCENT = "percent", "折扣（%）"

    agent = models.ForeignKey(
        Agent, on_delete=models.PROTECT, related_name="coupons", verbose_name="代理"
    )
    # Stored in capitals: codes are case-insensitive ([A-Z0-9-]{3,32}).
    code = models.CharField(max_length=32, verbose_name="优惠码")
    kind = models.CharField(max_length=8, choices=Kind.choices, verbose_name="类型")
    # Yuan off (fixed) or percent off (percent, 0–100).
    value = MoneyField(verbose_name="面额")
    min_amount = MoneyField(default=0, verbose_name="最低消费")
    # Empty: every SKU of the shop.
    skus = models.ManyToManyField(
        Sku, blank=True, related_name="coupons", verbose_name="适用商品规格"
    )
    usage_limit = models.PositiveIntegerField(null=True, blank=True, verbose_name="可用次数")
    used_count = models.PositiveIntegerField(default=0, verbose_name="已用次数")
    expires_at = models.DateTimeField(null=True, blank=True, verbose_name="过期时间")
    active = models.BooleanField(default=True, verbose_name="启用")
    created_at = models.DateTimeField(auto_now_add=True, verbose_name="创建时间")

    class Meta:
        verbose_name = verbose_name_plural = "优惠券"
        ordering = ["agent", "-pk"]
        constraints = [
            models.UniqueConstraint(Upper("code"), "agent", name="storefront_coupon_code_unique"),
            models.CheckConstraint(condition=Q(value__gt=0), name="storefront_coupon_value"),
            models.CheckConstraint(
                condition=Q(usage_limit__isnull=True) | Q(used_count__lte=F("usage_limit")),
                name="storefront_coupon_within_limit",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class PriceTier(models.Model):
    """From `min_quantity` units on, one unit costs `unit_price` (阶梯价)."""

    agent = models.ForeignKey(
        Agent, on_delete=models.CASCADE, related_name="price_tiers", verbose_name="代理"
    )
    sku = models.ForeignKey(
        Sku, on_delete=models.CASCADE, related_name="price_tiers", verbose_name="商品规格"
    )
    min_quantity = models.PositiveIntegerField(verbose_name="起购数量")
    unit_price = MoneyField(verbose_name="单价")

    class Meta:
        verbose_name = verbose_name_plural = "阶梯价"
        ordering = ["agent", "sku", "min_quantity"]
        constraints = [
            models.UniqueConstraint(
                fields=["agent", "sku", "min_quantity"], name="storefront_tier_unique"
            ),
            models.CheckConstraint(
                condition=Q(min_quantity__gte=2), name="storefront_tier_min_quantity"
            ),
        ]

    def __str__(self) -> str:
        return f"≥{self.min_quantity}：{self.unit_price}"


class Checkout(models.Model):
    """What the buyer gave at checkout, beside its order: how to reach it, how it may
    look the order up, the coupon it used."""

    class ContactKind(models.TextChoices):
        EMAIL = "email", "邮箱"
        PHONE = "phone", "手机号"

    order = models.OneToOneField(
        Order, on_delete=models.PROTECT, related_name="checkout", verbose_name="订单"
    )
    storefront = models.ForeignKey(
        Storefront, on_delete=models.PROTECT, related_name="checkouts", verbose_name="店铺"
    )
    # Normalised (email in lower case, phone as 11 digits); empty only for a pay link
    # made without one.
    contact = models.CharField(max_length=254, blank=True, db_index=True, verbose_name="联系方式")
    contact_kind = models.CharField(
        max_length=8, choices=ContactKind.choices, blank=True, verbose_name="联系方式类型"
    )
    # Django's password hash (make_password); empty: none was set.
    query_password = models.CharField(max_length=128, blank=True, verbose_name="查询密码")
    buyer_ip = models.GenericIPAddressField(
        null=True, blank=True, db_index=True, verbose_name="下单 IP"
    )
    coupon = models.ForeignKey(
        Coupon,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="checkouts",
        verbose_name="优惠券",
    )
    # Whether the coupon's used_count includes this order now (given back on expiry).
    coupon_counted = models.BooleanField(default=False, verbose_name="已计入优惠券用量")
    discount = MoneyField(default=0, verbose_name="优惠金额")
    payment_type = models.CharField(max_length=16, blank=True, verbose_name="支付方式")
    emailed_at = models.DateTimeField(null=True, blank=True, verbose_name="发码邮件时间")
    created_at = models.DateTimeField(auto_now_add=True, verbose_name="下单时间")

    class Meta:
        verbose_name = verbose_name_plural = "店铺订单信息"
        ordering = ["-pk"]

    def __str__(self) -> str:
        return self.order.order_no
