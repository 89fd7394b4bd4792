"""A demo commissioner completes every section and table of a 2014/15 plan through the pages.

The Plymouth demo plan's Part 1 is emptied first, so every answer, condition response,
document and risk is typed in the browser; its schemes and Part 2 figures are kept (the
expenditure lines refer to the schemes) and one more scheme, income line, expenditure line
and local metric are added through their pages (the expenditure line spends the added income, and
every metric's ambition is entered, since Part 2 sections complete only when the round's rules hold). Every page visited is
scanned with axe-core, and the page must raise no script error or CSP violation.
"""

import re

import pytest
from playwright.sync_api import expect

from plans.models import Answer, ConditionResponse, Plan, RelatedDocument, Risk, SectionProgress
from tests.browser.conftest import assert_no_axe_violations, save_screenshot, sign_in
from tests.browser.journey import click_and_expect_no_errors, errors_on, expect_task_list_complete, fill_form

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COMMISSIONER = "commissioner@plymouth.demo"


@pytest.fixture
def empty_plymouth_plan(demo_data):
    plan = Plan.objects.get(round__slug="2014-15", hwb_area__ons_code="E06000026")
    for model in (Answer, ConditionResponse, RelatedDocument, Risk, SectionProgress):
        model.objects.filter(plan=plan).delete()
    return plan, demo_data.password


def part2_counts(plan):
    return {
        "schemes": plan.schemes.count(),
        "income": plan.income_lines.count(),
        "expenditure": plan.expenditure_lines.count(),
        "metrics": plan.metric_ambitions.count(),
    }


@pytest.fixture
def watched_page(page):
    """The page, failing the test on any uncaught script error or console error (CSP reports there)."""
    problems = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))

    def on_console(message):
        # A form sent back with errors answers 400, which Chromium logs; that is not a fault.
        if message.type == "error" and "status of 400 (Bad Request)" not in message.text:
            problems.append(f"console {message.type}: {message.text}")

    page.on("console", on_console)
    yield page
    assert not problems, "\n".join(problems)


def balance_with_the_added_income(page, form, plan):
    """Spend the income line just added, from its own stream and year, so the expenditure plan still
    accounts for the whole pooled budget (the section cannot be completed otherwise)."""
    income = plan.income_lines.select_related("year").order_by("-pk").first()
    page.locator(f"{form} select[name=funding_stream]").select_option(str(income.funding_stream_id))
    for year in plan.round.years.all():
        amount = f"£{income.amount:,.2f}" if year.pk == income.year_id else "0"
        page.locator(f"{form} input[name=amount_{year.pk}]").fill(amount)


def enter_every_ambition(page, title):
    """Give every metric of the round its ambition through its own page (the demo left some out)."""
    metrics_page = page.url
    changes = [
        link.get_attribute("href")
        for link in page.locator("main .govuk-summary-card__action a", has_text=re.compile(r"^Change")).all()
    ]
    for href in changes:
        page.goto(page.url.split("/plans/")[0] + href)
        form = "main form[method=post]:has(input:visible, textarea:visible, select:visible)"
        fill_form(page, form)
        page.locator(f"{form} button[type=submit]").first.click()
        page.wait_for_load_state()
        assert not errors_on(page), f"Entering an ambition on {href} failed:\n{errors_on(page)}"
    page.goto(metrics_page)
    assert_no_axe_violations(page, f"{title} with every ambition")


