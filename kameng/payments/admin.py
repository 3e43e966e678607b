"""Payments admin. Gateway settings go through services.configure_gateway (the merchant
key is write-only: never shown back); payments and refunds are never edited here: the
operator's two decisions, 确认收款 (a payment the gateway never reported) and 重试退款
(a refund the gateway refused), go through the services, which record who and why."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from kameng.admin_mixins import ReadOnlyAdminMixin, decide_each
from kameng.errors import DomainError
from kameng.payments import services
from kameng.payments.gateways import REGISTRY, TYPE_LABELS
from kameng.payments.models import GatewayConfig, GatewayEvent, Payment, Refund
from kameng.payments.states import PaymentStatus, RefundStatus

EVENT_FIELDS = ["at", "kind", "outcome", "trade_no", "detail", "remote_ip"]


def _gateway_choices() -> list[tuple[str, str]]:
    return sorted((name, f"{cls.label} ({name})") for name, cls in REGISTRY.items())


def _type_choices() -> list[tuple[str, str]]:
    known = sorted({t for cls in REGISTRY.values() for t in cls.payment_types})
    return [(t, f"{TYPE_LABELS.get(t, t)} ({t})") for t in known]


class GatewayConfigForm(forms.ModelForm):
    name = forms.ChoiceField(label="网关", choices=_gateway_choices)
    key = forms.CharField(
        label="商户密钥",
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="只写不读: 留空则保留原密钥; 保存后加密存储, 不再显示。",
    )
    payment_types = forms.MultipleChoiceField(
        label="支付方式", choices=_type_choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = GatewayConfig
        fields = ["name", "url", "pid", "enabled"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["payment_types"].initial = self.instance.type_list
            self.fields["name"].disabled = True

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        try:
            services.check_gateway_config(
                data["name"],
                url=data.get("url") or "",
                pid=data.get("pid") or "",
                key=data.get("key") or None,
                types=data.get("payment_types") or [],
                config=self.instance if self.instance.pk else None,
            )
        except DomainError as exc:
            field = "key" if "key" in exc.message else None
            self.add_error(field, f"{exc.title}：{exc.message}")
        return data


@admin.register(GatewayConfig)
class GatewayConfigAdmin(admin.ModelAdmin):
    form = GatewayConfigForm
    list_display = ["name", "url", "pid", "types", "enabled", "key_state", "updated_at"]
    fields = ["name", "url", "pid", "key", "key_state", "payment_types", "enabled", "updated_at"]
    readonly_fields = ["key_state", "updated_at"]

    @admin.display(description="商户密钥状态")
    def key_state(self, obj: GatewayConfig) -> str:
        return "已设置" if obj.key_encrypted else "未设置"

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # payments name their gateway: disable it instead

    def save_model(self, request, obj, form, change) -> None:
        data = form.cleaned_data
        saved = services.configure_gateway(
            data["name"],
            url=data["url"],
            pid=data["pid"],
            key=data.get("key") or None,
            types=data["payment_types"],
            enabled=data["enabled"],
        )
        obj.pk, obj.key_encrypted, obj.updated_at = saved.pk, saved.key_encrypted, saved.updated_at
        obj._state.adding = False


class GatewayEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = GatewayEvent
    fields = EVENT_FIELDS
    readonly_fields = EVENT_FIELDS
    extra = 0
    verbose_name_plural = "网关记录"


class RefundInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Refund
    fields = ["trade_no", "amount", "status", "tries", "last_error", "created_at", "done_at"]
    extra = 0


class PaymentInline(ReadOnlyAdminMixin, admin.TabularInline):
    """On the order's page (for kameng.orders.admin.INLINES_FROM_ABOVE): its payment."""

    model = Payment
    fields = ["gateway", "type", "amount", "status", "trade_no", "paid_via", "paid_at"]
    extra = 0
    show_change_link = True


