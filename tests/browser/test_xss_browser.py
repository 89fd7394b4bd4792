"""The XSS payloads of tests/plans/test_xss.py, typed into the real forms in Chromium.

They go through narrative answers (and their Markdown preview), risk, document and scheme
fields, and the document upload (file name and content). Then every page showing them is
opened: no dialog may open, the flag the payloads set must stay unset, and no element a
payload would inject may be in the page. Raw payload text must be visible as text.
"""

import re

import pytest
from playwright.sync_api import expect

from plans.models import Plan, RelatedDocument
from tests.browser.conftest import DialogCounter, sign_in
from tests.browser.journey import fill_form
from tests.plans.test_xss import PAYLOADS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ALL_PAYLOADS = "\n\n".join(PAYLOADS)
SHORT_PAYLOADS = [p for p in PAYLOADS if len(p) <= 200 and "\n" not in p]

# Runs in the page: anything a payload could have injected, anywhere in the document.
FIND_INJECTED = """() => {
  const found = [];
  for (const el of document.querySelectorAll('*')) {
    const tag = el.tagName.toLowerCase();
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      const value = attr.value.replace(/[\\x00-\\x20]/g, '').toLowerCase();
      if (name.startsWith('on')) found.push(`<${tag} ${name}>`);
      if (name === 'srcdoc') found.push(`<${tag} srcdoc>`);
      if (['href', 'src', 'action', 'formaction', 'data', 'xlink:href'].includes(name) &&
          /^(javascript|vbscript|data):/.test(value)) found.push(`<${tag} ${name}=${attr.value}>`);
      if (name === 'style' && /expression|javascript|url\\(/.test(value)) found.push(`<${tag} style>`);
    }
    if (['iframe', 'object', 'embed', 'base', 'frame', 'math', 'noscript'].includes(tag)) found.push(`<${tag}>`);
    if (tag === 'style' || (tag === 'meta' && el.httpEquiv)) found.push(`<${tag}>`);
    if (tag === 'script') {
      const src = el.getAttribute('src') || '';
      const ours = src.startsWith('/static/') || el.textContent.trim().startsWith('document.body.className');
      if (!ours) found.push(`<script>${el.textContent.slice(0, 40)}`);
    }
    if (tag === 'img' && !(el.getAttribute('src') || '').startsWith('/static/')) found.push(`<img src=${el.getAttribute('src')}>`);
  }
  return found;
}"""


@pytest.fixture
def plymouth(demo_data):
    plan = Plan.objects.get(round__slug="2014-15", hwb_area__ons_code="E06000026")
    return plan, demo_data.password


def assert_inert(page, dialogs: DialogCounter, where: str) -> None:
    page.wait_for_timeout(300)  # let onload/onerror/autofocus handlers fire, if any were injected
    assert dialogs.count == 0, f"{where}: a payload opened a dialog: {dialogs.messages}"
    assert page.evaluate("window.__xss") is None, f"{where}: a payload set window.__xss"
    injected = page.evaluate(FIND_INJECTED)
    assert injected == [], f"{where}: injected elements in the page: {injected}"
    assert "XSS49" not in page.content(), f"{where}: a template expression was evaluated"


