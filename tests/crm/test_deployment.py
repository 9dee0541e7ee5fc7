"""What users deploy matches what is documented and what CI runs: every
setting reaches every container, every variable the settings read is
documented (and nothing else is), the image runs the commands that
`make prod-check` proves, and the version is one number."""

import ast
import functools
import importlib.util
import re
import runpy
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import gunicorn.config  # type: ignore[import-untyped]
import gunicorn.glogging  # type: ignore[import-untyped]
import pytest

import crm
from crm.checks import mail_leaves_the_machine

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = ["migrate", "web", "worker", "beat"]
# Read from os.environ by these helpers of crm/settings.py, or directly.
ENV_READERS = {"env_bool", "env_int", "env_list", "env_rate", "getenv"}


@functools.cache
def prod_check() -> ModuleType:
    """.ci/prod_check.py, whose readers of the deployment files CI uses."""
    spec = importlib.util.spec_from_file_location(
        "prod_check", ROOT / ".ci" / "prod_check.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Its dataclasses look their module up while they are built.
    sys.modules["prod_check"] = module
    # It imports attacks.py from its own folder, as when run as a script.
    sys.path.insert(0, str(ROOT / ".ci"))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(ROOT / ".ci"))
    return module


def variables_read_by_settings() -> set[str]:
    tree = ast.parse((ROOT / "crm" / "settings.py").read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            function = node.func
            reads = (isinstance(function, ast.Name) and function.id in ENV_READERS) or (
                isinstance(function, ast.Attribute)
                and function.attr in {"get", "getenv"}
                and ast.unparse(function.value) in {"os.environ", "os"}
            )
            first = node.args[0]
            if reads and isinstance(first, ast.Constant):
                names.add(str(first.value))
        if (
            isinstance(node, ast.Subscript)
            and ast.unparse(node.value) == "os.environ"
            and isinstance(node.slice, ast.Constant)
        ):
            names.add(str(node.slice.value))
    return names


def variables_in_env_example() -> set[str]:
    return set(prod_check().env_file(ROOT / ".env.example"))


def variables_in_readme_table() -> set[str]:
    """The first column of the README's configuration table."""
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("## Configuration") :]
    table = table[: table.index("\n## ")]
    names = set()
    for line in table.splitlines():
        if line.startswith("| `"):
            first_column = line.split("|")[1]
            names.update(re.findall(r"`([A-Z][A-Z0-9_]*)`", first_column))
    return names


def variables_compose_interpolates() -> set[str]:
    text = (ROOT / "docker-compose.yml").read_text()
    return set(re.findall(r"\$\{(\w+)", text))


def test_the_settings_reader_finds_the_variables_of_each_kind():
    # A check that finds nothing proves nothing: each way of reading appears.
    read = variables_read_by_settings()

    assert {"SECRET_KEY", "DEBUG", "SURVEY_THROTTLE_DAYS", "ALLOWED_HOSTS"} <= read
    assert {"API_TOKEN_RATE", "WEBHOOK_ALLOW_PRIVATE_URLS", "TIME_ZONE"} <= read


def test_every_variable_the_settings_read_is_in_env_example_and_the_readme():
    read = variables_read_by_settings()

    assert sorted(read - variables_in_env_example()) == []
    assert sorted(read - variables_in_readme_table()) == []


def test_neither_documents_a_variable_that_nothing_reads():
    read = variables_read_by_settings()
    # POSTGRES_PASSWORD: read by docker-compose.yml for its database.
    read_by_compose = variables_compose_interpolates()

    assert sorted(variables_in_env_example() - read - read_by_compose) == []
    assert sorted(variables_in_readme_table() - read) == []


def test_every_container_receives_every_variable_of_env_example():
    check = prod_check()
    dotenv = check.env_file(ROOT / ".env.example")
    # What the user fills in: compose refuses to start without them.
    dotenv.update(SECRET_KEY="a-secret", SMTP_URL="smtp://mail.example.com:25")

    for name in PROCESSES:
        received = check.service_environment(name, dotenv)
        assert sorted(set(dotenv) - set(received)) == [], name
        # Only the servers' addresses differ inside the containers.
        differing = {key for key in dotenv if received[key] != dotenv[key]}
        assert differing == {"DATABASE_URL", "REDIS_URL"}, name


def test_compose_keeps_only_what_must_differ_in_the_containers():
    services = prod_check().compose()["services"]

    for name in PROCESSES:
        assert services[name]["env_file"] == ".env", name
        environment = services[name]["environment"]
        # Besides the servers' addresses, only .env's own values, required.
        required = {
            key for key, value in environment.items() if value.startswith(f"${{{key}:?")
        }
        assert set(environment) - required == {"DATABASE_URL", "REDIS_URL"}, name
        assert required == {"SECRET_KEY", "SMTP_URL"}, name


def test_compose_refuses_to_start_without_a_secret_key_or_smtp_url():
    check = prod_check()
    dotenv = check.env_file(ROOT / ".env.example")  # as copied: no key

    with pytest.raises(check.CheckError, match=r"set SECRET_KEY in \.env"):
        check.service_environment("web", dotenv)


