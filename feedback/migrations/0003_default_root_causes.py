from django.db import migrations

DEFAULT_ROOT_CAUSES = [
    "Product defect",
    "Slow response",
    "Billing",
    "Staff behaviour",
    "Missing feature",
    "Delivery",
    "Other",
]


def create_root_causes(apps, schema_editor):
    RootCause = apps.get_model("feedback", "RootCause")
    for position, name in enumerate(DEFAULT_ROOT_CAUSES):
        RootCause.objects.get_or_create(name=name, defaults={"position": position})


def delete_root_causes(apps, schema_editor):
    apps.get_model("feedback", "RootCause").objects.filter(
        name__in=DEFAULT_ROOT_CAUSES, cases__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("feedback", "0002_roles")]

    operations = [migrations.RunPython(create_root_causes, delete_root_causes)]
