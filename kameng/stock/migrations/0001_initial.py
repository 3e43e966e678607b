"""CardBatch and Card move here from `supply` (state only)."""

import django.db.models.deletion
import kameng.money
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('catalog', '0004_chinese_labels'),
        ('orders', '0006_chinese_labels'),
        ('suppliers', '0001_initial'),
        ('supply', '0007_chinese_labels'),
    ]

    # State only: the tables exist (made by supply's migrations) and keep their names.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='CardBatch',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('cost', kameng.money.MoneyField(verbose_name='成本价')),
                        ('source_name', models.CharField(blank=True, max_length=255, verbose_name='来源文件')),
                        ('imported', models.PositiveIntegerField(default=0, verbose_name='导入数')),
                        ('rejected', models.PositiveIntegerField(default=0, verbose_name='拒绝数')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='导入时间')),
                    ],
                    options={
                        'verbose_name': '卡密批次',
                        'verbose_name_plural': '卡密批次',
                        'db_table': 'supply_cardbatch',
                    },
                ),
                migrations.CreateModel(
                    name='Card',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.CharField(blank=True, max_length=128, verbose_name='卡号')),
                        ('secret_encrypted', models.TextField(verbose_name='卡密（加密）')),
                        ('secret_digest', models.CharField(max_length=64, unique=True, verbose_name='卡密摘要')),
                        ('cost', kameng.money.MoneyField(verbose_name='成本价')),
                        ('status', models.CharField(choices=[('available', '可售'), ('sold', '已售'), ('invalid', '无效')], default='available', max_length=10, verbose_name='状态')),
                        ('sold_at', models.DateTimeField(blank=True, null=True, verbose_name='售出时间')),
                        ('order', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='cards', to='orders.order', verbose_name='订单')),
                        ('sku', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='cards', to='catalog.sku', verbose_name='商品规格')),
                    ],
                    options={
                        'verbose_name': '卡密',
                        'verbose_name_plural': '卡密',
                        'db_table': 'supply_card',
                    },
                ),

                migrations.AddField(
                    model_name='card',
                    name='supplier',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='cards', to='suppliers.supplier', verbose_name='供应商'),
                ),
                migrations.AddField(
                    model_name='cardbatch',
                    name='sku',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='batches', to='catalog.sku', verbose_name='商品规格'),
                ),
                migrations.AddField(
                    model_name='cardbatch',
                    name='supplier',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='batches', to='suppliers.supplier', verbose_name='供应商'),
                ),
                migrations.AddField(
                    model_name='card',
                    name='batch',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='cards', to='stock.cardbatch', verbose_name='批次'),
                ),
                migrations.AddIndex(
                    model_name='card',
                    index=models.Index(condition=models.Q(('status', 'available')), fields=['sku', 'id'], name='supply_card_available_idx'),
                ),
                migrations.AddConstraint(
                    model_name='card',
                    constraint=models.UniqueConstraint(condition=models.Q(('code', ''), _negated=True), fields=('sku', 'code'), name='supply_card_code_unique'),
                ),
                migrations.AddConstraint(
                    model_name='card',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('order__isnull', True), ('status', 'available')), models.Q(('status', 'available'), _negated=True), _connector='OR'), name='supply_card_available_has_no_order'),
                ),
                migrations.AddConstraint(
                    model_name='card',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'sold'), _negated=True), ('order__isnull', False), _connector='OR'), name='supply_card_sold_has_order'),
                ),
            ],
            database_operations=[],
        ),
    ]
