"""One small upload cannot exhaust the server: the work per upload is bounded before anything is parsed.

Each hostile workbook is uploaded through both paths that open a workbook (the web import and the
`import_part2` command) in a fresh process, which reports the upload's time and its peak memory.
"""

import io
import json
import os
import random
import re
import resource
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.db import connection

from finance import workbook, workbook_import
from finance.selectors import part_two_for_plan, workbook_content_hash
from finance.workbook_import import WorkbookRejected, diff_workbook, read_workbook
from tests.finance.hostile_workbooks import (
    a_million_cells_on_an_unread_sheet,
    a_million_shared_strings,
    at_every_limit,
    cells_far_beyond_an_undeclared_sheet,
    cells_far_beyond_the_sheet,
    rewritten,
    sheet_part,
)

ROOT = Path(__file__).resolve().parents[2]
SECONDS = 5
PEAK_BYTES = 300 * 1024 * 1024
# A regression must fail the test, not take the shared machine's memory with it.
ADDRESS_SPACE_CAP = 3 * 1024 * 1024 * 1024


def database_url_of_this_run() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def upload_in_a_fresh_process(path: str, data: bytes | None, plan, user, tmp_path) -> dict:
    file = tmp_path / "upload.xlsx"
    if data is not None:
        file.write_bytes(data)
    env = {
        **os.environ,
        "DATABASE_URL": database_url_of_this_run(),
        "DJANGO_SETTINGS_MODULE": "bcf_portal.settings_test",
        "ALLOWED_HOSTS": "testserver",
    }
    command = [sys.executable, "-m", "tests.finance.import_probe", path, str(file)]
    command += [plan.hwb_area.ons_code, plan.round.slug, user.email]
    result = subprocess.run(
        command,
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_CAP, ADDRESS_SPACE_CAP)),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


HOSTILE = [
    # (builder, words the refusal must contain)
    (cells_far_beyond_the_sheet, "The sheet says it reaches XFD1000"),
    (cells_far_beyond_an_undeclared_sheet, "The sheet has a cell at XFD2"),
    (a_million_cells_on_an_unread_sheet, f"more than {workbook_import.MAX_CELLS:,} cells"),
    (a_million_shared_strings, f"more than {workbook_import.MAX_SHARED_STRINGS:,} pieces of text"),
]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["web", "command"])
@pytest.mark.parametrize(("build", "words"), HOSTILE, ids=[h[0].__name__ for h in HOSTILE])
def test_one_small_upload_cannot_exhaust_the_server(path, build, words, bd_plan, tmp_path):
    plan, user = bd_plan
    data = build(workbook.render_plan_workbook(plan))
    assert len(data) < 10 * 1024 * 1024  # within the upload limit: only the work inside is hostile
    before = workbook_content_hash(part_two_for_plan(plan))

    outcome = upload_in_a_fresh_process(path, data, plan, user, tmp_path)
    print(
        f"{build.__name__} via {path}: {outcome['seconds']:.2f} s ({outcome['cpu_seconds']:.2f} s CPU), "
        f"{outcome['peak_bytes'] / 1048576:.0f} MB"
    )

    assert outcome["seconds"] < SECONDS, outcome["seconds"]
    assert outcome["peak_bytes"] < PEAK_BYTES, outcome["peak_bytes"] / 1048576
    assert outcome["status"] == (400 if path == "web" else 1)
    assert words in outcome["text"]
    assert workbook_content_hash(part_two_for_plan(plan)) == before


def scan(data: bytes) -> workbook_import.PartsScan:
    counted = workbook_import.PartsScan(zipfile.ZipFile(io.BytesIO(data)))
    counted.run()
    return counted


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["web", "command"])
def test_a_workbook_at_every_limit_is_read_in_full_within_5_seconds_and_300_mb(path, bd_plan, tmp_path):
    """The limits themselves keep every upload that passes them within the bounds."""
    plan, user = bd_plan
    data = at_every_limit(workbook.render_plan_workbook(plan), part_two_for_plan(plan), scan)
    counted = scan(data)
    assert counted.cells > 0.99 * workbook_import.MAX_CELLS
    assert counted.other_elements > 0.99 * workbook_import.MAX_OTHER_ELEMENTS
    assert counted.strings > 0.99 * workbook_import.MAX_SHARED_STRINGS
    assert counted.elements > 0.99 * workbook_import.MAX_XML_ELEMENTS

    outcome = upload_in_a_fresh_process(path, data, plan, user, tmp_path)
    print(
        f"at every limit via {path}: {outcome['seconds']:.2f} s ({outcome['cpu_seconds']:.2f} s CPU), "
        f"{outcome['peak_bytes'] / 1048576:.0f} MB"
    )

    assert outcome["seconds"] < SECONDS, outcome["seconds"]
    assert outcome["peak_bytes"] < PEAK_BYTES, outcome["peak_bytes"] / 1048576
    # Read to the last row: the repeated income line is refused on every row after the first.
    last = f"A{workbook_import.MAX_ROWS}"
    assert f"Income!{last}: " in outcome["text"] or f'<td class="govuk-table__cell">{last}</td>' in outcome["text"]


