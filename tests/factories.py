"""factory_boy factories, one per model, with realistic defaults."""

import datetime
import re
from decimal import Decimal

import factory
from django.utils import timezone

from accounts import models as am
from api import models as api_models
from opendata import models as opendata_models
from plans import models as pm
from rounds import models as rm
from rounds.columns import TableColumn, default_risk_columns

DEMO_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    full_name = factory.Faker("name", locale="en_GB")
    password = factory.PostGenerationMethodCall("set_password", DEMO_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rm.Region
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"R{n:02d}")
    name = factory.Sequence(lambda n: f"Region {n}")


class HwbAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rm.HwbArea
        django_get_or_create = ["ons_code"]

    ons_code = factory.Sequence(lambda n: f"E06{n:06d}")
    name = factory.Sequence(lambda n: f"Area {n}")
    region = factory.SubFactory(RegionFactory)


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rm.Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = rm.Organisation.Kind.LOCAL_AUTHORITY


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.Membership

    user = factory.SubFactory(UserFactory)
    role = am.Membership.Role.COMMISSIONER
    hwb_area = factory.SubFactory(HwbAreaFactory)


class PlanningRoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rm.PlanningRound
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"round-{n}")
    name = factory.Sequence(lambda n: f"Round {n}")
    final_deadline = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=30))


def risk_columns_2014_15() -> list[dict]:
    """The risk register of a round shaped like 2014/15: the common columns and "concerns NHS providers?"."""
    concerns = TableColumn(
        key="concerns_nhs_providers",
        heading="Concerns NHS providers",
        kind="yes_no",
        label="Does this risk concern NHS service providers?",
        required=True,
        error="Select yes if this risk concerns NHS service providers",
    )
    return [*default_risk_columns(), concerns.as_json()]


class RoundYearFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rm.RoundYear

    round = factory.SubFactory(PlanningRoundFactory)
    label = factory.Sequence(lambda n: f"20{n % 90 + 10}/{n % 90 + 11}")
    order = factory.Sequence(int)


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rm.Section

    round = factory.SubFactory(PlanningRoundFactory)
    key = factory.Sequence(lambda n: f"s{n}")
    number = "a)"
    heading = factory.Sequence(lambda n: f"Section {n}")
    order = factory.Sequence(int)


class RoundPhaseFactory(factory.django.DjangoModelFactory):
    """A phase of a round; pass `sections=[...]` for the sections a later phase asks for."""

    class Meta:
        model = rm.RoundPhase
        skip_postgeneration_save = True

    round = factory.SubFactory(PlanningRoundFactory)
    key = factory.Sequence(lambda n: f"phase-{n}")
    name = factory.Sequence(lambda n: f"Planning update {n}")
    order = factory.Sequence(lambda n: n + 1)

    @factory.post_generation
    def sections(obj, create, extracted, **kwargs):  # noqa: N805
        if create and extracted:
            obj.sections.set(extracted)


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rm.Question

    section = factory.SubFactory(SectionFactory)
    key = factory.Sequence(lambda n: f"q{n}")
    label = "Describe the plan"
    kind = rm.Question.Kind.NARRATIVE
    order = factory.Sequence(int)


class CodeListEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rm.CodeListEntry

    round = factory.SubFactory(PlanningRoundFactory)
    list = rm.CodeListEntry.List.AREA_OF_SPEND
    code = factory.Sequence(lambda n: f"code-{n}")
    label = factory.Sequence(lambda n: f"Code {n}")


class FundingStreamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rm.FundingStream

    round = factory.SubFactory(PlanningRoundFactory)
    key = factory.Sequence(lambda n: f"stream-{n}")
    name = factory.Sequence(lambda n: f"Funding stream {n}")
    contributor = rm.FundingStream.Contributor.NHS
    order = factory.Sequence(int)


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.Plan

    round = factory.SubFactory(PlanningRoundFactory)
    hwb_area = factory.SubFactory(HwbAreaFactory)


class AnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.Answer

    plan = factory.SubFactory(PlanFactory)
    question = factory.SubFactory(QuestionFactory)
    text = "Partners agreed the plan at a joint workshop."


class AllocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rm.Allocation

    round = factory.SubFactory(PlanningRoundFactory)
    hwb_area = factory.SubFactory(HwbAreaFactory)
    year = factory.SubFactory(RoundYearFactory, round=factory.SelfAttribute("..round"))
    key = "minimum_pool"
    amount = Decimal("5700000.00")


class IcbAllocationFactory(factory.django.DjangoModelFactory):
    """An ICB's allocation for one stream and year; the areas linked to the ICB share it."""

    class Meta:
        model = rm.IcbAllocation

    round = factory.SubFactory(PlanningRoundFactory)
    organisation = factory.SubFactory(
        OrganisationFactory, kind=rm.Organisation.Kind.ICB, name=factory.Sequence(lambda n: f"NHS Testshire ICB {n}")
    )
    year = factory.SubFactory(RoundYearFactory, round=factory.SelfAttribute("..round"))
    funding_stream = factory.SubFactory(FundingStreamFactory, round=factory.SelfAttribute("..round"))
    amount = Decimal("3000000.00")


# --- Part 2: schemes, finance and metrics ----------------------------------------------


class RingFenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rm.RingFence

    round = factory.SubFactory(PlanningRoundFactory)
    key = factory.Sequence(lambda n: f"ring-fence-{n}")
    name = factory.Sequence(lambda n: f"Ring-fence {n}")


class OutputUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rm.OutputUnit

    round = factory.SubFactory(PlanningRoundFactory)
    key = factory.Sequence(lambda n: f"unit-{n}")
    label = "Packages"
    order = factory.Sequence(int)


class SplitRuleFactory(factory.django.DjangoModelFactory):
    """Lines commissioned by `joint` (on any stream) are jointly commissioned."""

    class Meta:
        model = rm.SplitRule

    round = factory.SubFactory(PlanningRoundFactory)
    order = factory.Sequence(int)
    commissioners = factory.LazyFunction(lambda: ["joint"])
    funding_streams = factory.LazyFunction(list)


class MetricFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rm.Metric
        django_get_or_create = ["round", "key"]

    round = factory.SubFactory(PlanningRoundFactory)
    key = factory.Sequence(lambda n: f"metric-{n}")
    name = factory.Sequence(lambda n: f"Metric {n}")
    definition = "Count per 100,000 population"
    unit = "rate_per_100k"
    periods = factory.LazyFunction(lambda: ["2015/16 Q1", "2015/16 Q2"])
    order = factory.Sequence(int)


def _code(list_):
    """A code-list entry of the row's plan's round (rows may only use their own round's codes)."""
    return factory.SubFactory(CodeListEntryFactory, round=factory.SelfAttribute("..plan.round"), list=list_)


class PartTwoSchemeFactory(factory.django.DjangoModelFactory):
    """A scheme for expenditure lines; code-list entries come from the plan's round."""

    class Meta:
        model = "schemes.Scheme"
        django_get_or_create = ["plan", "reference"]

    plan = factory.SubFactory(PlanFactory)
    reference = factory.Sequence(lambda n: f"S{n:02d}")
    name = factory.Sequence(lambda n: f"Scheme {n}")
    scheme_type = _code(rm.CodeListEntry.List.SCHEME_TYPE)
    lead_commissioner = _code(rm.CodeListEntry.List.COMMISSIONER)
    area_of_spend = _code(rm.CodeListEntry.List.AREA_OF_SPEND)


class IncomeLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "finance.IncomeLine"

    plan = factory.SubFactory(PlanFactory)
    funding_stream = factory.SubFactory(FundingStreamFactory, round=factory.SelfAttribute("..plan.round"))
    organisation = factory.SubFactory(OrganisationFactory)
    year = factory.SubFactory(RoundYearFactory, round=factory.SelfAttribute("..plan.round"))
    amount = Decimal("1000000.00")


class ExpenditureLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "finance.ExpenditureLine"

    plan = factory.SubFactory(PlanFactory)
    scheme = factory.SubFactory(PartTwoSchemeFactory, plan=factory.SelfAttribute("..plan"))
    scheme_type = factory.SelfAttribute("scheme.scheme_type")
    area_of_spend = factory.SelfAttribute("scheme.area_of_spend")
    commissioner = factory.SelfAttribute("scheme.lead_commissioner")
    provider = _code(rm.CodeListEntry.List.PROVIDER)
    funding_stream = factory.SubFactory(FundingStreamFactory, round=factory.SelfAttribute("..plan.round"))
    order = factory.Sequence(int)


class ExpenditureAmountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "finance.ExpenditureAmount"

    line = factory.SubFactory(ExpenditureLineFactory)
    year = factory.SubFactory(RoundYearFactory, round=factory.SelfAttribute("..line.plan.round"))
    amount = Decimal("250000.00")


class MetricAmbitionFactory(factory.django.DjangoModelFactory):
    """An ambition for a local metric unless a national `metric` is given."""

    class Meta:
        model = "metrics.MetricAmbition"

    plan = factory.SubFactory(PlanFactory)
    metric = None
    local_name = factory.Maybe(
        "metric", yes_declaration="", no_declaration=factory.Sequence(lambda n: f"Local metric {n}")
    )
    order = factory.Sequence(int)


class PlannedValueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "metrics.PlannedValue"

    ambition = factory.SubFactory(MetricAmbitionFactory)
    period = factory.Sequence(lambda n: f"Q{n % 4 + 1} {2015 + n // 4}")
    value = Decimal("250.0000")
    order = factory.Sequence(int)


class CapacityDemandTableFactory(factory.django.DjangoModelFactory):
    """A small capacity and demand table: two months, a discharge block and a community block."""

    class Meta:
        model = rm.CapacityDemandTable

    round = factory.SubFactory(PlanningRoundFactory)
    periods = factory.LazyFunction(lambda: ["Apr 2025", "May 2025"])
    blocks = factory.LazyFunction(
        lambda: [
            {
                "key": "discharge",
                "label": "Hospital discharge",
                "rows": [
                    {"key": "d-reablement", "label": "Reablement at home", "pathway": "1"},
                    {"key": "d-bed-rehab", "label": "Rehabilitation in a bedded setting", "pathway": "2"},
                ],
            },
            {
                "key": "community",
                "label": "Community",
                "rows": [{"key": "c-urgent", "label": "Urgent community response", "pathway": ""}],
            },
        ]
    )


class CapacityDemandFigureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "capacity.CapacityDemandFigure"

    plan = factory.SubFactory(PlanFactory)
    row_key = "d-reablement"
    period = factory.Sequence(lambda n: f"Month {n}")
    demand = 120
    capacity = 110


# --- The rest of the round's configuration -----------------------------------------------


class NationalConditionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rm.NationalCondition

    round = factory.SubFactory(PlanningRoundFactory)
    number = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"National condition {n}")


class ConditionQuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rm.ConditionQuestion

    condition = factory.SubFactory(NationalConditionFactory)
    number = "i)"
    prompt = "Please explain how the condition will be met."
    order = factory.Sequence(int)


class SignOffSlotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rm.SignOffSlot

    round = factory.SubFactory(PlanningRoundFactory)
    code = factory.Sequence(lambda n: f"slot-{n}")
    title = factory.Sequence(lambda n: f"Signed on behalf of organisation {n}")
    order = factory.Sequence(int)


class KeyLineOfEnquiryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rm.KeyLineOfEnquiry

    round = factory.SubFactory(PlanningRoundFactory)
    code = factory.Sequence(lambda n: f"K{n}")
    title = factory.Sequence(lambda n: f"Key line of enquiry {n}")
    order = factory.Sequence(int)


class OutcomeCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rm.OutcomeCategory

    round = factory.SubFactory(PlanningRoundFactory)
    code = factory.Sequence(lambda n: f"outcome-{n}")
    label = factory.Sequence(lambda n: f"Outcome {n}")
    order = factory.Sequence(int)


# --- People and the audit log ------------------------------------------------------------


class SecurityEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.SecurityEvent

    action = am.SecurityEvent.Action.SIGNED_IN
    user = factory.SubFactory(UserFactory)
    username = factory.SelfAttribute("user.email")


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.Invitation

    email = factory.Sequence(lambda n: f"invitee{n}@example.org")
    role = am.Membership.Role.COMMISSIONER
    hwb_area = factory.SubFactory(HwbAreaFactory)
    token_sha256 = factory.Sequence(lambda n: f"{n:064x}")
    sent_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyAttribute(lambda o: o.sent_at + datetime.timedelta(days=7))
    invited_by = factory.SubFactory(UserFactory)


