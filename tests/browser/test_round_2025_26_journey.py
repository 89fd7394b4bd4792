"""A 2025–26 plan filled in the browser (Chromium), from the four shipped rounds and the demo.

Barking and Dagenham's commissioner enters, through the pages, capacity and demand for every
service type and month, income (with the area's share of the North East London ICB's allocation),
a jointly commissioned expenditure line split 60/40 and a local authority line (both with a
sub-type and planned outputs), and every metric's goals in its own unit (a rate per 100,000 and
days from the round, and a local metric in per cent). Havering, which shares the ICB's allocation,
has recorded and submitted its share (set up through factories). Then:

- the Part 1 PDF and the Part 2 workbook show each of these in the round's own words;
- the workbook, imported back through the import page, shows no change and changes nothing;
- the NHS minimum's adult social care ring-fence counts the joint line by its NHS share (60%).
"""

import io
import re
import subprocess
from decimal import Decimal

import openpyxl
import pytest
from playwright.sync_api import expect

from capacity.selectors import definition_for_plan
from finance.selectors import part_two_for_plan, workbook_content_hash
from governance.snapshots import read_plan_snapshot
from plans.models import Plan
from rounds.models import FundingStream, HwbArea, Organisation, PlanningRound, RoundYear
from tests.browser.conftest import SCREENSHOTS, assert_no_axe_violations, save_screenshot, sign_in
from tests.browser.journey import errors_on
from tests.factories import IncomeLineFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROUND = "2025-26"
BD, HAVERING = "E09000002", "E09000016"
COMMISSIONER = "commissioner@barking-dagenham.demo"
ICB = "NHS North East London Integrated Care Board"
COUNCIL = "London Borough of Barking and Dagenham"
YEAR = "2025/26"

ICB_ALLOCATION = Decimal(5_000_000)  # the round file's icb_allocations: QMF, additional-nhs
HAVERING_SHARE = Decimal(2_000_000)  # Barking and Dagenham takes the other £3,000,000 (INCOME)
INCOME = [  # (stream, organisation, amount): the round's placeholder allocations and the ICB share
    ("Minimum NHS contribution (including ICB discharge funding)", ICB, "24136000"),
    ("Local Authority Better Care Grant", COUNCIL, "13949000"),
    ("Disabled Facilities Grant", COUNCIL, "2250000"),
    ("Additional NHS contribution", ICB, "3000000"),  # the share of the ICB-level allocation
]
JOINT_LINE = {
    "Scheme reference": "BD2501",
    "Scheme name": "Home first reablement",
    "Scheme type": "Home-based intermediate care services",
    "Scheme sub-type": "Home-based intermediate care services: Reablement at home (to support discharge)",
    "Area of spend": "Social Care",
    "Commissioner": "Joint",
    "Provider": "Local Authority",
    "Source of funding": "Minimum NHS contribution (including ICB discharge funding)",
    "amount": "2000000",
    "output": "420",
    "split": ("60", "40"),
}
LA_LINE = {
    "Scheme reference": "BD2502",
    "Scheme name": "Care home placements",
    "Scheme type": "Residential Placements",
    "Scheme sub-type": "Residential Placements: Care home",
    "Area of spend": "Social Care",
    "Commissioner": "Local Authority",
    "Provider": "Private Sector",
    "Source of funding": "Minimum NHS contribution (including ICB discharge funding)",
    "amount": "7000000",
    "output": "135",
    "split": None,
}
ICB_LINE = {
    "Scheme reference": "BD2503",
    "Scheme name": "Carers' respite",
    "Scheme type": "Carers Services",
    "Scheme sub-type": "Carers Services: Respite services",
    "Area of spend": "Community Health",
    "Commissioner": "ICB",
    "Provider": "Charity / Voluntary Sector",
    "Source of funding": "Additional NHS contribution",
    "amount": "3000000",
    "output": "800",
    "split": None,
}
# The joint line counts by its NHS share: £7,000,000 + 60% of £2,000,000. Leaving the joint line out would
# give £7,000,000 (below the required £8,057,000) and counting all of it £9,000,000.
RING_FENCE_SPEND = "£8,200,000"
ARTIFACTS = SCREENSHOTS.parent

# Each metric's goals as typed: (baseline, planned value for every period), and how they are shown.
METRICS = {
    "emergency-admissions-65plus": ("1850.4", "1795.2", "1,795.2 per 100,000"),
    "discharge-delay": ("9.6", "8.5", "8.5 days"),
    "ltc-admissions-65plus": ("512.3", "498.7", "498.7 per 100,000"),
}
LOCAL_METRIC = "Still at home 91 days after discharge from reablement"


