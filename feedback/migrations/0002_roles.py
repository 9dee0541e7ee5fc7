"""The two staff roles, as groups.

Support logs interactions and looks after customers; Manager may do everything
in the three apps. Permissions are normally created after migrations, so they
are created here first.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

SUPPORT_PERMISSIONS = {
    "customers": {
        "customer": ["view", "add", "change"],
        "company": ["view", "add", "change"],
        "interaction": ["view", "add", "change"],
        "touchpoint": ["view"],
    },
    "surveys": {
        "survey": ["view"],
        "invitation": ["view"],
        "surveyresponse": ["view"],
    },
    "feedback": {
        "case": ["view"],
        "caseevent": ["view"],
        "rootcause": ["view"],
    },
}
MANAGED_APPS = ["customers", "surveys", "feedback"]


def create_roles(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    support, _ = Group.objects.get_or_create(name="Support")
    for app_label, models in SUPPORT_PERMISSIONS.items():
        for model, actions in models.items():
            support.permissions.add(
                *Permission.objects.filter(
                    content_type__app_label=app_label,
                    codename__in=[f"{action}_{model}" for action in actions],
                )
            )

    manager, _ = Group.objects.get_or_create(name="Manager")
    manager.permissions.add(
        *Permission.objects.filter(content_type__app_label__in=MANAGED_APPS)
    )


def delete_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(
        name__in=["Support", "Manager"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("customers", "0002_search_indexes"),
        ("surveys", "0001_initial"),
        ("feedback", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, delete_roles)]