# --- A plan's own rows ---------------------------------------------------------------------


class PlanGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.PlanGroup

    round = factory.SubFactory(PlanningRoundFactory)
    name = factory.Sequence(lambda n: f"Plan group {n}")


class SharedAnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.SharedAnswer

    group = factory.SubFactory(PlanGroupFactory)
    question = factory.SubFactory(QuestionFactory)
    text = "The three boroughs share one model of integrated care."


class FigureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.Figure

    plan = factory.SubFactory(PlanFactory)
    question = factory.SubFactory(QuestionFactory)
    file = factory.django.ImageField(filename="governance.png", width=40, height=30, format="PNG")
    alt_text = "Governance structure: the Health and Wellbeing Board oversees the joint commissioning board."
    width = 40
    height = 30


class WordImportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.WordImport

    plan = factory.SubFactory(PlanFactory)
    user = factory.SubFactory(UserFactory)
    original_filename = "bcf-plan.docx"
    sha256 = "0" * 64


class SectionProgressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.SectionProgress

    plan = factory.SubFactory(PlanFactory)
    section = factory.SubFactory(SectionFactory, round=factory.SelfAttribute("..plan.round"))


class RelatedDocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.RelatedDocument

    plan = factory.SubFactory(PlanFactory)
    title = factory.Sequence(lambda n: f"Related document {n}")


class ConditionResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.ConditionResponse

    plan = factory.SubFactory(PlanFactory)
    question = factory.SubFactory(ConditionQuestionFactory, condition__round=factory.SelfAttribute("...plan.round"))
    status = pm.ConditionResponse.Status.YES


class RiskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.Risk

    plan = factory.SubFactory(PlanFactory)
    description = "Emergency admissions do not fall as planned."
    rating = _code(rm.CodeListEntry.List.RISK_RATING)


class UnsavedDraftFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.UnsavedDraft

    user = factory.SubFactory(UserFactory)
    plan = factory.SubFactory(PlanFactory)
    form_key = factory.Sequence(lambda n: f"section:s{n}")
    data = factory.LazyFunction(lambda: {"q_vision": "Typed but not yet saved."})


# --- Governance: sign-off, submissions, reviews, the audit trail and exports -----------------


class SignOffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "governance.SignOff"

    plan = factory.SubFactory(PlanFactory)
    slot = factory.SubFactory(SignOffSlotFactory, round=factory.SelfAttribute("..plan.round"))
    signatory_name = factory.Faker("name", locale="en_GB")
    signed_on = factory.LazyFunction(timezone.localdate)


class SignoffContentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "governance.SignoffContent"

    plan = factory.SubFactory(PlanFactory)
    content_hash = factory.Sequence(lambda n: f"{n:064x}")
    content = factory.LazyFunction(lambda: {"sections": []})


class SubmissionFactory(factory.django.DjangoModelFactory):
    """A submission row whose files are still being rendered (the only state a bare row may be in)."""

    class Meta:
        model = "governance.Submission"

    plan = factory.SubFactory(PlanFactory)
    version = factory.SelfAttribute("plan.version")
    snapshot = factory.LazyFunction(lambda: {"sections": []})
    snapshot_sha256 = factory.Sequence(lambda n: f"{n:064x}")
    submitted_by = factory.SubFactory(UserFactory)
    submitted_at = factory.LazyFunction(timezone.now)


class ReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "governance.Review"

    submission = factory.SubFactory(SubmissionFactory)
    assurer = factory.SubFactory(UserFactory)


class KloeRatingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "governance.KloeRating"

    review = factory.SubFactory(ReviewFactory)
    kloe = factory.SubFactory(KeyLineOfEnquiryFactory, round=factory.SelfAttribute("..review.submission.plan.round"))
    rating = "met"


class ReviewConditionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "governance.ReviewCondition"

    review = factory.SubFactory(ReviewFactory)
    text = "Confirm the pooled budget agreement is signed."
    due_date = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=28))


class SectionCommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "governance.SectionComment"

    plan = factory.SubFactory(PlanFactory)
    section = factory.SubFactory(SectionFactory, round=factory.SelfAttribute("..plan.round"))
    author = factory.SubFactory(UserFactory)
    text = "Please say which providers took part."


class PlanEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "governance.PlanEvent"

    plan = factory.SubFactory(PlanFactory)
    action = "sent_for_signoff"


class ExportJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "governance.ExportJob"

    plan = factory.SubFactory(PlanFactory)
    kind = "pdf"
    content_hash = factory.Sequence(lambda n: f"{n:064x}")


class ReminderSentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "governance.ReminderSent"

    plan = factory.SubFactory(PlanFactory)
    occasion = "deadline:7"
    email = factory.Sequence(lambda n: f"reminded{n}@example.org")


# --- A whole plan shaped like the 2014/15 template -------------------------------------------

PLAN_SUMMARY_NARRATIVE = """Partners agreed the plan at a **joint workshop** on 20 January.

## Who took part

- Acute trust
- Community provider
- Care homes forum

| Provider | Role |
| --- | --- |
| Plymouth Hospitals NHS Trust | Acute care |
| Livewell Southwest | Community services |

See [the engagement report](https://www.plymouth.gov.uk/engagement) for details."""


def _vision_text(long_answers: bool) -> str:
    return "\n\n".join(
        f"Paragraph {n} of the vision: integrated, person-centred care for every resident, with services organised "
        f"around people rather than organisations, and with care delivered at home wherever that is safe. "
        * (3 if long_answers else 1)
        for n in range(1, 13 if long_answers else 3)
    )


