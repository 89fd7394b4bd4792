"""Autosave and restore, paste from Word and Markdown preview, in Chromium, on a page that
follows the editing-form contract (tests/browser/harness.py)."""

import re
import time

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import expect

from plans.models import UnsavedDraft
from tests.browser.conftest import assert_no_axe_violations, save_screenshot, sign_in
from tests.factories import DEMO_PASSWORD, MembershipFactory, PlanFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.browser.harness"),
]


@pytest.fixture
def plan():
    return PlanFactory()


@pytest.fixture
def commissioner(plan):
    return MembershipFactory(hwb_area=plan.hwb_area, user__email="writer@example.org").user


@pytest.fixture
def page_url(live_server, plan):
    return f"{live_server.url}/plans/{plan.round.slug}/{plan.hwb_area.ons_code}/test-section/"


def wait_for_server_draft(page, plan, user, text, timeout_ms=10_000):
    """Poll the database (through the page's clock) until the draft holding `text` has arrived."""
    for _ in range(timeout_ms // 250):
        draft = UnsavedDraft.objects.filter(plan=plan, user=user, form_key="section:harness").first()
        if draft and text in draft.data.get("vision", ""):
            return draft
        page.wait_for_timeout(250)
    raise AssertionError(f"No draft containing {text!r} reached the server")


def test_typing_is_autosaved_and_offered_back_in_a_new_browser_after_the_tab_closed(
    browser, live_server, plan, commissioner, page_url
):
    first = browser.new_context()
    page = first.new_page()
    sign_in(page, live_server.url, commissioner.email, DEMO_PASSWORD)
    page.goto(page_url)
    page.get_by_label("Vision").fill("Our vision is joined-up care at home.")
    page.get_by_label("Owner").fill("Director of Adult Social Care")
    page.get_by_label("Yes").check()
    wait_for_server_draft(page, plan, commissioner, "joined-up care")
    first.close()  # closed without saving

    second = browser.new_context()
    page = second.new_page()
    sign_in(page, live_server.url, commissioner.email, DEMO_PASSWORD)
    page.goto(page_url)
    banner = page.locator("[data-autosave-banner]")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(re.compile(r"You have unsaved changes from \d\d:\d\d on \d+ \w+ \d{4}"))
    expect(page.get_by_label("Vision")).to_have_value("")
    assert_no_axe_violations(page, "section page with the restore banner")
    save_screenshot(page, "restore-banner")

    page.get_by_role("button", name="Restore them").click()
    expect(page.get_by_label("Vision")).to_have_value("Our vision is joined-up care at home.")
    expect(page.get_by_label("Owner")).to_have_value("Director of Adult Social Care")
    expect(page.get_by_label("Yes")).to_be_checked()
    expect(banner).to_be_hidden()

    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator("#saved-answer")).to_contain_text("joined-up care at home")
    assert not UnsavedDraft.objects.filter(plan=plan).exists()
    expect(page.locator("[data-autosave-banner]")).to_be_hidden()
    second.close()


def test_closing_the_tab_between_autosaves_still_sends_the_draft(browser, live_server, plan, commissioner, page_url):
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, live_server.url, commissioner.email, DEMO_PASSWORD)
    page.goto(page_url + "?interval=600000")  # no timed autosave during this test
    page.get_by_label("Vision").fill("Typed seconds before the tab closed.")
    page.wait_for_timeout(300)
    assert not UnsavedDraft.objects.filter(plan=plan).exists()
    page.close()  # pagehide: the beacon carries the draft
    draft = None
    for _ in range(40):
        draft = UnsavedDraft.objects.filter(plan=plan, user=commissioner).first()
        if draft:
            break
        time.sleep(0.25)
    assert draft is not None, "the page-close beacon did not reach the server"
    assert draft.data["vision"] == "Typed seconds before the tab closed."
    context.close()


