# Money columns exact on SQLite (integer cents); PostgreSQL unchanged.

import kameng.money
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('supply', '0005_supplier_onboarding'),
    ]

    operations = [
        migrations.AlterField(
            model_name='card',
            name='cost',
            field=kameng.money.MoneyField(),
        ),
        migrations.AlterField(
            model_name='cardbatch',
            name='cost',
            field=kameng.money.MoneyField(),
        ),
        migrations.AlterField(
            model_name='offer',
            name='cost',
            field=kameng.money.MoneyField(),
        ),
        kameng.money.cents_on_sqlite('supply_card', 'cost'),
        kameng.money.cents_on_sqlite('supply_cardbatch', 'cost'),
        kameng.money.cents_on_sqlite('supply_offer', 'cost'),
    ]
