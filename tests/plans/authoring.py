"""A small planning round shaped like 2014/15, for the authoring-page tests (no fixture files needed)."""

from dataclasses import dataclass

from accounts.models import Membership
from plans.models import Plan
from tests import factories as f

SECRET = "Torbay-only narrative 7f3a"  # text that must never reach another area's commissioner


@dataclass
class Authoring:
    round: object
    plan: Plan
    other_plan: Plan
    commissioner: object
    colleague: object
    viewer: object
    outsider: object
    sections: dict
    codes: dict


def build_round() -> Authoring:
    rnd = f.PlanningRoundFactory(
        slug="2014-15", name="Better Care Fund 2014/15 to 2015/16", risk_columns=f.risk_columns_2014_15()
    )
    sections = {}

    def section(key, order, heading, *, group="", number="", table="", prompt="", condition=None):
        sections[key] = f.SectionFactory(
            round=rnd,
            key=key,
            order=order,
            heading=heading,
            group_heading=group,
            number=number,
            table=table,
            prompt=prompt,
            guidance=f"Guidance for {heading}.",
            national_condition=condition,
        )
        return sections[key]

    s1a = section("1a", 1, "Summary of Plan", group="1) PLAN DETAILS", number="a)")
    f.QuestionFactory(section=s1a, key="local_authority", label="Local Authority", kind="text", order=1)
    f.QuestionFactory(
        section=s1a, key="date_agreed", label="Date agreed at Health and Well-Being Board", kind="date", order=2
    )
    f.QuestionFactory(section=s1a, key="total_pool", label="Total agreed value of pooled budget", kind="money", order=3)
    f.QuestionFactory(section=s1a, key="boundary", label="Boundary Differences", kind="text", order=4, required=False)
    section("1b", 2, "Authorisation and signoff", group="1) PLAN DETAILS", number="b)", table="signoff")
    s1c = section(
        "1c",
        3,
        "Service provider engagement",
        group="1) PLAN DETAILS",
        number="c)",
        prompt="Please describe how providers were involved.",
    )
    f.QuestionFactory(
        section=s1c, key="provider_engagement", label="Service provider engagement", kind="narrative", order=1
    )
    section("1e", 4, "Related documentation", group="1) PLAN DETAILS", number="e)", table="documents")
    va = section("vision-a", 5, "Vision for health and care services", group="VISION AND SCHEMES", number="a)")
    f.QuestionFactory(section=va, key="vision", label="Vision", kind="narrative", order=1)
    f.QuestionFactory(
        section=va, key="vision_agreed", label="Partners have agreed this vision", kind="confirmation", order=2
    )
    section("schemes", 6, "Schemes", group="VISION AND SCHEMES", table="schemes")
    condition = f.NationalConditionFactory(round=rnd, number=3, title="Data sharing")
    f.ConditionQuestionFactory(
        condition=condition, number="i)", prompt="Confirm the NHS Number is the primary identifier.", order=1
    )
    f.ConditionQuestionFactory(condition=condition, number="ii)", prompt="Confirm commitment to Open APIs.", order=2)
    section("2c", 7, "Data sharing", group="2) NATIONAL CONDITIONS", number="c)", condition=condition)
    section("3", 8, "Risks", group="3) RISKS", table="risks")
    section("income", 9, "Income", group="PART 2", table="income")

    codes = {}
    for order, label in enumerate(["High", "Medium", "Low"], start=1):
        codes[f"risk_{label.lower()}"] = f.CodeListEntryFactory(
            round=rnd, list="risk_rating", code=label.lower(), label=label, order=order
        )
    codes["type_reablement"] = f.CodeListEntryFactory(
        round=rnd, list="scheme_type", code="reablement", label="Reablement"
    )
    codes["type_carers"] = f.CodeListEntryFactory(round=rnd, list="scheme_type", code="carers", label="Carers")
    codes["sub_home"] = f.CodeListEntryFactory(
        round=rnd,
        list="scheme_subtype",
        code="home-reablement",
        label="Reablement at home",
        parent=codes["type_reablement"],
    )
    codes["sub_breaks"] = f.CodeListEntryFactory(
        round=rnd, list="scheme_subtype", code="carer-breaks", label="Carer breaks", parent=codes["type_carers"]
    )
    codes["ccg"] = f.CodeListEntryFactory(round=rnd, list="commissioner", code="ccg", label="CCG")
    codes["la"] = f.CodeListEntryFactory(round=rnd, list="commissioner", code="la", label="Local authority")
    codes["social_care"] = f.CodeListEntryFactory(
        round=rnd, list="area_of_spend", code="social-care", label="Social care"
    )

    for order, (code, title, kind, has_position) in enumerate(
        [
            ("ccg", "Signed on behalf of the Clinical Commissioning Group", "ccg", True),
            ("council", "Signed on behalf of the Council", "local_authority", True),
            ("hwb", "Signed on behalf of the Health and Wellbeing Board", "", False),
        ],
        start=1,
    ):
        f.SignOffSlotFactory(
            round=rnd, code=code, title=title, organisation_kind=kind, has_position=has_position, order=order
        )

    area = f.HwbAreaFactory(ons_code="E06000027", name="Torbay")
    other_area = f.HwbAreaFactory(ons_code="E06000026", name="Plymouth")
    council = f.OrganisationFactory(name="Torbay Council", kind="local_authority")
    council.hwb_areas.add(area)
    plan = f.PlanFactory(round=rnd, hwb_area=area)
    other_plan = f.PlanFactory(round=rnd, hwb_area=other_area)
    return Authoring(
        round=rnd,
        plan=plan,
        other_plan=other_plan,
        commissioner=f.MembershipFactory(hwb_area=area, user__full_name="Alex Commissioner").user,
        colleague=f.MembershipFactory(hwb_area=area, user__full_name="Sam Colleague").user,
        viewer=f.MembershipFactory(hwb_area=area, role=Membership.Role.VIEWER).user,
        outsider=f.MembershipFactory(hwb_area=other_area).user,
        sections=sections,
        codes=codes,
    )


def plan_kwargs(plan: Plan) -> dict:
    return {"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code}
