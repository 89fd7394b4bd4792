"""axe-core finds no violations on any page a commissioner reaches.

The pages are discovered from the URL resolver (every plan URL, filled with the demo plan's
real ids), so a page added later is scanned without editing this test. Pages that are not
HTML (downloads, JSON) and pages a commissioner may not open (403/404/405) are skipped and
listed. The sign-in page is scanned signed out, blank and with its error summary.
"""

import pytest

from plans.models import Answer, Plan
from tests.browser.conftest import _axe as axe
from tests.browser.conftest import _is_govuk_conditional_reveal as excused
from tests.browser.conftest import format_violations, sign_in
from tests.plans.test_views_foreign_area import filled_urls, plan_url_patterns

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COMMISSIONER = "commissioner@plymouth.demo"
MAX_FILLINGS_PER_PATTERN = 2


def real_ids(plan: Plan) -> dict[str, list[str]]:
    """The demo plan's own objects, by the kinds URL kwargs name."""
    ids: dict[str, list[str]] = {}

    def add(kind, values):
        ids.setdefault(kind, []).extend(str(v) for v in values)

    add("section", plan.round.sections.order_by("order").values_list("key", flat=True))
    add("risk", plan.risks.values_list("pk", flat=True)[:1])
    add("document", plan.documents.values_list("pk", flat=True)[:1])
    add("scheme", plan.schemes.values_list("pk", flat=True)[:1])
    add("income", plan.income_lines.values_list("pk", flat=True)[:1])
    add("expenditure", plan.expenditure_lines.values_list("pk", flat=True)[:1])
    add("ambition", plan.metric_ambitions.values_list("pk", flat=True)[:1])
    add("local", plan.metric_ambitions.filter(metric__isnull=True).values_list("pk", flat=True)[:1])
    add("metric", plan.round.metrics.order_by("order").values_list("key", flat=True)[:1])
    add("slot", plan.round.signoff_slots.values_list("code", flat=True)[:1])
    answer = Answer.objects.filter(plan=plan).first()
    if answer:
        add("history", answer.history.values_list("history_id", flat=True)[:1])
    return ids


def scan(page, label, report):
    results = axe.run(page)
    for violation in results.response.get("violations", []):
        if violation["id"] == "aria-allowed-attr":
            violation["nodes"] = [n for n in violation["nodes"] if not excused(n)]
        if violation["nodes"]:
            report.append(
                f"--- {label}\n" + format_violations(type("R", (), {"response": {"violations": [violation]}}))
            )


def test_every_page_a_commissioner_reaches_has_no_axe_violations(browser, live_server, demo_data):
    plan = Plan.objects.get(round__slug="2014-15", hwb_area__ons_code="E06000026")
    ids = real_ids(plan)
    report: list[str] = []
    scanned, skipped = [], []
    error_pages_scanned: set[int] = set()

    signed_out = browser.new_context()
    page = signed_out.new_page()
    page.goto(f"{live_server.url}/sign-in/")
    scan(page, "sign in", report)
    page.get_by_label("Email address").fill(COMMISSIONER)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    assert page.locator(".govuk-error-summary").count() == 1
    scan(page, "sign in with an error", report)
    scanned += ["/sign-in/", "/sign-in/ (error)"]
    signed_out.close()

    context = browser.new_context()
    page = context.new_page()
    sign_in(page, live_server.url, COMMISSIONER, demo_data.password)
    for route, name, converters in plan_url_patterns():
        if converters is None or (route and "round_slug>" not in route and route != "plans/"):
            continue
        # Every section page (each kind of section looks different); two fillings of anything else.
        limit = None if "section_key>" in route and "history" not in route else MAX_FILLINGS_PER_PATTERN
        urls = [f"/{route}"] if "<" not in route else list(filled_urls(route, ids, plan))[:limit]
        for url in urls:
            # Ask first (same cookies): downloads and 405s are not pages to navigate to.
            probe = page.request.get(live_server.url + url, max_redirects=0)
            content_type = probe.headers.get("content-type", "")
            if probe.status in (403, 404) and probe.status not in error_pages_scanned and probe.body():
                # A commissioner meets the "not allowed" and "not found" pages too: scan one of each.
                error_pages_scanned.add(probe.status)
                page.goto(live_server.url + url)
                scan(page, f"{probe.status} page at {url}", report)
                scanned.append(f"{url} ({probe.status} page)")
            if probe.status != 200 or "text/html" not in content_type:
                skipped.append(f"{url} ({name}): {probe.status} {content_type}")
                continue
            page.goto(live_server.url + url)
            scan(page, f"{url} ({name})", report)
            scanned.append(url)
    context.close()

    print("\nScanned:\n  " + "\n  ".join(scanned) + "\nSkipped:\n  " + "\n  ".join(skipped))
    assert len(scanned) >= 25, f"Only {len(scanned)} pages scanned"
    assert not report, f"axe violations on {len(report)} page(s):\n" + "\n".join(report)
