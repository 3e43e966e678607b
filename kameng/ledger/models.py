"""Double-entry ledger: accounts, journals (one balanced transaction) and their entries.

An entry's amount is signed from the account holder's point of view: +10 means the
account's balance grew by 10. Every journal's entries sum to zero. `Account.balance`
is a cache of the sum of the account's entries, kept in the same transaction and
checked by `kameng verify-ledger`.
"""

from django.db import models
from django.db.models import Q

from kameng.money import MoneyField


class Account(models.Model):
    class Kind(models.TextChoices):
        AGENT_WALLET = "agent_wallet", "代理预存款"
        SUPPLIER_PAYABLE = "supplier_payable", "应付供应商"
        ESCROW = "escrow", "担保托管"
        PLATFORM_REVENUE = "platform_revenue", "平台收入"
        EXTERNAL = "external", "外部资金"
        # Agents' withdrawals requested, not yet paid out (platform:withdrawals).
        WITHDRAWALS = "withdrawals", "待付提现"

    code = models.CharField(max_length=160, unique=True, verbose_name="账户代码")
    name = models.CharField(max_length=128, verbose_name="名称")
    kind = models.CharField(max_length=32, choices=Kind.choices, verbose_name="类型")
    # Only accounts standing for the outside world (bank, payment gateways) may go
    # below zero: they are the other side of money entering or leaving the platform.
    allow_negative = models.BooleanField(default=False, verbose_name="允许为负")
    balance = MoneyField(max_digits=18, default=0, verbose_name="余额")
    created_at = models.DateTimeField(auto_now_add=True, verbose_name="开立时间")

    class Meta:
        verbose_name = verbose_name_plural = "账户"
        constraints = [
            models.CheckConstraint(
                condition=Q(allow_negative=True) | Q(balance__gte=0),
                name="ledger_account_balance_non_negative",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Journal(models.Model):
    """One balanced money movement. `key` makes posting idempotent."""

    class Kind(models.TextChoices):
        TOPUP = "topup", "代理充值"
        ORDER_PAY = "order_pay", "订单付款入托管"
        ORDER_SETTLE = "order_settle", "托管分账"
        ORDER_REFUND = "order_refund", "订单退款"
        SUPPLIER_PAYOUT = "supplier_payout", "供应商结算"
        WITHDRAWAL_HOLD = "withdrawal_hold", "提现冻结"
        WITHDRAWAL_PAID = "withdrawal_paid", "提现出款"
        WITHDRAWAL_RETURNED = "withdrawal_returned", "提现退回"
        ADJUSTMENT = "adjustment", "调整"

    key = models.CharField(max_length=96, unique=True, verbose_name="凭证键")
    kind = models.CharField(max_length=24, choices=Kind.choices, verbose_name="类型")
    reference = models.CharField(max_length=64, db_index=True, blank=True, verbose_name="关联单号")
    memo = models.CharField(max_length=255, blank=True, verbose_name="摘要")
    created_at = models.DateTimeField(auto_now_add=True, verbose_name="记账时间")

    class Meta:
        verbose_name = verbose_name_plural = "记账凭证"

    def __str__(self) -> str:
        return self.key


class Entry(models.Model):
    journal = models.ForeignKey(
        Journal, on_delete=models.PROTECT, related_name="entries", verbose_name="凭证"
    )
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="entries", verbose_name="账户"
    )
    amount = MoneyField(max_digits=18, verbose_name="金额")

    class Meta:
        verbose_name = verbose_name_plural = "分录"
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_entry_non_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.amount:+}"
