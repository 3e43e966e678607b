"""Storefront admin: shops, coupons, price tiers, and what buyers gave at checkout.

Every change goes through kameng.storefront.services, which checks it as it checks the
CLI's: the forms below hand their fields to the service in `clean` (a refusal is a
form error) and save nothing themselves. Checkouts are read-only and show neither the
query password's hash nor any card code.
"""

from django import forms
from django.contrib import admin, messages
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.html import format_html

from kameng.admin_mixins import ReadOnlyAdminMixin, decide_each
from kameng.errors import DomainError
from kameng.storefront import services
from kameng.storefront.models import Checkout, Coupon, PriceTier, Storefront


class ServiceForm(forms.ModelForm):
    """A model form whose `apply()` calls a service with the cleaned fields; the row it
    returns becomes the form's instance. The model's own validation is the service's."""

    # Which form field a refusal belongs to, by error code (else: the whole form).
    error_fields: dict[str, str] = {}

    def apply(self, cleaned: dict):
        raise NotImplementedError

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            with transaction.atomic():
                self.instance = self.apply(cleaned)
        except DomainError as exc:
            field = self.error_fields.get(exc.code)
            self.add_error(field if field in self.fields else None, f"{exc.title}（{exc.code}）")
        return cleaned

    def _post_clean(self) -> None:
        """Nothing to copy onto the instance: the service wrote it."""

    def save(self, commit: bool = True):
        self.save_m2m = lambda: None
        return self.instance


class ServiceAdmin(admin.ModelAdmin):
    def save_model(self, request, obj, form, change) -> None:
        """Saved by the service in the form's clean."""

    def save_related(self, request, form, formsets, change) -> None:
        """Saved by the service in the form's clean."""


# --- shops -----------------------------------------------------------------------------


class StorefrontForm(ServiceForm):
    error_fields = {
        "invalid_slug": "slug",
        "slug_taken": "slug",
        "invalid_colour": "colour",
        "invalid_logo": "logo",
        "platform_storefront_exists": "is_platform",
    }

    class Meta:
        model = Storefront
        fields = ["agent", "slug", "name", "notice", "colour", "logo", "is_platform"]

    def clean_agent(self):
        """(Adding only: whose shop it is never changes.) One shop per agent."""
        agent = self.cleaned_data["agent"]
        if Storefront.objects.filter(agent=agent).exists():
            raise forms.ValidationError("该代理已有店铺，请修改原店铺")
        return agent

    def apply(self, cleaned: dict) -> Storefront:
        agent = cleaned.get("agent") or self.instance.agent
        logo = cleaned.get("logo")
        return services.set_storefront(
            agent,
            slug=cleaned["slug"],
            name=cleaned["name"],
            notice=cleaned.get("notice", ""),
            colour=cleaned["colour"],
            logo=logo if isinstance(logo, UploadedFile) else None,
            clear_logo=logo is False,  # the "clear" box of the file widget
            platform=cleaned.get("is_platform", False),
        )


@admin.register(Storefront)
class StorefrontAdmin(ServiceAdmin):
    form = StorefrontForm
    list_display = [
        "slug",
        "name",
        "agent",
        "logo_preview",
        "colour_swatch",
        "is_platform",
        "active",
        "created_at",
    ]
    list_filter = ["active", "is_platform"]
    search_fields = ["slug", "name", "agent__user__username"]
    list_select_related = ["agent__user"]
    autocomplete_fields = ["agent"]
    ordering = ["slug"]
    actions = ["close_shops", "open_shops"]

    def get_readonly_fields(self, request, obj=None):
        # Whose shop it is never changes; open/closed is the actions'.
        return ["agent", "logo_preview", "active", "created_at"] if obj else []

    def has_delete_permission(self, request, obj=None):
        # Orders name their shop: close it instead.
        return False

    @admin.display(description="标志")
    def logo_preview(self, obj: Storefront) -> str:
        if not obj.logo:
            return "-"
        return format_html(
            '<img src="{}" alt="" style="max-height: 48px; max-width: 96px;">', obj.logo.url
        )

    @admin.display(description="主题色", ordering="colour")
    def colour_swatch(self, obj: Storefront) -> str:
        return format_html(
            '<span style="display: inline-block; width: 1em; height: 1em; '
            'background: {}; vertical-align: middle;"></span> {}',
            obj.colour,
            obj.colour,
        )

    @admin.action(description="关闭所选店铺", permissions=["change"])
    def close_shops(self, request, queryset) -> None:
        done = decide_each(
            self, request, queryset, lambda s: services.set_storefront_active(s, False)
        )
        self.message_user(request, f"已关闭 {done} 个店铺", messages.SUCCESS)

    @admin.action(description="重新开放所选店铺", permissions=["change"])
    def open_shops(self, request, queryset) -> None:
        done = decide_each(
            self, request, queryset, lambda s: services.set_storefront_active(s, True)
        )
        self.message_user(request, f"已开放 {done} 个店铺", messages.SUCCESS)


# --- coupons and price tiers ---------------------------------------------------------------