class PlanWithContentFactory(PlanFactory):
    """Plymouth's plan shaped like the 2014/15 template: summary table, sign-off, narratives, documents,
    schemes, one national condition, risks and Part 2 finance, with two questions left unanswered.

    `PlanWithContentFactory(part_one__long_answers=True)` makes the vision long enough to spread over
    pages; `signoffs=False` leaves it unsigned (a later edit would void the signatures).
    """

    class Meta:
        skip_postgeneration_save = True

    round = factory.SubFactory(PlanningRoundFactory, slug="2014-15", name="Better Care Fund 2014/15 to 2015/16")
    hwb_area = factory.SubFactory(HwbAreaFactory, ons_code="E06000026", name="Plymouth")

    @factory.post_generation
    def part_one(plan, create, extracted, long_answers=False, **kwargs):  # noqa: N805
        round_ = plan.round
        for i, label in enumerate(["2014/15", "2015/16"]):
            RoundYearFactory(round=round_, label=label, order=i)

        def section(key, order, group, number, heading, **fields):
            return SectionFactory(
                round=round_, key=key, order=order, group_heading=group, number=number, heading=heading, **fields
            )

        def question(sec, key, label, kind, order, prompt=""):
            return QuestionFactory(section=sec, key=key, label=label, kind=kind, order=order, prompt=prompt)

        def answer(q, **values):
            return AnswerFactory(plan=plan, question=q, text=values.pop("text", ""), **values)

        details = "1) PLAN DETAILS"
        s1a = section("1a", 1, details, "a)", "Summary of Plan")
        answer(question(s1a, "local-authority", "Local Authority", "text", 1), text="Plymouth City Council")
        answer(
            question(s1a, "ccgs", "Clinical Commissioning Groups", "text", 2),
            text="Northern, Eastern and Western Devon CCG",
        )
        question(s1a, "boundary", "Boundary Differences", "text", 3)  # left unanswered on purpose
        answer(
            question(s1a, "hwb-date", "Date agreed at Health and Well-Being Board", "date", 4),
            date=datetime.date(2014, 2, 13),
        )
        answer(
            question(s1a, "min-2014", "Minimum required value of pooled budget: 2014/15", "money", 5),
            money=Decimal("5700000.00"),
        )
        answer(
            question(s1a, "min-2015", "Minimum required value of pooled budget: 2015/16", "money", 6),
            money=Decimal("19532000.00"),
        )
        section("1b", 2, details, "b)", "Authorisation and signoff", table="signoff")
        s1c = section("1c", 3, details, "c)", "Service provider engagement")
        answer(
            question(
                s1c,
                "providers",
                "Service provider engagement",
                "narrative",
                1,
                prompt="Please describe how health and social care providers have been involved in the development of this plan.",
            ),
            text=PLAN_SUMMARY_NARRATIVE,
        )
        s1d = section("1d", 4, details, "d)", "Patient, service user and public engagement")
        question(s1d, "public", "Patient, service user and public engagement", "narrative", 1)  # unanswered
        section(
            "1e",
            5,
            details,
            "e)",
            "Related documentation",
            prompt="Please include information/links to any related documents.",
            table="documents",
        )
        vision = "VISION AND SCHEMES"
        s2a = section("vision-a", 6, vision, "a)", "Vision for health and care services")
        answer(
            question(s2a, "vision", "Vision for health and care services", "narrative", 1),
            text=_vision_text(long_answers),
        )
        s2c = section("vision-c", 7, vision, "c)", "Description of planned changes", table="schemes")
        answer(
            question(s2c, "changes", "Description of planned changes", "narrative", 1),
            text="Four schemes change how care is organised; each is listed below.",
        )
        condition = NationalConditionFactory(round=round_, number=1, title="Protecting social care services")
        cq1 = ConditionQuestionFactory(
            condition=condition,
            number="i)",
            prompt="Please outline your agreed local definition of protecting adult social care services.",
            order=1,
        )
        cq2 = ConditionQuestionFactory(
            condition=condition,
            number="ii)",
            prompt="Please explain how local social care services will be protected within your plans.",
            order=2,
        )
        section(
            "cond-a", 8, "2) NATIONAL CONDITIONS", "a)", "Protecting social care services", national_condition=condition
        )
        ConditionResponseFactory(
            plan=plan, question=cq1, status="yes", narrative="Protecting eligibility at *substantial* and above."
        )
        ConditionResponseFactory(
            plan=plan,
            question=cq2,
            status="in_progress",
            target_date=datetime.date(2015, 3, 31),
            narrative="Funding of £2.5m will sustain reablement.",
        )
        section(
            "risks",
            9,
            "3) RISKS",
            "",
            "Risks",
            prompt="Please provide details of the most important risks and your plans to mitigate them.",
            table="risks",
        )

    @factory.post_generation
    def signoff_slots(plan, create, extracted, **kwargs):  # noqa: N805
        SignOffSlotFactory(
            round=plan.round, code="ccg", title="Signed on behalf of the Clinical Commissioning Group", order=1
        )
        SignOffSlotFactory(round=plan.round, code="council", title="Signed on behalf of the Council", order=2)
        SignOffSlotFactory(
            round=plan.round,
            code="hwb",
            title="Signed on behalf of the Health and Wellbeing Board",
            by_label="By Chair of Health and Wellbeing Board",
            has_position=False,
            order=3,
        )

    @factory.post_generation
    def documents(plan, create, extracted, **kwargs):  # noqa: N805
        for order, (ref, title, synopsis) in enumerate(
            [
                ("D1", "Joint Strategic Needs Assessment (JSNA)", "Current and future health needs of the population."),
                ("D2", "Joint Health and Wellbeing Strategy", "The board's purpose and strategic approach."),
            ]
        ):
            RelatedDocumentFactory(
                plan=plan,
                ref=ref,
                title=title,
                synopsis=synopsis,
                url=f"https://www.plymouth.gov.uk/{ref.lower()}",
                order=order,
            )

    @factory.post_generation
    def part_two(plan, create, extracted, **kwargs):  # noqa: N805
        """Schemes and risks, then income and expenditure for both years."""

        def code(list_, label):
            return CodeListEntryFactory(
                round=plan.round, list=list_, code=re.sub(r"\W+", "-", label.lower()), label=label
            )

        reablement = code("scheme_type", "Reablement")
        integrated = code("scheme_type", "Integrated care planning")
        social_care = code("area_of_spend", "Social care")
        community = code("area_of_spend", "Community health")
        ccg = code("commissioner", "CCG")
        la = code("commissioner", "Local authority")
        provider_type = code("provider", "NHS community provider")
        high = code("risk_rating", "High")
        medium = code("risk_rating", "Medium")

        schemes = [
            PartTwoSchemeFactory(
                plan=plan,
                reference="S1",
                name="Integrated community reablement",
                scheme_type=reablement,
                lead_commissioner=la,
                area_of_spend=social_care,
                provider="Livewell Southwest",
                description="Short-term support to regain independence after hospital.",
                order=1,
            ),
            PartTwoSchemeFactory(
                plan=plan,
                reference="S2",
                name="Risk stratification and care co-ordination",
                scheme_type=integrated,
                lead_commissioner=ccg,
                area_of_spend=community,
                provider="GP practices",
                is_new=True,
                order=2,
            ),
        ]
        for order, (description, rating, actions) in enumerate(
            [
                (
                    "Emergency admissions do not fall as planned.",
                    high,
                    "Monthly review of the metrics by the joint board.",
                ),
                ("Providers cannot recruit enough staff.", medium, "Joint workforce plan with providers."),
            ]
        ):
            RiskFactory(plan=plan, description=description, rating=rating, mitigating_actions=actions, order=order)

        years = list(plan.round.years.order_by("order"))
        nhs = FundingStreamFactory(round=plan.round, key="ccg-minimum", name="CCG minimum contribution", order=1)
        dfg = FundingStreamFactory(
            round=plan.round,
            key="dfg",
            name="Disabled Facilities Grant",
            contributor=rm.FundingStream.Contributor.LOCAL_AUTHORITY,
            order=2,
        )
        council = OrganisationFactory(name="Plymouth City Council")
        for stream, amounts in [(nhs, ["5000000.00", "18000000.00"]), (dfg, ["700000.00", "1532000.00"])]:
            for year, amount in zip(years, amounts, strict=True):
                IncomeLineFactory(plan=plan, funding_stream=stream, organisation=council, year=year, amount=amount)
        for scheme, stream, amounts in [
            (schemes[0], nhs, ["3000000.00", "10000000.00"]),
            (schemes[1], dfg, ["2700000.00", "9532000.00"]),
        ]:
            line = ExpenditureLineFactory(
                plan=plan, scheme=scheme, provider=provider_type, funding_stream=stream, order=0
            )
            for year, amount in zip(years, amounts, strict=True):
                ExpenditureAmountFactory(line=line, year=year, amount=amount)

    @factory.post_generation
    def signoffs(plan, create, extracted, **kwargs):  # noqa: N805
        """Two slots signed, the HWB chair's not yet; signed last, as any later change would void them."""
        if extracted is False:
            return
        slots = {slot.code: slot for slot in plan.round.signoff_slots.all()}
        SignOffFactory(
            plan=plan,
            slot=slots["ccg"],
            organisation_name="Northern, Eastern and Western Devon CCG",
            signatory_name="Paul O'Sullivan",
            position="Managing Director Partnerships",
            signed_on=datetime.date(2014, 2, 3),
        )
        SignOffFactory(
            plan=plan,
            slot=slots["council"],
            organisation_name="Plymouth City Council",
            signatory_name="Carole Burgoyne",
            position="Strategic Director for People",
            signed_on=datetime.date(2014, 2, 3),
        )


