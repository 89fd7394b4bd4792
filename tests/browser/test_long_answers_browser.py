"""Readable long answers in Chromium (issue 19): a 20,000-character answer with a long address and a
Markdown table keeps the section page and check your answers within one screen width on a phone
(390 px) and a laptop (1280 px); the editor grows with its text and counts its words; axe passes.
"""

import re

import pytest
from playwright.sync_api import expect

from plans.models import Answer
from tests.browser.conftest import assert_no_axe_violations, save_screenshot, sign_in
from tests.factories import DEMO_PASSWORD
from tests.plans.authoring import build_round

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_ADDRESS = (
    "https://www.england.nhs.uk/publication/better-care-fund-planning-requirements-2023-25/"
    "annex-4-national-condition-four-maintaining-nhs-contribution-to-adult-social-care-and-investment"
    "-in-nhs-commissioned-out-of-hospital-services-technical-guidance-and-worked-examples-v2-final.pdf"
)
PARAGRAPHS = [
    "Our integrated neighbourhood teams bring together district nurses, social workers, therapists and "
    "the voluntary sector around each primary care network. Since the last plan we have extended the "
    "rapid community response to seven days a week and joined it up with the virtual ward, so that people "
    "who would otherwise be admitted are seen at home within two hours.",
    "Discharge to assess is now the default for people leaving the acute trust. The transfer of care hub "
    "meets twice a day and tracks every person with no criteria to reside; the joint commissioning of "
    "short-term beds with the council has cut the average wait for a placement from nine days to four.",
    "Unpaid carers told us that they needed breaks they could book at short notice and clearer advice "
    "at the point of discharge. The carers' centre now has a worker on each ward, and the carers' "
    f"assessment is offered before discharge rather than after. The national guidance is at {LONG_ADDRESS}.",
]
TABLE = "\n".join(
    [
        "| Scheme | Type | Commissioner | Provider | 2023/24 (£) | 2024/25 (£) | Outcome measured |",
        "|---|---|---|---|--:|--:|---|",
        "| Rapid community response | Community based schemes | ICB | Community trust | 1,250,000 | 1,310,000 |"
        " Admissions avoided |",
        "| Discharge to assess | Home care or domiciliary care | Local authority | Independent sector |"
        " 2,400,000 | 2,520,000 | Days delayed |",
        "| Carers' breaks | Carers services | Local authority | Carers' centre | 310,000 | 325,000 |"
        " Carer-reported quality of life |",
    ]
)


def long_answer(length: int = 20_000) -> str:
    """Realistic paragraphs with a long address and a table, to at least `length` characters."""
    parts = ["## How partners work together", TABLE]
    i = 0
    while len("\n\n".join(parts)) < length:
        parts.insert(-1 if i % 7 == 3 else len(parts), PARAGRAPHS[i % len(PARAGRAPHS)])
        i += 1
    return "\n\n".join(parts)


FITS_ACROSS = "() => document.documentElement.scrollWidth <= window.innerWidth"
WIDTHS = "() => [document.documentElement.scrollWidth, window.innerWidth]"


@pytest.fixture
def a():
    authoring = build_round()
    question = authoring.sections["1c"].questions.get()
    Answer.objects.create(plan=authoring.plan, question=question, text=long_answer())
    return authoring


@pytest.mark.parametrize("width,height", [(390, 844), (1280, 900)])
def test_long_answer_stays_within_the_screen_width_and_the_editor_grows(page, live_server, a, width, height):
    assert len(long_answer()) >= 20_000
    page.set_viewport_size({"width": width, "height": height})
    base = f"{live_server.url}/plans/{a.plan.round.slug}/{a.plan.hwb_area.ons_code}"
    sign_in(page, live_server.url, a.commissioner.email, DEMO_PASSWORD)

    page.goto(f"{base}/sections/1c/?next=check")
    textarea = page.locator("#id_q_provider_engagement")
    expect(textarea).to_have_class(re.compile("app-long-answer"))
    assert page.evaluate(FITS_ACROSS), page.evaluate(WIDTHS)
    # It has grown past its 8 rows, to the height of the window at most, and scrolls inside from there.
    lines, box, window_height = textarea.evaluate(
        "(ta) => [ta.clientHeight / parseFloat(getComputedStyle(ta).lineHeight), ta.offsetHeight, window.innerHeight]"
    )
    assert lines > 8 and box <= window_height

    count = page.locator("[data-word-count]")
    words = int(re.fullmatch(r"([\d,]+) words", count.inner_text()).group(1).replace(",", ""))
    assert words > 2500
    textarea.press("End")
    textarea.press("Control+End")
    textarea.type(" Three more words")
    expect(count).to_have_text(f"{words + 3:,} words")
    # Screen readers hear the count once typing pauses (aria-live polite).
    spoken = page.locator("#id_q_provider_engagement-word-count")
    expect(spoken).to_have_attribute("aria-live", "polite")
    expect(spoken).to_have_text(f"{words + 3:,} words")
    assert_no_axe_violations(page, f"section page with a long answer at {width}px")
    save_screenshot(page, f"long-answer-section-{width}")

    page.goto(f"{base}/check-your-answers/")
    expect(page.get_by_role("heading", name="Contents")).to_be_visible()
    expect(page.locator(".app-markdown table")).to_have_count(1)
    assert page.evaluate(FITS_ACROSS), page.evaluate(WIDTHS)
    assert_no_axe_violations(page, f"check your answers with a long answer at {width}px")
    save_screenshot(page, f"long-answer-check-your-answers-{width}")

    # Change goes to the section and saving comes back to it in check your answers.
    page.locator('#section-1c a:has-text("Change")').first.click()
    expect(page.get_by_role("button", name="Save and return to check your answers")).to_be_visible()
    page.get_by_role("button", name="Save and return to check your answers").click()
    page.wait_for_url(re.compile(r"/check-your-answers/#section-1c$"))


def test_read_only_long_answer_uses_the_full_width_and_fits_a_phone(page, live_server, a):
    page.set_viewport_size({"width": 390, "height": 844})
    base = f"{live_server.url}/plans/{a.plan.round.slug}/{a.plan.hwb_area.ons_code}"
    sign_in(page, live_server.url, a.viewer.email, DEMO_PASSWORD)
    page.goto(f"{base}/sections/1c/")
    expect(page.locator(".govuk-grid-column-full .govuk-summary-list .app-markdown")).to_have_count(1)
    assert page.evaluate(FITS_ACROSS), page.evaluate(WIDTHS)
    # The table scrolls in its own box, which a keyboard can reach.
    box = page.locator(".app-markdown .app-table-scroll")
    expect(box).to_have_attribute("tabindex", "0")
    assert box.evaluate("(el) => el.scrollWidth > el.clientWidth")
    assert_no_axe_violations(page, "read-only section page with a long answer at 390px")
    page.set_viewport_size({"width": 1280, "height": 900})
    answer = page.locator(".govuk-summary-list .app-markdown")
    assert answer.evaluate("(el) => el.closest('.govuk-summary-list').getBoundingClientRect().width") > 900
