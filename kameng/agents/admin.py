"""Agents admin: levels, the agent tree (created with `kameng create-agent`), prices,
and the operator's daily work on agents: crediting a prepaid balance (充值) and
disabling or re-enabling an agent, both through kameng.agents.services; agents' top-up
and withdrawal requests, decided by the actions (kameng.agents.requests, which records
who decided and why); invite links, revocable (kameng.agents.invites)."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from kameng.admin_mixins import ReadOnlyAdminMixin, ReasonActionForm, action_reason, decide_each
from kameng.agents import invites, requests, services
from kameng.agents.credentials import revoke_api_key
from kameng.agents.models import (
    Agent,
    AgentLevel,
    AgentPrice,
    ApiKey,
    InviteLink,
    TopUpRequest,
    WithdrawalRequest,
)
from kameng.agents.pricing import quote
from kameng.errors import DomainError
from kameng.ledger.services import balance
from kameng.money import InvalidAmount, parse_money


class AgentLevelForm(forms.ModelForm):
    class Meta:
        model = AgentLevel
        fields = ["depth", "name", "discount"]

    def clean_depth(self):
        depth = self.cleaned_data["depth"]
        limit = settings.KAMENG_MAX_AGENT_DEPTH
        if not 1 <= depth <= limit:
            raise forms.ValidationError(f"层级须在 1–{limit} 之间")
        return depth


@admin.register(AgentLevel)
class AgentLevelAdmin(admin.ModelAdmin):
    form = AgentLevelForm
    list_display = ["depth", "name", "discount"]
    list_display_links = ["depth"]
    list_editable = ["name", "discount"]
    ordering = ["depth"]


class TopUpForm(forms.Form):
    """Money an agent paid in (bank transfer, cash): the amount and its receipt number,
    which makes a repeat harmless."""

    amount = forms.CharField(label="金额（元）", max_length=20)
    reference = forms.CharField(
        label="转账流水号 / 收据号",
        max_length=64,
        help_text="同一流水号只入账一次；重复提交不会重复充值。",
    )

    def clean_amount(self):
        try:
            return parse_money(self.cleaned_data["amount"])
        except InvalidAmount as exc:
            raise forms.ValidationError(InvalidAmount.title) from exc


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ["username", "parent", "depth", "active", "balance", "top_up_link"]
    list_filter = ["active", "depth"]
    search_fields = ["user__username", "path"]
    list_select_related = ["user", "parent__user", "wallet"]
    # By path: under byte-order collation (SQLite, C locale) each subtree lists together.
    ordering = ["path"]
    fields = ["user", "parent", "depth", "path", "wallet", "active", "created_at"]
    # Nothing is typed in here: user, parent, depth and path are the tree's structure,
    # wallet is the ledger account; `active` changes through the actions (services).
    readonly_fields = fields
    actions = ["disable", "enable"]

    @admin.display(description="用户名", ordering="user__username")
    def username(self, obj: Agent) -> str:
        return obj.user.username

    @admin.display(description="预存款余额", ordering="wallet__balance")
    def balance(self, obj: Agent):
        return obj.wallet.balance

    @admin.display(description="充值")
    def top_up_link(self, obj: Agent) -> str:
        return format_html(
            '<a href="{}">充值</a>', reverse("admin:agents_agent_topup", args=[obj.pk])
        )

    def get_queryset(self, request):
        # Also for autocomplete widgets elsewhere (str() reads the related rows). Any
        # select_related here makes the changelist skip list_select_related: keep them equal.
        return super().get_queryset(request).select_related(*self.list_select_related)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # An agent holds a wallet balance and a place in the tree: deactivate, never delete.
        return False

    @admin.action(description="停用所选代理（其下级照常进货，分润归平台）", permissions=["change"])
    def disable(self, request, queryset) -> None:
        for agent in queryset:
            services.set_active(agent, False)
        self.message_user(request, f"已停用 {queryset.count()} 个代理", messages.SUCCESS)

    @admin.action(description="启用所选代理", permissions=["change"])
    def enable(self, request, queryset) -> None:
        for agent in queryset:
            services.set_active(agent, True)
        self.message_user(request, f"已启用 {queryset.count()} 个代理", messages.SUCCESS)

    def get_urls(self):
        view = self.admin_site.admin_view(self.top_up_view)
        return [path("<int:agent_id>/topup/", view, name="agents_agent_topup"), *super().get_urls()]

    def top_up_view(self, request, agent_id: int):
        """充值: credit the agent's prepaid balance through agents.services.top_up."""
        if not request.user.has_perm("ledger.add_journal"):
            raise PermissionDenied
        agent = get_object_or_404(Agent.objects.select_related("user", "wallet"), pk=agent_id)
        form = TopUpForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                journal = services.top_up(
                    agent, form.cleaned_data["amount"], reference=form.cleaned_data["reference"]
                )
            except DomainError as exc:
                form.add_error(None, f"{exc.title}（{exc.code}）")
            else:
                self.message_user(
                    request,
                    f"已为 {agent} 充值 {form.cleaned_data['amount']} 元（凭证 {journal.key}），"
                    f"当前余额 {balance(agent.wallet_id)} 元",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:agents_agent_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": f"为代理 {agent} 充值",
            "opts": self.model._meta,
            "agent": agent,
            "balance": balance(agent.wallet_id),
            "form": form,
        }
        return TemplateResponse(request, "admin/agents/agent/topup.html", context)


