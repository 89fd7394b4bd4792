"""Issue 18's journey: the demo's approved 2017-19 Barking and Dagenham plan reports its Q1 return, in Chromium.

The demo is loaded as `make demo` loads it (its Barking and Dagenham plan is approved through the
portal's own workflow). From there every step is in the browser: the commissioner starts the Q1
2017/18 return and finds it pre-filled from the approved plan, enters actuals that leave one line
25% under plan and is made to explain it, answers "no" to one national condition with a date,
marks one metric off track, writes the narrative, downloads the workbook, changes two actuals in
it offline, imports it (the preview shows exactly those two changes), completes the return and
sends it for sign-off; the three signatories sign, the commissioner submits it, and the London
assurer sees the variance highlighted and records the outcome.
"""

import datetime
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth.hashers import make_password
from playwright.sync_api import expect

from accounts.models import User
from demo.loader import load_demo
from governance.snapshots import canonical_json, sha256_hex
from monitoring.models import Return, ReturnSubmission
from monitoring.workbook import FINANCE_HEADERS, column
from plans.models import Plan
from tests.browser.conftest import assert_no_axe_violations, sign_in
from tests.factories import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AREA = "E09000002"
COMMISSIONER = "commissioner@barking-dagenham.demo"
SIGNATORIES = [
    "hwb.signatory@barking-dagenham.demo",
    "council.signatory@barking-dagenham.demo",
    "ccg.signatory@barking-dagenham.demo",
]
ASSURER = "assurer.london@nhs.demo"

UNDER_PLAN = "H3 Intermediate care"  # planned £495,000 to the end of Q1: the actual is 25% under
EXPLANATION = "Two intermediate care beds closed for refurbishment in May; they reopen in September."
OFFLINE = {  # two actuals changed in the workbook, both within 10% of plan
    "H1 Joint assessment and discharge service (contribution)": Decimal("370000"),
    "P1 Prevention: handyperson and home from hospital": Decimal("140000"),
}
CONDITION_DATE = datetime.date(2017, 11, 30)
CONDITION_EXPLANATION = "The refreshed High Impact Change Model action plan goes to the Board in November."
OFF_TRACK_REASON = "A cold, wet June brought more frail older people to A&E than planned."


def _switch_user(page, base, email):
    page.context.clear_cookies()
    sign_in(page, base, email, DEMO_PASSWORD)


def _complete_and_continue(page, button="Save and continue"):
    page.locator("input[name='completed'][value='yes']").check()
    page.get_by_role("button", name=button).click()
    page.wait_for_load_state()


def _errors(page) -> str:
    summary = page.locator(".govuk-error-summary")
    return summary.inner_text() if summary.count() else ""


