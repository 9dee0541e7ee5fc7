"""Who may give a token more requests per minute than API_TOKEN_RATE:
managers (and superusers, who may do everything)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    app_config = apps.get_app_config("tokens")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    raise_rate = Permission.objects.get(
        content_type__app_label="tokens", codename="raise_token_rate"
    )
    manager, _ = Group.objects.get_or_create(name="Manager")
    manager.permissions.add(raise_rate)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(
        content_type__app_label="tokens", codename="raise_token_rate"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tokens", "0003_token_rate"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="apitoken",
            options={
                "permissions": [
                    (
                        "raise_token_rate",
                        "Can give a token more requests per minute than API_TOKEN_RATE",
                    )
                ],
                "verbose_name": "API token",
                "verbose_name_plural": "API tokens",
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
