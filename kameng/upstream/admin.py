"""The supplier page (供应商): name, supply mode and API settings, and the review actions
(approve, reject, suspend, reinstate) of kameng.suppliers.onboarding.

Connecting by API goes through kameng.upstream.services.configure_api: the form asks
the service what it would refuse and shows that next to the fields. API secrets never
appear here: the form takes a new one and never shows the stored one.
"""

from django import forms
from django.contrib import admin, messages

from kameng.admin_mixins import ReasonActionForm, action_reason, decide_each
from kameng.suppliers import onboarding
from kameng.suppliers.models import Supplier
from kameng.suppliers.services import create_supplier
from kameng.upstream.adapters import REGISTRY
from kameng.upstream.errors import ApiSettingsIncomplete, UnknownAdapter
from kameng.upstream.services import check_api_settings, configure_api

# configure_api's names for what is missing → this form's fields.
_FORM_FIELDS = {"base_url": "api_base_url", "merchant_id": "merchant_id", "secret": "api_secret"}


def _adapter_choices() -> list[tuple[str, str]]:
    adapters = sorted((name, f"{cls.label} ({name})") for name, cls in REGISTRY.items())
    return [("", "—— 无 (手工上卡) ——"), *adapters]


class SupplierForm(forms.ModelForm):
    adapter = forms.ChoiceField(label="对接协议", choices=_adapter_choices, required=False)
    api_base_url = forms.URLField(
        label="API 地址", required=False, max_length=255, assume_scheme="https"
    )
    api_secret = forms.CharField(
        label="API 密钥",
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="只写不读: 留空则保留原密钥; 保存后加密存储, 不再显示。",
    )

    class Meta:
        model = Supplier
        fields = ["name", "mode", "adapter", "api_base_url", "merchant_id"]
        labels = {"merchant_id": "商户号"}

    def clean(self) -> dict:
        data = super().clean()
        adapter, mode = data.get("adapter"), data.get("mode")
        if adapter and mode != Supplier.Mode.API:
            self.add_error("mode", "选择了对接协议, 供货方式应为「API 对接」")
        if mode == Supplier.Mode.API or adapter:
            try:
                check_api_settings(
                    self.instance,
                    adapter=adapter or "",
                    base_url=data.get("api_base_url") or "",
                    merchant_id=data.get("merchant_id") or "",
                    secret=data.get("api_secret") or None,
                )
            except UnknownAdapter as exc:
                self.add_error("adapter", f"{exc.title}（{exc.code}）")
            except ApiSettingsIncomplete as exc:
                for missing in exc.details["missing"]:
                    self.add_error(_FORM_FIELDS[missing], f"{exc.title}（{exc.code}）")
        return data


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    form = SupplierForm
    action_form = ReasonActionForm
    list_display = ["name", "mode", "adapter", "status", "payable_balance", "created_at"]
    list_filter = ["status", "mode"]
    search_fields = ["name"]
    list_select_related = ["payable"]
    ordering = ["name"]
    fieldsets = [
        (None, {"fields": ["name", "mode", "status", "payable", "created_at"]}),
        (
            "API 对接",
            {"fields": ["adapter", "api_base_url", "merchant_id", "api_secret", "secret_state"]},
        ),
    ]
    # Status changes only through the actions below, so each one is recorded.
    readonly_fields = ["status", "payable", "created_at", "secret_state"]
    actions = ["approve", "reject", "suspend"]

    @admin.display(description="应付余额", ordering="payable__balance")
    def payable_balance(self, obj: Supplier):
        return obj.payable.balance

    @admin.display(description="API 密钥状态")
    def secret_state(self, obj: Supplier) -> str:
        return "已设置" if obj.api_secret_encrypted else "未设置"

    def save_model(self, request, obj, form, change):
        if not change:
            # A new supplier needs its payable account: let the service open both.
            created = create_supplier(obj.name, mode=Supplier.Mode.MANUAL)
            obj.pk = created.pk
            obj.payable = created.payable
            obj.created_at = created.created_at
            obj.status = created.status
            obj._state.adding = False
        # Never write status from the form: a decision made meanwhile must stand.
        data = form.cleaned_data
        if data.get("adapter"):
            obj.save(update_fields=["name"])
            configure_api(
                obj,
                adapter=data["adapter"],
                base_url=data["api_base_url"],
                merchant_id=data["merchant_id"],
                secret=data.get("api_secret") or None,
            )
        else:
            obj.save(update_fields=["name", "mode", "adapter", "api_base_url", "merchant_id"])

    @admin.action(description="通过审核 / 恢复供货 (approve)", permissions=["change"])
    def approve(self, request, queryset):
        def decide(supplier: Supplier) -> None:
            if supplier.status == Supplier.Status.SUSPENDED:
                onboarding.reinstate_supplier(supplier, operator=request.user, reason=reason)
            else:
                onboarding.approve_supplier(supplier, operator=request.user, reason=reason)

        reason = action_reason(request)
        pending = queryset.exclude(status=Supplier.Status.APPROVED)
        done = decide_each(self, request, pending, decide)
        self.message_user(request, f"{done} 个供应商已通过 / 恢复供货", messages.SUCCESS)

    @admin.action(description="驳回 (reject, 需填写理由)", permissions=["change"])
    def reject(self, request, queryset):
        self._decide_with_reason(request, queryset, onboarding.reject_supplier, "驳回")

    @admin.action(description="暂停供货 (suspend, 需填写理由)", permissions=["change"])
    def suspend(self, request, queryset):
        self._decide_with_reason(request, queryset, onboarding.suspend_supplier, "暂停供货")

    def _decide_with_reason(self, request, queryset, decide, label: str) -> None:
        """Decisions that must say why: refused without a reason, else one per row."""
        reason = action_reason(request)
        if not reason:
            self.message_user(request, f"{label}必须填写理由", messages.ERROR)
            return
        done = decide_each(
            self, request, queryset, lambda s: decide(s, reason=reason, operator=request.user)
        )
        self.message_user(request, f"{done} 个供应商已{label}", messages.SUCCESS)
