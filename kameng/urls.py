from django.contrib import admin
from django.urls import include, path, re_path

from kameng.api.v1 import api, not_found

admin.site.site_header = "Kameng 卡盟 · 平台管理"
admin.site.site_title = "Kameng"
# The side navigation takes a quarter of a 1280 px screen from every list; the index page
# and breadcrumbs already lead everywhere.
admin.site.enable_nav_sidebar = False
# admin.site is kameng.console.adminsite.OperatorAdminSite (INSTALLED_APPS): an operator
# who set up TOTP in the console gives its code at the admin's log-in too, and a session
# without it is not let in.

urlpatterns = [
    path("admin/", admin.site.urls),
    path("supply/callback/", include("kameng.topup.urls")),
    path("api/v1/", api.urls),
    re_path(r"^api/v1/(?P<path>.*)$", not_found),
    path("pay/", include("kameng.payments.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("_style/", include("kameng.web")),  # the developers' style page, only with DEBUG
    path("captcha/", include("captcha.urls")),  # the checkout captcha's images
    path("console/", include("kameng.console.urls")),  # distributors, suppliers, operator
    path("", include("kameng.storefront.urls")),
]

# Unmatched paths get the buyer's pages' 404, in their layout (the API answers JSON 404s
# of its own above).
handler404 = "kameng.storefront.views.not_found_handler"