def demand(row: int, month: int) -> int:
    return 40 + 3 * row + month


def capacity(row: int, month: int) -> int:
    return 36 + 3 * row + month % 4


@pytest.fixture
def plans_2025_26(demo_data):
    """A new 2025–26 plan for Barking and Dagenham, and Havering's, which has submitted its ICB share."""
    assert set(PlanningRound.objects.values_list("slug", flat=True)) >= {"2014-15", "2017-19", "2023-25", ROUND}
    rnd = PlanningRound.objects.get(slug=ROUND)
    # New plans, as a national admin's "Create every area's plan" makes them (the demo has none in 2025-26).
    bd = Plan.objects.create(round=rnd, hwb_area=HwbArea.objects.get(ons_code=BD))
    havering = Plan.objects.create(round=rnd, hwb_area=HwbArea.objects.get(ons_code=HAVERING))
    IncomeLineFactory(
        plan=havering,
        funding_stream=FundingStream.objects.get(round=rnd, key="additional-nhs"),
        organisation=Organisation.objects.get(name=ICB),
        year=RoundYear.objects.get(round=rnd, label=YEAR),
        amount=HAVERING_SHARE,
    )
    Plan.objects.filter(pk=havering.pk).update(status=Plan.Status.SUBMITTED)
    return bd, demo_data.password


def expect_saved(page, what: str) -> None:
    page.wait_for_load_state()
    assert not errors_on(page), f"{what} on {page.url} showed errors:\n{errors_on(page)}"


def fill_capacity_and_demand(page, base):
    tables = f"{base}/plans/{ROUND}/{BD}/capacity-demand/"
    page.goto(tables)
    assert_no_axe_violations(page, "capacity and demand tables")
    links = [a.get_attribute("href") for a in page.locator("main a", has_text="Change the figures").all()]
    assert len(links) == 2, "the round's two blocks: hospital discharge and community"
    for href in links:
        page.goto(base + href)
        fields = page.locator("main form[data-autosave-form] input[name*='__']")
        names = fields.evaluate_all("els => els.map(e => e.name)")
        rows = list(dict.fromkeys(name.split("__")[1] for name in names))
        assert len(names) == len(rows) * 2 * 12, "demand and capacity for every service type and month of 2025/26"
        for name, field in zip(names, fields.all(), strict=True):
            measure, row, month = name.split("__")
            figure = demand if measure == "demand" else capacity
            field.fill(str(figure(rows.index(row), int(month))))
        if href == links[0]:
            assert_no_axe_violations(page, "capacity and demand block form, filled")
        page.get_by_role("button", name="Save figures").click()
        expect_saved(page, "Saving capacity and demand")
        expect(page.locator(".govuk-notification-banner--success")).to_contain_text("have been saved")
    save_screenshot(page, "capacity-demand-2025-26")


def add_income(page, base):
    for stream, organisation, amount in INCOME:
        page.goto(f"{base}/plans/{ROUND}/{BD}/finance/income/add/")
        page.get_by_label("Funding stream").select_option(label=stream)
        page.get_by_label("Contributing organisation").select_option(label=organisation)
        page.get_by_label("Year").select_option(label=YEAR)
        page.get_by_label("Amount").fill(amount)
        page.locator("main form button[type=submit]").first.click()
        expect_saved(page, f"Adding income from {stream}")


def add_expenditure(page, base, line):
    page.goto(f"{base}/plans/{ROUND}/{BD}/finance/expenditure/add/")
    page.get_by_label("Scheme reference").fill(line["Scheme reference"])
    page.get_by_label("Scheme name").fill(line["Scheme name"])
    for label in ("Scheme type", "Scheme sub-type", "Area of spend", "Commissioner", "Provider", "Source of funding"):
        page.get_by_label(label, exact=True).select_option(label=line[label])
    if line["split"]:
        page.get_by_label("% NHS (if jointly commissioned)").fill(line["split"][0])
        page.get_by_label("% local authority (if jointly commissioned)").fill(line["split"][1])
    page.get_by_label(f"Amount in {YEAR}").fill(line["amount"])
    page.get_by_label(f"Planned output in {YEAR}").fill(line["output"])
    page.get_by_label("New", exact=True).check()
    if line is JOINT_LINE:
        assert_no_axe_violations(page, "expenditure line form, filled")
    page.locator("main form button[type=submit]").first.click()
    expect_saved(page, f"Adding the expenditure line {line['Scheme reference']}")


