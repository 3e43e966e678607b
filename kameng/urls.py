from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

admin.site.site_header = "Kameng 卡盟 · 平台管理"
admin.site.site_title = "Kameng"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]
