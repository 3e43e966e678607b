"""Risk control's data: versioned scenarios of weighted rules (never edited in place: a
change publishes a new version, so every assessment names the rules that decided it),
one assessment per scored order, and the anomaly model's versions."""

from django.db import models
from django.db.models import Q

from kameng.money import MoneyField
from kameng.risk.verdicts import FEATURE_NAMES


class Scenario(models.Model):
    """One version of the rules and the score thresholds. Exactly one is active (the
    service publishes a new version and switches to it in one transaction; the partial
    unique index refuses a second active one)."""

    version = models.PositiveIntegerField(unique=True, verbose_name="版本")
    active = models.BooleanField(default=False, verbose_name="生效中")
    review_threshold = models.PositiveIntegerField(verbose_name="人工审核分数线")
    block_threshold = models.PositiveIntegerField(verbose_name="拦截分数线")
    note = models.CharField(max_length=500, blank=True, verbose_name="说明")
    created_by = models.CharField(max_length=150, blank=True, verbose_name="发布人")
    created_at = models.DateTimeField(auto_now_add=True, verbose_name="发布时间")

    class Meta:
        verbose_name = verbose_name_plural = "风控规则版本"
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=Q(active=True), name="risk_one_active_scenario"
            ),
            models.CheckConstraint(
                condition=Q(block_threshold__gte=models.F("review_threshold")),
                name="risk_block_above_review",
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version}" + ("（生效中）" if self.active else "")


class Rule(models.Model):
    """One rule of a scenario: a kind (kameng.risk.rules.KINDS) with its parameters, and
    either a weight added to the score or a hard action."""

    class Action(models.TextChoices):
        SCORE = "score", "计分"
        REVIEW = "review", "直接转人工审核"
        BLOCK = "block", "直接拦截"

    scenario = models.ForeignKey(
        Scenario, on_delete=models.CASCADE, related_name="rules", verbose_name="规则版本"
    )
    code = models.SlugField(max_length=64, verbose_name="代码")
    kind = models.CharField(max_length=32, verbose_name="类型")
    params = models.JSONField(default=dict, blank=True, verbose_name="参数")
    weight = models.PositiveIntegerField(default=0, verbose_name="分值")
    action = models.CharField(
        max_length=8, choices=Action.choices, default=Action.SCORE, verbose_name="动作"
    )
    active = models.BooleanField(default=True, verbose_name="启用")
    label = models.CharField(max_length=200, blank=True, verbose_name="说明")
    position = models.PositiveIntegerField(default=0, verbose_name="顺序")

    class Meta:
        verbose_name = verbose_name_plural = "风控规则"
        ordering = ["scenario", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["scenario", "code"], name="risk_rule_code_unique"),
        ]

    def __str__(self) -> str:
        return self.code


class Assessment(models.Model):
    """One scored order (order_no "" for a blocked attempt: no order was made), with
    everything that decided it and, later, the operator's label for training."""

    class Decision(models.TextChoices):
        ALLOW = "allow", "放行"
        REVIEW = "review", "人工审核"
        BLOCK = "block", "拦截"

    class Label(models.TextChoices):
        NONE = "", "未标注"
        FRAUD = "fraud", "欺诈"
        NORMAL = "normal", "正常"

    order_no = models.CharField(max_length=64, blank=True, db_index=True, verbose_name="订单号")
    created_at = models.DateTimeField(verbose_name="评估时间")
    channel = models.CharField(max_length=16, verbose_name="渠道")
    seller_id = models.BigIntegerField(verbose_name="代理 ID")
    sku_id = models.BigIntegerField(verbose_name="SKU ID")
    quantity = models.PositiveIntegerField(verbose_name="数量")
    amount = MoneyField(verbose_name="金额")
    ip = models.CharField(max_length=64, blank=True, verbose_name="IP")
    device_id = models.CharField(max_length=64, blank=True, verbose_name="设备")
    contact = models.CharField(max_length=128, blank=True, verbose_name="联系方式")
    recharge_account = models.CharField(max_length=128, blank=True, verbose_name="充值账号")
    coupon = models.CharField(max_length=64, blank=True, verbose_name="优惠券")
    decision = models.CharField(max_length=8, choices=Decision.choices, verbose_name="结论")
    score = models.IntegerField(verbose_name="分数")
    reasons = models.JSONField(default=list, verbose_name="命中原因")
    # FEATURE_NAMES' values, in that order (`feature_map` names them); [] when not scored.
    features = models.JSONField(default=list, verbose_name="特征")
    scenario_version = models.PositiveIntegerField(verbose_name="规则版本")
    model_version = models.CharField(max_length=64, blank=True, verbose_name="模型版本")
    label = models.CharField(
        max_length=8,
        choices=Label.choices,
        blank=True,
        default="",
        verbose_name="标注",
    )
    labelled_by = models.CharField(max_length=150, blank=True, verbose_name="标注人")
    labelled_at = models.DateTimeField(null=True, blank=True, verbose_name="标注时间")
    label_note = models.CharField(max_length=500, blank=True, verbose_name="标注说明")

    class Meta:
        verbose_name = verbose_name_plural = "风控评估"
        ordering = ["-created_at", "-pk"]
        # Every order writes one row: besides the primary key, only order_no is indexed
        # for all; the operator's lists (blocked, held) and the labels are few rows, in
        # partial indexes an allowed order does not touch.
        indexes = [
            models.Index(
                fields=["decision", "-created_at"],
                condition=~Q(decision="allow"),
                name="risk_assessment_flagged_idx",
            ),
            models.Index(
                fields=["label"], condition=~Q(label=""), name="risk_assessment_label_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_no or '（已拦截）'} {self.get_decision_display()}"

    @property
    def feature_map(self) -> dict[str, float]:
        return feature_map(self.features)


def feature_map(stored: list[float]) -> dict[str, float]:
    """Stored features by name (a list in FEATURE_NAMES' order: an older list is a
    prefix of today's)."""
    return dict(zip(FEATURE_NAMES, stored, strict=False))


class ModelVersion(models.Model):
    """A trained anomaly model (kameng.risk.model): at most one active, the one the
    scorer loads."""

    version = models.CharField(max_length=64, unique=True, verbose_name="版本")
    created_at = models.DateTimeField(auto_now_add=True, verbose_name="训练时间")
    seed = models.IntegerField(default=0, verbose_name="随机种子")
    samples = models.PositiveIntegerField(default=0, verbose_name="样本数")
    threshold = models.FloatField(default=0.0, verbose_name="异常分阈值")
    weight = models.PositiveIntegerField(default=0, verbose_name="分值")
    params = models.JSONField(default=dict, blank=True, verbose_name="参数")
    blob = models.BinaryField(verbose_name="模型数据")
    sha256 = models.CharField(max_length=64, verbose_name="SHA-256")
    active = models.BooleanField(default=False, verbose_name="生效中")

    class Meta:
        verbose_name = verbose_name_plural = "风控模型版本"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=Q(active=True), name="risk_one_active_model"
            ),
        ]

    def __str__(self) -> str:
        return self.version
