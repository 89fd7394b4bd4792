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
    year = factory.SubFactory(RoundYearFactory)
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
    order = factory.Sequence(int)


class PartTwoSchemeFactory(factory.django.DjangoModelFactory):
    """A scheme for expenditure lines; code-list entries must come from the plan's round."""

    class Meta:
        model = "schemes.Scheme"
        django_get_or_create = ["plan", "reference"]

    plan = factory.SubFactory(PlanFactory)
    reference = factory.Sequence(lambda n: f"S{n:02d}")
    name = factory.Sequence(lambda n: f"Scheme {n}")


class IncomeLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "finance.IncomeLine"

    plan = factory.SubFactory(PlanFactory)
    amount = Decimal("1000000.00")


class ExpenditureLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "finance.ExpenditureLine"

    plan = factory.SubFactory(PlanFactory)
    order = factory.Sequence(int)


class ExpenditureAmountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "finance.ExpenditureAmount"

    amount = Decimal("250000.00")


class MetricAmbitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "metrics.MetricAmbition"

    plan = factory.SubFactory(PlanFactory)
    order = factory.Sequence(int)
