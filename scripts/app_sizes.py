"""How the application code is shared between the apps: Python lines per app, migrations excluded.

    python scripts/app_sizes.py            # prints the table; exits 1 if an app holds more than 30%

The apps are the project's Django apps; bcf_portal (settings, URLs, Celery) counts in the total as
wiring. Tests, scripts, bench and loadtest are not application code. tests/test_app_sizes.py runs
this in the suite, so no app quietly grows back into the one big room plans/ was (issue 15).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ["rounds", "accounts", "plans", "schemes", "metrics", "finance", "governance", "demo"]
WIRING = ["bcf_portal"]
LIMIT = 0.30


def lines_of(package: str) -> int:
    return sum(
        len(path.read_text(encoding="utf-8").splitlines())
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.relative_to(ROOT).parts
    )


def sizes() -> dict[str, int]:
    return {package: lines_of(package) for package in APPS + WIRING}


def too_big(counts: dict[str, int], limit: float = LIMIT) -> list[str]:
    total = sum(counts.values())
    return [app for app in APPS if counts[app] > limit * total]


def report(counts: dict[str, int]) -> str:
    total = sum(counts.values())
    rows = [f"{name:<12}{lines:>7}{lines / total:>8.1%}" for name, lines in counts.items()]
    return "\n".join([f"{'app':<12}{'lines':>7}{'share':>8}", *rows, f"{'total':<12}{total:>7}"])


def main() -> int:
    counts = sizes()
    print(report(counts))
    if over := too_big(counts):
        print(f"More than {LIMIT:.0%} of the application code is in: {', '.join(over)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
