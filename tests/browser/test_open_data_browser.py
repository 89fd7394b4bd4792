"""Open data in Chromium: a national administrator publishes a round's approved plans, then an anonymous
visitor finds them, the datasets and the data dictionary. Every page is scanned with axe."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_no_axe_violations, save_screenshot, sign_in
from tests.factories import DEMO_PASSWORD
from tests.opendata.conftest import assert_no_personal_data, build_open_round, pdf_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def open_round(demo_data):
    return build_open_round()


def test_a_national_admin_publishes_and_an_anonymous_visitor_downloads(page: Page, live_server, open_round):
    base = live_server.url
    name = open_round.round.name
    sign_in(page, base, open_round.national_admin.email, DEMO_PASSWORD, next_path="/national/rounds/")
    page.get_by_role("link", name=f"Publish open data for {name}").click()
    expect(page.get_by_role("heading", name="Publish open data")).to_be_visible()
    expect(page.locator("#approved-count")).to_have_text("2")
    assert_no_axe_violations(page, "publish page")

    page.get_by_role("button", name="Publish open data").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert_no_axe_violations(page, "publish page with an error")
    page.get_by_label(f"I confirm the approved plans of {name} may be published").check()
    page.get_by_role("button", name="Publish open data").click()
    expect(page.get_by_text(f"The open data for {name} is published.")).to_be_visible()
    assert_no_axe_violations(page, "published")

    page.context.clear_cookies()  # from here on, nobody is signed in
    page.goto(f"{base}/open-data/")
    assert_no_axe_violations(page, "open data index")
    page.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    table = page.locator("#published-plans")
    expect(table).to_contain_text(open_round.approved.hwb_area.name)
    expect(table).to_contain_text(open_round.with_conditions.hwb_area.name)
    expect(table).not_to_contain_text(open_round.submitted.hwb_area.name)
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    assert_no_personal_data(page.content())
    assert_no_axe_violations(page, "round's open data")
    save_screenshot(page, "open-data-round")

    pdf_link = page.locator(f'a[href$="/{open_round.approved.hwb_area.ons_code}/part-1.pdf"]')
    expect(pdf_link).to_contain_text("Part 1 (PDF)")
    pdf_href = pdf_link.get_attribute("href")
    pdf = page.request.get(base + pdf_href)
    # The public rendering (no signatories' names), not the submitted file: tests/opendata/test_public_pdf.py
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF") and pdf.body() != pdf_bytes(open_round.approved)
    for link in ("Excel workbook", "CSV files"):
        href = page.get_by_role("link", name=link).get_attribute("href")
        assert page.request.get(base + href).status == 200

    page.get_by_role("link", name="Data dictionary").click()
    expect(page.get_by_role("heading", name="Data dictionary")).to_be_visible()
    assert_no_personal_data(page.content())
    assert_no_axe_violations(page, "data dictionary")
