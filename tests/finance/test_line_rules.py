"""Per-line rules from the round: the NHS/LA split of joint lines, sub-types and planned outputs.

Each is written once (finance.rules, through finance.selectors.line_problems) and holds wherever a
line is written: the web form, the service and the workbook import. Ring-fences with a `share`
count a joint line by that share (issue 17: the out-of-hospital check left out the NHS share).
"""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from finance import rules, services, workbook
from finance.models import ExpenditureLine
from finance.selectors import part_two_for_plan
from finance.workbook_import import WorkbookRejected, diff_workbook, read_workbook
from governance.selectors import part1_document
from governance.snapshots import read_plan_snapshot
from rounds.models import CodeListEntry, RoundYear
from tests import factories as f

pytestmark = pytest.mark.django_db

KW = {"round_slug": "2017-19", "ons_code": "E09000002"}


# --- The rules on plain figures ---------------------------------------------------------------

JOINT = [rules.SplitRuleSpec(frozenset({"joint"}), frozenset({"ccg-minimum"}))]


def test_a_line_is_joint_by_its_commissioner_on_the_streams_the_rule_names():
    assert rules.is_joint(JOINT, "joint", "ccg-minimum") is True
    assert rules.is_joint(JOINT, "joint", "dfg") is False  # the rule applies on the CCG minimum only
    assert rules.is_joint(JOINT, "ccg", "ccg-minimum") is False
    assert rules.is_joint([], "joint", "ccg-minimum") is None  # a round with no rules: the split is optional


def test_a_split_is_required_on_a_joint_line_and_refused_on_any_other():
    assert rules.joint_percentage_problem(None, None, joint=True) == (
        "percent_nhs",
        "Enter the % NHS and % LA of this jointly commissioned line, adding up to 100",
    )
    field, message = rules.joint_percentage_problem(Decimal(60), Decimal(40), joint=False, commissioner="CCG")
    assert field == "percent_nhs"
    assert message.startswith("Leave % NHS and % LA blank: a line commissioned by CCG")
    assert rules.joint_percentage_problem(None, Decimal(40), joint=False)[0] == "percent_la"
    assert rules.joint_percentage_problem(Decimal(60), Decimal(30), joint=True) == (
        "percent_la",
        "% NHS and % LA must add up to 100",
    )
    assert rules.joint_percentage_problem(Decimal(60), Decimal(40), joint=True) is None
    assert rules.joint_percentage_problem(None, None, joint=False) is None
    assert rules.joint_percentage_problem(None, None, joint=None) is None


def line(commissioner, amount, percent_nhs=None, percent_la=None, **kwargs):
    return rules.ExpenditureFigure(
        label=f"Scheme {commissioner}",
        stream_key="ccg-minimum",
        area_of_spend="community-health",
        commissioner=commissioner,
        amounts={"2018/19": Decimal(amount)},
        percent_nhs=percent_nhs,
        percent_la=percent_la,
        **kwargs,
    )


def test_a_fence_with_a_share_counts_that_share_of_a_joint_line_whatever_its_commissioner():
    figures = rules.PartTwoFigures(
        years=["2018/19"],
        stream_names={"ccg-minimum": "CCG minimum"},
        expenditure=[
            line("ccg", 1_000_000),
            line("local-authority", 500_000),
            line("joint", 2_000_000, Decimal(60), Decimal(40)),
        ],
    )
    ooh = {"key": "ooh", "name": "Out of hospital", "stream_key": "ccg-minimum", "area_of_spend": None}
    ooh["commissioner"] = "ccg"
    assert rules.ring_fence_spend(figures, rules.RingFenceSpec(**ooh, share="nhs"), "2018/19") == 2_200_000
    # Without a share the fence counts only the lines its filters match, whole (the old behaviour).
    assert rules.ring_fence_spend(figures, rules.RingFenceSpec(**ooh), "2018/19") == 1_000_000
    la = {**ooh, "commissioner": None, "share": "la"}
    assert rules.ring_fence_spend(figures, rules.RingFenceSpec(**la), "2018/19") == 1_000_000 + 500_000 + 800_000


