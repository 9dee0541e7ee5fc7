"""What import-linter's contracts cannot see: a task module imports its
service only inside the task body (the contract ignores that deferred import,
so a top-level one would close a circle unnoticed)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TASK_MODULES = sorted(ROOT.glob("*/tasks.py"))
# What each app's services are: the modules that import `tasks` to queue work.
SERVICES = ("services", "delivery")


def top_level_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    names = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module:
            names += [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
    return names


def test_every_app_with_tasks_is_checked():
    apps = {path.parent.name for path in TASK_MODULES}

    assert {"surveys", "feedback", "webhooks", "idempotency"} <= apps


@pytest.mark.parametrize("path", TASK_MODULES, ids=lambda path: path.parent.name)
def test_a_task_module_imports_no_service_at_the_top(path):
    app = path.parent.name
    services = tuple(f"{app}.{name}" for name in SERVICES)

    assert [name for name in top_level_imports(path) if name.startswith(services)] == []


def test_the_check_sees_a_top_level_import_of_a_service(tmp_path):
    module = tmp_path / "tasks.py"
    module.write_text("from surveys.services.sending import dispatch\n")

    assert top_level_imports(module) == ["surveys.services.sending.dispatch"]
