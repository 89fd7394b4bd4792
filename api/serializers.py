"""The API's representations: read-only, flat where an analyst would want a CSV column.

Every row of a plan's content carries its plan's id, round, area and region, so a CSV of lines
can be pivoted without a join. Names and emails of people are never included.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from finance.models import ExpenditureLine, IncomeLine
from governance.models import Review, ReviewCondition, Submission
from metrics.models import MetricAmbition, PlannedValue
from monitoring.models import Return, ReturnLine
from plans.models import ConditionResponse, Plan, PlanGroup
from rounds.models import (
    FundingStream,
    HwbArea,
    Metric,
    NationalCondition,
    OutcomeCategory,
    PlanningRound,
    Region,
    ReturnPeriod,
    RoundYear,
)
from schemes.models import Scheme

# --- Reference data -------------------------------------------------------------------------


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["id", "code", "name"]


class AreaSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.code", help_text="The region's code.")
    region_name = serializers.CharField(source="region.name")

    class Meta:
        model = HwbArea
        fields = ["id", "ons_code", "name", "region", "region_name"]


class RoundYearSerializer(serializers.ModelSerializer):
    class Meta:
        model = RoundYear
        fields = ["label", "order"]


class FundingStreamSerializer(serializers.ModelSerializer):
    class Meta:
        model = FundingStream
        fields = ["key", "name", "contributor", "is_mandatory", "order"]


class MetricSerializer(serializers.ModelSerializer):
    class Meta:
        model = Metric
        fields = ["key", "name", "definition", "unit", "numerator", "denominator", "periods", "order"]


class NationalConditionSerializer(serializers.ModelSerializer):
    class Meta:
        model = NationalCondition
        fields = ["number", "title", "description"]


class OutcomeCategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = OutcomeCategory
        fields = ["code", "label", "is_approval", "requires_conditions"]


class ReturnPeriodSerializer(serializers.ModelSerializer):
    year = serializers.CharField(source="year.label")

    class Meta:
        model = ReturnPeriod
        fields = ["key", "name", "year", "share_of_year", "period_end", "deadline"]


class RoundSerializer(serializers.ModelSerializer):
    years = RoundYearSerializer(many=True)
    funding_streams = FundingStreamSerializer(many=True)
    metrics = MetricSerializer(many=True)
    national_conditions = NationalConditionSerializer(many=True)
    outcomes = OutcomeCategorySerializer(many=True)
    return_periods = ReturnPeriodSerializer(many=True)

    class Meta:
        model = PlanningRound
        fields = [
            "id",
            "slug",
            "name",
            "draft_deadline",
            "final_deadline",
            "is_open",
            "years",
            "funding_streams",
            "metrics",
            "national_conditions",
            "outcomes",
            "return_periods",
        ]


# --- Plans and their content ----------------------------------------------------------------


class PlanGroupSerializer(serializers.ModelSerializer):
    """An aligned-plan group: the areas that write parts of their plans together."""

    members = serializers.SerializerMethodField(help_text="ONS codes of the member areas.")

    class Meta:
        model = PlanGroup
        fields = ["id", "name", "members"]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_members(self, group) -> list[str]:
        return sorted(plan.hwb_area.ons_code for plan in group.plans.all())


class PlanSerializer(serializers.ModelSerializer):
    round = serializers.CharField(source="round.slug")
    area = serializers.CharField(source="hwb_area.ons_code", help_text="The HWB area's ONS code.")
    area_name = serializers.CharField(source="hwb_area.name")
    region = serializers.CharField(source="hwb_area.region.code")
    phase = serializers.CharField(source="phase.key", allow_null=True, default=None)
    group = PlanGroupSerializer(allow_null=True)

    class Meta:
        model = Plan
        fields = [
            "id",
            "round",
            "area",
            "area_name",
            "region",
            "status",
            "version",
            "phase",
            "created_at",
            "updated_at",
            "group",
        ]


class OfPlanSerializer(serializers.ModelSerializer):
    """A row of a plan's content, with where it belongs."""

    plan = serializers.IntegerField(source="plan_id")
    round = serializers.CharField(source="plan.round.slug")
    area = serializers.CharField(source="plan.hwb_area.ons_code")
    region = serializers.CharField(source="plan.hwb_area.region.code")

    PLAN_FIELDS = ["id", "plan", "round", "area", "region"]


class IncomeLineSerializer(OfPlanSerializer):
    funding_stream = serializers.CharField(source="funding_stream.key")
    contributor = serializers.CharField(source="funding_stream.contributor")
    organisation = serializers.CharField(source="organisation.name")
    organisation_code = serializers.CharField(source="organisation.code")
    year = serializers.CharField(source="year.label")

    class Meta:
        model = IncomeLine
        fields = [
            *OfPlanSerializer.PLAN_FIELDS,
            "funding_stream",
            "contributor",
            "organisation",
            "organisation_code",
            "year",
            "amount",
            "note",
        ]


