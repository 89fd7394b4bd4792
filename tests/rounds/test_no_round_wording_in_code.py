"""No round's wording in Python or templates (issue 17): it comes from the round's fixture.

These strings were once hard-coded and printed in every round's pages: an old round's NHS body,
example dates and years from 2014–19 in form hints, and the 2014/15 template's column titles.
"""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

ONCE_HARD_CODED = [
    "CCG or ICB",  # the contributor under every NHS funding stream
    "NHS (CCG)",
    "NHS (ICB)",
    "31 3 2015",  # condition target date hint
    "8 9 2017",  # date signed hint
    "4 4 2014",  # round deadline hints
    "19 9 2014",
    "2016/17",  # metric baseline period hint
    "2018/19",  # planned period hint
    "Document or information title",  # 2014/15 documents table
    "Synopsis and links",
    "Mitigating Actions",  # 2014/15 risks table (its capital A)
]


def _apps() -> list[Path]:
    return sorted(p.parent for p in ROOT.glob("*/apps.py"))


def _code_files() -> list[Path]:
    files = [p for app in _apps() for p in app.rglob("*.py") if "migrations" not in p.parts]
    files += [p for p in (ROOT / "templates").rglob("*") if p.is_file()]
    return files


def test_the_scan_covers_the_apps_and_templates():
    names = {app.name for app in _apps()}
    assert {"rounds", "plans", "governance", "metrics", "finance", "schemes", "accounts"} <= names
    files = _code_files()
    assert ROOT / "plans" / "forms.py" in files
    assert ROOT / "templates" / "plans" / "table_section.html" in files


@pytest.mark.parametrize("wording", ONCE_HARD_CODED)
def test_round_wording_is_not_in_code(wording):
    found = [str(path.relative_to(ROOT)) for path in _code_files() if wording in path.read_text(encoding="utf-8")]
    assert not found, f"{wording!r} belongs in a round fixture (labels), not in {', '.join(found)}"
