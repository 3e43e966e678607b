# Money columns exact on SQLite (integer cents); PostgreSQL unchanged.

import kameng.money
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('topup', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='attempt',
            name='cost',
            field=kameng.money.MoneyField(max_digits=14),
        ),
        kameng.money.cents_on_sqlite('topup_attempt', 'cost'),
    ]
