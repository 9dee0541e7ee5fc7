import pytest

from bench import imports as bench_imports
from customers.models import Customer

pytestmark = pytest.mark.django_db


def test_the_import_benchmark_runs_and_cleans_up(capsys):
    assert bench_imports.main(["--rows", "200"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert [line.split("  ")[0] for line in lines[2:]] == [
        "csv: import (new)",
        "csv: import (all update)",
        "csv: export customers",
        "csv: export customers",
    ]
    assert "190 created, 0 updated, 10 merged, 0 failed" in lines[2]
    assert "0 created, 190 updated, 10 merged, 0 failed" in lines[3]
    assert Customer.objects.count() == 0