class AgentPriceForm(forms.ModelForm):
    """The same bounds as agents.services.set_price: own cost <= price <= face value."""

    class Meta:
        model = AgentPrice
        fields = ["agent", "sku", "sub_agent_price", "retail_price"]

    def clean(self):
        cleaned = super().clean()
        agent = cleaned.get("agent") or self.instance_agent()
        sku = cleaned.get("sku") or self.instance_sku()
        if agent is None or sku is None:
            return cleaned
        own_cost = quote(agent, sku).links[-1].unit_price
        for name in ("sub_agent_price", "retail_price"):
            price = cleaned.get(name)
            ceiling = sku.price_ceiling
            if price is not None and not own_cost <= price <= ceiling:
                self.add_error(name, f"须在成本价 {own_cost} 与面值 {ceiling} 之间")
        limit = settings.KAMENG_MAX_AGENT_DEPTH
        if cleaned.get("sub_agent_price") is not None and agent.depth >= limit:
            self.add_error("sub_agent_price", "最底层代理没有下级，不能设置下级价")
        return cleaned

    def instance_agent(self):
        return self.instance.agent if self.instance.agent_id else None

    def instance_sku(self):
        return self.instance.sku if self.instance.sku_id else None


@admin.register(AgentPrice)
class AgentPriceAdmin(admin.ModelAdmin):
    form = AgentPriceForm
    list_display = ["agent", "sku", "sub_agent_price", "retail_price"]
    list_filter = ["sku__product"]
    search_fields = ["agent__user__username", "sku__name", "sku__product__name"]
    list_select_related = ["agent__user", "sku__product"]
    autocomplete_fields = ["agent", "sku"]
    ordering = ["agent__path", "sku"]

    def get_readonly_fields(self, request, obj=None):
        # Which agent and SKU a price row belongs to is fixed once it exists.
        return ["agent", "sku"] if obj is not None else []


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Keys are created by the agent (or `kameng api-key create`); the operator may see
    them and revoke one, never its secret."""

    list_display = ["app_key", "agent", "label", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["app_key", "agent__user__username", "label"]
    list_select_related = ["agent__user"]
    fields = ["app_key", "agent", "label", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]
    ordering = ["-pk"]

    @admin.action(description="吊销所选密钥", permissions=["revoke"])
    def revoke(self, request, queryset) -> None:
        for key in queryset.select_related("agent"):
            revoke_api_key(key.agent, key.app_key)
        self.message_user(request, f"已吊销 {queryset.count()} 个密钥")

    def has_revoke_permission(self, request) -> bool:
        return request.user.has_perm("agents.change_apikey")


# --- invite links ------------------------------------------------------------------------


@admin.register(InviteLink)
class InviteLinkAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Made by agents (console, `kameng invite create`); the operator may revoke one.
    The token itself is not shown: whoever holds it may join the tree."""

    list_display = [
        "short_token",
        "agent",
        "label",
        "used_count",
        "max_uses",
        "expires_at",
        "revoked_at",
        "created_at",
    ]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["agent__user__username", "label"]
    list_select_related = ["agent__user"]
    fields = ["short_token", "agent", "label", "created_at", "expires_at", "max_uses"]
    fields += ["used_count", "revoked_at"]
    readonly_fields = fields
    ordering = ["-pk"]
    actions = ["revoke"]

    @admin.display(description="邀请码")
    def short_token(self, obj: InviteLink) -> str:
        return f"{obj.token[:6]}…"

    def has_revoke_permission(self, request) -> bool:
        return request.user.has_perm("agents.change_invitelink")

    @admin.action(description="作废所选邀请链接", permissions=["revoke"])
    def revoke(self, request, queryset) -> None:
        done = decide_each(
            self,
            request,
            queryset.select_related("agent"),
            lambda invite: invites.revoke_invite(invite.agent, invite.token),
        )
        self.message_user(request, f"已作废 {done} 个邀请链接", messages.SUCCESS)