def enter_metrics(page, base):
    metrics = f"{base}/plans/{ROUND}/{BD}/metrics/"
    for key, (baseline, planned, _) in METRICS.items():
        page.goto(f"{metrics}national/{key}/")
        page.locator("input[name=baseline_period]").fill("2024/25")
        page.locator("input[name=baseline_value]").fill(baseline)
        planned_inputs = page.locator("input[name^=planned_][name$=_value]")
        assert planned_inputs.count() > 0
        for field in planned_inputs.all():
            field.fill(planned)
        page.locator("textarea[name=rationale]").fill("Set with the acute trust from the 2024/25 outturn.")
        page.locator("main form button[type=submit]").first.click()
        expect_saved(page, f"Entering the goals for {key}")

    # A local metric in per cent: first with its period, then its figures.
    page.goto(metrics)
    page.get_by_role("link", name="Add a local metric").click()
    page.get_by_label("Metric name").fill(LOCAL_METRIC)
    page.get_by_label("Unit", exact=True).select_option(label="Percentage")
    page.locator("input[name=new_period]").fill(YEAR)
    page.locator("input[name=baseline_period]").fill("2024/25")
    page.locator("input[name=baseline_value]").fill("81.5")
    page.locator("main form button[type=submit]").first.click()
    expect_saved(page, "Adding a local metric")
    page.goto(metrics)
    page.get_by_role("link", name=f"Change {LOCAL_METRIC}").click()
    page.locator("input[name=planned_0_value]").fill("84")
    page.locator("main form button[type=submit]").first.click()
    expect_saved(page, "Entering the local metric's goal")
    page.goto(metrics)
    assert_no_axe_violations(page, "metric goals")


def download_pdf(page, base, overview) -> bytes:
    page.goto(overview)
    panel = page.locator("#export-pdf")
    panel.get_by_role("button").click()
    link = panel.locator(".app-export-panel__download")
    link.wait_for(timeout=120_000)
    response = page.request.get(base + link.get_attribute("href"))
    assert response.ok and response.body().startswith(b"%PDF-")
    return response.body()


def download_workbook(page, base, summary) -> bytes:
    page.goto(summary)
    panel = page.locator("#export-xlsx")
    panel.get_by_role("button").click()
    link = panel.locator(".app-export-panel__download")
    link.wait_for(timeout=120_000)
    response = page.request.get(base + link.get_attribute("href"))
    assert response.ok
    return response.body()


def pdf_texts(pdf: bytes) -> tuple[str, list[str]]:
    """pdftotext's text, as one line for phrases (table cells wrap, so their order is not kept), and
    its -layout lines, each squeezed, for a table row's figures; the DRAFT watermark's letters dropped."""

    def run(*options) -> list[str]:
        text = subprocess.run(["pdftotext", *options, "-", "-"], input=pdf, capture_output=True, check=True)
        lines = [" ".join(line.split()) for line in text.stdout.decode().splitlines()]
        return [line for line in lines if line and not re.fullmatch(r"[A-Z]", line)]

    return " ".join(run()), run("-layout")


def assert_row(lines: list[str], *cells) -> None:
    """Some -layout line holds these cells, in this order, side by side."""
    pattern = re.compile(r"(^|\s)" + r"\s+".join(re.escape(str(c)) for c in cells) + r"($|\s)")
    assert any(pattern.search(line) for line in lines), f"no line of the PDF reads {' '.join(map(str, cells))!r}"


