"""Theme suggestions (text.analysis.suggestions): managers read, adopt and
dismiss them; support staff read them."""

from typing import Any

import django.db.models.deletion
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

MANAGE_SUGGESTIONS = [
    "add_themesuggestion",
    "change_themesuggestion",
    "view_themesuggestion",
]
READ_SUGGESTIONS = ["view_themesuggestion"]


def grant(apps: Any, schema_editor: Any) -> None:
    app_config = apps.get_app_config("text")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    text = permission_model.objects.filter(content_type__app_label="text")
    support, _ = group_model.objects.get_or_create(name="Support")
    support.permissions.add(*text.filter(codename__in=READ_SUGGESTIONS))
    manager, _ = group_model.objects.get_or_create(name="Manager")
    manager.permissions.add(*text.filter(codename__in=MANAGE_SUGGESTIONS))


def revoke(apps: Any, schema_editor: Any) -> None:
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    suggestions = permission_model.objects.filter(
        content_type__app_label="text", codename__in=MANAGE_SUGGESTIONS
    )
    for group in group_model.objects.filter(name__in=["Support", "Manager"]):
        group.permissions.remove(*suggestions)


class Migration(migrations.Migration):
    dependencies = [
        ("text", "0002_starter_themes_and_roles"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ThemeSuggestion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                (
                    "language",
                    models.CharField(
                        choices=[
                            ("en", "English"),
                            ("zh", "Chinese"),
                            ("unknown", "unknown"),
                        ],
                        max_length=10,
                        verbose_name="language",
                    ),
                ),
                ("terms", models.JSONField(default=list, verbose_name="top terms")),
                (
                    "example_response_ids",
                    models.JSONField(default=list, verbose_name="example comments"),
                ),
                ("comment_count", models.PositiveIntegerField(verbose_name="comments")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("open", "open"),
                            ("adopted", "adopted"),
                            ("dismissed", "dismissed"),
                        ],
                        default="open",
                        max_length=10,
                        verbose_name="status",
                    ),
                ),
                (
                    "decided_at",
                    models.DateTimeField(
                        blank=True, null=True, verbose_name="decided at"
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(auto_now_add=True, verbose_name="created at"),
                ),
                (
                    "decided_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="decided by",
                    ),
                ),
                (
                    "theme",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="text.theme",
                        verbose_name="theme",
                    ),
                ),
            ],
            options={
                "verbose_name": "theme suggestion",
                "verbose_name_plural": "theme suggestions",
                "ordering": ["-comment_count", "id"],
                "indexes": [
                    models.Index(
                        fields=["status", "language"],
                        name="text_themes_status_20d9e6_idx",
                    )
                ],
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
