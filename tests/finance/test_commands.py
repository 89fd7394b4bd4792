"""export_plan and import_part2 for operations and scripting: output, dry run, errors and exit status."""

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from finance.models import IncomeLine

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_export_plan_writes_the_workbook(bd_plan, tmp_path, capsys):
    out = tmp_path / "bd.xlsx"
    call_command("export_plan", "--area", "E09000002", "--round", "2017-19", "--format", "xlsx", "--out", str(out))
    wb = openpyxl.load_workbook(out)
    assert wb["Identification"]["B1"].value == "E09000002"
    assert "Wrote" in capsys.readouterr().out
    assert list(tmp_path.glob("*.part")) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--area", "E09999999", "--round", "2017-19", "--format", "xlsx"], "no plan for area E09999999"),
        (["--area", "E09000002", "--round", "2017-19", "--format", "docx"], "Unknown format 'docx'"),
    ],
)
def test_export_plan_errors(bd_plan, tmp_path, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("export_plan", *args, "--out", str(tmp_path / "x"))


def test_import_part2_dry_run_prints_changes_and_saves_nothing(bd_plan, tmp_path, capsys):
    out = tmp_path / "bd.xlsx"
    call_command("export_plan", "--area", "E09000002", "--round", "2017-19", "--format", "xlsx", "--out", str(out))
    wb = openpyxl.load_workbook(out)
    wb["Income"]["C2"] = 1_500_000
    wb.save(out)
    call_command("import_part2", "--area", "E09000002", "--round", "2017-19", str(out), "--dry-run")
    printed = capsys.readouterr().out
    assert "changed" in printed and "£1,500,000" in printed and "1 line(s) would change." in printed
    plan, _ = bd_plan
    assert not IncomeLine.objects.filter(plan=plan, amount=Decimal(1_500_000)).exists()
    call_command("import_part2", "--area", "E09000002", "--round", "2017-19", str(out))
    assert IncomeLine.objects.filter(plan=plan, amount=Decimal(1_500_000)).count() == 1


def test_import_part2_prints_cell_errors_and_fails(bd_plan, tmp_path, capsys):
    out = tmp_path / "bd.xlsx"
    call_command("export_plan", "--area", "E09000002", "--round", "2017-19", "--format", "xlsx", "--out", str(out))
    wb = openpyxl.load_workbook(out)
    wb["Income"]["C2"] = -1
    wb.save(out)
    with pytest.raises(CommandError, match="Nothing changed"):
        call_command("import_part2", "--area", "E09000002", "--round", "2017-19", str(out), "--dry-run")
    assert "Income!C2: Enter an amount of £0 or more" in capsys.readouterr().err


@pytest.mark.django_db(transaction=True)
def test_commands_exit_non_zero_on_error(bd_plan, tmp_path):
    """Run as real processes, as scripts do, against the test database: errors give a non-zero exit status."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bcf_portal.settings_test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
    }
    bad = tmp_path / "bad.xlsx"
    bad.write_text("not a workbook")

    def run(*args):
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )

    result = run("import_part2", "--area", "E09000002", "--round", "2017-19", str(bad), "--dry-run")
    assert result.returncode != 0
    assert "The file: The file is not an Excel workbook (.xlsx)" in result.stderr
    result = run("export_plan", "--area", "E09999999", "--round", "2017-19", "--format", "xlsx", "--out", str(bad))
    assert result.returncode != 0 and "no plan for area E09999999" in result.stderr
    good = tmp_path / "good.xlsx"
    result = run("export_plan", "--area", "E09000002", "--round", "2017-19", "--format", "xlsx", "--out", str(good))
    assert result.returncode == 0, result.stderr
    assert run("import_part2", "--area", "E09000002", "--round", "2017-19", str(good), "--dry-run").returncode == 0


def test_export_plan_serves_every_registered_format_including_pdf(demo_data, tmp_path):
    out = tmp_path / "plymouth.pdf"
    call_command("export_plan", "--area", "E06000026", "--round", "2014-15", "--format", "pdf", "--out", str(out))
    assert out.read_bytes().startswith(b"%PDF")
