"""Figures in Chromium (issue 19): a commissioner uploads two figures with alt text through the page,
sees them drawn in the section page and in check your answers, and axe finds nothing on either page.

The same figures in the Part 1 PDF are checked in tests/governance/test_pdf_figures.py.
"""

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from plans.models import Figure
from tests.browser.conftest import assert_no_axe_violations, save_screenshot, sign_in
from tests.factories import DEMO_PASSWORD
from tests.plans.authoring import build_round

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIGURES = [
    ("Governance structure: the Health and Wellbeing Board oversees the joint commissioning board", "Figure 1"),
    ("Model of care: home first, with reablement before any long-term placement", "Figure 2"),
]


@pytest.fixture
def a(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_round()


def png(color) -> dict:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 180), color).save(buffer, format="PNG")
    return {"name": "chart.png", "mimeType": "image/png", "buffer": buffer.getvalue()}


def test_a_commissioner_uploads_two_figures_and_sees_them_with_alt_text(page, live_server, a):
    base = f"{live_server.url}/plans/{a.plan.round.slug}/{a.plan.hwb_area.ons_code}"
    sign_in(page, live_server.url, a.commissioner.email, DEMO_PASSWORD)
    page.goto(f"{base}/sections/1c/")
    figures = page.locator("#figures-provider_engagement")
    expect(figures).to_contain_text("No figures added")

    # Alt text is required: the page says so and keeps nothing.
    figures.get_by_role("link", name="Add a figure").click()
    page.get_by_label("Image").set_input_files(png((0, 94, 165)))
    page.get_by_role("button", name="Add figure").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter alt text that describes the figure")
    assert_no_axe_violations(page, "add a figure, with an error")
    assert not Figure.objects.exists()

    for n, (alt, caption) in enumerate(FIGURES):
        if n:
            page.locator("#figures-provider_engagement").get_by_role("link", name="Add a figure").click()
        page.get_by_label("Image").set_input_files(png((n * 120, 94, 165)))
        page.get_by_label("Alt text").fill(alt)
        page.get_by_label("Caption (optional)").fill(caption)
        page.get_by_role("button", name="Add figure").click()
        expect(page.locator(".govuk-notification-banner--success")).to_contain_text("The figure has been added")

    images = page.locator("#figures-provider_engagement figure img")
    expect(images).to_have_count(2)
    for index, (alt, caption) in enumerate(FIGURES):
        expect(images.nth(index)).to_have_attribute("alt", alt)
        expect(page.locator("#figures-provider_engagement figcaption").nth(index)).to_have_text(caption)
    # Drawn, not broken: the browser decoded each image it fetched (same origin, allowed by the CSP).
    assert drawn_widths(images) == [320, 320]
    assert_no_axe_violations(page, "section with two figures")
    save_screenshot(page, "figures-section")

    page.goto(f"{base}/check-your-answers/")
    answers = page.locator("figure img")
    expect(answers).to_have_count(2)
    for index, (alt, _) in enumerate(FIGURES):
        expect(answers.nth(index)).to_have_attribute("alt", alt)
    assert drawn_widths(answers) == [320, 320]
    assert_no_axe_violations(page, "check your answers with two figures")
    save_screenshot(page, "figures-check-your-answers")


def drawn_widths(images) -> list:
    """Each image's decoded width once it has loaded: they load lazily, so each is scrolled into view first."""
    widths = []
    for index in range(images.count()):
        image = images.nth(index)
        image.scroll_into_view_if_needed()
        image.evaluate("(img) => img.complete || new Promise((done) => img.addEventListener('load', done))")
        widths.append(image.evaluate("(img) => img.naturalWidth"))
    return widths
