"""A complete Barking & Dagenham plan and everyone who works on it, for the workflow tests.

Built on the Part 2 demo figures (tests/finance/demo_plans.py), which pass every Part 2 rule,
plus the round's sign-off slots, KLOEs and outcomes as the 2017-19 fixture defines them, a few
Part 1 sections with answers, and one user per role (and per foreign area or region).
"""

from dataclasses import dataclass

from accounts.models import User
from plans.models import Plan, SectionProgress
from rounds.models import Section
from tests import factories as f
from tests.finance.demo_plans import build_barking_and_dagenham

SLOTS = [
    ("hwb", "Signed on behalf of the Health and Wellbeing Board", "other"),
    ("council", "Signed on behalf of the Council", "local_authority"),
    ("ccg", "Signed on behalf of the Clinical Commissioning Group", "ccg"),
]
KLOES = [
    ("PR1", "A jointly developed and agreed plan"),
    ("PR2", "A clear narrative for integration"),
    ("PR4", "NHS contribution to adult social care maintained in real terms"),
]
OUTCOMES = [
    ("approved", "Approved", True, False),
    ("approved-with-conditions", "Approved with conditions", True, True),
    ("not-approved", "Not approved", False, False),
]


@dataclass
class Cast:
    plan: Plan
    commissioner: User
    signatories: dict[str, User]
    assurer: User
    viewer: User
    national_admin: User
    foreign_commissioner: User
    foreign_assurer: User


def _user(email: str, name: str, **membership) -> User:
    user = f.UserFactory(email=email, full_name=name)
    if membership:
        f.MembershipFactory(user=user, **{"hwb_area": None, **membership})
    return user


def build_workflow_plan(*, complete: bool = True) -> Cast:
    plan, commissioner = build_barking_and_dagenham()
    rnd = plan.round
    area = plan.hwb_area
    for order, (code, title, kind) in enumerate(SLOTS):
        f.SignOffSlotFactory(round=rnd, code=code, title=title, organisation_kind=kind, order=order)
    for order, (code, title) in enumerate(KLOES):
        f.KeyLineOfEnquiryFactory(round=rnd, code=code, title=title, order=order)
    for order, (code, label, approval, conditions) in enumerate(OUTCOMES):
        f.OutcomeCategoryFactory(
            round=rnd, code=code, label=label, is_approval=approval, requires_conditions=conditions, order=order
        )
    vision = f.SectionFactory(
        round=rnd,
        key="vision",
        group_heading="1) VISION",
        number="a)",
        heading="Vision for health and care services",
        order=1,
    )
    question = f.QuestionFactory(section=vision, key="vision", label="Vision", kind="narrative", order=1)
    f.AnswerFactory(plan=plan, question=question, text="People in Barking and Dagenham live well at home.")
    governance = f.SectionFactory(round=rnd, key="governance", number="b)", heading="Governance", order=2)
    question = f.QuestionFactory(section=governance, key="governance", label="Governance", kind="narrative", order=1)
    f.AnswerFactory(plan=plan, question=question, text="The Health and Wellbeing Board oversees the plan.")
    f.SectionFactory(
        round=rnd,
        key="signoff",
        number="c)",
        heading="Authorisation and sign-off",
        order=3,
        table=Section.Table.SIGNOFF,
    )
    if complete:
        # Every section of the round (including any Part 2 sections the demo round has) is completed;
        # the sign-off section is judged by its signatures.
        for section in Section.objects.filter(round=rnd).exclude(table=Section.Table.SIGNOFF):
            SectionProgress.objects.update_or_create(
                plan=plan, section=section, defaults={"status": SectionProgress.Status.COMPLETED}
            )

    commissioner.email = "commissioner@lbbd.example"
    commissioner.full_name = "Chris Commissioner"
    commissioner.save()
    signatories = {
        "hwb": _user(
            "chair@lbbd.example", "Cllr Maureen Worby", role="signatory", hwb_area=area, signoff_slot_code="hwb"
        ),
        "council": _user(
            "ceo@lbbd.example", "Chris Naylor", role="signatory", hwb_area=area, signoff_slot_code="council"
        ),
        "ccg": _user("ao@bdccg.example", "Conor Burke", role="signatory", hwb_area=area, signoff_slot_code="ccg"),
    }
    other_region = f.RegionFactory(code="NW", name="North West")
    other_area = f.HwbAreaFactory(ons_code="E08000001", name="Bolton", region=other_region)
    return Cast(
        plan=plan,
        commissioner=commissioner,
        signatories=signatories,
        assurer=_user("assurer@england.example", "Alex Assurer", role="assurer", region=area.region),
        viewer=_user("viewer@lbbd.example", "Vic Viewer", role="viewer", hwb_area=area),
        national_admin=_user("national@england.example", "Nia National", role="national_admin"),
        foreign_commissioner=_user(
            "commissioner@bolton.example", "Bo Bolton", role="commissioner", hwb_area=other_area
        ),
        foreign_assurer=_user("assurer@nw.example", "Nat Northwest", role="assurer", region=other_region),
    )
