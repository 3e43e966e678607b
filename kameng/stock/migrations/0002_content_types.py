"""Content types follow the models from `supply` to `stock`: the rows keep their ids,
so admin log entries and permissions (and the groups holding them) stay attached."""

from django.db import migrations

MODELS = ["cardbatch", "card"]


def rename(apps, schema_editor, old: str, new: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in MODELS:
        if ContentType.objects.using(db).filter(app_label=new, model=model).exists():
            continue  # already there (created under the new label): leave the old row
        ContentType.objects.using(db).filter(app_label=old, model=model).update(app_label=new)


def forwards(apps, schema_editor):
    rename(apps, schema_editor, "supply", "stock")


def backwards(apps, schema_editor):
    rename(apps, schema_editor, "stock", "supply")


class Migration(migrations.Migration):

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("stock", "0001_initial"),
        ("supply", "0008_models_moved_out"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