def test_the_image_runs_the_commands_that_prod_check_proves():
    check = prod_check()
    dockerfile = (ROOT / "Dockerfile").read_text()

    assert check.dockerfile_cmd() == check.service_command("web")
    collectstatic = " ".join(
        [
            *(f"{k}={v}" for k, v in check.COLLECTSTATIC_ENV.items()),
            *check.COLLECTSTATIC,
        ]
    )
    assert f"RUN {collectstatic}" in dockerfile
    assert "RUN pip install --require-hashes -r requirements.txt" in dockerfile
    assert check.service_command("worker")[:4] == ["celery", "-A", "crm", "worker"]
    assert check.service_command("beat")[:4] == ["celery", "-A", "crm", "beat"]
    assert check.service_command("migrate") == [
        "python",
        "manage.py",
        "migrate",
        "--noinput",
    ]


def gunicorn_settings() -> dict[str, object]:
    """What gunicorn reads from gunicorn.conf.py: its names that are
    settings' names (any other name is ignored)."""
    names = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    known = gunicorn.config.Config().settings
    return {name: value for name, value in names.items() if name in known}


def test_the_web_server_runs_with_the_gunicorn_config_in_the_image():
    check = prod_check()

    assert check.service_command("web") == [
        "gunicorn",
        "--config",
        "gunicorn.conf.py",
        "crm.wsgi",
    ]
    assert check.ignored_by_docker()(str(ROOT), ["gunicorn.conf.py"]) == set()


def test_the_gunicorn_config_serves_as_deployed_and_redacts_its_logs():
    config = gunicorn_settings()
    logger_class = config.pop("logger_class")

    assert config == {
        "bind": "0.0.0.0:8000",
        "workers": 3,
        "timeout": 120,
        "accesslog": "-",
    }
    assert isinstance(logger_class, type)
    assert issubclass(logger_class, gunicorn.glogging.Logger)
    assert logger_class.__name__ == "RedactingLogger"


def test_prod_check_names_a_secret_in_a_log_without_printing_it(tmp_path):
    check = prod_check()
    deployment = check.Deployment(work=tmp_path, python=sys.executable)
    (tmp_path / "logs").mkdir()
    token = "3f0a" * 16
    deployment.log_of("web").write_text(f'"GET /s/{token}/ HTTP/1.1" 200\n')
    deployment.log_of("worker").write_text("Mail to ada%40example.com\n")
    deployment.log_of("beat").write_text('"GET /s/…/ HTTP/1.1" 200\n')

    leaks = deployment.leaks(
        {"the survey token": token, "the email address": "ada@example.com"}
    )

    assert leaks == [
        "the survey token in the web log",
        "the email address in the worker log",
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("${NAME:-fallback}", "fallback"),
        ("${GIVEN:-fallback}", "given"),
        ("a-${GIVEN}-b", "a-given-b"),
        ("${EMPTY:-fallback}", "fallback"),
    ],
)
def test_the_compose_interpolation_of_prod_check(value, expected):
    variables = {"GIVEN": "given", "EMPTY": ""}

    assert prod_check().interpolate(value, variables) == expected


def test_a_required_compose_variable_that_is_missing_fails_prod_check():
    check = prod_check()

    with pytest.raises(check.CheckError, match="SECRET_KEY: set it"):
        check.interpolate("${SECRET_KEY:?set it}", {})


def test_the_version_is_one_number():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    changelog = (ROOT / "CHANGELOG.md").read_text()

    assert re.fullmatch(r"\d+\.\d+\.\d+", crm.__version__)
    assert project["version"] == crm.__version__
    [first_entry] = re.findall(r"^## (\S+)", changelog, flags=re.MULTILINE)[:1]
    assert first_entry == crm.__version__


def test_celery_redis_is_a_runtime_dependency():
    # kombu's Redis transport imports `packaging`, which only the extra brings.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime_lock = (ROOT / "requirements.txt").read_text()

    assert any(
        re.match(r"celery\[redis\]", dependency)
        for dependency in project["dependencies"]
    )
    assert re.search(r"^packaging==", runtime_lock, flags=re.MULTILINE)


def test_check_deploy_warns_when_mail_would_not_leave_the_machine(settings):
    settings.DEBUG = False
    settings.SMTP_URL = ""
    [warning] = mail_leaves_the_machine()
    assert warning.id == "touchloop.W001"

    settings.SMTP_URL = "smtp://mail.example.com:587"
    assert mail_leaves_the_machine() == []


def test_prod_check_fails_with_the_log_of_a_process_that_cannot_start(tmp_path):
    check = prod_check()
    deployment = check.Deployment(work=tmp_path, python=sys.executable)
    deployment.as_user = list  # the test's own files: no other user
    (tmp_path / "logs").mkdir()
    (tmp_path / "app").mkdir()
    deployment.envs["worker"] = {"PATH": "/usr/bin:/bin"}
    deployment.start("worker", [sys.executable, "-c", "import nobody_installed_it"])

    with pytest.raises(check.CheckError) as failure:
        deployment.ensure_running("worker", lambda: False)

    assert "worker exited with 1 at start" in str(failure.value)
    assert "No module named 'nobody_installed_it'" in str(failure.value)
