"""The distribution tree: agents under the platform, level discounts, per-agent prices."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from kameng.catalog.models import Sku
from kameng.ledger.models import Account
from kameng.money import MoneyField


class AgentLevel(models.Model):
    """What an agent at this depth pays by default, as a fraction of face value."""

    depth = models.PositiveSmallIntegerField(unique=True)
    name = models.CharField(max_length=32)
    discount = models.DecimalField(max_digits=5, decimal_places=4)

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
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="agent"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    depth = models.PositiveSmallIntegerField()
    # Ids from the top-level agent down to this one, e.g. "3/8/21": the chain in one read.
    path = models.CharField(max_length=255, db_index=True, blank=True)
    wallet = models.OneToOneField(Account, on_delete=models.PROTECT, related_name="agent")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

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

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="prices")
    sku = models.ForeignKey(Sku, on_delete=models.CASCADE, related_name="agent_prices")
    sub_agent_price = MoneyField(null=True, blank=True)
    retail_price = MoneyField(null=True, blank=True)

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

    agent = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="api_keys")
    app_key = models.CharField(max_length=40, unique=True)
    # Encrypted like card secrets: the platform needs the secret itself to check HMACs.
    secret_encrypted = models.TextField()
    label = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "API 密钥"
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.app_key