def test_planned_outputs_are_checked_only_where_the_scheme_type_has_a_unit():
    figures = rules.PartTwoFigures(years=["2018/19"], stream_names={}, expenditure=[line("ccg", 100)])
    assert rules.check_planned_outputs(figures) == []
    figures.expenditure.append(line("ccg", 100, output_unit="Packages"))
    [result] = rules.check_planned_outputs(figures)
    assert not result.passed
    assert result.message == "Scheme ccg has no planned output for 2018/19 (Packages): enter the planned output"
    figures.expenditure[-1] = line("ccg", 100, output_unit="Packages", outputs={"2018/19": Decimal(12)})
    assert rules.check_planned_outputs(figures)[0].passed


def test_sub_type_and_output_messages():
    assert rules.sub_type_problem("Reablement", ["At home", "In a bed"], None) == "Choose the sub-type of Reablement"
    assert rules.sub_type_problem("Other", [], None) is None
    assert rules.sub_type_problem("Other", [], "At home") == "Leave the sub-type blank: Other has no sub-types"
    assert rules.sub_type_problem("Reablement", ["At home"], "Telecare").startswith("Telecare is not a sub-type of")
    assert rules.planned_output_problem("Other", "", {"2018/19": Decimal(3)}, {"2018/19": Decimal(1)}) == (
        "2018/19",
        "Leave the planned outputs blank: Other has no output unit",
    )
    assert rules.planned_output_problem("Reablement", "Packages", {"2018/19": Decimal(3)}, {}) == (
        "2018/19",
        "Enter the amount for 2018/19 as well as its planned output, or clear the output",
    )


# --- A round with split rules, sub-types and output units ------------------------------------


@pytest.fixture
def round_lines(bd_plan):
    """B&D's plan, its round given a joint split rule and a scheme type with sub-types and a unit."""
    plan, user = bd_plan
    rnd = plan.round
    f.SplitRuleFactory(round=rnd, order=1, commissioners=["joint"])
    packages = f.OutputUnitFactory(round=rnd, key="packages", label="Packages")
    reablement = f.CodeListEntryFactory(
        round=rnd, list="scheme_type", code="reablement", label="Home-based reablement", output_unit=packages
    )
    subs = {
        code: f.CodeListEntryFactory(
            round=rnd, list=CodeListEntry.List.SCHEME_SUBTYPE, code=code, label=label, parent=reablement, order=i
        )
        for i, (code, label) in enumerate([("at-home", "Reablement at home"), ("step-up", "Step-up reablement")])
    }
    other_type = f.CodeListEntryFactory(round=rnd, list="scheme_type", code="hicm-2", label="HICM (no lines)")
    foreign_sub = f.CodeListEntryFactory(
        round=rnd, list=CodeListEntry.List.SCHEME_SUBTYPE, code="hicm-mdt", label="MDT", parent=other_type
    )
    codes = {(e.list, e.code): e for e in CodeListEntry.objects.filter(round=rnd)}
    years = list(RoundYear.objects.filter(round=rnd).order_by("order"))
    return plan, user, codes, subs, foreign_sub, years


def joint_line_values(codes, subs, years, plan, **changes):
    values = {
        "scheme_reference": "BD20",
        "scheme_name": "Home-based reablement",
        "scheme_type": codes[("scheme_type", "reablement")],
        "sub_type": subs["at-home"],
        "area_of_spend": codes[("area_of_spend", "community-health")],
        "commissioner": codes[("commissioner", "joint")],
        "percent_nhs": Decimal(60),
        "percent_la": Decimal(40),
        "provider": codes[("provider", "nhs-community")],
        "funding_stream": plan.round.funding_streams.get(key="ccg-minimum"),
        "is_new": True,
        "amounts": {years[0]: Decimal(400_000), years[1]: Decimal(410_000)},
        "outputs": {years[0]: Decimal(320), years[1]: Decimal("330.5")},
    }
    return {**values, **changes}