@pytest.mark.django_db(transaction=True)
def test_import_part2_reads_no_more_of_a_huge_file_than_the_upload_limit(bd_plan, tmp_path):
    """The command read the whole file before checking its size; a 3 GB file took 3 GB."""
    plan, user = bd_plan
    with open(tmp_path / "upload.xlsx", "wb") as huge:
        huge.write(workbook.render_plan_workbook(plan))
        huge.truncate(3 * 1024**3)  # sparse: no disk is used
    outcome = upload_in_a_fresh_process("command", None, plan, user, tmp_path)
    assert outcome["seconds"] < SECONDS and outcome["peak_bytes"] < PEAK_BYTES, outcome
    assert outcome["status"] == 1 and "It must be smaller than 10 MB" in outcome["text"]


# --- Each limit on its own, in this process -------------------------------------------------


def with_sheet_xml(data: bytes, title: str, change) -> bytes:
    return rewritten(data, {sheet_part(data, title): lambda old: [change(old.decode()).encode()]})


def a_row_below_the_last(data):
    row = workbook_import.MAX_ROWS + 1
    return with_sheet_xml(data, "Risks", lambda xml: xml.replace("</sheetData>", f'<row r="{row}"/></sheetData>'))


def a_text_longer_than_a_cell_holds(data):
    text = "x" * (workbook_import.MAX_CELL_TEXT + 1)
    cell = f'<row r="40"><c r="A40" t="inlineStr"><is><t>{text}</t></is></c></row>'
    return with_sheet_xml(data, "Cover", lambda xml: xml.replace("</sheetData>", f"{cell}</sheetData>"))


def more_text_than_a_part_2_workbook_needs(data):
    """200 cells of 30,000 random letters each: 6 million characters, none of them too long for a cell."""
    letters = random.Random(14)
    text = "".join(letters.choice("abcd") for _ in range(30_000))
    cells = "".join(
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>{r}{text}</t></is></c></row>' for r in range(40, 240)
    )
    return with_sheet_xml(data, "Cover", lambda xml: xml.replace("</sheetData>", f"{cells}</sheetData>"))


def thousands_of_styles(data):
    formats = "".join(f'<xf numFmtId="{n % 50}" fontId="0" fillId="0" borderId="0"/>' for n in range(5000))
    return rewritten(
        data, {"xl/styles.xml": lambda old: [old.decode().replace("</cellXfs>", f"{formats}</cellXfs>", 1).encode()]}
    )


LIMITS = [
    (a_row_below_the_last, "Risks", f"The sheet has a row {workbook_import.MAX_ROWS + 1:,}"),
    (a_text_longer_than_a_cell_holds, "Cover", "A cell holds more than 32,767 characters"),
    (more_text_than_a_part_2_workbook_needs, "", "more than 5,000,000 characters of text"),
    (thousands_of_styles, "", "far more formatting, names or other content"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("build", "sheet", "words"), LIMITS, ids=[c[0].__name__ for c in LIMITS])
def test_each_limit_is_checked_on_every_sheet_before_the_workbook_is_opened(build, sheet, words, bd_plan):
    plan, _ = bd_plan
    with pytest.raises(WorkbookRejected) as rejected:
        read_workbook(build(workbook.render_plan_workbook(plan)), plan)
    [error] = rejected.value.errors
    assert error.sheet == sheet and words in error.message


@pytest.mark.django_db
def test_rows_below_a_sheets_declared_size_are_still_read(bd_plan):
    """Read-only mode trusts a sheet's declared size unless told not to; a line below it must not be lost."""
    plan, _ = bd_plan
    data = workbook.render_plan_workbook(plan)
    understated = with_sheet_xml(
        data, "Income", lambda xml: re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:B2"', xml)
    )
    part = part_two_for_plan(plan)
    assert len(read_workbook(understated, plan, part).income) == len(read_workbook(data, plan, part).income) > 1
    assert diff_workbook(part, read_workbook(understated, plan, part)) == []
