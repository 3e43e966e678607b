"""An order has at most one pending manual re-send. Re-sends made before this rule may
overlap: all but the newest pending one of each order are given up first (pending →
gave_up, a legal move), so that the constraint can be built."""

from django.db import migrations, models
from django.utils import timezone


def give_up_overlapping_resends(apps, schema_editor):
    Delivery = apps.get_model("webhooks", "Delivery")
    newest: dict[int, int] = {}
    overlapping: list[int] = []
    pending = Delivery.objects.filter(manual=True, state="pending").order_by("-pk")
    for pk, order_id in pending.values_list("pk", "order_id"):
        if order_id in newest:
            overlapping.append(pk)
        else:
            newest[order_id] = pk
    Delivery.objects.filter(pk__in=overlapping).update(
        state="gave_up", finished_at=timezone.now(), next_try_at=None
    )


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0003_order_api_key_order_callback_url"),
        ("webhooks", "0002_deliverytry_no_response_excerpt"),
    ]

    operations = [
        migrations.RunPython(give_up_overlapping_resends, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="delivery",
            constraint=models.UniqueConstraint(
                condition=models.Q(("manual", True), ("state", "pending")),
                fields=("order",),
                name="webhooks_one_pending_resend",
            ),
        ),
    ]
