"""Roles for the case workflow: support staff may open cases by hand (and
record contacts on their own cases, a rule of the case services); managers get
the new models' permissions like every other in the three apps."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

NEW_MODELS = ["holiday", "alert", "staffpreference"]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("feedback")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    feedback = Permission.objects.filter(content_type__app_label="feedback")
    support, _ = Group.objects.get_or_create(name="Support")
    support.permissions.add(*feedback.filter(codename__in=["add_case", "view_holiday"]))
    manager, _ = Group.objects.get_or_create(name="Manager")
    manager.permissions.add(*feedback.filter(content_type__model__in=NEW_MODELS))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    feedback = Permission.objects.filter(content_type__app_label="feedback")
    for support in Group.objects.filter(name="Support"):
        support.permissions.remove(
            *feedback.filter(codename__in=["add_case", "view_holiday"])
        )


class Migration(migrations.Migration):
    dependencies = [("feedback", "0005_case_workflow")]

    operations = [migrations.RunPython(grant, revoke)]