def test_text_typed_after_the_session_expired_is_offered_after_signing_in_again(
    page, live_server, plan, commissioner, page_url
):
    sign_in(page, live_server.url, commissioner.email, DEMO_PASSWORD)
    page.goto(page_url)
    page.get_by_label("Vision").fill("Typed before expiry.")
    wait_for_server_draft(page, plan, commissioner, "before expiry")

    Session.objects.all().delete()  # the session expires on the server while the page is open...
    page.context.clear_cookies()  # ...and the browser's cookie goes with it
    page.get_by_label("Vision").fill("Typed before expiry. And a paragraph typed after it expired.")
    expect(page.locator("[data-autosave-status]")).to_contain_text("kept in this browser", timeout=10_000)
    draft = UnsavedDraft.objects.get(plan=plan, user=commissioner)
    assert "after it expired" not in draft.data["vision"], "the server cannot have it: the session was gone"

    sign_in(page, live_server.url, commissioner.email, DEMO_PASSWORD)
    page.goto(page_url)
    expect(page.locator("[data-autosave-banner]")).to_be_visible()
    page.get_by_role("button", name="Restore them").click()
    expect(page.get_by_label("Vision")).to_have_value("Typed before expiry. And a paragraph typed after it expired.")
    # Restored typing goes back to the server as the new draft.
    wait_for_server_draft(page, plan, commissioner, "after it expired")


def test_discard_forgets_the_draft_here_and_on_the_server(page, live_server, plan, commissioner, page_url):
    sign_in(page, live_server.url, commissioner.email, DEMO_PASSWORD)
    page.goto(page_url)
    page.get_by_label("Vision").fill("A false start.")
    wait_for_server_draft(page, plan, commissioner, "false start")

    page.reload()
    page.get_by_role("button", name="Discard them").click()
    expect(page.locator("[data-autosave-status]")).to_have_text("Your unsaved changes have been discarded.")
    page.wait_for_timeout(1000)
    assert not UnsavedDraft.objects.filter(plan=plan).exists()
    page.reload()
    page.wait_for_timeout(1000)
    expect(page.locator("[data-autosave-banner]")).to_be_hidden()


def test_nothing_is_offered_once_the_page_has_been_saved(page, live_server, plan, commissioner, page_url):
    sign_in(page, live_server.url, commissioner.email, DEMO_PASSWORD)
    page.goto(page_url)
    page.get_by_label("Vision").fill("Saved straight away.")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator("#saved-answer")).to_contain_text("Saved straight away.")
    page.wait_for_timeout(1500)  # several autosave ticks: the unchanged page must not create a draft
    assert not UnsavedDraft.objects.filter(plan=plan).exists()
    page.reload()
    page.wait_for_timeout(1000)
    expect(page.locator("[data-autosave-banner]")).to_be_hidden()


WORD_HTML = """<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><style>p.MsoNormal{margin:0}</style></head>
<body lang=EN-GB>
<!--StartFragment-->
<h1>Case for change</h1>
<p class=MsoNormal>Our <b>local</b> vision.<o:p></o:p></p>
<p class=MsoListParagraphCxSpFirst style='text-indent:-18.0pt;mso-list:l0 level1 lfo1'><![if !supportLists]><span style='font-family:Symbol;mso-list:Ignore'>·<span style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp;</span></span><![endif]>Fewer emergency admissions<o:p></o:p></p>
<p class=MsoListParagraphCxSpMiddle style='text-indent:-18.0pt;mso-list:l0 level1 lfo1'><![if !supportLists]><span style='font-family:Symbol;mso-list:Ignore'>·<span style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp;</span></span><![endif]>More people at home 91 days after discharge<o:p></o:p></p>
<p class=MsoListParagraphCxSpLast style='margin-left:72.0pt;text-indent:-18.0pt;mso-list:l0 level2 lfo1'><![if !supportLists]><span style='font-family:"Courier New";mso-list:Ignore'>o<span style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp;</span></span><![endif]>measured by the reablement metric<o:p></o:p></p>
<p class=MsoNormal>Steps:</p>
<p class=MsoListParagraphCxSpFirst style='mso-list:l1 level1 lfo2'><![if !supportLists]><span style='mso-list:Ignore'>1.<span>&nbsp;</span></span><![endif]>Agree the pooled budget</p>
<p class=MsoListParagraphCxSpLast style='mso-list:l1 level1 lfo2'><![if !supportLists]><span style='mso-list:Ignore'>2.<span>&nbsp;</span></span><![endif]>Sign the section 75 agreement</p>
<table class=MsoTableGrid border=1>
<tr><td><p class=MsoNormal><b>Metric</b></p></td><td><p class=MsoNormal><b>2015/16</b></p></td></tr>
<tr><td><p class=MsoNormal>Admissions</p></td><td><p class=MsoNormal>-3.5%</p></td></tr>
</table>
<!--EndFragment-->
</body></html>"""


