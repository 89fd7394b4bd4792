"""Malformed return workbooks are refused with errors naming the sheet and cell, and change nothing."""

import io
import zipfile
from decimal import Decimal

import pytest

from finance.workbook import render_plan_workbook
from monitoring import services
from monitoring.workbook import return_workbook_bytes
from monitoring.workbook_import import STALE
from tests.monitoring.conftest_wb import (
    CONDITIONS,
    FINANCE,
    METRICS,
    build_return_cast,
    exported,
    refused,
    xlsx,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def rc(db):
    return build_return_cast()


@pytest.fixture
def as_commissioner(rc, client):
    client.force_login(rc.commissioner)
    return rc, client


def edited(ret, sheet: str, cell: str, value) -> bytes:
    wb = exported(ret)
    wb[sheet][cell] = value
    return xlsx(wb)


def test_another_areas_workbook_is_refused(as_commissioner):
    rc, client = as_commissioner
    errors = refused(client, rc.ret, edited(rc.ret, "Cover", "B6", "E09000003"))
    assert errors == [
        f"Cover!B6: This workbook is for another area (E09000003), not {rc.ret.plan.hwb_area.ons_code}. "
        "Upload this area's workbook"
    ]


def test_another_periods_workbook_is_refused(as_commissioner):
    rc, client = as_commissioner
    q2 = services.start_return(user=rc.commissioner, plan=rc.ret.plan, period=rc.periods["q2-2017-18"])
    errors = refused(client, rc.ret, return_workbook_bytes(q2))
    assert any(
        e.startswith("Cover!B8: This workbook is for another period (q2-2017-18), not q1-2017-18") for e in errors
    )


def test_another_rounds_workbook_is_refused(as_commissioner):
    rc, client = as_commissioner
    errors = refused(client, rc.ret, edited(rc.ret, "Cover", "B7", "2014-15"))
    assert errors[0].startswith("Cover!B7: This workbook is for another planning round (2014-15)")


def test_a_plan_workbook_uploaded_as_a_return_is_refused(as_commissioner):
    rc, client = as_commissioner
    errors = refused(client, rc.ret, render_plan_workbook(rc.ret.plan))
    assert errors == [
        "Cover!B3: This is a plan's Part 2 workbook, not a monitoring return. "
        "Upload the workbook exported from this return"
    ]


@pytest.mark.parametrize(
    "data",
    [b"This is a letter, not a workbook.", b"PK\x03\x04" + b"\x00" * 200],
    ids=["not-xlsx", "corrupt-zip"],
)
def test_a_file_that_is_not_an_xlsx_or_a_corrupt_zip_is_refused(as_commissioner, data):
    rc, client = as_commissioner
    errors = refused(client, rc.ret, data)
    assert len(errors) == 1 and errors[0].startswith("The file: ")
    assert "not an Excel workbook" in errors[0] or "damaged" in errors[0]


def test_a_zip_bomb_is_refused_unopened(as_commissioner):
    rc, client = as_commissioner
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(return_workbook_bytes(rc.ret))) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bomb,
    ):
        for item in source.infolist():
            bomb.writestr(item, source.read(item))
        bomb.writestr("xl/media/zeros.bin", b"\x00" * 30_000_000)
    errors = refused(client, rc.ret, buffer.getvalue())
    assert errors == ["The file: The file expands to far more than its size (a zip bomb) and was not opened"]


def test_an_oversize_file_is_refused(as_commissioner, settings):
    rc, client = as_commissioner
    data = return_workbook_bytes(rc.ret)
    settings.MAX_UPLOAD_SIZE = len(data) - 1
    errors = refused(client, rc.ret, data)
    assert errors[0].startswith("The file: The file is") and "It must be smaller than" in errors[0]


def test_a_missing_sheet_is_refused(as_commissioner):
    rc, client = as_commissioner
    wb = exported(rc.ret)
    del wb[METRICS]
    errors = refused(client, rc.ret, xlsx(wb))
    assert errors == [
        f"Sheet '{METRICS}': The sheet is missing. Do not rename or remove sheets: export a new workbook and copy "
        "your figures into it"
    ]


def test_a_renamed_column_heading_is_refused(as_commissioner):
    rc, client = as_commissioner
    errors = refused(client, rc.ret, edited(rc.ret, FINANCE, "H1", "Actual"))
    assert len(errors) == 1
    assert errors[0].startswith(f"{FINANCE}!H1: The column heading should be 'Actual to period end £', not 'Actual'")