def test_the_service_saves_a_joint_line_with_its_split_sub_type_and_planned_outputs(round_lines):
    plan, user, codes, subs, _, years = round_lines
    saved = services.save_expenditure_line(user=user, plan=plan, **joint_line_values(codes, subs, years, plan))
    saved.refresh_from_db()
    assert (saved.percent_nhs, saved.percent_la, saved.sub_type) == (60, 40, subs["at-home"])
    assert [(a.amount, a.planned_output) for a in saved.amounts.all()] == [(400_000, 320), (410_000, Decimal("330.5"))]

    part = part_two_for_plan(plan)
    row = next(line for line in part.expenditure_lines if line.pk == saved.pk)
    assert row.sub_type.label == "Reablement at home" and row.output_unit == "Packages"
    assert part.outputs[saved.pk] == {"2017/18": 320, "2018/19": Decimal("330.5")}


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"percent_nhs": None, "percent_la": None}, "percent_nhs", "Enter the % NHS and % LA of this jointly"),
        ({"commissioner": ("commissioner", "ccg")}, "percent_nhs", "Leave % NHS and % LA blank"),
        ({"sub_type": None}, "sub_type", "Choose the sub-type of Home-based reablement"),
        ({"sub_type": "foreign"}, "sub_type", "MDT (of another type) is not a sub-type of Home-based reablement"),
        ({"scheme_type": ("scheme_type", "other"), "sub_type": None}, "planned_output", "has no output unit"),
    ],
    ids=["joint-without-split", "split-on-a-line-not-joint", "no-sub-type", "sub-type-of-another-type", "no-unit"],
)
def test_the_service_refuses_a_line_that_breaks_a_per_line_rule_naming_the_field(round_lines, changes, field, words):
    plan, user, codes, subs, foreign_sub, years = round_lines
    resolved = {}
    for key, value in changes.items():
        if isinstance(value, tuple):
            value = codes[value]
        elif value == "foreign":
            value = foreign_sub
        resolved[key] = value
    lines_before = ExpenditureLine.objects.filter(plan=plan).count()
    with pytest.raises(ValidationError) as error:
        services.save_expenditure_line(user=user, plan=plan, **joint_line_values(codes, subs, years, plan, **resolved))
    assert field in error.value.message_dict
    assert words in " ".join(error.value.message_dict[field])
    assert ExpenditureLine.objects.filter(plan=plan).count() == lines_before


def form_data(codes, subs, years, plan, **changes):
    values = joint_line_values(codes, subs, years, plan)
    data = {
        "scheme_reference": values["scheme_reference"],
        "scheme_name": values["scheme_name"],
        "scheme_type": values["scheme_type"].pk,
        "sub_type": values["sub_type"].pk,
        "area_of_spend": values["area_of_spend"].pk,
        "commissioner": values["commissioner"].pk,
        "percent_nhs": "60",
        "percent_la": "40",
        "provider": values["provider"].pk,
        "funding_stream": values["funding_stream"].pk,
        "is_new": "new",
        f"amount_{years[0].pk}": "400000",
        f"amount_{years[1].pk}": "410000",
        f"output_{years[0].pk}": "320",
        f"output_{years[1].pk}": "330.5",
    }
    return {**data, **changes}


