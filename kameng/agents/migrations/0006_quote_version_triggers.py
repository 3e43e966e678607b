# Writing an agent, a level or an agent's price changes the quote version (catalog 0005).

from django.db import migrations

from kameng.db import change_token_operation

TABLES = ["agents_agent", "agents_agentlevel", "agents_agentprice"]


class Migration(migrations.Migration):

    dependencies = [
        ('agents', '0005_chinese_labels'),
        ('catalog', '0005_quote_version'),
    ]

    operations = [
        change_token_operation(TABLES, "catalog_quoteversion"),
    ]
