from django.db import migrations

# Allocation reads the partial index of available cards only while the planner knows
# how many are sold. With default settings PostgreSQL re-analyses a table after 10% of
# it changed; until then it may believe every card is available and walk the primary
# key past the sold ones. Re-analyse supply_card after 1% (+500 rows) instead.
TUNE = (
    "ALTER TABLE supply_card SET (autovacuum_analyze_scale_factor = 0.01,"
    " autovacuum_analyze_threshold = 500)"
)
RESET = "ALTER TABLE supply_card RESET (autovacuum_analyze_scale_factor, autovacuum_analyze_threshold)"


def tune(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TUNE)


def reset(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(RESET)


class Migration(migrations.Migration):
    dependencies = [("supply", "0002_alter_card_options_alter_cardbatch_options_and_more")]
    operations = [migrations.RunPython(tune, reset)]