def test_the_web_form_adds_a_joint_line_and_names_the_field_a_rule_refuses(round_lines, client):
    plan, user, codes, subs, _, years = round_lines
    client.force_login(user)
    url = reverse("finance:expenditure_add", kwargs=KW)

    page = client.get(url).content.decode()
    assert "Scheme sub-type" in page and "Home-based reablement: Reablement at home" in page
    assert "Planned output in 2017/18" in page and "Home-based reablement: packages" in page
    assert "Only for a jointly commissioned line (commissioner: Joint)" in page

    refused = client.post(url, form_data(codes, subs, years, plan, percent_nhs="", percent_la="", sub_type=""))
    assert refused.status_code == 400
    errors = refused.context["form"].errors
    assert errors["percent_nhs"] == ["Enter the % NHS and % LA of this jointly commissioned line, adding up to 100"]
    assert errors["sub_type"] == ["Choose the sub-type of Home-based reablement"]
    not_joint = client.post(url, form_data(codes, subs, years, plan, commissioner=codes[("commissioner", "ccg")].pk))
    assert "Leave % NHS and % LA blank" in not_joint.context["form"].errors["percent_nhs"][0]

    assert client.post(url, form_data(codes, subs, years, plan)).status_code == 302
    page = client.get(reverse("finance:expenditure", kwargs=KW)).content.decode()
    assert "Home-based reablement: Reablement at home" in page
    assert "(60% NHS, 40% LA)" in page
    assert "Planned packages:" in page and "2017/18 320, 2018/19 330.5<" in page


def expenditure_row(wb, reference):
    ws = wb["Expenditure"]
    return next(r for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=2).value == reference)


def to_bytes(wb) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_workbook_round_trip_of_a_joint_line_with_a_sub_type_and_planned_outputs_changes_nothing(round_lines):
    plan, user, codes, subs, _, years = round_lines
    services.save_expenditure_line(user=user, plan=plan, **joint_line_values(codes, subs, years, plan))
    data = workbook.render_plan_workbook(plan)

    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws, row = wb["Expenditure"], expenditure_row(wb, "BD20")
    headers = [c.value for c in ws[1]]
    cells = dict(zip(headers, [c.value for c in ws[row]], strict=True))
    assert cells["Scheme sub-type"] == "Reablement at home"
    assert (cells["% NHS (if joint)"], cells["% LA (if joint)"]) == (60, 40)
    assert cells["Output unit"] == "Packages"
    assert (cells["Planned output 2017/18"], cells["Planned output 2018/19"]) == (320, 330.5)

    # Export, import, no change.
    assert diff_workbook(part_two_for_plan(plan), read_workbook(data, plan)) == []
    assert services.apply_workbook_import(user=user, plan=plan, data=data) == []

    # An output changed offline is imported, and shown as a change.
    ws.cell(row=row, column=headers.index("Planned output 2018/19") + 1).value = 345
    changes = services.apply_workbook_import(user=user, plan=plan, data=to_bytes(wb))
    assert [c.description for c in changes] == [
        "Scheme BD20 Home-based reablement (CCG minimum contribution): planned output 2018/19 330.5 to 345"
    ]
    assert part_two_for_plan(plan).outputs[ExpenditureLine.objects.get(scheme__reference="BD20").pk]["2018/19"] == 345


def test_workbook_import_refuses_a_split_on_a_line_that_is_not_joint_and_a_missing_sub_type_at_their_cells(
    round_lines,
):
    plan, user, codes, subs, _, years = round_lines
    services.save_expenditure_line(user=user, plan=plan, **joint_line_values(codes, subs, years, plan))
    wb = openpyxl.load_workbook(io.BytesIO(workbook.render_plan_workbook(plan)))
    ws = wb["Expenditure"]
    headers = [c.value for c in ws[1]]
    column = {name: openpyxl.utils.get_column_letter(i) for i, name in enumerate(headers, start=1)}
    crisis, joint = expenditure_row(wb, "BD02"), expenditure_row(wb, "BD20")
    ws[f"{column['% NHS (if joint)']}{crisis}"] = 50
    ws[f"{column['% LA (if joint)']}{crisis}"] = 50
    ws[f"{column['Scheme sub-type']}{joint}"] = None

    with pytest.raises(WorkbookRejected) as rejected:
        read_workbook(to_bytes(wb), plan)
    found = {(e.cell, e.message.split(":")[0]) for e in rejected.value.errors}
    assert found == {
        (f"{column['% NHS (if joint)']}{crisis}", "Leave % NHS and % LA blank"),
        (f"{column['Scheme sub-type']}{joint}", "Choose the sub-type of Home-based reablement"),
    }


