"""Money typed in Chromium (issue 14, item 17): the same forms are accepted on every amount field.

On the income and expenditure pages and a Part 1 money question, "£3,945,000", "3,945,000" and
"3 945 000" are saved as 3945000.00; "£3,94x" is refused with a message saying what is expected,
and what was typed stays in the field.
"""

from decimal import Decimal

import pytest

from finance.models import ExpenditureAmount, IncomeLine
from plans.models import Answer
from tests.factories import DEMO_PASSWORD
from tests.finance.demo_plans import build_barking_and_dagenham
from tests.plans.authoring import build_round

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ACCEPTED = ["£3,945,000", "3,945,000", "3 945 000"]
REFUSED = "£3,94x"
EXPECTED = "Enter an amount in pounds, for example £3,945,000"


def sign_in(page, live_server, user):
    page.goto(f"{live_server.url}/sign-in/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def enter(page, address, label, typed, button):
    page.goto(address)
    field = page.get_by_label(label, exact=True)
    assert field.get_attribute("type") == "text"  # a number box would not even let "£" be typed
    field.fill(typed)
    page.get_by_role("button", name=button, exact=True).click()
    page.wait_for_load_state()


def assert_refused_and_kept(page, label):
    assert "There is a problem" in page.locator(".govuk-error-summary").inner_text()
    assert EXPECTED in page.locator(".govuk-error-message").first.inner_text()
    assert page.get_by_label(label, exact=True).input_value() == REFUSED


def test_money_entry_on_income_and_expenditure_pages(live_server, page):
    plan, user = build_barking_and_dagenham()
    income = IncomeLine.objects.filter(plan=plan).first()
    spend = plan.expenditure_lines.first()
    year = plan.round.years.order_by("order").first()
    base = f"{live_server.url}/plans/2017-19/E09000002/finance"
    sign_in(page, live_server, user)
    hint = None
    for typed in ACCEPTED:
        IncomeLine.objects.filter(pk=income.pk).update(amount=1)
        enter(page, f"{base}/income/{income.pk}/change/", "Amount", typed, "Save")
        page.wait_for_url("**/finance/income/")
        assert IncomeLine.objects.get(pk=income.pk).amount == Decimal("3945000.00"), typed

        ExpenditureAmount.objects.filter(line=spend, year=year).update(amount=1)
        enter(page, f"{base}/expenditure/{spend.pk}/change/", f"Amount in {year.label}", typed, "Save")
        page.wait_for_url("**/finance/expenditure/")
        assert ExpenditureAmount.objects.get(line=spend, year=year).amount == Decimal("3945000.00"), typed

    page.goto(f"{base}/income/{income.pk}/change/")
    hint = page.locator("#id_amount-hint").inner_text()
    assert hint == "In pounds, for example £3,945,000"

    enter(page, f"{base}/income/{income.pk}/change/", "Amount", REFUSED, "Save")
    assert_refused_and_kept(page, "Amount")
    enter(page, f"{base}/expenditure/{spend.pk}/change/", f"Amount in {year.label}", REFUSED, "Save")
    assert_refused_and_kept(page, f"Amount in {year.label}")
    assert IncomeLine.objects.get(pk=income.pk).amount == Decimal("3945000.00")


def test_money_entry_on_a_part_one_money_question(live_server, page):
    a = build_round()
    address = f"{live_server.url}/plans/{a.plan.round.slug}/{a.plan.hwb_area.ons_code}/sections/1a/"
    label = "Total agreed value of pooled budget"
    sign_in(page, live_server, a.commissioner)
    for typed in ACCEPTED:
        enter(page, address, label, typed, "Save as draft")
        answer = Answer.objects.get(plan=a.plan, question__key="total_pool")
        assert answer.money == Decimal("3945000.00"), typed
        Answer.objects.filter(pk=answer.pk).update(money=1)

    enter(page, address, label, REFUSED, "Save as draft")
    assert_refused_and_kept(page, label)
    assert Answer.objects.get(plan=a.plan, question__key="total_pool").money == Decimal("1.00")