def test_reordered_columns_are_refused_at_each_moved_heading(as_commissioner):
    rc, client = as_commissioner
    wb = exported(rc.ret)
    ws = wb[FINANCE]
    ws["H1"], ws["I1"] = ws["I1"].value, ws["H1"].value
    errors = refused(client, rc.ret, xlsx(wb))
    assert [e.split(":")[0] for e in errors] == [f"{FINANCE}!H1", f"{FINANCE}!I1"]


def test_text_where_a_number_is_expected_is_refused(as_commissioner):
    rc, client = as_commissioner
    errors = refused(client, rc.ret, edited(rc.ret, FINANCE, "H2", "about a million"))
    assert errors == [f"{FINANCE}!H2: Enter an amount in pounds as a number, like 1250000"]


@pytest.mark.parametrize("amount", [-1, 100_000_000.01], ids=["negative", "over-max"])
def test_an_amount_outside_zero_to_the_maximum_is_refused(as_commissioner, amount):
    rc, client = as_commissioner
    errors = refused(client, rc.ret, edited(rc.ret, FINANCE, "I3", amount))
    assert errors == [f"{FINANCE}!I3: Enter an amount between £0 and £100,000,000"]


def test_an_added_row_or_unknown_line_reference_is_refused(as_commissioner):
    rc, client = as_commissioner
    wb = exported(rc.ret)
    ws = wb[FINANCE]
    last = ws.max_row + 1
    ws[f"A{last}"] = "expenditure:made-up"
    ws[f"D{last}"] = "A scheme added offline"
    ws[f"H{last}"] = 500
    ws["A2"] = "income:income-999"
    errors = refused(client, rc.ret, xlsx(wb))
    assert [e.split(":")[0] for e in errors] == [f"{FINANCE}!A2", f"{FINANCE}!A{last}"]
    assert (
        "This row is not one of the return's income and expenditure lines (reference 'income:income-999')" in errors[0]
    )


def test_a_yes_no_cell_with_other_text_is_refused(as_commissioner):
    rc, client = as_commissioner
    errors = refused(client, rc.ret, edited(rc.ret, CONDITIONS, "E2", "Maybe"))
    assert errors == [f"{CONDITIONS}!E2: Enter Yes or No. The cell holds 'Maybe'"]


def test_an_invalid_date_is_refused(as_commissioner):
    rc, client = as_commissioner
    wb = exported(rc.ret)
    wb[CONDITIONS]["E2"] = "No"
    wb[CONDITIONS]["F2"] = "31/02/2018"
    errors = refused(client, rc.ret, xlsx(wb))
    assert errors == [f"{CONDITIONS}!F2: Enter a real date, like 31/12/2017"]


def test_a_cover_of_another_format_version_is_refused(as_commissioner):
    rc, client = as_commissioner
    errors = refused(client, rc.ret, edited(rc.ret, "Cover", "B4", "0"))
    assert errors == [
        "Cover!B4: The workbook is in format 0; the portal now reads format 1. Export a new workbook, copy your "
        "figures into it and try again"
    ]


def test_an_older_export_does_not_overwrite_a_newer_change(as_commissioner):
    rc, client = as_commissioner
    first, second = list(rc.ret.lines.order_by("kind", "order"))[:2]
    old = exported(rc.ret)
    # Someone else enters the first line's actual after the export...
    services.save_lines(
        user=rc.commissioner, ret=rc.ret, changes=[services.LineChange(first.pk, first.version, Decimal(700), None, "")]
    )
    # ...and the old workbook, with that line still blank, changes the second line.
    old[FINANCE]["H3"] = 900
    errors = refused(client, rc.ret, xlsx(old))
    assert errors == [f"{FINANCE}!H2: {STALE}"]
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.actual == Decimal(700) and second.actual is None


def test_every_error_in_the_workbook_is_reported_at_once(as_commissioner):
    rc, client = as_commissioner
    wb = exported(rc.ret)
    wb[FINANCE]["H2"] = "lots"
    wb[FINANCE]["I2"] = -5
    wb[METRICS]["H2"] = "Perhaps"
    errors = refused(client, rc.ret, xlsx(wb))
    assert [e.split(":")[0] for e in errors] == [f"{FINANCE}!H2", f"{FINANCE}!I2", f"{METRICS}!H2"]
