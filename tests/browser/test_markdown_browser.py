"""Narrative Markdown in Chromium (issue 14): a numbered list that starts at 2 shows 2, bracketed links
are links, and the preview says why it refuses text over the limit.

The same list in the Part 1 PDF is checked in tests/governance/test_pdf_markdown.py.
"""

import pytest
from playwright.sync_api import expect

from plans.markdown import MAX_MARKDOWN_CHARS
from tests.browser.conftest import save_screenshot, sign_in
from tests.factories import DEMO_PASSWORD
from tests.plans.authoring import build_round
from tests.plans.test_markdown import LIST_INTERRUPTED_BY_A_PARAGRAPH

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs in the page: each numbered list's first number as Chromium draws it, from the list's start
# and its marker style (a list whose numbers were hidden or restarted would not say 2).
LIST_NUMBERS = """(selector) => [...document.querySelectorAll(selector + ' ol')].map((ol) => ({
  start: ol.start,
  marker: getComputedStyle(ol.querySelector('li')).listStyleType,
  text: ol.querySelector('li').textContent,
}))"""


@pytest.fixture
def a():
    return build_round()


def test_numbered_list_starting_at_2_shows_2_in_chromium(page, live_server, a):
    base = f"{live_server.url}/plans/{a.plan.round.slug}/{a.plan.hwb_area.ons_code}"
    sign_in(page, live_server.url, a.commissioner.email, DEMO_PASSWORD)
    page.goto(f"{base}/sections/1c/")
    page.locator("textarea[data-markdown]").first.fill(LIST_INTERRUPTED_BY_A_PARAGRAPH)
    page.get_by_role("button", name="Preview").first.click()
    preview = page.locator("[data-markdown-preview]").first
    expect(preview.locator("ol")).to_have_count(2)
    second = {"start": 2, "marker": "decimal", "text": "Sign the section 75 agreement"}
    assert page.evaluate(LIST_NUMBERS, "[data-markdown-preview]")[1] == second
    page.get_by_role("button", name="Save as draft").click()
    expect(page.locator(".govuk-error-summary")).to_have_count(0)

    page.goto(f"{base}/check-your-answers/")
    assert page.evaluate(LIST_NUMBERS, ".app-markdown")[1] == second
    save_screenshot(page, "numbered-list-starting-at-2")


def test_bracketed_link_is_a_link_in_the_preview_in_chromium(page, live_server, a):
    base = f"{live_server.url}/plans/{a.plan.round.slug}/{a.plan.hwb_area.ons_code}"
    sign_in(page, live_server.url, a.commissioner.email, DEMO_PASSWORD)
    page.goto(f"{base}/sections/1c/")
    page.locator("textarea[data-markdown]").first.fill("Guidance is at <https://www.england.nhs.uk/bcf>.")
    page.get_by_role("button", name="Preview").first.click()
    link = page.locator("[data-markdown-preview] a")
    expect(link).to_have_attribute("href", "https://www.england.nhs.uk/bcf")
    expect(page.locator("[data-markdown-preview]")).to_have_text("Guidance is at https://www.england.nhs.uk/bcf.")


def test_preview_of_text_over_the_limit_says_how_to_fix_it_in_chromium(page, live_server, a):
    base = f"{live_server.url}/plans/{a.plan.round.slug}/{a.plan.hwb_area.ons_code}"
    sign_in(page, live_server.url, a.commissioner.email, DEMO_PASSWORD)
    page.goto(f"{base}/sections/1c/")
    textarea = page.locator("textarea[data-markdown]").first
    textarea.fill("a" * (MAX_MARKDOWN_CHARS + 1))
    page.get_by_role("button", name="Preview").first.click()
    expect(page.locator("[data-markdown-preview]")).to_have_text(
        f"The text must be {MAX_MARKDOWN_CHARS:,} characters or fewer. It has {MAX_MARKDOWN_CHARS + 1:,}."
        " Your text is still here."
    )
    expect(textarea).to_have_value("a" * (MAX_MARKDOWN_CHARS + 1))
