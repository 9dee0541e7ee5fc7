"""The logins an earlier seed_demo created, before it kept a record of them,
are recognised by what it wrote: the demo's username, first and last name and
an address at touchloop.example. Without this, `make run` on an existing
database would take its own demo logins for someone else's and leave them out.
A user that only shares a demo name kept its own name and address (the
earlier seed_demo set them only when it created the user), so it stays
unmarked, and untouched."""

from django.db import migrations

# The demo's staff as seed_demo wrote them: (username, first name, last name).
EARLIER_STAFF = [
    ("support", "Sam", "Reed"),
    ("manager", "Morgan", "Hughes"),
    ("tom.baker", "Tom", "Baker"),
    ("li.na", "Na", "Li"),
    ("chen.jie", "Jie", "Chen"),
]


def adopt(apps, schema_editor):
    User = apps.get_model("auth", "User")
    DemoLogin = apps.get_model("demo", "DemoLogin")
    for username, first_name, last_name in EARLIER_STAFF:
        user = User.objects.filter(
            username=username,
            first_name=first_name,
            last_name=last_name,
            email=f"{username}@touchloop.example",
        ).first()
        if user is not None:
            DemoLogin.objects.get_or_create(user=user)


class Migration(migrations.Migration):
    dependencies = [("demo", "0001_initial")]

    operations = [migrations.RunPython(adopt, migrations.RunPython.noop)]
