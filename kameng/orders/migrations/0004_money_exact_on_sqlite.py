# Money columns exact on SQLite (integer cents); PostgreSQL unchanged.

import kameng.money
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0003_order_api_key_order_callback_url'),
    ]

    operations = [
        migrations.AlterField(
            model_name='order',
            name='amount',
            field=kameng.money.MoneyField(max_digits=14),
        ),
        migrations.AlterField(
            model_name='order',
            name='platform_gross',
            field=kameng.money.MoneyField(default=0, max_digits=14),
        ),
        migrations.AlterField(
            model_name='order',
            name='unit_price',
            field=kameng.money.MoneyField(),
        ),
        kameng.money.cents_on_sqlite('orders_order', 'unit_price', 'amount', 'platform_gross'),
    ]