def assert_pdf_in_the_rounds_words(pdf: bytes, definition) -> None:
    text, lines = pdf_texts(pdf)
    (ARTIFACTS / "round-2025-26-part1.txt").write_text("\n".join(lines))
    # Capacity and demand: the round's headings, blocks (each in two halves of the year), service types and
    # pathways, its words for demand, capacity and the gap; figures, gaps and totals per month.
    for phrase in [
        "Capacity and demand for intermediate and short-term care",
        definition.pathway_label,
        definition.demand_label,
        definition.capacity_label,
        definition.gap_label,
    ]:
        assert phrase in text, phrase
    first, second = definition.periods[:6], definition.periods[6:]
    for block in definition.blocks:
        assert f"{block.label} ({first[0]} to {first[-1]})" in text
        assert f"{block.label} ({second[0]} to {second[-1]})" in text
        for row in block.rows:
            assert row.label in text, f"the service type {row.label!r} is missing from the PDF"
    assert_row(lines, *first)
    assert_row(lines, "Demand", *(demand(0, m) for m in range(6)))
    assert_row(lines, "Capacity", *(capacity(0, m) for m in range(6)))
    assert_row(lines, *(capacity(0, m) - demand(0, m) for m in range(6)))
    rows = len(definition.blocks[0].rows)
    assert_row(lines, "Total", "Demand", *(sum(demand(r, m) for r in range(rows)) for m in range(6)))
    # Planned outputs in each scheme type's unit, with the line's sub-type.
    for phrase in [
        "Planned outputs",
        "Reablement at home (to support discharge)",
        "Number of beds / placements",
        "Respite services",
    ]:
        assert phrase in text, phrase
    assert_row(lines, "Packages", JOINT_LINE["output"])
    assert_row(lines, "Beneficiaries", ICB_LINE["output"])
    assert_row(lines, LA_LINE["output"])
    # The joint line's split, headed with the round's contributor words.
    assert "Jointly commissioned lines: NHS and local authority shares" in text
    assert "% NHS (ICB)" in text and "% Local authority" in text
    assert_row(lines, "Joint", "60%", "40%", "£2,000,000.00")
    # Every metric in its own unit.
    for *_, shown in METRICS.values():
        assert shown in text
    for shown in ["1,850.4 per 100,000 (2024/25)", "9.6 days (2024/25)", "512.3 per 100,000 (2024/25)"]:
        assert shown in text
    assert LOCAL_METRIC in text and "81.5% (2024/25)" in text and f"{YEAR}: 84.0%" in text
    # The ICB-level allocation: the ICB's total and this area's share, with the areas that share it.
    assert f"Additional NHS contribution from {ICB}" in text
    assert "Shared by Barking and Dagenham, Havering" in text
    assert_row(lines, YEAR, "£5,000,000.00", "£3,000,000.00")


def rows_of(ws) -> list[dict]:
    header = [cell.value for cell in ws[1]]
    return [
        dict(zip(header, row, strict=False)) for row in ws.iter_rows(min_row=2, values_only=True) if row[0] is not None
    ]


def assert_workbook_in_the_rounds_words(wb, definition) -> None:
    # Capacity and demand: every service type and month, in the round's words, with the gap as a formula.
    ws = wb["Capacity and demand"]
    header = [cell.value for cell in ws[1]]
    assert header[:8] == [
        "Row key",
        "Block",
        "Service type",
        definition.pathway_label,
        "Period",
        definition.demand_label,
        definition.capacity_label,
        definition.gap_label,
    ]
    figures = {
        (row[0].value, row[4].value): (
            row[1].value,
            row[2].value,
            row[3].value,
            row[5].value,
            row[6].value,
            row[7].value,
        )
        for row in ws.iter_rows(min_row=2, max_col=8)
        if row[0].value
    }
    assert len(figures) == len(definition.rows) * len(definition.periods)
    for block in definition.blocks:
        for r, row in enumerate(block.rows):
            for m, period in enumerate(definition.periods):
                got = figures[(row.key, period)]
                expected = (block.label, row.label, row.pathway or None, demand(r, m), capacity(r, m))
                assert got[:5] == expected, (row.key, period)
                # The gap is worked out in the sheet: capacity minus demand, of its own row.
                assert re.fullmatch(r'=IF\(AND\(ISNUMBER\(F(\d+)\),ISNUMBER\(G\1\)\),G\1-F\1,""\)', got[5]), got[5]

    # The lines: the 60/40 split, the sub-type and the planned outputs in each scheme type's unit.
    lines = {row["Scheme reference"]: row for row in rows_of(wb["Expenditure"]) if row["Scheme reference"]}
    joint = lines["BD2501"]
    assert (joint["Commissioner"], joint["% NHS (if joint)"], joint["% LA (if joint)"]) == ("Joint", 60, 40)
    assert (joint["Scheme sub-type"], joint["Output unit"], joint[f"Planned output {YEAR}"]) == (
        "Reablement at home (to support discharge)",
        "Packages",
        420,
    )
    assert (lines["BD2502"]["Output unit"], lines["BD2502"]["% NHS (if joint)"]) == (
        "Number of beds / placements",
        None,
    )
    assert lines["BD2503"]["Output unit"] == "Beneficiaries"

    # Metrics: each in its unit, named and formatted as the unit shows it.
    shown = {}
    for row in wb["Metrics"].iter_rows(min_row=2):
        if row[1].value:
            shown.setdefault(row[1].value, (row[2].value, row[5].number_format, row[5].value))
    units = {name: unit for name, (unit, _, _) in shown.items()}
    formats = {unit: number_format for unit, number_format, _ in shown.values()}
    assert sorted(set(units.values())) == ["Days", "Percentage", "Rate per 100,000 population"]
    assert units[LOCAL_METRIC] == "Percentage"
    assert formats == {
        "Rate per 100,000 population": '#,##0.0" per 100,000"',
        "Days": '#,##0.0" days"',
        "Percentage": '#,##0.0"%"',
    }

    # The ICB's allocation beside this area's share, and the ring-fence counted at the NHS share.
    summary = [[cell.value for cell in row] for row in wb["Summary"].iter_rows()]
    [icb_row] = [row for row in summary if row[1] == ICB]
    assert icb_row[:4] == ["Additional NHS contribution", ICB, YEAR, ICB_ALLOCATION]
    [fence] = [row for row in summary if str(row[0]).startswith("NHS minimum contribution to adult social care")]
    assert fence[1] == "Passed" and f"is {RING_FENCE_SPEND}," in fence[2]


