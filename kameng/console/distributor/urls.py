"""/console/d/: the distributor's pages (namespace console:d). Every view here is
wrapped by @role_required(roles.DISTRIBUTOR); a page in the menu also gets a line in
kameng/console/nav.py. (The public invite page, /console/join/<token>/, is in
kameng/console/urls.py: it is no distributor's page until the newcomer has joined.)"""

from django.urls import path

from kameng.console.distributor import views

app_name = "d"

urlpatterns = [
    path("", views.home, name="home"),
    path("orders/", views.orders_list, name="orders"),
    path("orders/buy/", views.buy, name="buy"),
    path("orders/<str:order_no>/", views.order, name="order"),
    path("orders/<str:order_no>/confirm/", views.order_confirm, name="order_confirm"),
    path("orders/<str:order_no>/dispute/", views.order_dispute, name="order_dispute"),
    path("orders/<str:order_no>/resend/", views.order_resend, name="order_resend"),
    path("agents/", views.agents_list, name="agents"),
    path("agents/invites/", views.invite_create, name="invite_create"),
    path("agents/invites/<int:pk>/revoke/", views.invite_revoke, name="invite_revoke"),
    path("prices/", views.prices, name="prices"),
    path("prices/<int:sku_id>/", views.price, name="price"),
    path("shop/", views.shop, name="shop"),
    path("shop/coupons/", views.coupon_create, name="coupon_create"),
    path("shop/coupons/<int:pk>/disable/", views.coupon_disable, name="coupon_disable"),
    path("shop/tiers/", views.tier_create, name="tier_create"),
    path("shop/tiers/<int:pk>/remove/", views.tier_remove, name="tier_remove"),
    path("shop/pay-links/", views.pay_link, name="pay_link"),
    path("api/", views.api, name="api"),
    path("api/keys/", views.api_key_create, name="api_key_create"),
    path("api/keys/<int:pk>/revoke/", views.api_key_revoke, name="api_key_revoke"),
    path("money/", views.money, name="money"),
    path("money/top-up/", views.top_up, name="top_up"),
    path("money/withdraw/", views.withdraw, name="withdraw"),
]