def test_commissioner_completes_every_section_of_a_2014_15_plan(watched_page, live_server, empty_plymouth_plan):
    page = watched_page
    plan, password = empty_plymouth_plan
    base = live_server.url
    overview = f"{base}/plans/{plan.round.slug}/{plan.hwb_area.ons_code}/"

    before = part2_counts(plan)
    sign_in(page, base, COMMISSIONER, password)
    assert_no_axe_violations(page, "your plans")
    page.goto(overview)
    expect(page.locator("#completed-count")).to_contain_text("0 of")
    assert_no_axe_violations(page, "task list")

    links = page.locator("a.govuk-task-list__link")
    items = [
        (link.get_attribute("href"), link.get_attribute("aria-describedby").removeprefix("status-"), link.inner_text())
        for link in links.all()
    ]
    assert len(items) == plan.round.sections.count(), "every section of the round is on the task list"

    screenshot_taken = False
    added = []
    for href, key, title in items:
        page.goto(base + href)
        assert_no_axe_violations(page, f"{title} ({href})")
        section_url = f"{overview}sections/{key}/"
        form = page.locator("main form[data-autosave-form]")
        if form.count() and page.get_by_role("button", name="Mark this section as completed").count():
            fill_form(page)
            if not screenshot_taken and page.locator("textarea[data-markdown]").count():
                page.get_by_role("button", name="Preview").first.click()
                expect(page.locator("[data-markdown-preview] table").first).to_be_visible()
                assert_no_axe_violations(page, f"{title} with preview open")
                save_screenshot(page, "section-page")
                screenshot_taken = True
            click_and_expect_no_errors(page, "Mark this section as completed")
            continue

        add = page.locator("main a.govuk-button", has_text=re.compile(r"^Add a"))
        has_rows = page.locator("main table.govuk-table tbody tr").count() > 0
        # Empty tables get a row; the kept schemes and Part 2 tables get one more.
        if add.count() and (not has_rows or any(part in href for part in ("/schemes/", "/finance/", "/metrics/"))):
            add.first.click()
            assert_no_axe_violations(page, f"add a row to {title}")
            # Part 2 forms do not (yet) follow the autosave contract: fall back to the page's form.
            form = "main form[data-autosave-form]"
            if not page.locator(form).count():
                form = "main form[method=post]:has(input:visible, textarea:visible, select:visible)"
            fill_form(page, form)
            if "/finance/expenditure/" in href:
                balance_with_the_added_income(page, form, plan)
            page.locator(f"{form} button[type=submit]").first.click()
            page.wait_for_load_state()
            if errors_on(page):  # e.g. that stream, organisation and year already have a line
                fill_form(page, form, pick="last")
                page.locator(f"{form} button[type=submit]").first.click()
                page.wait_for_load_state()
            assert not errors_on(page), f"Adding a row to {title} failed:\n{errors_on(page)}"
            added.append(title)
            assert_no_axe_violations(page, f"{title} with a row")
            # Open a row's change and remove pages (then come back without removing).
            for action in ("Change", "Remove"):
                link = page.locator("main a", has_text=re.compile(rf"^{action}")).first
                if link.count():
                    link.click()
                    assert_no_axe_violations(page, f"{action.lower()} a row of {title}")
                    page.go_back()

        if "/metrics/" in href:
            enter_every_ambition(page, title)
        if not page.get_by_role("button", name="Mark this section as completed").count():
            page.goto(section_url)  # a Part 2 page without its own button: the section page has it
            assert_no_axe_violations(page, f"{title} section page")
        click_and_expect_no_errors(page, "Mark this section as completed")

    page.goto(overview)
    expect_task_list_complete(page)
    assert_no_axe_violations(page, "completed task list")
    save_screenshot(page, "task-list-completed")
    assert SectionProgress.objects.filter(plan=plan, status="completed").count() == plan.round.sections.count()
    assert Answer.objects.filter(plan=plan).exclude(text="").exists()
    assert Risk.objects.filter(plan=plan).exists() and RelatedDocument.objects.filter(plan=plan).exists()
    print("Rows added through the pages to:", added)
    after = part2_counts(plan)
    # (An expenditure line names its scheme, so it may add a scheme of its own.)
    assert all(after[kind] > before[kind] for kind in before), (before, after)

    # The rest of what a commissioner reaches: check your answers and a section's history.
    page.goto(f"{overview}check-your-answers/")
    assert_no_axe_violations(page, "check your answers")
    first_key = items[0][1]
    page.goto(f"{overview}sections/{first_key}/history/")
    assert_no_axe_violations(page, "section history")
