"""Aligned plans (plans.groups): setting up a group, invitations, the shared text and its effects."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.models import Membership
from governance.models import SignOff
from plans import groups, services
from plans.editing import StaleEdit
from plans.models import Answer, Plan, SectionProgress, SharedAnswer
from tests import factories as f

pytestmark = pytest.mark.django_db

Role = Membership.Role


class Setting:
    """A round with one shareable narrative section and one local one, and three areas' plans."""

    def __init__(self):
        self.round = f.PlanningRoundFactory()
        self.vision = f.SectionFactory(round=self.round, key="vision", heading="Vision", order=1, shareable=True)
        f.QuestionFactory(section=self.vision, key="vision", label="Vision", kind="narrative", order=1)
        self.local = f.SectionFactory(round=self.round, key="progress", heading="Progress", order=2)
        f.QuestionFactory(section=self.local, key="progress", label="Progress", kind="narrative", order=1)
        self.plans, self.commissioners = [], []
        for name in ("Barking and Dagenham", "Havering", "Redbridge"):
            area = f.HwbAreaFactory(name=name)
            self.plans.append(f.PlanFactory(round=self.round, hwb_area=area))
            user = f.UserFactory(email=f"commissioner@{name.split()[0].lower()}.test")
            f.MembershipFactory(user=user, role=Role.COMMISSIONER, hwb_area=area)
            self.commissioners.append(user)
        self.admin = f.UserFactory(is_superuser=True)

    def grouped(self):
        return groups.create_group(user=self.admin, name="BHR aligned plan", plans=self.plans)


@pytest.fixture
def s():
    return Setting()


def _edit(text, version=0):
    return {"vision": services.AnswerEdit(text, version)}


def test_a_national_admin_groups_plans_and_shared_text_is_written_once_for_all(s):
    group = s.grouped()
    assert {p.group_id for p in Plan.objects.filter(pk__in=[p.pk for p in s.plans])} == {group.pk}
    before = dict(Plan.objects.filter(group=group).values_list("pk", "updated_at"))
    written = groups.save_shared_section(
        user=s.commissioners[1], group=group, section=s.vision, answers=_edit("One vision for BHR.")
    )
    assert written == 1
    # Every member's content changed: each plan's row says so (the API's updated_since reads it).
    after = dict(Plan.objects.filter(group=group).values_list("pk", "updated_at"))
    assert all(after[pk] > before[pk] for pk in before)
    shared = SharedAnswer.objects.get(group=group)
    assert shared.text == "One vision for BHR." and shared.updated_by == s.commissioners[1]
    assert shared.history.first().history_user == s.commissioners[1]


def test_a_commissioner_sets_up_a_group_of_their_own_plan_only(s):
    with pytest.raises(PermissionDenied):
        groups.create_group(user=s.commissioners[0], name="Grab", plans=s.plans[:2])
    group = groups.create_group(user=s.commissioners[0], name="BHR", plans=[s.plans[0]])
    s.plans[1].refresh_from_db()
    assert s.plans[1].group_id is None
    # Another area joins only through its own commissioner accepting an invitation bound to its plan.
    code = groups.invitation_code(user=s.commissioners[0], group=group, plan=s.plans[1])
    with pytest.raises(PermissionDenied):
        groups.accept_invitation(user=s.commissioners[0], plan=s.plans[1], code=code)
    with pytest.raises(ValidationError):
        groups.accept_invitation(user=s.commissioners[2], plan=s.plans[2], code=code)
    with pytest.raises(ValidationError):
        groups.accept_invitation(user=s.commissioners[1], plan=s.plans[1], code=code + "x")
    groups.accept_invitation(user=s.commissioners[1], plan=s.plans[1], code=code)
    s.plans[1].refresh_from_db()
    assert s.plans[1].group_id == group.pk


def test_an_outsider_cannot_invite_or_write_the_shared_text(s):
    group = groups.create_group(user=s.admin, name="BHR", plans=s.plans[:2])
    outsider = s.commissioners[2]  # Redbridge is not in this group
    with pytest.raises(PermissionDenied):
        groups.invitation_code(user=outsider, group=group, plan=s.plans[2])
    with pytest.raises(PermissionDenied):
        groups.save_shared_section(user=outsider, group=group, section=s.vision, answers=_edit("Mine now"))
    assert not SharedAnswer.objects.exists()