class ConfirmPaymentForm(forms.Form):
    trade_no = forms.CharField(
        label="网关交易号", max_length=64, help_text="在支付网关后台查到的这笔付款的交易号"
    )
    reason = forms.CharField(
        label="理由", max_length=1000, widget=forms.Textarea(attrs={"rows": 3, "cols": 60})
    )


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "order",
        "gateway",
        "type",
        "amount",
        "status",
        "trade_no",
        "paid_via",
        "paid_at",
        "created_at",
    ]
    list_filter = ["status", "paid_via", "gateway"]
    search_fields = ["order__order_no", "trade_no"]
    list_select_related = ["order"]
    ordering = ["-pk"]
    inlines = [GatewayEventInline, RefundInline]
    actions = ["confirm_payment"]

    def has_confirm_permission(self, request) -> bool:
        return request.user.has_perm("payments.change_payment")

    @admin.action(
        description="确认收款 (网关未通知的付款, 需填写交易号和理由)", permissions=["confirm"]
    )
    def confirm_payment(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "确认收款请只选择一笔支付", messages.ERROR)
            return None
        return redirect(reverse("admin:payments_payment_confirm", args=[queryset.get().pk]))

    def get_urls(self):
        confirm = path(
            "<int:pk>/confirm/",
            self.admin_site.admin_view(self.confirm_view),
            name="payments_payment_confirm",
        )
        return [confirm, *super().get_urls()]

    def confirm_view(self, request, pk: int):
        """确认收款: the trade number and why; the order is paid once, by the service."""
        if not self.has_confirm_permission(request):
            raise PermissionDenied
        payment = get_object_or_404(Payment.objects.select_related("order"), pk=pk)
        form = ConfirmPaymentForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.confirm_payment(
                    payment.order.order_no,
                    trade_no=form.cleaned_data["trade_no"],
                    operator=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as exc:
                form.add_error(None, f"{exc.title}（{exc.code}）：{exc.message}")
            else:
                self.message_user(
                    request, f"订单 {payment.order.order_no} 已确认收款", messages.SUCCESS
                )
                return redirect(reverse("admin:payments_payment_change", args=[payment.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "确认收款",
            "payment": payment,
            "already_paid": payment.status != PaymentStatus.PENDING,
            "form": form,
        }
        return TemplateResponse(request, "admin/payments/confirm_payment.html", context)


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "pk",
        "order_no",
        "trade_no",
        "amount",
        "status",
        "tries",
        "sends",
        "short_error",
        "created_at",
        "done_at",
    ]
    list_filter = ["status", "gateway"]
    search_fields = ["trade_no", "payment__order__order_no"]
    list_select_related = ["payment__order"]
    ordering = ["-pk"]
    actions = ["retry"]

    @admin.display(description="订单", ordering="payment__order__order_no")
    def order_no(self, obj: Refund) -> str:
        return obj.payment.order.order_no

    @admin.display(description="最近错误")
    def short_error(self, obj: Refund) -> str:
        return obj.last_error if len(obj.last_error) <= 40 else obj.last_error[:39] + "…"

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("payments.change_refund")

    @admin.action(description="重试退款 (仅失败的退款)", permissions=["retry"])
    def retry(self, request, queryset):
        failed = queryset.filter(status=RefundStatus.FAILED).select_related("payment__order")
        skipped = queryset.count() - failed.count()
        done = decide_each(
            self, request, failed, lambda refund: services.retry_refund(refund, request.user)
        )
        if skipped:
            self.message_user(request, f"{skipped} 笔退款不是失败状态，未处理", messages.WARNING)
        if done:
            self.message_user(request, f"{done} 笔退款已重新发起", messages.SUCCESS)


@admin.register(GatewayEvent)
class GatewayEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "gateway", "kind", "outcome", "out_trade_no", "trade_no", "remote_ip"]
    list_filter = ["kind", "outcome", "gateway"]
    search_fields = ["out_trade_no", "trade_no", "remote_ip"]
    ordering = ["-pk"]
