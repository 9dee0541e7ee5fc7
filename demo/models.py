from django.conf import settings
from django.db import models
from django.utils import timezone


class DemoLogin(models.Model):
    """A login that seed_demo created. Its record, not its name, is what lets
    the demo touch a user again (a new password, only with --password): a user
    named like a demo login that someone else made is never changed. A table
    of the demo's own, out of the admin, so that nobody gives a real person
    this mark by editing their groups or preferences."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="demo_login",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # Not translated, like the app's name: no page shows the demo's logins.
        verbose_name = "demo login"
        verbose_name_plural = "demo logins"

    def __str__(self) -> str:
        return str(self.user)