def test_joining_keeps_every_answer_the_first_seeds_the_shared_text_later_ones_stay_as_addendum(s):
    question = s.vision.questions.get()
    f.AnswerFactory(plan=s.plans[0], question=question, text="Barking's vision.")
    f.AnswerFactory(plan=s.plans[1], question=question, text="Havering's own words.")
    group = s.grouped()
    assert SharedAnswer.objects.get(group=group).text == "Barking's vision."
    assert Answer.objects.get(plan=s.plans[0]).text == ""
    assert Answer.objects.get(plan=s.plans[1]).text == "Havering's own words."
    # Leaving copies the shared text back, ahead of the addendum.
    groups.leave_group(user=s.commissioners[1], plan=s.plans[1])
    assert Answer.objects.get(plan=s.plans[1]).text == "Barking's vision.\n\nHavering's own words."


def test_a_stale_shared_save_is_a_conflict_and_writes_nothing(s):
    group = s.grouped()
    groups.save_shared_section(user=s.commissioners[0], group=group, section=s.vision, answers=_edit("First."))
    with pytest.raises(StaleEdit) as caught:
        groups.save_shared_section(user=s.commissioners[1], group=group, section=s.vision, answers=_edit("Second."))
    conflict = caught.value.conflicts[0]
    assert (conflict.key, conflict.theirs, conflict.yours) == ("vision", "First.", "Second.")
    assert SharedAnswer.objects.get(group=group).text == "First."
    groups.save_shared_section(user=s.commissioners[1], group=group, section=s.vision, answers=_edit("Second.", 1))
    assert SharedAnswer.objects.get(group=group).text == "Second."


def test_changing_the_shared_text_voids_every_member_plans_signatures(s):
    group = s.grouped()
    signatures = []
    for plan in s.plans:
        Plan.objects.filter(pk=plan.pk).update(status=Plan.Status.READY_FOR_SIGNOFF)
        signatures.append(f.SignOffFactory(plan=plan, content_hash="a" * 64))
    groups.save_shared_section(user=s.commissioners[0], group=group, section=s.vision, answers=_edit("New."))
    assert SignOff.objects.filter(pk__in=[x.pk for x in signatures], voided_at__isnull=True).count() == 0
    assert set(Plan.objects.filter(group=group).values_list("status", flat=True)) == {Plan.Status.DRAFT}


def test_the_shared_text_is_refused_while_a_member_plan_is_submitted_naming_it(s):
    group = s.grouped()
    Plan.objects.filter(pk=s.plans[2].pk).update(status=Plan.Status.SUBMITTED)
    with pytest.raises(ValidationError, match="Redbridge"):
        groups.save_shared_section(user=s.commissioners[0], group=group, section=s.vision, answers=_edit("No."))
    assert not SharedAnswer.objects.exists()


def test_a_required_shared_question_is_answered_by_the_shared_text_or_the_addendum(s):
    group = s.grouped()
    with pytest.raises(ValidationError):
        services.complete_section(user=s.commissioners[0], plan=s.plans[0], section=s.vision)
    groups.save_shared_section(user=s.commissioners[0], group=group, section=s.vision, answers=_edit("Shared."))
    services.complete_section(user=s.commissioners[1], plan=s.plans[1], section=s.vision)
    assert SectionProgress.objects.get(plan=s.plans[1], section=s.vision).status == "completed"


def test_a_section_that_is_not_shareable_cannot_be_written_for_the_group(s):
    group = s.grouped()
    with pytest.raises(ValidationError):
        groups.save_shared_section(
            user=s.commissioners[0],
            group=group,
            section=s.local,
            answers={"progress": services.AnswerEdit("x", 0)},
        )


# --- Pages ------------------------------------------------------------------------------------


