"""Two commissioners edit the same section at once, and a closed tab's typing comes back.

Both run on the real section pages of the Plymouth 2014/15 demo plan in two browser
contexts (two people, two sessions).
"""

import time

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import expect

from plans.models import Answer, Plan, UnsavedDraft
from tests.browser.conftest import assert_no_axe_violations, save_screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SECTION = "1c"  # Service provider engagement: one narrative answer
TEXTAREA = "main form[data-autosave-form] textarea[data-markdown]"


@pytest.fixture
def plymouth(demo_data):
    plan = Plan.objects.get(round__slug="2014-15", hwb_area__ons_code="E06000026")
    return plan, demo_data.password


def expire_sessions(page):
    """End every session on the server (as expiry does) and drop the browser's cookie.

    Deleting server-side matters: an autosave in flight would otherwise bring the old
    session cookie back, since every response renews it.
    """
    Session.objects.all().delete()
    page.context.clear_cookies()


def section_url(base, plan, key=SECTION):
    return f"{base}/plans/{plan.round.slug}/{plan.hwb_area.ons_code}/sections/{key}/"


def test_a_save_over_a_colleagues_newer_save_shows_both_texts_and_the_merge_is_saved(browser, live_server, plymouth):
    plan, password = plymouth
    priya_context, tom_context = browser.new_context(), browser.new_context()
    priya, tom = priya_context.new_page(), tom_context.new_page()
    sign_in(priya, live_server.url, "commissioner@plymouth.demo", password)
    sign_in(tom, live_server.url, "ccg.commissioner@plymouth.demo", password)

    # Both open the section before either saves.
    priya.goto(section_url(live_server.url, plan))
    tom.goto(section_url(live_server.url, plan))
    original = priya.locator(TEXTAREA).first.input_value()

    priya_text = "Priya: providers co-designed the discharge pathway at three workshops."
    tom_text = "Tom: the acute trust and community provider signed a joint statement."
    priya.locator(TEXTAREA).first.fill(priya_text)
    priya.get_by_role("button", name="Save as draft").click()
    expect(priya.locator(".govuk-error-summary")).to_have_count(0)

    tom.locator(TEXTAREA).first.fill(tom_text)
    tom.get_by_role("button", name="Save as draft").click()

    # Tom's save is refused: the conflict page shows Priya's saved text and his own, side by side.
    expect(tom.get_by_role("heading", level=1)).to_have_text("Someone else saved changes while you were editing")
    conflict = tom.locator("[data-conflict-field]").first
    expect(conflict.locator("[data-conflict-theirs]")).to_contain_text(priya_text)
    expect(conflict.locator("[data-conflict-yours]")).to_contain_text(tom_text)
    assert_no_axe_violations(tom, "conflict page")
    save_screenshot(tom, "conflict-page")
    # Nothing was overwritten yet, and nothing Tom typed is lost.
    answer = Answer.objects.get(plan=plan, question__section__key=SECTION)
    assert answer.text == priya_text and original != priya_text

    merged = f"{priya_text}\n\n{tom_text}"
    tom.locator(TEXTAREA).first.fill(merged)
    tom.get_by_role("button", name="Save the merged version").click()
    expect(tom.locator(".govuk-error-summary")).to_have_count(0)

    answer.refresh_from_db()
    assert priya_text in answer.text and tom_text in answer.text
    tom.goto(section_url(live_server.url, plan))
    expect(tom.locator(TEXTAREA).first).to_have_value(merged)
    # Priya sees the merge too, and the history names both of them.
    priya.goto(section_url(live_server.url, plan))
    expect(priya.locator(TEXTAREA).first).to_have_value(merged)
    priya.goto(section_url(live_server.url, plan) + "history/")
    expect(priya.locator("main")).to_contain_text("Priya Chandran")
    expect(priya.locator("main")).to_contain_text("Tom Whitfield")
    assert_no_axe_violations(priya, "section history after a merge")
    priya_context.close()
    tom_context.close()


