"""Bulk import of reference data: preview, all-or-nothing, row- and column-addressed errors, bounds, the command."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from accounts.models import Membership
from rounds import config
from rounds.models import Allocation, HwbArea, Organisation, PlanningRound
from rounds.reference_import import MAX_CSV_ROWS, ReferenceRejected, apply_reference, read_reference
from tests.factories import MembershipFactory, UserFactory
from tests.governance import national_files as files

pytestmark = pytest.mark.django_db


def _b(text: str) -> bytes:
    return text.encode()


@pytest.fixture
def rnd(shipped_rounds):
    return PlanningRound.objects.get(slug="2014-15")


@pytest.fixture
def loaded(rnd):
    apply_reference("areas", _b(files.areas_csv()), "areas.csv")
    apply_reference("organisations", _b(files.organisations_csv()), "organisations.csv")
    apply_reference("allocations", _b(files.allocations_csv()), "allocations.csv", rnd)
    return rnd


def test_areas_organisations_and_allocations_of_150_areas_are_imported(loaded):
    assert HwbArea.objects.filter(ons_code__startswith="E061").count() == 150
    area = HwbArea.objects.get(ons_code=files.ons(7))
    assert (area.name, area.region.code) == ("Testshire 007", files.REGIONS[0])
    icb = Organisation.objects.get(name="NHS Testshire ICB 001")
    assert icb.kind == "icb" and icb.hwb_areas.count() == 10
    assert Allocation.objects.filter(round=loaded, hwb_area__ons_code__startswith="E061").count() == 600
    assert Allocation.objects.get(
        round=loaded, hwb_area=area, key="minimum_pool", year__label="2015/16"
    ).amount == Decimal("1007000.00")


def test_the_preview_lists_what_would_be_added_changed_and_removed_and_writes_nothing(loaded):
    rows = files.allocation_rows()
    rows[0][3] = "999.99"  # changed
    del rows[1]  # removed
    rows.append([files.ons(1), "dfg-capital", "2014/15", "12345"])  # added
    data = _b(files._csv(files.ALLOCATION_HEADER, rows))
    before = list(Allocation.objects.order_by("pk").values_list("pk", "amount"))
    preview = read_reference("allocations", data, "a.csv", loaded)
    assert preview.counts == {"added": 1, "changed": 1, "removed": 1}
    described = {c.kind: c.description for c in preview.changes}
    assert described["changed"] == f"{files.ons(1)} 2014/15 minimum_pool: £1,001,000.00 → £999.99"
    assert described["added"] == f"{files.ons(1)} 2014/15 dfg-capital: £12,345.00"
    assert "ccg-minimum" in described["removed"]
    assert list(Allocation.objects.order_by("pk").values_list("pk", "amount")) == before
    apply_reference("allocations", data, "a.csv", loaded)
    assert read_reference("allocations", data, "a.csv", loaded).changes == []


def test_organisations_valid_for_a_range_of_rounds_and_their_areas_change(loaded):
    later = PlanningRound.objects.get(slug="2017-19")
    data = files.organisations_csv(ccg_last_round="2014-15", icb_first_round="2017-19")
    preview = read_reference("organisations", _b(data), "o.csv")
    assert preview.counts["changed"] == 150 + 15 and preview.counts["added"] == 0
    apply_reference("organisations", _b(data), "o.csv")
    area = HwbArea.objects.get(ons_code=files.ons(3))
    offered = {r.slug: {o.kind for o in config.round_config(r.pk).organisations[area.pk]} for r in (loaded, later)}
    assert offered == {"2014-15": {"local_authority", "ccg"}, "2017-19": {"local_authority", "icb"}}


def test_every_bad_row_is_refused_by_row_and_column_and_nothing_is_written(loaded):
    data, expected = files.allocations_with_five_errors_csv()
    before = Allocation.objects.count()
    with pytest.raises(ReferenceRejected) as rejected:
        apply_reference("allocations", _b(data), "a.csv", loaded)
    messages = [str(e) for e in rejected.value.errors]
    assert len(messages) == 5
    for where, message in zip(expected, messages, strict=True):
        assert message.startswith(where), (where, message)
    text = "\n".join(messages)
    assert "No HWB area has the ONS code ‘E06999998’" in text
    assert "‘ccg_minimum’ is not an allocation of" in text and "ccg-minimum" in text
    assert "‘2017/18’ is not a year of" in text and "2014/15, 2015/16" in text
    assert "Enter an amount of £0 or more" in text
    assert "is already in row 12" in text
    assert Allocation.objects.count() == before


@pytest.mark.parametrize(
    ("amount", "message"),
    [("lots", "Enter an amount in pounds"), ("-1", "Enter an amount of £0 or more"), ("", "Enter an amount")],
)
def test_an_amount_that_is_not_a_number_of_pounds_is_refused(loaded, amount, message):
    data = _b(files._csv(files.ALLOCATION_HEADER, [[files.ons(1), "minimum_pool", "2014/15", amount]]))
    with pytest.raises(ReferenceRejected) as rejected:
        read_reference("allocations", data, "a.csv", loaded)
    assert str(rejected.value.errors[0]).startswith("Row 2, column D (amount): " + message)


def test_area_and_organisation_rows_are_checked(rnd):
    areas = (
        "ons_code,name,region\nE0610000X,Bad code,Y56\nE06100001,Fine,Nowhere\nE06100002,Dup,Y56\nE06100002,Dup2,Y56\n"
    )
    with pytest.raises(ReferenceRejected) as rejected:
        read_reference("areas", _b(areas), "areas.csv")
    messages = [str(e) for e in rejected.value.errors]
    assert messages[0].startswith("Row 2, column A (ons_code): Enter an ONS code like E06000026")
    assert messages[1].startswith("Row 3, column C (region): ‘Nowhere’ is not a region")
    assert messages[2].startswith("Row 5, column A (ons_code): The area E06100002 is already in row 4")
    orgs = "name,kind,hwb_areas,last_round\nNHS X,trust,E09999999,1999\n"
    with pytest.raises(ReferenceRejected) as rejected:
        read_reference("organisations", _b(orgs), "o.csv")
    messages = [str(e) for e in rejected.value.errors]
    assert [m.split(":")[0] for m in messages] == [
        "Row 2, column B (kind)",
        "Row 2, column C (hwb_areas)",
        "Row 2, column D (last_round)",
    ]


def test_a_file_without_the_headings_or_of_another_type_is_refused(rnd):
    with pytest.raises(ReferenceRejected, match="Missing: region"):
        read_reference("areas", b"ons_code,name\nE06100001,X\n", "a.csv")
    with pytest.raises(ReferenceRejected, match="must be a CSV file"):
        read_reference("areas", b"%PDF-1.4", "a.pdf")


def test_the_upload_is_bounded_before_it_is_parsed(rnd, settings):
    too_many_lines = b"ons_code,name,region\n" + b"\n" * MAX_CSV_ROWS
    with pytest.raises(ReferenceRejected, match="more than the 5,000 an import may have"):
        read_reference("areas", too_many_lines, "a.csv")
    settings.MAX_UPLOAD_SIZE = 1000
    with pytest.raises(ReferenceRejected, match="must be smaller than"):
        read_reference("areas", b"x" * 2000, "a.csv")


def test_an_xlsx_file_is_read_through_the_bounded_workbook_reader(rnd):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["ONS code", "Name", "Region"])
    sheet.append([files.ons(1), "Testshire 001", "London"])
    sheet["XFD2000"] = "far away"  # beyond the bounded reader's limits: refused before openpyxl reads it
    out = io.BytesIO()
    workbook.save(out)
    with pytest.raises(ReferenceRejected, match="nothing beyond column"):
        read_reference("areas", out.getvalue(), "areas.xlsx")
    del sheet["XFD2000"]
    sheet.delete_rows(3, 2000)
    workbook2 = openpyxl.Workbook()
    workbook2.active.append(["ONS code", "Name", "Region"])
    workbook2.active.append([files.ons(1), "Testshire 001", "London"])
    out = io.BytesIO()
    workbook2.save(out)
    preview = read_reference("areas", out.getvalue(), "areas.xlsx")
    assert [c.description for c in preview.changes] == [f"{files.ons(1)} Testshire 001 (London)"]


def test_the_command_imports_and_dry_runs(rnd, tmp_path, capsys):
    path = tmp_path / "areas.csv"
    path.write_text(files.areas_csv(5))
    call_command("import_reference", "areas", str(path), "--dry-run")
    assert "Would import: 5 added" in capsys.readouterr().out
    assert not HwbArea.objects.filter(ons_code=files.ons(1)).exists()
    call_command("import_reference", "areas", str(path))
    assert HwbArea.objects.filter(ons_code__startswith="E061").count() == 5
    alloc = tmp_path / "allocations.csv"
    data, _ = files.allocations_with_five_errors_csv(5)
    alloc.write_text(data)
    with pytest.raises(CommandError, match="5 problem"):
        call_command("import_reference", "allocations", str(alloc), "--round", "2014-15")
    assert "Row 3, column B (key)" in capsys.readouterr().err
    with pytest.raises(CommandError, match="--round"):
        call_command("import_reference", "allocations", str(alloc))


def test_the_import_page_previews_then_imports_and_refuses_others(client, rnd):
    admin = MembershipFactory(role=Membership.Role.NATIONAL_ADMIN, hwb_area=None).user
    client.force_login(admin)
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("areas.csv", _b(files.areas_csv(3)), content_type="text/csv")
    page = client.post("/national/import/", {"what": "areas", "file": upload})
    assert page.status_code == 200 and "3 added, 0 changed, 0 removed" in page.content.decode()
    assert not HwbArea.objects.filter(ons_code=files.ons(1)).exists()
    done = client.post("/national/import/confirm/", follow=True)
    assert "HWB areas imported from areas.csv: 3 added" in done.content.decode()
    assert HwbArea.objects.filter(ons_code__startswith="E061").count() == 3

    bad, _ = files.allocations_with_five_errors_csv(3)
    upload = SimpleUploadedFile("a.csv", _b(bad), content_type="text/csv")
    page = client.post("/national/import/", {"what": "allocations", "round": "2014-15", "file": upload})
    assert page.status_code == 400
    text = page.content.decode()
    assert "The file was not imported" in text and "B (key)" in text and "is not an allocation of" in text

    commissioner = MembershipFactory(role=Membership.Role.COMMISSIONER).user
    client.force_login(commissioner)
    upload = SimpleUploadedFile("areas.csv", _b(files.areas_csv(5)), content_type="text/csv")
    assert client.post("/national/import/", {"what": "areas", "file": upload}).status_code == 403
    assert HwbArea.objects.filter(ons_code__startswith="E061").count() == 3
    assert UserFactory  # factories used above
