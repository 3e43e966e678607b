"""Risk control in the operator admin.

Scenarios (rule versions) are never edited in place: every assessment names the version
that decided it, so that version must stay as it was. Saving a scenario here — a new
one, or an old one changed — publishes a NEW version through
`services.publish_scenario` (with the rules as the form shows them) and makes it the
active one; the version you opened stays unchanged. The action "复制为新版本并启用"
republishes a past version as it was (a roll-back). Assessments and model versions are
written only by services: read-only here.
"""

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest

from kameng.admin_mixins import ReadOnlyAdminMixin
from kameng.errors import DomainError
from kameng.risk import services
from kameng.risk.models import Assessment, ModelVersion, Rule, Scenario
from kameng.risk.rules import KINDS, RuleSpec


class RuleForm(forms.ModelForm):
    kind = forms.ChoiceField(
        label="类型", choices=[(k, f"{k}：{v.label}") for k, v in KINDS.items()]
    )

    class Meta:
        model = Rule
        fields = ["code", "kind", "params", "weight", "action", "active", "label"]

    def clean(self) -> dict:
        data = super().clean()
        if self.errors or data.get("DELETE"):
            return data
        try:
            spec = _spec(data).validated()
        except DomainError as exc:
            field = str(exc.details.get("field", "")).split(".")[0]
            self.add_error(field if field in self.fields else None, exc.message)
            return data
        data["params"] = spec.params
        return data


def _spec(data: dict) -> RuleSpec:
    return RuleSpec(
        code=data.get("code") or "",
        kind=data.get("kind") or "",
        params=data.get("params") or {},
        weight=data.get("weight") or 0,
        action=data.get("action") or "score",
        active=bool(data.get("active")),
        label=data.get("label") or "",
    )


class ScenarioForm(forms.ModelForm):
    class Meta:
        model = Scenario
        fields = ["review_threshold", "block_threshold", "note"]

    def clean(self) -> dict:
        data = super().clean()
        review, block = data.get("review_threshold"), data.get("block_threshold")
        if review is not None and block is not None and block < review:
            self.add_error("block_threshold", "拦截分数线不能低于人工审核分数线")
        return data


class RuleInline(admin.TabularInline):
    model = Rule
    form = RuleForm
    extra = 0
    fields = ["code", "kind", "params", "weight", "action", "active", "label"]


@admin.register(Scenario)
class ScenarioAdmin(admin.ModelAdmin):
    form = ScenarioForm
    list_display = [
        "version",
        "active",
        "review_threshold",
        "block_threshold",
        "rule_count",
        "created_by",
        "created_at",
        "note",
    ]
    fields = [
        "version",
        "active",
        "review_threshold",
        "block_threshold",
        "note",
        "created_by",
        "created_at",
    ]
    readonly_fields = ["version", "active", "created_by", "created_at"]
    inlines = [RuleInline]
    actions = ["copy_to_new_version"]

    @admin.display(description="规则数")
    def rule_count(self, obj: Scenario) -> int:
        return obj.rules.count()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # assessments name their version

    def save_model(self, request, obj, form, change) -> None:
        """Nothing yet: the rules are in the inline formset (save_related publishes)."""

    def save_related(self, request, form, formsets, change) -> None:
        specs = [
            _spec(f.cleaned_data)
            for formset in formsets
            for f in formset.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        data = form.cleaned_data
        try:
            published = services.publish_scenario(
                review_threshold=data["review_threshold"],
                block_threshold=data["block_threshold"],
                rules=specs,
                by=request.user.get_username(),
                note=data.get("note") or "",
            )
        except DomainError as exc:
            self.message_user(request, f"{exc.title}：{exc.message}", messages.ERROR)
            return
        form.instance.pk = published.pk  # the redirect goes to the new version
        self.message_user(request, f"已发布新版本 v{published.version} 并启用", messages.SUCCESS)

    def construct_change_message(self, request, form, formsets, add=False) -> list:
        """The formsets were not saved (a new version was published instead)."""
        return [{"added": {}}] if add else [{"changed": {"fields": ["发布新版本"]}}]

    @admin.action(description="复制为新版本并启用")
    def copy_to_new_version(self, request: HttpRequest, queryset) -> None:
        for scenario in queryset.order_by("version")[:1]:
            published = services.publish_scenario(
                review_threshold=scenario.review_threshold,
                block_threshold=scenario.block_threshold,
                rules=[services.rule_spec(rule) for rule in scenario.rules.all()],
                by=request.user.get_username(),
                note=f"复制自 v{scenario.version}",
            )
            self.message_user(
                request, f"已将 v{scenario.version} 复制为 v{published.version} 并启用"
            )


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "order_no",
        "channel",
        "decision",
        "score",
        "amount",
        "ip",
        "contact",
        "label",
        "scenario_version",
        "model_version",
    ]
    list_filter = ["decision", "label", "channel"]
    search_fields = ["order_no", "ip", "contact", "device_id", "recharge_account"]
    date_hierarchy = "created_at"


@admin.register(ModelVersion)
class ModelVersionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "version",
        "active",
        "created_at",
        "samples",
        "seed",
        "threshold",
        "weight",
        "sha256",
    ]
    exclude = ["blob"]
