from django.urls import path

from kameng.topup.views import supplier_callback

urlpatterns = [
    path("<int:supplier_id>/", supplier_callback, name="topup-callback"),
]
