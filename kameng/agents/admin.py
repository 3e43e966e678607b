"""Agents admin: levels, the agent tree (created with `kameng create-agent`), prices."""

from django import forms
from django.conf import settings
from django.contrib import admin

from kameng.admin_mixins import ReadOnlyAdminMixin
from kameng.agents.credentials import revoke_api_key
from kameng.agents.models import Agent, AgentLevel, AgentPrice, ApiKey
from kameng.agents.pricing import quote


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


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ["username", "parent", "depth", "active", "wallet__balance", "created_at"]
    list_filter = ["active", "depth"]
    search_fields = ["user__username", "path"]
    list_select_related = ["user", "parent__user", "wallet"]
    # By path: under byte-order collation (SQLite, C locale) each subtree lists together.
    ordering = ["path"]
    fields = ["user", "parent", "depth", "path", "wallet", "active", "created_at"]
    # Only `active` is editable: user, parent, depth and path are the tree's structure and
    # wallet is the ledger account; changing any of them here would corrupt the chain.
    readonly_fields = ["user", "parent", "depth", "path", "wallet", "created_at"]

    @admin.display(description="用户名", ordering="user__username")
    def username(self, obj: Agent) -> str:
        return obj.user.username

    def get_queryset(self, request):
        # Also for autocomplete widgets elsewhere (str() reads the related rows). Any
        # select_related here makes the changelist skip list_select_related: keep them equal.
        return super().get_queryset(request).select_related(*self.list_select_related)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # An agent holds a wallet balance and a place in the tree: deactivate, never delete.
        return False


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
            if price is not None and not own_cost <= price <= sku.face_value:
                self.add_error(name, f"须在成本价 {own_cost} 与面值 {sku.face_value} 之间")
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
