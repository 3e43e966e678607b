"""Catalog admin: categories, products (with their SKUs inline) and SKUs."""

from django.contrib import admin

from kameng.catalog.models import Category, Product, Sku


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "sort_order"]
    list_editable = ["sort_order"]
    search_fields = ["name"]
    ordering = ["sort_order", "pk"]


class SkuInline(admin.TabularInline):
    model = Sku
    fields = ["name", "face_value", "kind", "authorised", "active"]
    extra = 0
    show_change_link = True


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "active"]
    list_filter = ["active", "category"]
    search_fields = ["name", "category__name"]
    list_select_related = ["category"]
    ordering = ["category__sort_order", "category", "pk"]
    inlines = [SkuInline]


@admin.register(Sku)
class SkuAdmin(admin.ModelAdmin):
    list_display = ["product", "name", "face_value", "kind", "authorised", "active"]
    list_display_links = ["name"]
    list_editable = ["authorised", "active"]
    list_filter = ["kind", "authorised", "active", "product__category"]
    search_fields = ["name", "product__name"]
    list_select_related = ["product"]
    ordering = ["product", "face_value", "pk"]
    # kameng.stock.admin adds the stock count (the catalog knows nothing of cards).
    readonly_fields = ["created_at"]

    def get_queryset(self, request):
        # Also for autocomplete widgets elsewhere (str() reads the related rows). Any
        # select_related here makes the changelist skip list_select_related: keep them equal.
        return super().get_queryset(request).select_related(*self.list_select_related)
