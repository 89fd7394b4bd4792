"""Money is typed one way everywhere (issue 14, item 17): £, commas and spaces mean the same on every page."""

from decimal import Decimal

import pytest
from django.contrib.admin.sites import site as admin_site
from django.urls import reverse

from finance.forms import ExpenditureLineForm, IncomeLineForm
from finance.models import ExpenditureLine, IncomeLine
from plans.models import Answer
from rounds.models import Allocation
from rounds.money import MONEY_HINT, MoneyField
from tests.plans.authoring import build_round, plan_kwargs

pytestmark = pytest.mark.django_db
KW = {"round_slug": "2017-19", "ons_code": "E09000002"}
TYPED = ["£3,945,000", "3,945,000", "3 945 000", "3945000"]


def url(name, **extra):
    return reverse(name, kwargs={**KW, **extra})


def income_data(line, amount):
    return {
        "funding_stream": line.funding_stream_id,
        "organisation": line.organisation_id,
        "year": line.year_id,
        "amount": amount,
        "note": "typed note",
        "version": line.version,
    }


def expenditure_data(line, years, amount):
    return {
        "scheme_reference": line.scheme.reference,
        "scheme_name": line.scheme.name,
        "scheme_type": line.scheme_type_id,
        "area_of_spend": line.area_of_spend_id,
        "commissioner": line.commissioner_id,
        "provider": line.provider_id,
        "funding_stream": line.funding_stream_id,
        f"amount_{years[0].pk}": amount,
        "is_new": "existing",
        "version": line.version,
    }


def test_money_typed_as_in_part_one_is_accepted_on_income_and_expenditure_pages(bd_plan, client):
    plan, user = bd_plan
    client.force_login(user)
    income = IncomeLine.objects.filter(plan=plan).first()
    spend = ExpenditureLine.objects.filter(plan=plan).first()
    years = list(plan.round.years.order_by("order"))
    for typed in TYPED:
        IncomeLine.objects.filter(pk=income.pk).update(amount=1)
        income.refresh_from_db()
        response = client.post(url("finance:income_change", pk=income.pk), income_data(income, typed))
        assert response.status_code == 302, (typed, response.content.decode()[:2000])
        income.refresh_from_db()
        assert income.amount == Decimal("3945000.00"), typed

        spend.refresh_from_db()
        response = client.post(url("finance:expenditure_change", pk=spend.pk), expenditure_data(spend, years, typed))
        assert response.status_code == 302, typed
        assert spend.amounts.get(year=years[0]).amount == Decimal("3945000.00"), typed
        spend.amounts.filter(year=years[0]).update(amount=1)


def test_a_bad_amount_is_refused_saying_what_is_expected_and_keeps_the_typing(bd_plan, client):
    plan, user = bd_plan
    client.force_login(user)
    income = IncomeLine.objects.filter(plan=plan).first()
    before = income.amount

    response = client.post(url("finance:income_change", pk=income.pk), income_data(income, "£3,94x"))

    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html
    assert "Enter an amount in pounds, for example £3,945,000" in html
    assert 'value="£3,94x"' in html
    income.refresh_from_db()
    assert income.amount == before


def test_every_amount_field_says_what_it_expects_and_is_the_one_money_field(bd_plan, rf, admin_user):
    plan, _ = bd_plan
    income_form = IncomeLineForm(plan=plan)
    expenditure_form = ExpenditureLineForm(plan=plan)
    amount_fields = [income_form.fields["amount"], *(f.field for f in expenditure_form.amount_fields())]
    # Allocations (and every other stored amount) are edited in the admin through the model field's form field.
    request = rf.get("/admin/")
    request.user = admin_user
    admin_form = admin_site._registry[Allocation].get_form(request)
    amount_fields.append(admin_form.base_fields["amount"])
    for field in amount_fields:
        assert isinstance(field, MoneyField)
        assert field.help_text == MONEY_HINT
    assert MONEY_HINT == "In pounds, for example £3,945,000"


def test_part_one_money_question_accepts_spaces_and_gives_the_hint(client):
    a = build_round()
    client.force_login(a.commissioner)
    address = reverse("plans:section", kwargs={**plan_kwargs(a.plan), "section_key": "1a"})
    assert MONEY_HINT in client.get(address).content.decode()

    response = client.post(address, {"q_total_pool": "3 945 000", "v_q_total_pool": "0", "action": "draft"})

    assert response.status_code == 302
    assert Answer.objects.get(plan=a.plan, question__key="total_pool").money == Decimal("3945000.00")
