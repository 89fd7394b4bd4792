"""Signing content one has not seen (issue 14, item 4).

A signature binds to the content its signatory was shown. If the plan is edited and sent for
sign-off again while their page is open, their old form signs nothing: they are told, shown
what changed (governance.compare), and sign again.
"""

import pytest
from django.utils import timezone

from governance import selectors, services
from governance.models import SignOff
from plans import services as plan_services
from rounds.models import Question
from tests.governance.test_views_workflow import url

NEW_VISION = "Residents are supported to live independently, with one joined-up team around them."


def edit_vision_and_send_again(cast) -> None:
    """Another user edits the plan through the services and sends it for sign-off again."""
    question = Question.objects.get(section__round=cast.plan.round, key="vision")
    answer = cast.plan.answers.get(question=question)
    plan_services.save_section(
        user=cast.commissioner,
        plan=cast.plan,
        section=question.section,
        answers={"vision": plan_services.AnswerEdit(NEW_VISION, answer.version)},
        complete=True,
    )
    services.send_for_signoff(user=cast.commissioner, plan=cast.plan)


def _signature() -> services.Signature:
    return services.Signature(signatory_name="Cllr Maureen Worby", position="Chair", signed_on=timezone.localdate())


def test_signing_content_one_has_not_seen_is_refused(cast):
    services.send_for_signoff(user=cast.commissioner, plan=cast.plan)
    seen = services.plan_content_hash(cast.plan)
    edit_vision_and_send_again(cast)

    with pytest.raises(services.PlanChangedSinceSeen) as refused:
        services.sign_plan(
            user=cast.signatories["hwb"],
            plan=cast.plan,
            slot_code="hwb",
            signature=_signature(),
            seen_content_hash=seen,
        )
    assert refused.value.seen_content_hash == seen
    assert refused.value.content_hash == services.plan_content_hash(cast.plan) != seen
    assert not SignOff.objects.filter(plan=cast.plan).exists()

    # What changed, section by section, from the same comparison as submitted versions use.
    changes = selectors.changes_since_seen(cast.plan, seen)
    assert [diff.key for diff in changes] == ["vision"]
    assert ("-", "Vision: People in Barking and Dagenham live well at home.") in changes[0].lines
    assert ("+", f"Vision: {NEW_VISION}") in changes[0].lines

    signoff = services.sign_plan(
        user=cast.signatories["hwb"],
        plan=cast.plan,
        slot_code="hwb",
        signature=_signature(),
        seen_content_hash=refused.value.content_hash,
    )
    assert signoff.content_hash == refused.value.content_hash


def test_a_stale_sign_form_shows_what_changed_and_signs_again(client, cast):
    services.send_for_signoff(user=cast.commissioner, plan=cast.plan)
    client.force_login(cast.signatories["hwb"])
    sign_url = url("sign", cast.plan, slot_code="hwb")
    page = client.get(sign_url)
    seen = services.plan_content_hash(cast.plan)
    assert f'name="content_hash" value="{seen}"' in page.content.decode()

    edit_vision_and_send_again(cast)
    today = timezone.localdate()
    typed = {
        "content_hash": seen,
        "signatory_name": "Cllr Maureen Worby",
        "position": "Chair of the Board",
        "signed_on_day": str(today.day),
        "signed_on_month": str(today.month),
        "signed_on_year": str(today.year),
        "under_delegation": "no",
    }
    response = client.post(sign_url, typed)
    assert response.status_code == 200
    assert not SignOff.objects.filter(plan=cast.plan).exists()
    body = response.content.decode()
    assert "The plan has changed since you opened this page" in body
    assert "What has changed since you opened this page" in body
    assert NEW_VISION in body and "People in Barking and Dagenham live well at home." in body
    # Nothing typed is lost, and the form now carries the content it shows.
    form = response.context["form"]
    current = services.plan_content_hash(cast.plan)
    assert form["content_hash"].value() == current
    assert form["position"].value() == "Chair of the Board"

    response = client.post(sign_url, {**typed, "content_hash": current})
    assert response.status_code == 302
    assert SignOff.objects.get(plan=cast.plan, slot__code="hwb").content_hash == current