class ExpenditureLineSerializer(OfPlanSerializer):
    scheme = serializers.CharField(source="scheme.reference")
    scheme_name = serializers.CharField(source="scheme.name")
    scheme_type = serializers.CharField(source="scheme_type.label")
    sub_type = serializers.CharField(source="sub_type.label", allow_null=True, default=None)
    area_of_spend = serializers.CharField(source="area_of_spend.label")
    commissioner = serializers.CharField(source="commissioner.label")
    provider = serializers.CharField(source="provider.label")
    funding_stream = serializers.CharField(source="funding_stream.key")
    amounts = serializers.SerializerMethodField(help_text="Planned spend by year label.")
    total = serializers.SerializerMethodField()

    class Meta:
        model = ExpenditureLine
        fields = [
            *OfPlanSerializer.PLAN_FIELDS,
            "scheme",
            "scheme_name",
            "scheme_type",
            "sub_type",
            "area_of_spend",
            "commissioner",
            "provider",
            "funding_stream",
            "percent_nhs",
            "percent_la",
            "is_new",
            "amounts",
            "total",
        ]

    @extend_schema_field(serializers.DictField(child=serializers.DecimalField(max_digits=14, decimal_places=2)))
    def get_amounts(self, line) -> dict:
        return {a.year.label: f"{a.amount:.2f}" for a in line.amounts.all()}

    @extend_schema_field(serializers.DecimalField(max_digits=16, decimal_places=2))
    def get_total(self, line) -> str:
        return f"{sum(a.amount for a in line.amounts.all()):.2f}"


class SchemeSerializer(OfPlanSerializer):
    scheme_type = serializers.CharField(source="scheme_type.label", allow_null=True, default=None)
    sub_type = serializers.CharField(source="sub_type.label", allow_null=True, default=None)
    lead_commissioner = serializers.CharField(source="lead_commissioner.label", allow_null=True, default=None)
    area_of_spend = serializers.CharField(source="area_of_spend.label", allow_null=True, default=None)

    class Meta:
        model = Scheme
        fields = [
            *OfPlanSerializer.PLAN_FIELDS,
            "reference",
            "name",
            "scheme_type",
            "sub_type",
            "description",
            "lead_commissioner",
            "provider",
            "area_of_spend",
            "is_new",
        ]


class PlannedValueSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlannedValue
        fields = ["period", "value", "numerator", "denominator"]


class MetricAmbitionSerializer(OfPlanSerializer):
    metric = serializers.CharField(source="metric.key", allow_null=True, default=None, help_text="Blank: local.")
    name = serializers.CharField(source="metric.name", default="")
    planned_values = PlannedValueSerializer(many=True)

    class Meta:
        model = MetricAmbition
        fields = [
            *OfPlanSerializer.PLAN_FIELDS,
            "metric",
            "name",
            "local_name",
            "local_unit",
            "baseline_period",
            "baseline_value",
            "baseline_numerator",
            "baseline_denominator",
            "rationale",
            "planned_values",
        ]


class ConditionResponseSerializer(OfPlanSerializer):
    condition = serializers.IntegerField(source="question.condition.number")
    question = serializers.CharField(source="question.number")
    prompt = serializers.CharField(source="question.prompt")

    class Meta:
        model = ConditionResponse
        fields = [
            *OfPlanSerializer.PLAN_FIELDS,
            "condition",
            "question",
            "prompt",
            "status",
            "target_date",
            "narrative",
        ]


class SubmissionSerializer(OfPlanSerializer):
    phase = serializers.CharField(source="phase.key", allow_null=True, default=None)

    class Meta:
        model = Submission
        fields = [
            *OfPlanSerializer.PLAN_FIELDS,
            "version",
            "phase",
            "submitted_at",
            "is_late",
            "snapshot_sha256",
            "pdf_sha256",
            "workbook_sha256",
            "files_status",
        ]


class ReviewConditionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReviewCondition
        fields = ["text", "due_date"]


class AssuranceOutcomeSerializer(serializers.ModelSerializer):
    """A decided assurance review of one submission."""

    plan = serializers.IntegerField(source="submission.plan_id")
    round = serializers.CharField(source="submission.plan.round.slug")
    area = serializers.CharField(source="submission.plan.hwb_area.ons_code")
    region = serializers.CharField(source="submission.plan.hwb_area.region.code")
    submission = serializers.IntegerField(source="submission_id")
    submission_version = serializers.IntegerField(source="submission.version")
    outcome = serializers.CharField(source="outcome.code", allow_null=True, default=None)
    outcome_label = serializers.CharField(source="outcome.label", allow_null=True, default=None)
    conditions = ReviewConditionSerializer(many=True)

    class Meta:
        model = Review
        fields = [
            "id",
            "plan",
            "round",
            "area",
            "region",
            "submission",
            "submission_version",
            "outcome",
            "outcome_label",
            "summary",
            "decided_at",
            "conditions",
        ]


class ReturnLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReturnLine
        fields = [
            "kind",
            "source_key",
            "label",
            "detail",
            "planned_year",
            "planned",
            "actual",
            "forecast",
            "explanation",
        ]


class ReturnSerializer(OfPlanSerializer):
    period = serializers.CharField(source="period.key")
    period_name = serializers.CharField(source="period.name")
    approved_submission = serializers.IntegerField(source="approved_submission_id")
    lines = ReturnLineSerializer(many=True)

    class Meta:
        model = Return
        fields = [
            *OfPlanSerializer.PLAN_FIELDS,
            "period",
            "period_name",
            "status",
            "version",
            "approved_submission",
            "created_at",
            "updated_at",
            "lines",
        ]
