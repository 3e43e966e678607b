"""Docking (货源对接): upstream Kameng sites whose goods this site resells, the SKUs
mirrored from each, and what reconciliation found. Workflows live in services.py."""

from django.db import models
from django.db.models import Q

from kameng.catalog.models import Sku
from kameng.money import MoneyField
from kameng.suppliers.models import Supplier
from kameng.topup.models import Attempt


class Connection(models.Model):
    """One upstream site, reached with one of its agent keys: an API supplier (adapter
    kameng-v1, its URL and key on the Supplier) plus how its goods are priced here."""

    class Rounding(models.TextChoices):
        NONE = "none", "不取整"
        TENTH = "tenth", "向上取整到 0.1 元"
        YUAN = "yuan", "向上取整到 1 元"

    supplier = models.OneToOneField(
        Supplier, on_delete=models.PROTECT, related_name="connection", verbose_name="供应商"
    )
    # What our top-level distributors pay = upstream price × (1 + percent / 100) + fixed,
    # rounded up; deeper levels pay their level's share more (docking.services.list_price).
    markup_percent = models.DecimalField("加价百分比", max_digits=6, decimal_places=2, default=0)
    markup_fixed = MoneyField("固定加价", default=0)
    rounding = models.CharField(
        "取整", max_length=8, choices=Rounding.choices, default=Rounding.NONE
    )
    # On: each sync re-prices the mirrored SKUs from the upstream's price. Off: a SKU keeps
    # the price it was given when first mirrored (and stops selling if its cost passes it).
    auto_price = models.BooleanField("自动同步价格", default=True)
    excluded = models.JSONField("不同步的商品 (上游 SKU id)", default=list, blank=True)
    # The upstream's `as_of` of the last listing (its clock): the next `updated_after`.
    watermark = models.CharField("同步水位", max_length=64, blank=True)
    synced_at = models.DateTimeField("最近同步", null=True, blank=True)
    full_synced_at = models.DateTimeField("最近完整同步", null=True, blank=True)
    last_error = models.CharField("最近错误", max_length=255, blank=True)
    # Our prepaid balance there at the last sync: orders are refused there once it is spent.
    balance = MoneyField("上游余额", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "对接站点"
        constraints = [
            models.CheckConstraint(
                condition=Q(markup_percent__gte=0) & Q(markup_fixed__gte=0),
                name="docking_markup_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.supplier.name


class DockedSku(models.Model):
    """An upstream SKU mirrored here as one of our SKUs, and what the upstream last said."""

    connection = models.ForeignKey(
        Connection, on_delete=models.PROTECT, related_name="skus", verbose_name="对接站点"
    )
    remote_sku_id = models.PositiveBigIntegerField("上游 SKU id")
    sku = models.OneToOneField(
        Sku, on_delete=models.PROTECT, related_name="docked", verbose_name="本站 SKU"
    )
    name = models.CharField("上游名称", max_length=128)
    product = models.CharField("上游商品", max_length=128)
    category = models.CharField("上游分类", max_length=64)
    cost = MoneyField("上游价格")
    in_stock = models.BooleanField("上游有货", default=True)
    stock = models.IntegerField("上游库存", null=True, blank=True)
    seen_at = models.DateTimeField("最近出现")
    delisted_at = models.DateTimeField("下架时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "对接商品"
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "remote_sku_id"], name="docking_remote_sku_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.connection} #{self.remote_sku_id} → {self.sku_id}"


class Discrepancy(models.Model):
    """Reconciliation found a forwarded order where the upstream's record disagrees
    with ours (status or amount): reported to the operator until resolved."""

    class Kind(models.TextChoices):
        NOT_DELIVERED_UPSTREAM = "not_delivered", "本站已发货，上游未成功"
        DELIVERED_UPSTREAM = "delivered_upstream", "本站已失败/退款，上游已成功"
        MISSING_UPSTREAM = "missing", "上游无此订单"
        AMOUNT = "amount", "金额不一致"

    connection = models.ForeignKey(
        Connection, on_delete=models.PROTECT, related_name="discrepancies", verbose_name="对接站点"
    )
    attempt = models.ForeignKey(
        Attempt, on_delete=models.PROTECT, related_name="+", verbose_name="转发记录"
    )
    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    ours = models.CharField("本站记录", max_length=128)
    theirs = models.CharField("上游记录", max_length=128)
    found_at = models.DateTimeField("发现时间")
    resolved_at = models.DateTimeField("处理时间", null=True, blank=True)
    note = models.CharField("处理说明", max_length=255, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "对账差异"
        constraints = [
            models.UniqueConstraint(
                fields=["attempt", "kind"],
                condition=Q(resolved_at__isnull=True),
                name="docking_one_open_discrepancy",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.attempt} {self.kind}"
