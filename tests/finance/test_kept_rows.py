"""The finance summary keeps a plan's rows in the web process by the plan's last content change
(finance.selectors._kept_finance_rows): what a commissioner saves shows on the next view, a write
rolled back never does, and a fix made outside the services shows within a minute.

Transactional tests: rows are kept only outside a transaction, as in a web request."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from finance import selectors, services
from finance.models import IncomeLine
from plans.editing import plan_edit
from plans.templatetags.plan_tags import pounds

pytestmark = pytest.mark.django_db(transaction=True)


def _summary(client, plan) -> str:
    kwargs = {"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code}
    response = client.get(reverse("finance:summary", kwargs=kwargs))
    assert response.status_code == 200
    return response.content.decode()


def _pooled_total(plan) -> str:
    with transaction.atomic():  # read afresh, not kept
        return pounds(selectors.finance_summary(selectors.part_two_for_plan(plan, finance_only=True)).pooled_totals[0])


@pytest.fixture
def signed_in(bd_plan, client):
    plan, user = bd_plan
    client.force_login(user)
    return plan, user, client


def test_a_line_saved_through_the_services_shows_on_the_next_view(signed_in):
    plan, user, client = signed_in
    before = _summary(client, plan)
    _summary(client, plan)  # the second view reads the kept rows
    line = IncomeLine.objects.filter(plan=plan).select_related("funding_stream", "organisation", "year").first()
    services.save_income_line(
        user=user,
        plan=plan,
        line=line,
        version=line.version,
        funding_stream=line.funding_stream,
        organisation=line.organisation,
        year=line.year,
        amount=line.amount + Decimal("123456"),
        note=line.note,
    )
    total = _pooled_total(plan)
    assert total not in before
    assert total in _summary(client, plan)


def test_a_write_rolled_back_is_never_shown(signed_in):
    plan, user, client = signed_in
    shown = _pooled_total(plan)
    with pytest.raises(RuntimeError), transaction.atomic():
        with plan_edit(user=user, plan=plan) as edit:
            line = edit.row(IncomeLine, IncomeLine.objects.filter(plan=plan).first().pk)
            line.amount += Decimal("999999")
            edit.save(line)
        # Read inside the write, with the plan as the request read it: not kept for anyone else.
        changed = selectors.part_two_for_plan(plan, finance_only=True)
        assert pounds(selectors.finance_summary(changed).pooled_totals[0]) != shown
        raise RuntimeError("the rest of the write failed")
    assert shown in _summary(client, plan)


def test_a_fix_made_outside_the_services_shows_within_a_minute(signed_in):
    plan, _, client = signed_in
    with time_machine.travel(timezone.now(), tick=False) as clock:
        before = _summary(client, plan)
        IncomeLine.objects.filter(pk=IncomeLine.objects.filter(plan=plan).first().pk).update(
            amount=F("amount") + 777000
        )  # a bulk fix in a shell: no content change recorded
        fixed = _pooled_total(plan)
        assert fixed not in before
        clock.shift(datetime.timedelta(seconds=selectors.KEPT_ROWS_SECONDS))
        assert fixed in _summary(client, plan)
