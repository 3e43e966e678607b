"""The distribution tree: agents under the platform, level discounts, per-agent prices;
invite links to join it, and the agents' top-up and withdrawal requests."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

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


class InviteLink(models.Model):
    """A link an agent shares so that others join the tree directly under it, for free
    (kameng.agents.invites). Usable until revoked, expired or used `max_uses` times."""

    agent = models.ForeignKey(
        Agent, on_delete=models.PROTECT, related_name="invites", verbose_name="邀请人"
    )
    # Random and url-safe: whoever holds it may join under `agent`.
    token = models.CharField(max_length=43, unique=True, verbose_name="邀请码")
    label = models.CharField(max_length=64, blank=True, verbose_name="备注")
    created_at = models.DateTimeField(auto_now_add=True, verbose_name="创建时间")
    expires_at = models.DateTimeField(null=True, blank=True, verbose_name="过期时间")
    max_uses = models.PositiveIntegerField(null=True, blank=True, verbose_name="可用次数")
    used_count = models.PositiveIntegerField(default=0, verbose_name="已用次数")
    revoked_at = models.DateTimeField(null=True, blank=True, verbose_name="作废时间")

    class Meta:
        verbose_name = verbose_name_plural = "邀请链接"
        ordering = ["-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_uses__isnull=True) | Q(max_uses__gte=1),
                name="agents_invite_max_uses_positive",
            ),
            # The last line of defence behind the conditional UPDATE that counts a use.
            models.CheckConstraint(
                condition=Q(max_uses__isnull=True) | Q(used_count__lte=models.F("max_uses")),
                name="agents_invite_within_max_uses",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agent_id}:{self.token[:6]}…"


class TopUpRequest(models.Model):
    """An agent says it paid money in (bank transfer, receipt number); the operator
    checks the bank and approves (the wallet is credited) or rejects it with a reason.
    Transitions: kameng.agents.requests."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "待审核"
        APPROVED = "approved", "已入账"
        REJECTED = "rejected", "已驳回"

    agent = models.ForeignKey(
        Agent, on_delete=models.PROTECT, related_name="topup_requests", verbose_name="代理"
    )
    amount = MoneyField(verbose_name="金额")
    reference = models.CharField(max_length=64, verbose_name="转账流水号")
    note = models.CharField(max_length=255, blank=True, verbose_name="备注")
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.SUBMITTED, verbose_name="状态"
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name="提交时间")
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name="审核时间")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="审核人",
    )
    reason = models.TextField(blank=True, verbose_name="理由")

    class Meta:
        verbose_name = verbose_name_plural = "充值申请"
        ordering = ["-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="agents_topup_amount_positive"),
            # One live claim per bank transfer: approving two would credit it twice.
            models.UniqueConstraint(
                fields=["reference"],
                condition=Q(status__in=["submitted", "approved"]),
                name="agents_topup_live_reference_unique",
            ),
            models.CheckConstraint(
                condition=Q(status="submitted", decided_at__isnull=True, decided_by__isnull=True)
                | (~Q(status="submitted") & Q(decided_at__isnull=False, decided_by__isnull=False)),
                name="agents_topup_decided_iff_not_submitted",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(reason=""),
                name="agents_topup_reason_when_rejected",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="agents_topup_queue_idx")]

    def __str__(self) -> str:
        return f"充值申请 #{self.pk}"


class WithdrawalRequest(models.Model):
    """An agent asks for money from its wallet to be paid out to `payee`. The amount
    leaves the wallet at once for the holding account (platform:withdrawals); the
    operator pays it out (bank transfer `payout_reference`) or rejects it, which returns
    it to the wallet. Transitions: kameng.agents.requests."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "待付款"
        PAID = "paid", "已付款"
        REJECTED = "rejected", "已驳回"

    agent = models.ForeignKey(
        Agent, on_delete=models.PROTECT, related_name="withdrawal_requests", verbose_name="代理"
    )
    amount = MoneyField(verbose_name="金额")
    payee = models.CharField(max_length=128, verbose_name="收款账户")
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.SUBMITTED, verbose_name="状态"
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name="提交时间")
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name="处理时间")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="处理人",
    )
    reason = models.TextField(blank=True, verbose_name="理由")
    payout_reference = models.CharField(max_length=64, blank=True, verbose_name="付款流水号")

    class Meta:
        verbose_name = verbose_name_plural = "提现申请"
        ordering = ["-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="agents_withdrawal_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(status="submitted", decided_at__isnull=True, decided_by__isnull=True)
                | (~Q(status="submitted") & Q(decided_at__isnull=False, decided_by__isnull=False)),
                name="agents_withdrawal_decided_iff_not_submitted",
            ),
            # Paid ⇔ the transfer that paid it is named.
            models.CheckConstraint(
                condition=Q(status="paid") & ~Q(payout_reference="")
                | ~Q(status="paid") & Q(payout_reference=""),
                name="agents_withdrawal_reference_iff_paid",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(reason=""),
                name="agents_withdrawal_reason_when_rejected",
            ),
            # One transfer pays one withdrawal.
            models.UniqueConstraint(
                fields=["payout_reference"],
                condition=~Q(payout_reference=""),
                name="agents_withdrawal_reference_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="agents_withdrawal_queue_idx")
        ]

    def __str__(self) -> str:
        return f"提现申请 #{self.pk}"