# --- Monitoring returns: the round's return template and an approved plan's returns ------------


class ReturnTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rm.ReturnTemplate
        django_get_or_create = ("round",)

    round = factory.SubFactory(PlanningRoundFactory)
    name = "Quarterly reporting template"
    variance_percent = Decimal("10")
    amount_max = Decimal("100000000")


class ReturnPeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rm.ReturnPeriod

    round = factory.SubFactory(PlanningRoundFactory)
    key = factory.Sequence(lambda n: f"q{n % 4 + 1}-period-{n}")
    name = factory.Sequence(lambda n: f"Quarter {n % 4 + 1} ({n})")
    year = factory.SubFactory(RoundYearFactory, round=factory.SelfAttribute("..round"))
    share_of_year = Decimal("25")
    period_end = datetime.date(2017, 6, 30)
    deadline = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=30))
    metric_periods = factory.LazyFunction(lambda: ["Q1 2017/18", "2017/18"])
    order = factory.Sequence(int)


class ReturnPartFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rm.ReturnPart

    round = factory.SubFactory(PlanningRoundFactory)
    key = factory.Sequence(lambda n: f"part-{n}")
    title = factory.Sequence(lambda n: f"Part {n}")
    reports_on = ""
    order = factory.Sequence(int)


class ReturnQuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rm.ReturnQuestion

    part = factory.SubFactory(ReturnPartFactory)
    key = factory.Sequence(lambda n: f"question-{n}")
    kind = rm.ReturnQuestion.Kind.NARRATIVE
    prompt = "Describe progress against the plan this quarter."
    order = factory.Sequence(int)


