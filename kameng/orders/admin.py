"""Orders admin: orders are never edited here; they move only through
kameng.orders.services. The operator's daily decision, a buyer's complaint (售后), is
the pair of actions on the list: uphold (refund) or reject (release), with a reason."""

from django.contrib import admin, messages
from django.utils.module_loading import import_string

from kameng.admin_mixins import ReadOnlyAdminMixin, ReasonActionForm, action_reason, decide_each
from kameng.orders import services
from kameng.orders.models import Order, OrderEvent
from kameng.orders.states import Status


class OrderEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = OrderEvent
    fields = ["at", "from_status", "to_status", "note"]
    extra = 0


# What other apps show on an order's page, below its history. They sit above orders,
# so they are named by path (as in consequences.py and fulfilment.py).
INLINES_FROM_ABOVE = ("kameng.topup.admin.AttemptInline", "kameng.payments.admin.PaymentInline")


@admin.register(Order)
class OrderAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    action_form = ReasonActionForm
    list_display = ["order_no", "agent", "sku", "quantity", "amount", "status", "created_at"]
    list_filter = ["status", "channel"]
    search_fields = ["order_no", "out_trade_no"]
    list_select_related = ["agent__user", "sku__product"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-pk"]
    inlines = [OrderEventInline, *map(import_string, INLINES_FROM_ABOVE)]
    actions = ["uphold_dispute", "reject_dispute"]

    def has_decide_permission(self, request) -> bool:
        return request.user.has_perm("orders.change_order")

    @admin.action(description="支持申诉：退款给买家 (需填写理由)", permissions=["decide"])
    def uphold_dispute(self, request, queryset):
        self._decide(request, queryset, upheld=True, label="已支持申诉并退款")

    @admin.action(description="驳回申诉：交易成立、放款 (需填写理由)", permissions=["decide"])
    def reject_dispute(self, request, queryset):
        self._decide(request, queryset, upheld=False, label="已驳回申诉并放款")

    def _decide(self, request, queryset, *, upheld: bool, label: str) -> None:
        reason = action_reason(request)
        if not reason:
            self.message_user(request, "处理申诉必须填写理由", messages.ERROR)
            return
        disputed = queryset.filter(status=Status.DISPUTED)
        skipped = queryset.count() - disputed.count()
        done = decide_each(
            self,
            request,
            disputed.select_related("agent"),
            lambda order: services.resolve_dispute(
                order, upheld=upheld, note=reason, operator=request.user.get_username()
            ),
        )
        if skipped:
            self.message_user(request, f"{skipped} 个订单不在售后中，未处理", messages.WARNING)
        if done:
            self.message_user(request, f"{done} 个订单{label}", messages.SUCCESS)
