"""The starter theme dictionary (text/taxonomy.py) for a new installation,
and who may do what: managers edit the dictionary; support staff and
managers read the comments' analyses and correct them."""

from typing import Any

from django.contrib.auth.management import create_permissions
from django.db import migrations

from text.taxonomy import STARTER_TAXONOMY

READ_AND_CORRECT = ["view_theme", "view_commentanalysis", "change_commentanalysis"]
EDIT_THEMES = ["add_theme", "change_theme", "delete_theme"]


def add_starter_themes(apps: Any, schema_editor: Any) -> None:
    theme_model = apps.get_model("text", "Theme")
    for starter in STARTER_TAXONOMY:
        theme_model.objects.get_or_create(
            key=starter.key,
            defaults={
                "name_en": starter.name_en,
                "name_zh": starter.name_zh,
                "keywords_en": "\n".join(starter.keywords_en),
                "keywords_zh": "\n".join(starter.keywords_zh),
            },
        )


def grant(apps: Any, schema_editor: Any) -> None:
    app_config = apps.get_app_config("text")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    text = permission_model.objects.filter(content_type__app_label="text")
    support, _ = group_model.objects.get_or_create(name="Support")
    support.permissions.add(*text.filter(codename__in=READ_AND_CORRECT))
    manager, _ = group_model.objects.get_or_create(name="Manager")
    manager.permissions.add(
        *text.filter(codename__in=[*READ_AND_CORRECT, *EDIT_THEMES])
    )


def revoke(apps: Any, schema_editor: Any) -> None:
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    text = permission_model.objects.filter(content_type__app_label="text")
    for group in group_model.objects.filter(name__in=["Support", "Manager"]):
        group.permissions.remove(*text)


class Migration(migrations.Migration):
    dependencies = [
        ("text", "0001_comments_and_themes"),
        ("feedback", "0006_case_roles"),
    ]

    operations = [
        migrations.RunPython(add_starter_themes, migrations.RunPython.noop),
        migrations.RunPython(grant, revoke),
    ]
