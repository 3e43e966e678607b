"""Top-up admin. Attempts are never edited here: they move through kameng.topup.services,
and the operator's decisions on undecided ones (待人工处理) are the actions below, each
going through kameng.topup.resolutions, which records who decided and why."""

from django.contrib import admin, messages

from kameng.admin_mixins import (
    ReadOnlyAdminMixin,
    ReasonActionForm,
    action_reason,
    decide_each,
)
from kameng.topup import resolutions
from kameng.topup.models import Attempt, Callback, Resolution

RESOLUTION_FIELDS = [
    "at",
    "action",
    "status_before",
    "status_after",
    "heard",
    "detail",
    "reason",
    "operator",
]


class AttemptInline(ReadOnlyAdminMixin, admin.TabularInline):
    """On the order's page (kameng.orders.admin.INLINES_FROM_ABOVE): its top-up attempts."""

    model = Attempt
    fields = ["number", "supplier", "status", "cost", "error_code", "message", "finished_at"]
    extra = 0


class ResolutionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Resolution
    fields = RESOLUTION_FIELDS
    readonly_fields = RESOLUTION_FIELDS
    extra = 0
    verbose_name_plural = "人工处理记录"


@admin.register(Attempt)
class AttemptAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    action_form = ReasonActionForm
    list_display = [
        "request_id",
        "supplier",
        "status",
        "cost",
        "short_message",
        "created_at",
    ]
    list_filter = ["status", "supplier"]
    search_fields = ["request_id", "supplier_order_no", "order__order_no"]
    list_select_related = ["supplier"]
    ordering = ["-pk"]
    inlines = [ResolutionInline]
    actions = ["query_again", "mark_delivered", "mark_failed"]

    @admin.display(description="消息")
    def short_message(self, obj: Attempt) -> str:
        """The supplier's or transport's words, cut to fit the list (whole on the page)."""
        return obj.message if len(obj.message) <= 40 else obj.message[:39] + "…"

    def has_resolve_permission(self, request) -> bool:
        return request.user.has_perm("topup.change_attempt")

    @admin.action(description="重新查询供应商 (query)", permissions=["resolve"])
    def query_again(self, request, queryset):
        self._resolve(request, queryset, Resolution.Action.QUERY, "已重新查询")

    @admin.action(description="确认已充值 (delivered, 需填写理由)", permissions=["resolve"])
    def mark_delivered(self, request, queryset):
        self._resolve(request, queryset, Resolution.Action.DELIVERED, "已确认充值成功")

    @admin.action(description="确认失败并退款 (failed, 需填写理由)", permissions=["resolve"])
    def mark_failed(self, request, queryset):
        self._resolve(request, queryset, Resolution.Action.FAILED, "已确认失败并退款")

    def _resolve(self, request, queryset, action: str, done_label: str) -> None:
        """One resolution per selected attempt; refusals (a final attempt, no reason)
        are reported one by one and change nothing."""
        reason = action_reason(request)
        heard: list[str] = []

        def decide(attempt: Attempt) -> None:
            resolution = resolutions.resolve(attempt, action, operator=request.user, reason=reason)
            if resolution.heard:
                heard.append(
                    f"{attempt}: {resolution.get_heard_display()}, "
                    f"当前状态 {resolution.get_status_after_display()}"
                )

        done = decide_each(self, request, queryset.select_related("supplier", "order"), decide)
        for line in heard:
            self.message_user(request, line, messages.INFO)
        if done:
            self.message_user(request, f"{done} 条直充尝试{done_label}", messages.SUCCESS)


@admin.register(Resolution)
class ResolutionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Append-only: written by kameng.topup.resolutions, never edited."""

    list_display = ["at", "attempt", "action", "status_before", "status_after", "heard", "operator"]
    list_filter = ["action", "heard"]
    search_fields = ["attempt__request_id", "attempt__order__order_no", "reason"]
    list_select_related = ["attempt", "operator"]
    date_hierarchy = "at"
    ordering = ["-pk"]


@admin.register(Callback)
class CallbackAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["received_at", "supplier", "request_id", "outcome", "effect", "remote_addr"]
    list_filter = ["effect", "supplier"]
    search_fields = ["request_id"]
    ordering = ["-pk"]