def test_snapshot_and_pdf_carry_the_sub_type_and_planned_outputs_only_where_a_line_has_them(round_lines):
    plan, user, codes, subs, _, years = round_lines
    before = read_plan_snapshot(plan).content()
    assert all("sub_type" not in line and "planned_outputs" not in line for line in before["expenditure"])

    services.save_expenditure_line(user=user, plan=plan, **joint_line_values(codes, subs, years, plan))
    snapshot = read_plan_snapshot(plan)
    content = snapshot.content()
    added = next(line for line in content["expenditure"] if line["scheme"].startswith("BD20"))
    assert added["sub_type"] == "Reablement at home"
    assert (added["percent_nhs"], added["percent_la"]) == ("60.00", "40.00")
    assert added["output_unit"] == "Packages"
    assert added["planned_outputs"] == {"2017/18": "320.00", "2018/19": "330.50"}
    # Lines without them are as they were, so signatures over plans without them keep their hash.
    assert [line for line in content["expenditure"] if line is not added] == before["expenditure"]

    [row] = part1_document(snapshot)["finance"]["planned_outputs"]
    assert (row["label"], row["sub_type"], row["unit"], row["outputs"]) == (
        "BD20 Home-based reablement",
        "Reablement at home",
        "Packages",
        [320, Decimal("330.5")],
    )


def test_the_national_dataset_lists_each_lines_sub_type_unit_and_planned_outputs(round_lines):
    from governance.dataset import national_dataset
    from plans.models import Plan

    plan, user, codes, subs, _, years = round_lines
    services.save_expenditure_line(user=user, plan=plan, **joint_line_values(codes, subs, years, plan))
    Plan.objects.filter(pk=plan.pk).update(status=Plan.Status.SUBMITTED)
    plan.round.refresh_from_db()

    rows = list(openpyxl.load_workbook(io.BytesIO(national_dataset(plan.round)))["Expenditure"].values)
    header, body = rows[0], rows[1:]
    cells = dict(zip(header, next(r for r in body if r[header.index("Scheme reference")] == "BD20"), strict=True))
    assert cells["Scheme sub-type"] == "Reablement at home" and cells["Output unit"] == "Packages"
    assert (cells["Planned output 2017/18"], cells["Planned output 2018/19"]) == (320, 330.5)
    assert (cells["% NHS"], cells["% LA"]) == (60, 40)


def test_the_pdf_shows_a_joint_lines_nhs_and_local_authority_shares_in_the_rounds_words(round_lines):
    from governance.pdf import render_part1_html

    plan, user, codes, subs, _, years = round_lines
    services.save_expenditure_line(user=user, plan=plan, **joint_line_values(codes, subs, years, plan))
    finance = part1_document(read_plan_snapshot(plan))["finance"]
    [row] = [r for r in finance["split_lines"] if r["label"].startswith("BD20")]
    assert (row["label"], row["commissioner"], row["percent_nhs"], row["percent_la"]) == (
        "BD20 Home-based reablement",
        "Joint",
        60,
        40,
    )
    assert row["amounts"] == [400_000, 410_000]
    html = render_part1_html(plan)
    table = html[html.index("Jointly commissioned lines") :][:2000]
    nhs = plan.round.labels.get("contributor_nhs") or "NHS"
    assert f"% {nhs}" in table and "60%" in table and "40%" in table and "£400,000" in table


def test_the_part_1_pdf_shows_the_planned_outputs_in_the_rounds_unit(round_lines):
    from governance.pdf import render_part1_html, render_plan_pdf

    plan, user, codes, subs, _, years = round_lines
    services.save_expenditure_line(user=user, plan=plan, **joint_line_values(codes, subs, years, plan))
    html = render_part1_html(plan)
    assert "<caption>Planned outputs</caption>" in html
    assert "BD20 Home-based reablement" in html and "Reablement at home" in html
    assert "<td>Packages</td>" in html and '<td class="num">330.5</td>' in html
    assert render_plan_pdf(plan)[:4] == b"%PDF"  # WeasyPrint renders it
