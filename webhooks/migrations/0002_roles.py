"""Roles for webhooks: support staff keep subscriptions of their own and see
their delivery log; managers see and change everyone's."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

OWN = [
    "view_subscription",
    "add_subscription",
    "change_subscription",
    "delete_subscription",
    "view_delivery",
]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("webhooks")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    webhooks = Permission.objects.filter(content_type__app_label="webhooks")
    support, _ = Group.objects.get_or_create(name="Support")
    support.permissions.add(*webhooks.filter(codename__in=OWN))
    manager, _ = Group.objects.get_or_create(name="Manager")
    manager.permissions.add(
        *webhooks.filter(codename__in=[*OWN, "manage_any_subscription"])
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    webhooks = Permission.objects.filter(content_type__app_label="webhooks")
    for group in Group.objects.filter(name__in=["Support", "Manager"]):
        group.permissions.remove(*webhooks)


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_initial"),
        ("feedback", "0006_case_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
