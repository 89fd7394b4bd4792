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
import subprocess
from decimal import Decimal

import openpyxl
import pytest
from playwright.sync_api import expect

from finance.selectors import part_two_for_plan, workbook_content_hash
from governance.snapshots import read_plan_snapshot
from plans.models import Plan
from rounds.models import FundingStream, HwbArea, Organisation, PlanningRound, RoundYear
from tests.browser.conftest import assert_no_axe_violations, save_screenshot, sign_in
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
BD_SHARE, HAVERING_SHARE = Decimal(3_000_000), Decimal(2_000_000)
INCOME = [  # (stream, organisation, amount): the round's placeholder allocations and the ICB share
    ("Minimum NHS contribution (including ICB discharge funding)", ICB, "24136000"),
    ("Local Authority Better Care Grant", COUNCIL, "13949000"),
    ("Disabled Facilities Grant", COUNCIL, "2250000"),
    ("Additional NHS contribution", ICB, "3000000"),
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
# The joint line counts by its NHS share: £7,000,000 + 60% of £2,000,000 (not the whole £9,000,000).
RING_FENCE_SPEND = "£8,200,000"

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
    rnd = PlanningRound.objects.get(slug=ROUND)
    bd = Plan.objects.get_or_create(round=rnd, hwb_area=HwbArea.objects.get(ons_code=BD))[0]
    havering = Plan.objects.get_or_create(round=rnd, hwb_area=HwbArea.objects.get(ons_code=HAVERING))[0]
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


def pdf_text(page, base, overview) -> str:
    page.goto(overview)
    panel = page.locator("#export-pdf")
    panel.get_by_role("button").click()
    link = panel.locator(".app-export-panel__download")
    link.wait_for(timeout=120_000)
    response = page.request.get(base + link.get_attribute("href"))
    assert response.ok and response.body().startswith(b"%PDF-")
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=response.body(), capture_output=True, check=True
    ).stdout.decode()
    return text


def download_workbook(page, base, summary) -> bytes:
    page.goto(summary)
    panel = page.locator("#export-xlsx")
    panel.get_by_role("button").click()
    link = panel.locator(".app-export-panel__download")
    link.wait_for(timeout=120_000)
    response = page.request.get(base + link.get_attribute("href"))
    assert response.ok
    return response.body()


def sheet_text(wb) -> dict[str, str]:
    return {
        ws.title: "\n".join(
            " | ".join("" if v is None else str(v) for v in row) for row in ws.iter_rows(values_only=True)
        )
        for ws in wb.worksheets
    }


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
    shares = page.locator("#icb-shares")
    expect(shares).to_contain_text(f"Additional NHS contribution from {ICB}")
    expect(shares).to_contain_text("Barking and Dagenham, Havering")
    expect(shares).to_contain_text("£5,000,000.00")
    expect(shares).to_contain_text("£3,000,000.00")
    expect(shares).to_contain_text("£2,000,000.00")
    assert_no_axe_violations(page, "finance summary")
    save_screenshot(page, "finance-summary-2025-26")

    text = pdf_text(page, base, overview)
    print(text)
    workbook = download_workbook(page, base, summary)
    wb = openpyxl.load_workbook(io.BytesIO(workbook))
    sheets = sheet_text(wb)
    for title, body in sheets.items():
        print("=====", title)
        print(body[:6000])

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
