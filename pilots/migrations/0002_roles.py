"""Who may do what with KPIs and pilots: managers define and run them;
support staff read them (and the pilots' audit trails and assignments)."""

from typing import Any

from django.contrib.auth.management import create_permissions
from django.db import migrations

READ = ["view_kpi", "view_pilot", "view_pilotevent", "view_pilotassignment"]
MANAGE = [
    "add_kpi",
    "change_kpi",
    "delete_kpi",
    "add_pilot",
    "change_pilot",
]


def grant(apps: Any, schema_editor: Any) -> None:
    app_config = apps.get_app_config("pilots")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    pilots = permission_model.objects.filter(content_type__app_label="pilots")
    support, _ = group_model.objects.get_or_create(name="Support")
    support.permissions.add(*pilots.filter(codename__in=READ))
    manager, _ = group_model.objects.get_or_create(name="Manager")
    manager.permissions.add(*pilots.filter(codename__in=[*READ, *MANAGE]))


def revoke(apps: Any, schema_editor: Any) -> None:
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    pilots = permission_model.objects.filter(content_type__app_label="pilots")
    for group in group_model.objects.filter(name__in=["Support", "Manager"]):
        group.permissions.remove(*pilots)


class Migration(migrations.Migration):
    dependencies = [
        ("pilots", "0001_kpis_and_pilots"),
        ("feedback", "0006_case_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