def test_keeping_your_version_on_the_conflict_page_saves_it(browser, live_server, plymouth):
    plan, password = plymouth
    first, second = browser.new_context(), browser.new_context()
    a, b = first.new_page(), second.new_page()
    sign_in(a, live_server.url, "commissioner@plymouth.demo", password)
    sign_in(b, live_server.url, "ccg.commissioner@plymouth.demo", password)
    a.goto(section_url(live_server.url, plan))
    b.goto(section_url(live_server.url, plan))
    a.locator(TEXTAREA).first.fill("First save wins the race.")
    a.get_by_role("button", name="Save as draft").click()
    b.locator(TEXTAREA).first.fill("Second save keeps its own words.")
    b.get_by_role("button", name="Save as draft").click()
    expect(b.locator("[data-conflict-theirs]").first).to_contain_text("First save wins the race.")
    b.get_by_role("button", name="Keep your version").click()
    expect(b.locator(".govuk-error-summary")).to_have_count(0)
    assert Answer.objects.get(plan=plan, question__section__key=SECTION).text == "Second save keeps its own words."
    first.close()
    second.close()


def test_typing_left_in_a_closed_tab_is_offered_after_signing_in_again(browser, live_server, plymouth):
    plan, password = plymouth
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, live_server.url, "commissioner@plymouth.demo", password)
    page.goto(section_url(live_server.url, plan))
    saved = page.locator(TEXTAREA).first.input_value()
    unsaved = saved + "\n\nA paragraph typed but never saved: the care home forum joined in June."
    page.locator(TEXTAREA).first.fill(unsaved)
    page.close()  # closed without saving; the page-close beacon (or the last autosave) keeps it
    context.close()

    deadline = time.monotonic() + 10
    while not UnsavedDraft.objects.filter(plan=plan, form_key=f"section:{SECTION}").exists():
        assert time.monotonic() < deadline, "the closed tab's typing never reached the server"
        time.sleep(0.2)

    # A new browser: no cookies, no localStorage. Sign in again and open the section.
    again = browser.new_context()
    page = again.new_page()
    sign_in(page, live_server.url, "commissioner@plymouth.demo", password)
    page.goto(section_url(live_server.url, plan))
    expect(page.locator(TEXTAREA).first).to_have_value(saved)
    banner = page.locator("[data-autosave-banner]")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("You have unsaved changes from")
    assert_no_axe_violations(page, "section page offering unsaved changes")
    page.get_by_role("button", name="Restore them").click()
    expect(page.locator(TEXTAREA).first).to_have_value(unsaved)

    # Saving it keeps it for good and clears the draft.
    page.get_by_role("button", name="Save as draft").click()
    expect(page.locator(".govuk-error-summary")).to_have_count(0)
    assert "care home forum" in Answer.objects.get(plan=plan, question__section__key=SECTION).text
    assert not UnsavedDraft.objects.filter(plan=plan, form_key=f"section:{SECTION}").exists()
    page.goto(section_url(live_server.url, plan))
    page.wait_for_timeout(1000)
    expect(page.locator("[data-autosave-banner]")).to_be_hidden()
    again.close()


def test_typing_after_the_session_expired_is_offered_back_after_signing_in_again(page, live_server, plymouth):
    plan, password = plymouth
    sign_in(page, live_server.url, "commissioner@plymouth.demo", password)
    page.goto(section_url(live_server.url, plan))
    saved = page.locator(TEXTAREA).first.input_value()

    expire_sessions(page)  # the session ends while the page is still open
    typed = saved + "\n\nWritten after the session had expired: the voluntary sector forum met twice."
    page.locator(TEXTAREA).first.fill(typed)
    # The server refuses the autosave (no session), so the page keeps the text in this browser.
    expect(page.locator("[data-autosave-status]")).to_contain_text("kept in this browser", timeout=15_000)
    assert not UnsavedDraft.objects.filter(plan=plan, form_key=f"section:{SECTION}").exists()

    sign_in(page, live_server.url, "commissioner@plymouth.demo", password)
    page.goto(section_url(live_server.url, plan))
    expect(page.locator("[data-autosave-banner]")).to_be_visible()
    page.get_by_role("button", name="Restore them").click()
    expect(page.locator(TEXTAREA).first).to_have_value(typed)
    page.get_by_role("button", name="Save as draft").click()
    expect(page.locator(".govuk-error-summary")).to_have_count(0)
    assert "voluntary sector forum" in Answer.objects.get(plan=plan, question__section__key=SECTION).text
