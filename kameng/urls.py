from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

admin.site.site_header = "Kameng 卡盟 · 平台管理"
admin.site.site_title = "Kameng"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("supply/callback/", include("kameng.topup.urls")),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]
