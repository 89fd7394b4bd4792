"""No app holds more than 30% of the application code (scripts/app_sizes.py; issue 15's smaller rooms)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_no_app_holds_more_than_30_percent_of_the_application_code():
    result = subprocess.run(
        [sys.executable, "scripts/app_sizes.py"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "plans" in result.stdout and "bcf_portal" in result.stdout and "total" in result.stdout


def test_the_size_check_fails_an_app_over_the_limit():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import app_sizes
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    counts = dict.fromkeys([*app_sizes.APPS, *app_sizes.WIRING], 100)
    assert app_sizes.too_big(counts) == []
    counts["plans"] = 600  # 600 of 1,400 lines: 43%
    assert app_sizes.too_big(counts) == ["plans"]
