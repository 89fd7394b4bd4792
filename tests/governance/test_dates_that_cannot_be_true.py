"""Dates that cannot be true are refused (issue 14, item 18): by the service, and shown on the form.

A signature cannot be dated before the plan existed or after today, nor rest on a delegation
decided after it; a condition cannot fall due on or before the decision that sets it.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from governance import services
from governance.models import ReviewCondition, SignOff
from governance.snapshots import plan_content_hash
from rounds.models import KeyLineOfEnquiry, OutcomeCategory
from tests.governance.test_views_workflow import url

DAY = datetime.timedelta(days=1)


def _signature(signed_on, **delegation) -> services.Signature:
    return services.Signature(signatory_name="Cllr Maureen Worby", position="Chair", signed_on=signed_on, **delegation)


def _sign(cast, signature):
    return services.sign_plan(
        user=cast.signatories["hwb"],
        plan=cast.plan,
        slot_code="hwb",
        signature=signature,
        seen_content_hash=plan_content_hash(cast.plan),
    )


def _date_fields(name: str, date: datetime.date) -> dict[str, str]:
    return {f"{name}_day": str(date.day), f"{name}_month": str(date.month), f"{name}_year": str(date.year)}


def test_signature_dates_that_cannot_be_true_are_refused(cast):
    services.send_for_signoff(user=cast.commissioner, plan=cast.plan)
    started = timezone.localdate(cast.plan.created_at)
    today = timezone.localdate()
    a_year_before = started - datetime.timedelta(days=365)
    for signature, field, message in [
        (_signature(a_year_before), "signed_on", "must be the same as or after"),
        (_signature(started - DAY), "signed_on", "must be the same as or after"),
        (_signature(today + DAY), "signed_on", "must be today or in the past"),
        (
            _signature(
                today,
                under_delegation=True,
                delegating_body="Barking and Dagenham Health and Wellbeing Board",
                delegation_date=today + DAY,
                delegation_minute_ref="HWB 17/23",
            ),
            "delegation_date",
            "must be the same as or before the date signed",
        ),
    ]:
        with pytest.raises(ValidationError) as refused:
            _sign(cast, signature)
        assert message in " ".join(refused.value.message_dict[field])
    assert not SignOff.objects.filter(plan=cast.plan).exists()

    # The first and the last true dates are both accepted.
    signoff = _sign(cast, _signature(started))
    assert signoff.signed_on == started
    SignOff.objects.filter(pk=signoff.pk).update(voided_at=timezone.now())
    assert _sign(cast, _signature(today)).signed_on == today


def test_a_signature_date_that_cannot_be_true_is_shown_on_the_sign_form(client, cast):
    services.send_for_signoff(user=cast.commissioner, plan=cast.plan)
    client.force_login(cast.signatories["hwb"])
    sign_url = url("sign", cast.plan, slot_code="hwb")
    form = client.get(sign_url).context["form"]
    a_year_before = timezone.localdate(cast.plan.created_at) - datetime.timedelta(days=365)
    response = client.post(
        sign_url,
        {
            **form.initial,
            "signatory_name": "Cllr Maureen Worby",
            "position": "Chair",
            "under_delegation": "no",
            **_date_fields("signed_on", a_year_before),
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["signed_on"] == [
        f"The date signed must be the same as or after {timezone.localdate(cast.plan.created_at):%-d %B %Y}, "
        "when the plan was started"
    ]
    body = response.content.decode()
    assert "There is a problem" in body and 'href="#id_signed_on"' in body
    assert not SignOff.objects.filter(plan=cast.plan).exists()


def _rate_all(cast):
    ratings = {k.pk: ("met", "") for k in KeyLineOfEnquiry.objects.filter(round=cast.plan.round)}
    services.rate_kloes(user=cast.assurer, plan=cast.plan, ratings=ratings)


def test_condition_deadlines_on_or_before_the_decision_date_are_refused(submitted):
    cast, _ = submitted
    _rate_all(cast)
    outcome = OutcomeCategory.objects.get(round=cast.plan.round, code="approved-with-conditions")
    today = timezone.localdate()
    for due in (today - datetime.timedelta(days=365), today):
        with pytest.raises(ValidationError, match="Enter a date after .*, the date of this decision"):
            services.decide(
                user=cast.assurer,
                plan=cast.plan,
                outcome=outcome,
                conditions=[services.Condition("Agree the DFG plan with housing", due)],
            )
    assert not ReviewCondition.objects.exists()
    review = services.decide(
        user=cast.assurer,
        plan=cast.plan,
        outcome=outcome,
        conditions=[services.Condition("Agree the DFG plan with housing", today + DAY)],
    )
    assert review.conditions.get().due_date == today + DAY


def test_a_condition_deadline_before_the_decision_is_shown_on_the_decision_form(client, submitted):
    cast, _ = submitted
    _rate_all(cast)
    client.force_login(cast.assurer)
    outcome = OutcomeCategory.objects.get(round=cast.plan.round, code="approved-with-conditions")
    response = client.post(
        url("review", cast.plan),
        {
            "action": "decide",
            "outcome": outcome.pk,
            "condition_1": "Agree the DFG plan with housing",
            **_date_fields("condition_1_due", datetime.date(2017, 12, 1)),
        },
    )
    assert response.status_code == 200
    errors = response.context["decision_form"].non_field_errors()
    assert errors == [
        f"Enter a date after {timezone.localdate():%-d %B %Y}, the date of this decision, "
        "for the condition ‘Agree the DFG plan with housing’"
    ]
    assert "There is a problem" in response.content.decode()
    cast.plan.refresh_from_db()
    assert cast.plan.status == cast.plan.Status.IN_ASSURANCE
