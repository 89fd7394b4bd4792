"""A return's sign-off: sent when every part is complete, signed slot by slot, bound to its content."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from monitoring import selectors, services, signoff_selectors, workflow_services
from monitoring.models import Return, ReturnEvent, ReturnPartProgress, ReturnSignOff
from rounds.models import ReturnPart
from tests import factories as f
from tests.monitoring.conftest_sign import SLOT_CODES, build_return_cast, sign_all, sign_slot

pytestmark = pytest.mark.django_db
S = Return.Status


@pytest.fixture
def rc():
    return build_return_cast()


def _events(ret) -> list[str]:
    return list(ReturnEvent.objects.filter(ret=ret).order_by("created_at", "pk").values_list("action", flat=True))


def test_send_sign_every_slot_signs_the_return_off_with_an_event_for_each_step(rc):
    workflow_services.send_for_signoff(user=rc.commissioner, ret=rc.ret)
    assert rc.ret.status == S.READY_FOR_SIGNOFF

    for code in SLOT_CODES[:-1]:
        sign_slot(rc, code)
        assert Return.objects.get(pk=rc.ret.pk).status == S.READY_FOR_SIGNOFF
    signoff = sign_slot(rc, SLOT_CODES[-1])

    rc.ret.refresh_from_db()
    assert rc.ret.status == S.SIGNED_OFF
    assert signoff.content_hash == selectors.return_content_hash(rc.ret)
    assert ReturnSignOff.objects.filter(ret=rc.ret, voided_at__isnull=True).count() == 3
    assert _events(rc.ret)[-5:] == ["send_for_signoff", "signed", "signed", "signed", "complete_signoff"]


def test_a_return_with_an_incomplete_part_cannot_be_sent_for_signoff():
    rc = build_return_cast()
    finance = ReturnPart.objects.get(round_id=rc.ret.plan.round_id, key="finance")
    services.set_part_completed(user=rc.commissioner, ret=rc.ret, part=finance, completed=False)

    with pytest.raises(ValidationError, match="Complete the part ‘Income and expenditure’"):
        workflow_services.send_for_signoff(user=rc.commissioner, ret=rc.ret)
    assert Return.objects.get(pk=rc.ret.pk).status == S.DRAFT


def test_a_return_with_problems_cannot_be_sent_even_if_marked_complete(rc):
    line = rc.ret.lines.filter(kind="expenditure").exclude(explanation="").first()
    # An explanation removed behind the part's back (the part stays marked complete).
    type(line).objects.filter(pk=line.pk).update(explanation="")
    assert ReturnPartProgress.objects.filter(ret=rc.ret, completed=True).count() == 4

    with pytest.raises(ValidationError, match="Explain why the actual"):
        workflow_services.send_for_signoff(user=rc.commissioner, ret=rc.ret)


def test_only_a_commissioner_of_the_area_sends_for_signoff(rc):
    for user in (rc.cast.viewer, rc.cast.signatories["hwb"], rc.cast.foreign_commissioner, rc.cast.assurer):
        with pytest.raises(PermissionDenied):
            workflow_services.send_for_signoff(user=user, ret=rc.ret)
    assert Return.objects.get(pk=rc.ret.pk).status == S.DRAFT


def test_a_signatory_cannot_sign_a_slot_they_do_not_hold(rc):
    workflow_services.send_for_signoff(user=rc.commissioner, ret=rc.ret)
    council = rc.cast.signatories["council"]

    with pytest.raises(PermissionDenied):
        workflow_services.sign_return(
            user=council,
            ret=rc.ret,
            slot_code="hwb",
            seen_content_hash=selectors.return_content_hash(rc.ret),
            signature=workflow_services.Signature(signatory_name=council.full_name, position="Chief Executive"),
        )
    assert not ReturnSignOff.objects.filter(ret=rc.ret).exists()


def test_a_signatory_of_another_area_holding_the_same_slot_code_cannot_sign(rc):
    workflow_services.send_for_signoff(user=rc.commissioner, ret=rc.ret)
    other_area = f.HwbAreaFactory(ons_code="E09000099", name="Elsewhere", region=rc.ret.plan.hwb_area.region)
    stranger = f.UserFactory(email="chair@elsewhere.example")
    f.MembershipFactory(user=stranger, role="signatory", hwb_area=other_area, signoff_slot_code="hwb")

    with pytest.raises(PermissionDenied):
        workflow_services.sign_return(
            user=stranger,
            ret=rc.ret,
            slot_code="hwb",
            seen_content_hash=selectors.return_content_hash(rc.ret),
            signature=workflow_services.Signature(signatory_name="A Stranger", position="Chair"),
        )


def test_a_return_not_waiting_for_signoff_cannot_be_signed(rc):
    with pytest.raises(ValidationError, match="in progress"):
        sign_slot(rc, "hwb")


def test_signing_content_changed_since_it_was_seen_is_refused_and_says_so(rc):
    workflow_services.send_for_signoff(user=rc.commissioner, ret=rc.ret)
    seen = selectors.return_content_hash(rc.ret)
    # Someone changes the content without passing through return_edit (e.g. a concurrent import before its void).
    line = rc.ret.lines.first()
    type(line).objects.filter(pk=line.pk).update(forecast=line.forecast + 1)
    chair = rc.cast.signatories["hwb"]

    with pytest.raises(workflow_services.ReturnChangedSinceSeen) as refused:
        workflow_services.sign_return(
            user=chair,
            ret=rc.ret,
            slot_code="hwb",
            seen_content_hash=seen,
            signature=workflow_services.Signature(signatory_name=chair.full_name, position="Chair"),
        )
    assert refused.value.content_hash == selectors.return_content_hash(rc.ret) != seen
    assert not ReturnSignOff.objects.filter(ret=rc.ret).exists()


def test_the_same_slot_cannot_be_signed_twice(rc):
    workflow_services.send_for_signoff(user=rc.commissioner, ret=rc.ret)
    sign_slot(rc, "hwb")
    with pytest.raises(ValidationError, match="already been signed"):
        sign_slot(rc, "hwb")


def test_signatures_are_void_after_an_actual_is_edited_after_signoff(rc):
    workflow_services.send_for_signoff(user=rc.commissioner, ret=rc.ret)
    sign_all(rc)
    assert rc.ret.status == S.SIGNED_OFF
    line = rc.ret.lines.first()

    services.save_lines(
        user=rc.commissioner,
        ret=rc.ret,
        changes=[
            services.LineChange(
                pk=line.pk,
                version=line.version,
                actual=line.actual + Decimal("1.00"),
                forecast=line.forecast,
                explanation=line.explanation,
            )
        ],
    )

    rc.ret.refresh_from_db()
    assert rc.ret.status == S.DRAFT
    assert not ReturnSignOff.objects.filter(ret=rc.ret, voided_at__isnull=True).exists()
    assert ReturnSignOff.objects.filter(ret=rc.ret, voided_at__isnull=False).count() == 3
    event = ReturnEvent.objects.filter(ret=rc.ret, action="signatures_voided").get()
    assert (event.from_status, event.to_status) == (S.SIGNED_OFF, S.DRAFT)
    assert signoff_selectors.submission_problems(rc.ret)  # every slot must be signed again


def test_withdrawing_to_draft_voids_the_signatures(rc):
    workflow_services.send_for_signoff(user=rc.commissioner, ret=rc.ret)
    sign_slot(rc, "hwb")

    workflow_services.withdraw_from_signoff(user=rc.commissioner, ret=rc.ret)

    assert Return.objects.get(pk=rc.ret.pk).status == S.DRAFT
    assert not ReturnSignOff.objects.filter(ret=rc.ret, voided_at__isnull=True).exists()
    assert _events(rc.ret)[-1] == "withdraw_from_signoff"


def test_sending_again_after_a_withdrawal_needs_every_signature_again(rc):
    workflow_services.send_for_signoff(user=rc.commissioner, ret=rc.ret)
    sign_all(rc)
    workflow_services.withdraw_from_signoff(user=rc.commissioner, ret=rc.ret)
    workflow_services.send_for_signoff(user=rc.commissioner, ret=rc.ret)

    assert [s.code for s in signoff_selectors.unsigned_slots(rc.ret)] == list(SLOT_CODES)
