"""The buyer's pages: storefronts (/s/<slug>/), checkout, payment hand-off, results,
order lookup; the platform's own storefront at /. Other code links to these paths and
posts these forms' field names (storefront.services.pay_url, payments' return_url,
benchmarks/storefront.py): keep them."""

from django.urls import path

from kameng.storefront import views

app_name = "storefront"

urlpatterns = [
    path("", views.platform_home, name="platform"),
    path("s/<str:slug>/", views.shop_home, name="shop"),
    path("s/<str:slug>/logo", views.logo, name="logo"),
    path("s/<str:slug>/p/<int:sku_id>/", views.product, name="product"),
    path("s/<str:slug>/p/<int:sku_id>/price", views.price_summary, name="price"),
    path("s/<str:slug>/o/<str:order_no>/", views.order_page, name="order"),
    path("s/<str:slug>/o/<str:order_no>/status/", views.order_status, name="order_status"),
    path("s/<str:slug>/o/<str:order_no>/confirm/", views.confirm, name="confirm"),
    path("s/<str:slug>/o/<str:order_no>/complain/", views.complain, name="complain"),
    path("s/<str:slug>/lookup/", views.lookup, name="lookup"),
    # /pay/notify/<gateway>/ is payments' (kameng/urls.py includes it first).
    path("pay/return/<str:gateway>/", views.pay_return, name="pay_return"),
    path("pay/<str:order_no>/", views.pay, name="pay"),
]