class ReturnFactory(factory.django.DjangoModelFactory):
    """A return for a plan's approved submission (built bare: start_return pre-fills a real one)."""

    class Meta:
        model = "monitoring.Return"

    plan = factory.SubFactory(PlanFactory, status=pm.Plan.Status.APPROVED)
    period = factory.SubFactory(ReturnPeriodFactory, round=factory.SelfAttribute("..plan.round"))
    approved_submission = factory.SubFactory(SubmissionFactory, plan=factory.SelfAttribute("..plan"))


class ReturnLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "monitoring.ReturnLine"

    ret = factory.SubFactory(ReturnFactory)
    kind = "expenditure"
    source_key = factory.Sequence(lambda n: f"expenditure-{n}")
    label = factory.Sequence(lambda n: f"Scheme {n}")
    detail = "Intermediate Care Services · Local Authority · Minimum NHS contribution"
    planned_year = Decimal("400000.00")
    planned = Decimal("100000.00")
    order = factory.Sequence(int)


class ReturnMetricFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "monitoring.ReturnMetric"

    ret = factory.SubFactory(ReturnFactory)
    source_key = factory.Sequence(lambda n: f"metric-{n}")
    name = "Non-elective admissions"
    unit = "admissions"
    ambition_period = "Q1 2017/18"
    ambition = Decimal("4500")
    order = factory.Sequence(int)


class ReturnConditionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "monitoring.ReturnCondition"

    ret = factory.SubFactory(ReturnFactory)
    number = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"National condition {n}")


class ReturnAnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "monitoring.ReturnAnswer"

    ret = factory.SubFactory(ReturnFactory)
    question = factory.SubFactory(ReturnQuestionFactory, part__round=factory.SelfAttribute("...ret.plan.round"))
    text = "Schemes are on track; the discharge service started in May."


class ReturnPartProgressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "monitoring.ReturnPartProgress"

    ret = factory.SubFactory(ReturnFactory)
    part = factory.SubFactory(ReturnPartFactory, round=factory.SelfAttribute("..ret.plan.round"))
    completed = True


class ReturnSignOffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "monitoring.ReturnSignOff"

    ret = factory.SubFactory(ReturnFactory)
    slot = factory.SubFactory(SignOffSlotFactory, round=factory.SelfAttribute("..ret.plan.round"))
    signed_by = factory.SubFactory(UserFactory)
    signatory_name = factory.Faker("name", locale="en_GB")
    signed_on = factory.LazyFunction(timezone.localdate)
    content_hash = factory.Sequence(lambda n: f"{n:064x}")


class ReturnSubmissionFactory(factory.django.DjangoModelFactory):
    """A submitted return whose files are still being rendered (the only state a bare row may be in)."""

    class Meta:
        model = "monitoring.ReturnSubmission"

    ret = factory.SubFactory(ReturnFactory)
    version = factory.SelfAttribute("ret.version")
    snapshot = factory.LazyFunction(lambda: {"lines": []})
    snapshot_sha256 = factory.Sequence(lambda n: f"{n:064x}")
    submitted_by = factory.SubFactory(UserFactory)
    submitted_at = factory.LazyFunction(timezone.now)


class ReturnReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "monitoring.ReturnReview"

    submission = factory.SubFactory(ReturnSubmissionFactory)
    assurer = factory.SubFactory(UserFactory)


class ReturnCommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "monitoring.ReturnComment"

    ret = factory.SubFactory(ReturnFactory)
    part = factory.SubFactory(ReturnPartFactory, round=factory.SelfAttribute("..ret.plan.round"))
    author = factory.SubFactory(UserFactory)
    text = "Please say when the pooled budget agreement will be signed."


class ReturnEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "monitoring.ReturnEvent"

    ret = factory.SubFactory(ReturnFactory)
    action = "started"
    to_status = "draft"


class ApiTokenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = api_models.ApiToken

    user = factory.SubFactory(UserFactory)
    name = "Nightly pull"
    prefix = factory.Sequence(lambda n: f"bcf_{n:06d}")
    key_hash = factory.Sequence(lambda n: f"{n:064x}")
    expires_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=90))


class PublicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = opendata_models.Publication

    round = factory.SubFactory(PlanningRoundFactory)