def _url(name, plan, **extra):
    return reverse(name, kwargs={"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code, **extra})


def test_the_section_page_shows_the_shared_text_and_the_shared_page_saves_it(s, client):
    group = s.grouped()
    client.force_login(s.commissioners[2])
    page = client.get(_url("plans:section", s.plans[2], section_key="vision"))
    assert page.status_code == 200
    assert "Shared with Barking and Dagenham, Havering, Redbridge" in page.content.decode()
    shared_url = _url("plans:shared_section", s.plans[2], section_key="vision")
    response = client.post(shared_url, {"q_vision": "Our shared vision.", "v_q_vision": "0", "action": "draft"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert SharedAnswer.objects.get(group=group).text == "Our shared vision."
    other = client.get(_url("plans:section", s.plans[2], section_key="vision")).content.decode()
    assert "Our shared vision." in other and "Last changed by" in other
    # A stale post shows the conflict page and keeps what was typed.
    stale = client.post(shared_url, {"q_vision": "Typed over.", "v_q_vision": "0", "action": "draft"})
    assert stale.status_code == 409 and "Typed over." in stale.content.decode()
    answers = client.get(_url("plans:check_answers", s.plans[2])).content.decode()
    assert "Shared text of BHR aligned plan" in answers and "Our shared vision." in answers
    history = client.get(_url("plans:section_history", s.plans[2], section_key="vision")).content.decode()
    assert "Shared text: Vision" in history


def test_the_pages_say_the_shared_text_is_frozen_before_anyone_types_and_a_refused_post_keeps_it(s, client):
    s.grouped()
    Plan.objects.filter(pk=s.plans[0].pk).update(status=Plan.Status.APPROVED)
    client.force_login(s.commissioners[2])
    section_page = client.get(_url("plans:section", s.plans[2], section_key="vision")).content.decode()
    assert "data-shared-frozen" in section_page and "Barking and Dagenham (approved)" in section_page
    shared_url = _url("plans:shared_section", s.plans[2], section_key="vision")
    shared_page = client.get(shared_url).content.decode()
    assert "data-shared-frozen" in shared_page and "data-autosave-form" not in shared_page
    # Someone who opened the page before the plan was approved gets their text back with the reason.
    refused = client.post(shared_url, {"q_vision": "Typed before approval.", "v_q_vision": "0", "action": "draft"})
    assert refused.status_code == 400
    assert "Typed before approval." in refused.content.decode()
    assert not SharedAnswer.objects.exists()


def test_a_local_section_and_an_ungrouped_plan_have_no_shared_page(s, client):
    client.force_login(s.commissioners[0])
    assert client.get(_url("plans:shared_section", s.plans[0], section_key="vision")).status_code == 404
    s.grouped()
    assert client.get(_url("plans:shared_section", s.plans[0], section_key="progress")).status_code == 404


def test_another_areas_group_pages_are_404(s, client):
    groups.create_group(user=s.admin, name="BHR", plans=s.plans[:2])
    client.force_login(s.commissioners[2])
    for url in (
        _url("plans:plan_group", s.plans[0]),
        _url("plans:shared_section", s.plans[0], section_key="vision"),
    ):
        assert client.get(url).status_code == 404
        assert client.post(url, {"action": "leave", "q_vision": "x", "v_q_vision": "0"}).status_code == 404
    assert Plan.objects.get(pk=s.plans[0].pk).group_id is not None
    assert not SharedAnswer.objects.exists()


def test_the_group_page_sets_up_invites_and_joins(s, client):
    client.force_login(s.commissioners[0])
    page = _url("plans:plan_group", s.plans[0])
    assert client.get(page).status_code == 200
    assert client.post(page, {"action": "create", "name": "BHR"}).status_code == 302
    response = client.post(page, {"action": "invite", "plan": s.plans[1].pk})
    assert response.status_code == 200
    code = response.context["invitation"]["code"]
    client.force_login(s.commissioners[1])
    assert client.post(_url("plans:plan_group", s.plans[1]), {"action": "join", "code": code}).status_code == 302
    s.plans[1].refresh_from_db()
    assert s.plans[1].group.name == "BHR"
