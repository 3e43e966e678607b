"""Suppliers: who supplies goods, the SKUs each is licensed to sell at what cost (offers), and
their qualification review (资质审核). The tables keep the names they had in the old
`supply` app (migrations moved the models without moving data)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from kameng.catalog.models import Sku
from kameng.ledger.models import Account
from kameng.money import MoneyField


class Supplier(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "待审核"
        APPROVED = "approved", "已通过"
        REJECTED = "rejected", "已驳回"
        SUSPENDED = "suspended", "已暂停"

    class Mode(models.TextChoices):
        MANUAL = "manual", "手工上卡"
        API = "api", "API 对接"

    name = models.CharField(max_length=128, unique=True, verbose_name="名称")
    mode = models.CharField(
        max_length=8, choices=Mode.choices, default=Mode.MANUAL, verbose_name="供货方式"
    )
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.PENDING, verbose_name="状态"
    )
    payable = models.OneToOneField(
        Account, on_delete=models.PROTECT, related_name="supplier", verbose_name="应付账户"
    )
    # API suppliers: which protocol adapter speaks to them, and with what credentials.
    adapter = models.CharField(max_length=32, blank=True, verbose_name="对接协议")
    api_base_url = models.URLField(max_length=255, blank=True, verbose_name="API 地址")
    merchant_id = models.CharField(max_length=64, blank=True, verbose_name="商户号")
    api_secret_encrypted = models.TextField(blank=True, verbose_name="API 密钥（加密）")
    created_at = models.DateTimeField(auto_now_add=True, verbose_name="创建时间")

    class Meta:
        db_table = "supply_supplier"
        verbose_name = verbose_name_plural = "供应商"

    def __str__(self) -> str:
        return self.name


class Offer(models.Model):
    """A supplier is licensed to supply this SKU at this cost (what the platform owes it)."""

    supplier = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, related_name="offers", verbose_name="供应商"
    )
    sku = models.ForeignKey(
        Sku, on_delete=models.PROTECT, related_name="offers", verbose_name="商品规格"
    )
    cost = MoneyField(verbose_name="成本价")
    active = models.BooleanField(default=True, verbose_name="启用")
    # API suppliers: the supplier's own product code, and what it last said about
    # stock (None: it does not say) and availability; cost is refreshed with them.
    remote_sku = models.CharField(max_length=64, blank=True, verbose_name="对方商品编码")
    remote_stock = models.IntegerField(null=True, blank=True, verbose_name="对方库存")
    remote_available = models.BooleanField(default=True, verbose_name="对方可售")
    refreshed_at = models.DateTimeField(null=True, blank=True, verbose_name="刷新时间")

    class Meta:
        db_table = "supply_offer"
        verbose_name = verbose_name_plural = "供货授权"
        constraints = [
            models.UniqueConstraint(fields=["supplier", "sku"], name="supply_offer_unique"),
            models.CheckConstraint(condition=Q(cost__gt=0), name="supply_offer_cost_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.supplier} → {self.sku} @ {self.cost}"


# --- qualification review (资质审核) ------------------------------------------------------


class SupplierApplication(models.Model):
    """A company asks to become a supplier. Only an approved application makes a Supplier;
    a rejected one stays rejected (the company submits a new application instead)."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "待审核"
        APPROVED = "approved", "已通过"
        REJECTED = "rejected", "已驳回"

    company_name = models.CharField("公司名称", max_length=128)
    # 统一社会信用代码 (18 characters) or an old 15-digit 营业执照注册号.
    licence_number = models.CharField("统一社会信用代码/营业执照号", max_length=18)
    contact_name = models.CharField("联系人", max_length=64)
    contact_phone = models.CharField("联系电话", max_length=32)
    contact_email = models.EmailField("联系邮箱", max_length=254)
    goods = models.ManyToManyField(
        "catalog.Product",
        blank=True,
        related_name="supplier_applications",
        verbose_name="授权经营的商品",
    )
    goods_note = models.TextField("商品说明", blank=True)
    status = models.CharField(
        "状态", max_length=10, choices=Status.choices, default=Status.SUBMITTED
    )
    supplier = models.OneToOneField(
        Supplier,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="application",
        verbose_name="供应商",
    )
    # The supplier person (SupplierAccount's user) who submitted it from the console;
    # empty for applications made by the operator (`kameng supplier-apply`).
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supplier_applications",
        verbose_name="申请人账号",
    )
    submitted_at = models.DateTimeField("提交时间", auto_now_add=True)
    decided_at = models.DateTimeField("审核时间", null=True, blank=True)

    class Meta:
        db_table = "supply_supplierapplication"
        verbose_name = verbose_name_plural = "供应商入驻申请"
        constraints = [
            # One live application per licence: waiting, or already approved.
            models.UniqueConstraint(
                fields=["licence_number"],
                condition=Q(status__in=["submitted", "approved"]),
                name="supply_application_live_licence_unique",
            ),
            # Approved ⇔ linked to the supplier it created.
            models.CheckConstraint(
                condition=Q(status="approved", supplier__isnull=False)
                | (~Q(status="approved") & Q(supplier__isnull=True)),
                name="supply_application_supplier_iff_approved",
            ),
            models.CheckConstraint(
                condition=Q(status="submitted", decided_at__isnull=True)
                | (~Q(status="submitted") & Q(decided_at__isnull=False)),
                name="supply_application_decided_at_iff_decided",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.company_name}"


class ApplicationDocument(models.Model):
    """A qualification document (营业执照, 授权书...) uploaded with an application. Stored
    under a random name; served only to operators through the admin."""

    application = models.ForeignKey(
        SupplierApplication,
        on_delete=models.PROTECT,
        related_name="documents",
        verbose_name="申请",
    )
    file = models.FileField("文件", upload_to="supplier-docs/%Y/%m/", max_length=255)
    original_name = models.CharField("原文件名", max_length=255)
    content_type = models.CharField("文件类型", max_length=64)
    size = models.PositiveIntegerField("大小 (字节)")
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        db_table = "supply_applicationdocument"
        verbose_name = verbose_name_plural = "资质文件"
        constraints = [
            models.UniqueConstraint(
                fields=["application", "sha256"], name="supply_document_unique_per_application"
            ),
        ]

    def __str__(self) -> str:
        return self.original_name


class SupplierReview(models.Model):
    """Append-only: every decision on an application or a supplier, who made it and why."""

    class Decision(models.TextChoices):
        APPROVED = "approved", "通过"
        REJECTED = "rejected", "驳回"
        SUSPENDED = "suspended", "暂停"
        REINSTATED = "reinstated", "恢复"

    application = models.ForeignKey(
        SupplierApplication,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reviews",
        verbose_name="申请",
    )
    supplier = models.ForeignKey(
        Supplier,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reviews",
        verbose_name="供应商",
    )
    decision = models.CharField("决定", max_length=12, choices=Decision.choices)
    reason = models.TextField("理由", blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="审核人",
    )
    at = models.DateTimeField("时间")

    class Meta:
        db_table = "supply_supplierreview"
        verbose_name = verbose_name_plural = "审核记录"
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(application__isnull=False) | Q(supplier__isnull=False),
                name="supply_review_has_subject",
            ),
            models.CheckConstraint(
                condition=~Q(decision__in=["rejected", "suspended"]) | ~Q(reason=""),
                name="supply_review_reason_when_refusing",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} {self.application or self.supplier}"


class SupplierAccount(models.Model):
    """A supplier's person: a log-in for the supplier console. Registered first (with no
    supplier), it submits an application; approving it links the account to the new
    supplier (kameng.suppliers.accounts, onboarding)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="supplier_account",
        verbose_name="用户",
    )
    supplier = models.ForeignKey(
        Supplier,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accounts",
        verbose_name="供应商",
    )
    # Its latest application (the console shows its status and the decision's reason).
    application = models.ForeignKey(
        SupplierApplication,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="入驻申请",
    )
    created_at = models.DateTimeField("注册时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "供应商账号"
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.user.get_username()
