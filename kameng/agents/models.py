"""The distribution tree: agents under the platform, level discounts, per-agent prices."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from kameng.catalog.models import Sku
from kameng.ledger.models import Account
from kameng.money import MoneyField


class AgentLevel(models.Model):
    """What an agent at this depth pays by default, as a fraction of face value."""

    depth = models.PositiveSmallIntegerField(unique=True, verbose_name="层级")
    name = models.CharField(max_length=32, verbose_name="名称")
    discount = models.DecimalField(max_digits=5, decimal_places=4, verbose_name="折扣")

    class Meta:
        verbose_name = verbose_name_plural = "代理等级"
        ordering = ["depth"]
        constraints = [
            models.CheckConstraint(
                condition=Q(discount__gt=0, discount__lte=1), name="agents_level_discount_range"
            ),
            models.CheckConstraint(condition=Q(depth__gte=1), name="agents_level_depth_min"),
        ]

    def __str__(self) -> str:
        return f"L{self.depth} {self.name} ({self.discount:.2%})"


class Agent(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="agent",
        verbose_name="用户",
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name="上级代理",
    )
    depth = models.PositiveSmallIntegerField(verbose_name="层级")
    # Ids from the top-level agent down to this one, e.g. "3/8/21": the chain in one read.
    path = models.CharField(max_length=255, db_index=True, blank=True, verbose_name="代理链")
    wallet = models.OneToOneField(
        Account, on_delete=models.PROTECT, related_name="agent", verbose_name="预存款账户"
    )
    active = models.BooleanField(default=True, verbose_name="启用")
    created_at = models.DateTimeField(auto_now_add=True, verbose_name="加入时间")

    class Meta:
        verbose_name = verbose_name_plural = "代理"
        constraints = [
            models.CheckConstraint(condition=Q(depth__gte=1), name="agents_agent_depth_min"),
        ]

    def __str__(self) -> str:
        return self.user.username

    @property
    def chain_ids(self) -> list[int]:
        return [int(part) for part in self.path.split("/") if part]


class AgentPrice(models.Model):
    """Prices an agent sets for one SKU: what its direct sub-agents pay, and what its
    storefront charges end users. Blank means the default (level price / face value)."""

    agent = models.ForeignKey(
        Agent, on_delete=models.CASCADE, related_name="prices", verbose_name="代理"
    )
    sku = models.ForeignKey(
        Sku, on_delete=models.CASCADE, related_name="agent_prices", verbose_name="商品规格"
    )
    sub_agent_price = MoneyField(null=True, blank=True, verbose_name="下级进货价")
    retail_price = MoneyField(null=True, blank=True, verbose_name="店铺零售价")

    class Meta:
        verbose_name = verbose_name_plural = "代理定价"
        constraints = [
            models.UniqueConstraint(fields=["agent", "sku"], name="agents_price_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.agent_id}/{self.sku_id}"


class ApiKey(models.Model):
    """A distributor's credential for the open API: the app key names it, the secret
    signs each request. Several per agent; a revoked key stops working at once."""

    agent = models.ForeignKey(
        Agent, on_delete=models.PROTECT, related_name="api_keys", verbose_name="代理"
    )
    app_key = models.CharField(max_length=40, unique=True, verbose_name="App Key")
    # Encrypted like card secrets: the platform needs the secret itself to check HMACs.
    secret_encrypted = models.TextField(verbose_name="密钥（加密）")
    label = models.CharField(max_length=64, blank=True, verbose_name="备注")
    created_at = models.DateTimeField(auto_now_add=True, verbose_name="创建时间")
    revoked_at = models.DateTimeField(null=True, blank=True, verbose_name="吊销时间")
    last_used_at = models.DateTimeField(null=True, blank=True, verbose_name="最近使用")

    class Meta:
        verbose_name = verbose_name_plural = "API 密钥"
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.app_key