def paste_html(page, selector, html):
    page.eval_on_selector(
        selector,
        """(el, html) => {
            el.focus();
            const data = new DataTransfer();
            data.setData('text/html', html);
            data.setData('text/plain', 'plain fallback');
            el.dispatchEvent(new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true}));
        }""",
        html,
    )


def test_pasting_from_word_keeps_headings_lists_and_tables_as_markdown(page, live_server, commissioner, page_url):
    sign_in(page, live_server.url, commissioner.email, DEMO_PASSWORD)
    page.goto(page_url)
    paste_html(page, "#id_vision", WORD_HTML)
    value = page.get_by_label("Vision").input_value()

    assert value.startswith("# Case for change")
    assert "Our **local** vision." in value
    assert "-   Fewer emergency admissions" in value or "- Fewer emergency admissions" in value
    assert re.search(r"\n\s{2,}-\s+measured by the reablement metric", value), "a level-2 Word item nests"
    assert re.search(r"1\.\s+Agree the pooled budget", value)
    assert re.search(r"2\.\s+Sign the section 75 agreement", value)
    assert "| Metric | 2015/16 |" in value
    # turndown escapes a leading "-" so it cannot start a list; Markdown shows it as "-".
    assert re.search(r"\| Admissions \| \\?-3\.5% \|", value)
    assert "·" not in value and "mso" not in value and "<" not in value

    # And the preview shows it as a heading, lists and a table.
    page.get_by_role("button", name="Preview").click()
    preview = page.locator("[data-markdown-preview]")
    expect(preview.locator("h1")).to_have_text("Case for change")
    expect(preview.locator("ul > li")).to_have_count(3)
    expect(preview.locator("ul ul > li")).to_have_text("measured by the reablement metric")
    expect(preview.locator("ol > li")).to_have_count(2)
    expect(preview.locator("table th").first).to_have_text("Metric")
    expect(preview.locator("table td").nth(1)).to_have_text("-3.5%")
    save_screenshot(page, "paste-from-word-preview")


def test_pasting_from_a_web_page_keeps_links_and_nested_lists(page, live_server, commissioner, page_url):
    sign_in(page, live_server.url, commissioner.email, DEMO_PASSWORD)
    page.goto(page_url)
    page.get_by_label("Vision").fill("Intro. ")
    page.get_by_label("Vision").press("End")
    html = (
        '<h2>Sources</h2><ul><li><a href="https://www.england.nhs.uk/bcf">BCF guidance</a>'
        "<ul><li>annex</li></ul></li></ul><script>window.__pasted=1</script>"
        '<img src=x onerror="window.__pasted=1">'
    )
    paste_html(page, "#id_vision", html)
    value = page.get_by_label("Vision").input_value()
    assert value.startswith("Intro. ## Sources")
    assert "[BCF guidance](https://www.england.nhs.uk/bcf)" in value
    assert re.search(r"\n\s+-\s+annex", value)
    assert "script" not in value and "onerror" not in value
    assert page.evaluate("window.__pasted") is None


def test_plain_text_pastes_as_itself(page, live_server, commissioner, page_url):
    sign_in(page, live_server.url, commissioner.email, DEMO_PASSWORD)
    page.goto(page_url)
    page.eval_on_selector(
        "#id_vision",
        """el => {
            const data = new DataTransfer();
            data.setData('text/plain', 'just text');
            const ev = new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true});
            el.dispatchEvent(ev);
            window.__defaultPrevented = ev.defaultPrevented;
        }""",
    )
    assert page.evaluate("window.__defaultPrevented") is False


def test_markdown_preview_toggles_and_follows_the_text(page, live_server, commissioner, page_url):
    sign_in(page, live_server.url, commissioner.email, DEMO_PASSWORD)
    page.goto(page_url)
    page.get_by_label("Vision").fill("## Integration\n\n1. first\n2. second")
    toggle = page.get_by_role("button", name="Preview")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    preview = page.locator("[data-markdown-preview]")
    expect(preview.locator("h2")).to_have_text("Integration")
    expect(preview.locator("ol li")).to_have_count(2)
    expect(page.get_by_role("button", name="Hide preview")).to_have_attribute("aria-expanded", "true")
    assert_no_axe_violations(page, "section page with the Markdown preview open")

    page.get_by_label("Vision").fill("Changed")
    expect(preview).to_be_hidden()
    page.get_by_role("button", name="Preview").click()
    expect(preview).to_have_text("Changed")
    page.get_by_role("button", name="Hide preview").click()
    expect(preview).to_be_hidden()
