"""An aligned plan's snapshot and Part 1 PDF carry the group's shared text and the plan's own addendum."""

import io
import re

import pytest
from pypdf import PdfReader

from accounts.models import Membership
from governance.pdf import pdf_bytes
from governance.snapshots import read_plan_snapshot
from plans import groups, services
from plans.models import Answer, Plan, PlanGroup
from rounds.models import HwbArea, PlanningRound, Section
from tests import factories as f

pytestmark = pytest.mark.django_db

BARKING, HAVERING = "E09000002", "E09000016"


def _text(pdf: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))


@pytest.fixture
def bhr(demo_data):
    """The demo's Barking and Dagenham plan (in the BHR group) and a Havering plan that joins it."""
    rnd = PlanningRound.objects.get(slug="2017-19")
    barking = Plan.objects.get(round=rnd, hwb_area__ons_code=BARKING)
    havering = Plan.objects.filter(round=rnd, hwb_area__ons_code=HAVERING).first() or f.PlanFactory(
        round=rnd, hwb_area=HwbArea.objects.get(ons_code=HAVERING)
    )
    commissioner = f.UserFactory()
    f.MembershipFactory(user=commissioner, role=Membership.Role.COMMISSIONER, hwb_area=havering.hwb_area)
    group = PlanGroup.objects.get(plans=barking)
    if havering.group_id is None:
        code = groups.invitation_code(
            user=barking.hwb_area.memberships.filter(role="commissioner").first().user, group=group, plan=havering
        )
        groups.accept_invitation(user=commissioner, plan=havering, code=code)
    return barking, havering, group, commissioner


def test_the_snapshot_and_pdf_carry_the_shared_text_and_the_local_addendum(bhr):
    barking, havering, group, commissioner = bhr
    vision = Section.objects.get(round=barking.round, key="vision")
    shared = "The three boroughs plan one integrated care system together."
    version = group.shared_answers.get(question__key="vision").version if group.shared_answers.exists() else 0
    groups.save_shared_section(
        user=commissioner, group=group, section=vision, answers={"vision": services.AnswerEdit(shared, version)}
    )
    Answer.objects.update_or_create(
        plan=havering, question=vision.questions.get(), defaults={"text": "Havering adds its own locality model."}
    )

    content = read_plan_snapshot(havering).content()
    assert content["group"] == group.name
    answer = next(s for s in content["sections"] if s["key"] == "vision")["answers"][0]
    assert answer["shared"] == shared and answer["value"] == "Havering adds its own locality model."

    havering_pdf = _text(pdf_bytes(read_plan_snapshot(havering)))
    assert shared in havering_pdf and "Local addendum" in havering_pdf
    assert "Havering adds its own locality model." in havering_pdf
    barking_pdf = _text(pdf_bytes(read_plan_snapshot(barking)))
    assert shared in barking_pdf and "Havering adds its own locality model." not in barking_pdf
    # Finance stays per area: each PDF's snapshot holds only its own plan's income.
    assert read_plan_snapshot(havering).part_two.income_lines != read_plan_snapshot(barking).part_two.income_lines


def test_an_ungrouped_plans_content_has_no_group_or_shared_keys(demo_data):
    plan = Plan.objects.get(round__slug="2014-15", hwb_area__name="Plymouth")
    content = read_plan_snapshot(plan).content()
    assert "group" not in content
    assert all("shared" not in a for s in content["sections"] for a in s["answers"])
