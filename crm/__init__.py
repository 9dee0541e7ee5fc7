from crm.celery import app as celery_app

# The one version users cite: also [project] version in pyproject.toml (a test
# keeps them equal) and the first entry of CHANGELOG.md. Shown in /healthz and
# the admin's footer.
__version__ = "0.10.0"

__all__ = ["__version__", "celery_app"]