class CouponForm(ServiceForm):
    error_fields = {
        "invalid_coupon_code": "code",
        "coupon_code_taken": "code",
        "invalid_amount": "value",
    }
    # Zero is a minimum too (a MoneyField's own form field wants a positive amount).
    min_amount = forms.DecimalField(
        label="最低消费", min_value=0, max_digits=12, decimal_places=2, initial=0, required=False
    )

    class Meta:
        model = Coupon
        fields = [
            "agent",
            "code",
            "kind",
            "value",
            "min_amount",
            "skus",
            "usage_limit",
            "expires_at",
        ]

    def apply(self, cleaned: dict) -> Coupon:
        return services.create_coupon(
            cleaned["agent"],
            code=cleaned["code"],
            kind=cleaned["kind"],
            value=cleaned["value"],
            min_amount=cleaned.get("min_amount") or 0,
            sku_ids=[sku.pk for sku in cleaned.get("skus") or []],
            usage_limit=cleaned.get("usage_limit"),
            expires_at=cleaned.get("expires_at"),
        )


@admin.register(Coupon)
class CouponAdmin(ServiceAdmin):
    """Created here or with `kameng coupon create`; never edited afterwards (orders
    were priced with it), only switched off."""

    form = CouponForm
    list_display = [
        "code",
        "agent",
        "kind",
        "value",
        "min_amount",
        "usage",
        "expires_at",
        "active",
        "created_at",
    ]
    list_filter = ["active", "kind"]
    search_fields = ["code", "agent__user__username"]
    list_select_related = ["agent__user"]
    autocomplete_fields = ["agent", "skus"]
    ordering = ["-pk"]
    actions = ["deactivate"]

    def has_change_permission(self, request, obj=None):
        # A coupon's page is view-only; the action below is the one change.
        return False if obj is not None else super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="已用 / 可用次数", ordering="used_count")
    def usage(self, obj: Coupon) -> str:
        limit = "不限" if obj.usage_limit is None else obj.usage_limit
        return f"{obj.used_count} / {limit}"

    @admin.action(description="停用所选优惠券", permissions=["change"])
    def deactivate(self, request, queryset) -> None:
        done = decide_each(
            self,
            request,
            queryset.select_related("agent"),
            lambda c: services.deactivate_coupon(c.agent, c.code),
        )
        self.message_user(request, f"已停用 {done} 张优惠券", messages.SUCCESS)


class PriceTierForm(ServiceForm):
    error_fields = {
        "tier_price_out_of_bounds": "unit_price",
        "invalid_amount": "unit_price",
        "invalid_input": "min_quantity",
    }

    class Meta:
        model = PriceTier
        fields = ["agent", "sku", "min_quantity", "unit_price"]

    def apply(self, cleaned: dict) -> PriceTier:
        instance = self.instance
        return services.set_price_tier(
            cleaned.get("agent") or instance.agent,
            cleaned.get("sku") or instance.sku,
            min_quantity=cleaned.get("min_quantity") or instance.min_quantity,
            unit_price=cleaned["unit_price"],
        )


@admin.register(PriceTier)
class PriceTierAdmin(ServiceAdmin):
    form = PriceTierForm
    list_display = ["agent", "sku", "min_quantity", "unit_price"]
    search_fields = ["agent__user__username", "sku__name", "sku__product__name"]
    list_select_related = ["agent__user", "sku__product"]
    autocomplete_fields = ["agent", "sku"]
    ordering = ["agent__path", "sku", "min_quantity"]

    def get_readonly_fields(self, request, obj=None):
        # A tier is (agent, SKU, from how many); only its price changes.
        return ["agent", "sku", "min_quantity"] if obj is not None else []

    def delete_model(self, request, obj: PriceTier) -> None:
        services.remove_price_tier(obj.agent, obj.sku, min_quantity=obj.min_quantity)

    def delete_queryset(self, request, queryset) -> None:
        for tier in queryset.select_related("agent", "sku"):
            self.delete_model(request, tier)


# --- checkouts -----------------------------------------------------------------------------


@admin.register(Checkout)
class CheckoutAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Written by checkout only. The query password is shown as set or not, never its
    hash; the codes are the order's (never shown here)."""

    list_display = [
        "order",
        "storefront",
        "contact",
        "contact_kind",
        "coupon",
        "discount",
        "payment_type",
        "buyer_ip",
        "emailed_at",
        "created_at",
    ]
    list_filter = ["contact_kind", "payment_type"]
    search_fields = ["order__order_no", "contact", "buyer_ip", "storefront__slug"]
    list_select_related = ["order", "storefront", "coupon"]
    date_hierarchy = "created_at"
    ordering = ["-pk"]
    fields = [
        "order",
        "storefront",
        "contact",
        "contact_kind",
        "has_query_password",
        "buyer_ip",
        "coupon",
        "coupon_counted",
        "discount",
        "payment_type",
        "emailed_at",
        "created_at",
    ]
    readonly_fields = fields

    @admin.display(description="查询密码", boolean=True)
    def has_query_password(self, obj: Checkout) -> bool:
        return bool(obj.query_password)
