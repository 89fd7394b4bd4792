"""factory_boy factories, one per model, with realistic defaults."""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from accounts import models as am
from plans import models as pm
from rounds import models as rm

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


# --- Part 2: schemes, finance and metrics ----------------------------------------------


class RingFenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rm.RingFence

    round = factory.SubFactory(PlanningRoundFactory)
    key = factory.Sequence(lambda n: f"ring-fence-{n}")
    name = factory.Sequence(lambda n: f"Ring-fence {n}")


class MetricFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rm.Metric
        django_get_or_create = ["round", "key"]

    round = factory.SubFactory(PlanningRoundFactory)
    key = factory.Sequence(lambda n: f"metric-{n}")
    name = factory.Sequence(lambda n: f"Metric {n}")
    definition = "Count per 100,000 population"
    unit = rm.Metric.Unit.RATE_PER_100K
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