# --- top-up and withdrawal requests --------------------------------------------------------

REQUEST_FIELDS = ["agent", "amount", "status", "created_at", "decided_at", "decided_by", "reason"]


@admin.register(TopUpRequest)
class TopUpRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Agents say they paid money in; the operator checks the bank and approves (the
    wallet is credited once) or rejects with a reason."""

    action_form = ReasonActionForm
    list_display = ["id", "agent", "amount", "reference", "status", "created_at", "decided_by"]
    list_filter = ["status"]
    search_fields = ["=id", "agent__user__username", "reference"]
    list_select_related = ["agent__user", "decided_by"]
    fields = [*REQUEST_FIELDS[:2], "reference", "note", *REQUEST_FIELDS[2:]]
    readonly_fields = fields
    date_hierarchy = "created_at"
    ordering = ["-pk"]
    actions = ["approve", "reject"]

    def has_decide_permission(self, request) -> bool:
        return request.user.has_perm("agents.change_topuprequest")

    @admin.action(description="确认到账并入账 (approve)", permissions=["decide"])
    def approve(self, request, queryset) -> None:
        done = decide_each(
            self,
            request,
            queryset.order_by("pk"),
            lambda r: requests.approve_top_up(r, request.user),
        )
        self.message_user(request, f"{done} 条充值申请已入账", messages.SUCCESS)

    @admin.action(description="驳回 (reject, 需填写理由)", permissions=["decide"])
    def reject(self, request, queryset) -> None:
        reason = action_reason(request)
        done = decide_each(
            self,
            request,
            queryset.order_by("pk"),
            lambda r: requests.reject_top_up(r, request.user, reason),
        )
        self.message_user(request, f"{done} 条充值申请已驳回", messages.SUCCESS)


class WithdrawalActionForm(ReasonActionForm):
    """The action bar with the payout transfer's reference beside the reason box."""

    payout_reference = forms.CharField(
        label="付款流水号",
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"placeholder": "付款时必填", "size": 24}),
    )


@admin.register(WithdrawalRequest)
class WithdrawalRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Agents ask for money to be paid out (held meanwhile); the operator transfers it
    and records the transfer's reference, or rejects (the money goes back)."""

    action_form = WithdrawalActionForm
    list_display = ["id", "agent", "amount", "payee", "status", "payout_reference", "decided_by"]
    list_filter = ["status"]
    search_fields = ["=id", "agent__user__username", "payee", "payout_reference"]
    list_select_related = ["agent__user", "decided_by"]
    fields = [*REQUEST_FIELDS[:2], "payee", *REQUEST_FIELDS[2:], "payout_reference"]
    readonly_fields = fields
    date_hierarchy = "created_at"
    ordering = ["-pk"]
    actions = ["pay", "reject"]

    def has_decide_permission(self, request) -> bool:
        return request.user.has_perm("agents.change_withdrawalrequest")

    @admin.action(description="已付款 (pay, 每次一条, 需填写付款流水号)", permissions=["decide"])
    def pay(self, request, queryset) -> None:
        reference = request.POST.get("payout_reference", "").strip()
        if queryset.count() != 1:
            self.message_user(request, "每笔付款对应一条提现申请：请只选一条", messages.ERROR)
            return
        done = decide_each(
            self, request, queryset, lambda r: requests.pay_withdrawal(r, request.user, reference)
        )
        if done:
            self.message_user(request, f"提现已记为付款（流水号 {reference}）", messages.SUCCESS)

    @admin.action(description="驳回并退回余额 (reject, 需填写理由)", permissions=["decide"])
    def reject(self, request, queryset) -> None:
        reason = action_reason(request)
        done = decide_each(
            self,
            request,
            queryset.order_by("pk"),
            lambda r: requests.reject_withdrawal(r, request.user, reason),
        )
        self.message_user(request, f"{done} 条提现申请已驳回，金额已退回", messages.SUCCESS)
