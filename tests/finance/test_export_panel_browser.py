"""The export panel in Chromium: the button queues a real Celery job, the page polls, then offers the download."""

import io
import os
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings

from tests.factories import DEMO_PASSWORD

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.mark.browser
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_export_button_shows_progress_then_downloads_the_workbook(bd_plan, live_celery_worker, live_server, page):
    plan, user = bd_plan
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/sign-in/?next=/plans/2017-19/E09000002/finance/summary/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/finance/summary/")

    panel = page.locator("#export-xlsx")
    panel.get_by_role("button", name="Export the Part 2 workbook (.xlsx)").click()
    panel.locator(".app-export-panel__download").wait_for(timeout=90_000)
    assert "Ready to download" in panel.inner_text()
    # The link the script adds says what it downloads, like the server-rendered one.
    assert panel.get_by_role("link", name="Download the Part 2 workbook (.xlsx)").count() == 1
    assert page.url.endswith("/finance/summary/")  # no page load: the script polled
    screenshots = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"
    screenshots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(screenshots / "finance-summary-export-ready.png"), full_page=True)

    with page.expect_download() as download_info:
        panel.locator(".app-export-panel__download").click()
    path = download_info.value.path()
    wb = openpyxl.load_workbook(io.BytesIO(Path(path).read_bytes()))
    assert wb["Identification"]["B1"].value == "E09000002"
    assert errors == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_part_two_pages_have_no_axe_violations(bd_plan, live_server, page):
    from tests.browser.conftest import assert_no_axe_violations

    plan, user = bd_plan
    page.goto(f"{live_server.url}/sign-in/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    line = plan.expenditure_lines.first()
    base = f"{live_server.url}/plans/2017-19/E09000002"
    for path in [
        "/finance/income/",
        "/finance/income/add/",
        "/finance/expenditure/",
        f"/finance/expenditure/{line.pk}/change/",
        "/finance/summary/",
        "/finance/import/",
        "/metrics/",
        "/metrics/national/residential/",
        "/metrics/local/add/",
    ]:
        page.goto(base + path)
        assert page.locator("h1").count() == 1, path
        assert_no_axe_violations(page, path)
