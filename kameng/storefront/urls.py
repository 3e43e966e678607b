"""The buyer's pages: storefronts (/s/<slug>/), checkout, payment hand-off, results,
order lookup; the platform's own storefront at /."""

app_name = "storefront"

urlpatterns: list = []
