"""Who may send a scheduled invitation now, past its wait: managers (and
superusers, who may do everything)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    app_config = apps.get_app_config("surveys")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    send_now = Permission.objects.get(
        content_type__app_label="surveys", codename="send_invitation_now"
    )
    manager, _ = Group.objects.get_or_create(name="Manager")
    manager.permissions.add(send_now)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(
        content_type__app_label="surveys", codename="send_invitation_now"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0008_single_line_names"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="invitation",
            options={
                "permissions": [
                    ("send_invitation_now", "Can send a scheduled invitation now")
                ],
                "verbose_name": "invitation",
                "verbose_name_plural": "invitations",
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
