# Money columns exact on SQLite (integer cents); PostgreSQL unchanged.

import kameng.money
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0002_alter_category_options_alter_product_options_and_more'),
    ]

    operations = [
        migrations.AlterField(
            model_name='sku',
            name='face_value',
            field=kameng.money.MoneyField(),
        ),
        kameng.money.cents_on_sqlite('catalog_sku', 'face_value'),
    ]