def test_payloads_typed_into_every_kind_of_field_never_run(page, live_server, plymouth):
    plan, password = plymouth
    dialogs = DialogCounter(page)
    base = f"{live_server.url}/plans/{plan.round.slug}/{plan.hwb_area.ons_code}"
    sign_in(page, live_server.url, "commissioner@plymouth.demo", password)

    # Narrative answers, with the Markdown preview open.
    for key in ("1c", "vision-a"):
        page.goto(f"{base}/sections/{key}/")
        textarea = page.locator("main form[data-autosave-form] textarea[data-markdown]").first
        textarea.fill(ALL_PAYLOADS)
        page.get_by_role("button", name="Preview").first.click()
        preview = page.locator("[data-markdown-preview]").first
        expect(preview).to_contain_text("<script>window.__xss=1;alert('xss-1')</script>")
        assert_inert(page, dialogs, f"Markdown preview on {key}")
        page.get_by_role("button", name="Save as draft").click()
        expect(page.locator(".govuk-error-summary")).to_have_count(0)
        assert_inert(page, dialogs, f"section {key} after saving")
        expect(page.locator("main form textarea[data-markdown]").first).to_have_value(ALL_PAYLOADS)

    # Risks: the whole list in the description and actions, one payload as the owner.
    page.goto(f"{base}/risks/add/")
    page.get_by_label("Describe the risk").fill(ALL_PAYLOADS)
    page.get_by_label("Mitigating actions").fill(ALL_PAYLOADS)
    page.get_by_label("Risk owner").fill(SHORT_PAYLOADS[3])
    fill_form(page)
    page.get_by_role("button", name="Save risk").click()
    expect(page.locator(".govuk-error-summary")).to_have_count(0)
    assert_inert(page, dialogs, "risks table")

    # Documents: payloads as title and synopsis; a payload file name on a real PDF; and an
    # HTML file renamed .pdf, which must be refused.
    for i, title in enumerate(SHORT_PAYLOADS[:6]):
        page.goto(f"{base}/documents/add/")
        page.get_by_label("Document or information title").fill(title)
        page.get_by_label("Synopsis").fill(ALL_PAYLOADS if i == 0 else title)
        if i == 0:
            page.locator("input[type=file]").set_input_files(
                files=[
                    {
                        "name": "\"><img src=x onerror=alert('file')>.pdf",
                        "mimeType": "application/pdf",
                        "buffer": b"%PDF-1.4\n%%EOF\n",
                    }
                ]
            )
        page.get_by_role("button", name="Save document").click()
        expect(page.locator(".govuk-error-summary")).to_have_count(0)
    assert_inert(page, dialogs, "documents table")
    # Chromium sends the quote in a multipart file name as %22; the rest arrives as typed, shown as text.
    expect(page.locator("main")).to_contain_text(
        re.compile(r"Download (\"|%22)><img src=x onerror=alert\('file'\)>\.pdf")
    )

    before = RelatedDocument.objects.filter(plan=plan).count()
    page.goto(f"{base}/documents/add/")
    page.get_by_label("Document or information title").fill("Looks like a PDF")
    page.locator("input[type=file]").set_input_files(
        files=[{"name": "agreement.pdf", "mimeType": "application/pdf", "buffer": b"<html><script>alert(1)</script>"}]
    )
    page.get_by_role("button", name="Save document").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("The selected file must be a PDF, DOCX or XLSX")
    assert RelatedDocument.objects.filter(plan=plan).count() == before
    assert_inert(page, dialogs, "document form refusing an HTML file")

    # Schemes: payloads as names and descriptions.
    for i, name in enumerate(SHORT_PAYLOADS[6:10]):
        page.goto(f"{base}/schemes/add/")
        page.get_by_label("Scheme name").fill(name)
        page.get_by_label("Scheme reference").fill(f"XSS{i}")
        description = page.locator("main form textarea").first
        description.fill(ALL_PAYLOADS)
        fill_form(page)
        page.locator("main form[data-autosave-form] button[type=submit]").first.click()
        expect(page.locator(".govuk-error-summary")).to_have_count(0)
    assert_inert(page, dialogs, "schemes list")

    # Every page that shows them.
    pages = [
        "/",
        "/check-your-answers/",
        "/sections/1c/",
        "/sections/1c/history/",
        "/sections/vision-a/",
        "/sections/vision-a/history/",
        "/sections/1e/",
        "/sections/3/",
        "/schemes/",
    ]
    for path in pages:
        response = page.goto(base + path)
        assert response.ok, f"{path} answered {response.status}"
        assert_inert(page, dialogs, path)
    page.goto(f"{base}/check-your-answers/")
    expect(page.locator("main")).to_contain_text("<script>window.__xss=1;alert('xss-1')</script>")


def test_the_detector_does_see_a_payload_that_runs(page):
    # Guards the test above against passing because it could not see anything.
    dialogs = DialogCounter(page)
    page.set_content("<main><p>ok</p><img src=x onerror=\"window.__xss=1;alert('ran')\"><iframe></iframe></main>")
    page.wait_for_timeout(300)
    assert dialogs.messages == ["ran"]
    assert page.evaluate("window.__xss") == 1
    assert {"<img onerror>", "<iframe>"} <= set(page.evaluate(FIND_INJECTED))