def test_a_commissioner_fills_a_2025_26_plan_whose_pdf_and_workbook_use_the_rounds_words(
    page, live_server, plans_2025_26, tmp_path
):
    plan, password = plans_2025_26
    base = live_server.url
    overview = f"{base}/plans/{ROUND}/{BD}/"
    summary = f"{overview}finance/summary/"
    sign_in(page, base, COMMISSIONER, password)

    fill_capacity_and_demand(page, base)
    add_income(page, base)
    for line in (JOINT_LINE, LA_LINE, ICB_LINE):
        add_expenditure(page, base, line)
    enter_metrics(page, base)

    # The finance summary: the ring-fence counts the NHS share of the joint line; the ICB share is shown.
    page.goto(summary)
    fence = page.locator("#rule-results li", has_text="NHS minimum contribution to adult social care")
    expect(fence).to_have_count(1)
    expect(fence).to_contain_text(f"is {RING_FENCE_SPEND}, which meets the required £8,057,000")
    expect(fence.locator(".govuk-tag")).to_have_text("Passed")
    # The ICB's allocation, shared by two areas: this one's share and Havering's submitted one use it all.
    share = page.locator("#icb-shares tbody tr")
    expect(share).to_have_count(1)
    expect(share.locator("th")).to_contain_text(f"Additional NHS contribution from {ICB}")
    expect(share.locator("th")).to_contain_text("Shared by Barking and Dagenham, Havering")
    expect(share.locator("td")).to_have_text([YEAR, "£5,000,000.00", "£3,000,000.00", "£2,000,000.00", "£0.00"])
    icb_check = page.locator("#rule-results li", has_text="This area's share of")
    expect(icb_check.locator(".govuk-tag")).to_have_text("Passed")
    assert_no_axe_violations(page, "finance summary")
    save_screenshot(page, "finance-summary-2025-26")

    definition = definition_for_plan(plan)
    assert_pdf_in_the_rounds_words(download_pdf(page, base, overview), definition)
    workbook = download_workbook(page, base, summary)
    assert_workbook_in_the_rounds_words(openpyxl.load_workbook(io.BytesIO(workbook)), definition)

    # Round trip: the downloaded workbook, imported back, changes nothing.
    before = (workbook_content_hash(part_two_for_plan(plan)), read_plan_snapshot(plan))
    path = tmp_path / "bd-2025-26.xlsx"
    path.write_bytes(workbook)
    page.goto(f"{overview}finance/import/")
    page.set_input_files("input[type=file]", str(path))
    page.get_by_role("button", name="Check the workbook").click()
    expect_saved(page, "Checking the downloaded workbook")
    expect(page.get_by_text("The workbook matches the plan. Importing it will change nothing.")).to_be_visible()
    expect(page.locator("#import-changes")).to_have_count(0)
    assert_no_axe_violations(page, "import preview")
    page.get_by_role("button", name="Import these changes").click()
    expect_saved(page, "Importing the unchanged workbook")
    after = (workbook_content_hash(part_two_for_plan(plan)), read_plan_snapshot(plan))
    assert after == before