def test_the_approved_demo_plan_reports_its_q1_return_which_is_signed_submitted_and_reviewed(
    page, live_server, tmp_path
):
    load_demo()
    User.objects.filter(email__endswith=".demo").update(password=make_password(DEMO_PASSWORD))
    plan = Plan.objects.select_related("round").get(hwb_area__ons_code=AREA, round__slug="2017-19")
    assert plan.status == Plan.Status.APPROVED_WITH_CONDITIONS
    base = live_server.url
    returns_url = f"{base}/plans/2017-19/{AREA}/returns/"
    task_list = f"{returns_url}q1-2017-18/"

    # The commissioner starts the Q1 return: the task list, then the finance part pre-filled from the plan.
    _switch_user(page, base, COMMISSIONER)
    page.goto(returns_url)
    page.locator("tr[data-period='q1-2017-18']").get_by_role("button", name="Start return").click()
    page.wait_for_load_state()
    assert page.url == task_list
    expect(page.locator("#completed-count")).to_have_text("0 of 5 parts completed.")
    expect(page.locator("#approved-version")).to_contain_text("The approved plan, version 1")
    assert_no_axe_violations(page, "return task list")
    ret = Return.objects.get(plan=plan, period__key="q1-2017-18")
    lines = list(ret.lines.order_by("kind", "order"))
    assert len(lines) == 23
    by_label = {}
    for line in lines:
        by_label.setdefault(line.label, line)

    page.get_by_role("link", name="Budget arrangements").click()
    page.locator("input[name='question-s75-in-place'][value='yes']").check()
    _complete_and_continue(page)
    assert not _errors(page), _errors(page)

    # National conditions: condition 4 is not met, with the date it will be and why.
    expect(page.get_by_role("heading", level=1)).to_have_text("National conditions")
    for number in (1, 2, 3):
        page.locator(f"input[name='condition-{number}-met'][value='yes']").check()
    page.locator("input[name='condition-4-met'][value='no']").check()
    for part, value in (("day", 30), ("month", 11), ("year", 2017)):
        page.locator(f"input[name='condition-4-expected_date_{part}']").fill(str(value))
    page.locator("#condition-4-explanation").fill(CONDITION_EXPLANATION)
    _complete_and_continue(page)
    assert not _errors(page), _errors(page)

    # Income and expenditure: every line of the approved plan with its planned amounts.
    expect(page.get_by_role("heading", level=1)).to_have_text("Income and expenditure")
    expect(page.locator("tr[data-line]")).to_have_count(23)
    for line in lines:
        row = page.locator(f"#line-{line.pk}")
        expect(row.locator("th")).to_contain_text(line.label)
        expect(row.locator("td").nth(0)).to_have_text(f"£{line.planned:,.2f}")
        expect(row.locator("td").nth(1)).to_have_text(f"£{line.planned_year:,.2f}")
    assert_no_axe_violations(page, "return finance part")
    under = by_label[UNDER_PLAN]
    for line in lines:
        actual = line.planned * Decimal("0.75") if line.pk == under.pk else line.planned
        page.locator(f"#line-{line.pk}-actual").fill(f"{actual:.2f}")
        page.locator(f"#line-{line.pk}-forecast").fill(f"{line.planned_year:.2f}")
    under_row = page.locator(f"#line-{under.pk}")
    expect(under_row.locator("[data-variance]")).to_contain_text("-25.0%")
    expect(under_row.locator("[data-variance-flag]")).to_have_text("Explain")
    expect(page.locator("[data-variance-flag]")).to_have_count(1)

    # Completing the part without explaining the variance is refused, pointing at that line's explanation.
    _complete_and_continue(page)
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text(f"Explain why the actual for {UNDER_PLAN} is more than 10% away from plan")
    expect(summary.locator("a", has_text=UNDER_PLAN)).to_have_attribute("href", f"#line-{under.pk}-explanation")
    expect(summary.locator("li")).to_have_count(2)  # the completion answer, and the one explanation
    expect(page.locator(f"#line-{under.pk}-explanation-error")).to_contain_text(UNDER_PLAN)
    expect(page.locator(f"#line-{under.pk}")).to_have_class("govuk-table__row app-variance--beyond")
    page.locator(f"#line-{under.pk}-explanation").fill(EXPLANATION)
    _complete_and_continue(page)
    assert not _errors(page), _errors(page)

    # Metrics: non-elective admissions is off track, with the reason.
    expect(page.get_by_role("heading", level=1)).to_have_text("Metrics")
    metrics = list(ret.metrics.order_by("order"))
    off_track = metrics[0]
    for metric in metrics:
        actual = metric.ambition * (Decimal("1.08") if metric.pk == off_track.pk else 1)
        page.locator(f"#metric-{metric.pk}-actual").fill(f"{actual.quantize(Decimal('0.1')):f}")
        on_track = "no" if metric.pk == off_track.pk else "yes"
        page.locator(f"input[name='metric-{metric.pk}-on_track'][value='{on_track}']").check()
    page.locator(f"#metric-{off_track.pk}-reason").fill(OFF_TRACK_REASON)
    _complete_and_continue(page)
    assert not _errors(page), _errors(page)

    # The narrative, saved for later (the part is completed after the import).
    expect(page.get_by_role("heading", level=1)).to_have_text("Progress and variances")
    page.locator("#question-progress").fill("Discharge to assess went live across the three boroughs in April.")
    page.locator("#question-data-confirmed").check()
    page.get_by_role("button", name="Save and come back later").click()
    page.wait_for_load_state()
    assert page.url == task_list
    expect(page.locator("#completed-count")).to_have_text("4 of 5 parts completed.")

    # The workbook, downloaded and changed offline: two actuals.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the return as a workbook (.xlsx)").click()
    workbook_path = tmp_path / "return.xlsx"
    download_info.value.save_as(workbook_path)
    book = openpyxl.load_workbook(workbook_path)
    sheet = book["Income and expenditure"]
    label_col, actual_col = column(FINANCE_HEADERS, "Line"), column(FINANCE_HEADERS, "Actual to period end £")
    changed = 0
    for row in range(2, sheet.max_row + 1):
        label = sheet.cell(row=row, column=label_col).value
        if label in OFFLINE:
            sheet.cell(row=row, column=actual_col).value = float(OFFLINE[label])
            changed += 1
    assert changed == 2
    book.save(workbook_path)

    # The import previews exactly the two changes, then applies them.
    page.get_by_role("link", name="Upload a completed workbook").click()
    page.get_by_label("Upload the return workbook").set_input_files(str(workbook_path))
    page.get_by_role("button", name="Check the workbook").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the changes before you import them")
    rows = page.locator("#import-changes tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#change-count")).to_have_text("The workbook changes 2 cells of the return.")
    for label, amount in OFFLINE.items():
        change = rows.filter(has_text=label[:40])
        expect(change).to_have_count(1)
        expect(change).to_contain_text("Actual to period end")
        expect(change.locator("td").nth(4)).to_contain_text(f"{by_label[label].planned:,.2f}")
        expect(change.locator("td").nth(5)).to_contain_text(f"{amount:,.2f}")
    assert_no_axe_violations(page, "return import preview")
    page.get_by_role("button", name="Import these changes").click()
    page.wait_for_load_state()
    assert page.url == task_list
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("2 rows of the return changed")

    # The commissioner completes the last part, and every check passes.
    page.get_by_role("link", name="Progress and variances").click()
    _complete_and_continue(page, "Save and come back later")
    assert not _errors(page), _errors(page)
    expect(page.locator("#completed-count")).to_have_text("5 of 5 parts completed.")
    for status in page.locator(".govuk-task-list__status").all():
        expect(status).to_have_text("Completed")
    expect(page.locator("#return-checks")).to_have_text("Every check passes.")

    page.locator("#signoff-link").click()
    page.get_by_role("button", name="Send for sign-off").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("sent for sign-off")
    expect(page.locator("#return-status")).to_have_text("Waiting for sign-off")
    signoff_url = page.url

    # Each signatory signs (their name, position and today's date are filled in for them).
    for email in SIGNATORIES:
        _switch_user(page, base, email)
        page.goto(signoff_url)
        page.get_by_role("button", name="Sign the return").click()
        expect(page.locator(".govuk-notification-banner--success")).to_contain_text("You have signed the return")
    expect(page.locator("#return-status")).to_have_text("Signed off")

    _switch_user(page, base, COMMISSIONER)
    page.goto(signoff_url)
    page.get_by_role("button", name="Submit the return").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Version 1 of the return has been submitted"
    )
    expect(page.locator("#return-status")).to_have_text("Submitted")

    # The London assurer sees the variance highlighted and records the outcome.
    _switch_user(page, base, ASSURER)
    page.goto(f"{task_list}review/")
    variances = page.locator("#variances tbody tr")
    expect(variances).to_have_count(1)
    expect(variances).to_have_class("govuk-table__row app-variance--beyond")
    expect(variances.locator("th")).to_have_text(UNDER_PLAN)
    expect(variances.locator(".app-variance-tag")).to_have_text("Variance above 10%")
    expect(variances).to_contain_text("-25.0%")
    expect(variances).to_contain_text(EXPLANATION)
    expect(page.locator("#conditions-not-met")).to_contain_text("to be met by 30 November 2017")
    expect(page.locator("#metrics-off-track")).to_contain_text(OFF_TRACK_REASON)
    document_row = page.locator("table.app-return-lines tr.app-variance--beyond")
    expect(document_row).to_have_count(1)
    expect(document_row.locator("th")).to_contain_text(UNDER_PLAN)
    assert_no_axe_violations(page, "return review")
    page.get_by_label("Approved", exact=True).check()
    page.get_by_label("Summary").fill("Spend is on plan apart from intermediate care, which is explained.")
    page.get_by_role("button", name="Record the outcome").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "The outcome has been recorded: Approved."
    )
    expect(page.locator("#outcome")).to_contain_text("Approved")

    # What is stored.
    ret.refresh_from_db()
    assert ret.status == Return.Status.REVIEWED
    stored = {line.label: line for line in ret.lines.all()}
    for label, amount in OFFLINE.items():
        assert stored[label].actual == amount
    assert stored[UNDER_PLAN].actual == Decimal("371250.00")
    assert stored[UNDER_PLAN].explanation == EXPLANATION
    condition = ret.conditions.get(number=4)
    assert (condition.met, condition.expected_date, condition.explanation) == (
        False,
        CONDITION_DATE,
        CONDITION_EXPLANATION,
    )
    assert ret.conditions.filter(met=True).count() == 3
    metric = ret.metrics.get(pk=off_track.pk)
    assert (metric.on_track, metric.reason) == (False, OFF_TRACK_REASON)
    submission = ReturnSubmission.objects.get(ret=ret)
    assert submission.version == 1
    assert submission.snapshot_sha256 == sha256_hex(canonical_json(submission.snapshot))
    content_hash = submission.snapshot["header"]["content_sha256"]
    assert content_hash == sha256_hex(canonical_json(submission.snapshot["content"]))
    signatures = ret.signoffs.filter(voided_at__isnull=True)
    assert signatures.count() == 3
    assert {s.content_hash for s in signatures} == {content_hash}
    assert submission.reviews.get().outcome.code == "approved"
