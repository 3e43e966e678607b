"""A try keeps no part of the receiver's answer: its status code and our own short
reason only (the excerpt let a callback_url read what answered at that address)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_initial"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="deliverytry",
            name="response_excerpt",
        ),
    ]
