# The quote version (catalog.QuoteVersion) and the triggers that change it whenever a
# SKU or a product is written; agents 0006 adds the agents' tables.

from django.db import migrations, models

from kameng.db import change_token_operation

TABLES = ["catalog_sku", "catalog_product"]


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0004_chinese_labels'),
    ]

    operations = [
        migrations.CreateModel(
            name='QuoteVersion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('token', models.CharField(max_length=32, verbose_name='版本')),
            ],
            options={
                'verbose_name': '报价版本',
                'verbose_name_plural': '报价版本',
            },
        ),
        change_token_operation(TABLES, "catalog_quoteversion"),
    ]
