"""The national data API's endpoints: read-only lists and single objects under /api/v1/.

Every plan-scoped endpoint starts from api.selectors (the pages' own rules, narrowed by the
token's scope), so an object outside the caller's reach is simply not there: 404 on its own URL.
"""

from django.db.models import Prefetch, QuerySet
from django.utils.cache import get_conditional_response, patch_vary_headers, set_response_etag
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

from finance.models import ExpenditureAmount, ExpenditureLine, IncomeLine
from governance.models import Review, Submission
from metrics.models import MetricAmbition
from plans.models import ConditionResponse, Plan
from rounds.models import HwbArea, PlanningRound, Region, ReturnPeriod
from schemes.models import Scheme

from . import filters, serializers
from .selectors import scoped_plans, scoped_returns


def _not_modified_if_unchanged(request, response):
    """ETag from the rendered body; 304 when the caller already holds exactly this (RFC 9110 13.1.2)."""
    set_response_etag(response)
    return get_conditional_response(request, etag=response.get("ETag"), response=response)


class ApiViewSet(viewsets.ReadOnlyModelViewSet):
    """List and retrieve, in JSON or CSV, with an ETag on every successful read."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # What a caller sees depends on whose token it sends: no cache may hand it to another caller.
        patch_vary_headers(response, ["Authorization", "Cookie"])
        if request.method in ("GET", "HEAD") and response.status_code == 200:
            response.add_post_render_callback(lambda rendered: _not_modified_if_unchanged(request._request, rendered))
        return response

    def plans(self) -> QuerySet[Plan]:
        return scoped_plans(self.request.user, self.request.auth)


PLAN_ROW = ("plan__round", "plan__hwb_area__region")


@extend_schema_view(list=extend_schema(summary="Planning rounds with their configuration"))
class RoundViewSet(ApiViewSet):
    lookup_field, lookup_url_kwarg = "slug", "round_slug"
    serializer_class = serializers.RoundSerializer
    queryset = PlanningRound.objects.prefetch_related(
        "years",
        "funding_streams",
        "metrics",
        "national_conditions",
        "outcomes",
        Prefetch("return_periods", queryset=ReturnPeriod.objects.select_related("year")),
    )


class RegionViewSet(ApiViewSet):
    lookup_field, lookup_url_kwarg = "code", "region_code"
    serializer_class = serializers.RegionSerializer
    queryset = Region.objects.all()
    pagination_class = None  # a short, fixed list


class AreaViewSet(ApiViewSet):
    """Health and Wellbeing Board areas."""

    lookup_field = lookup_url_kwarg = "ons_code"
    serializer_class = serializers.AreaSerializer
    queryset = HwbArea.objects.select_related("region")
    filterset_class = filters.AreaFilter


class PlanViewSet(ApiViewSet):
    """Plans (status, version, dates) and their aligned-plan group."""

    lookup_url_kwarg = "plan_id"
    serializer_class = serializers.PlanSerializer
    filterset_class = filters.PlanFilter

    def get_queryset(self):
        return (
            self.plans()
            .select_related("round", "hwb_area__region", "phase", "group")
            .prefetch_related(Prefetch("group__plans", queryset=Plan.objects.select_related("hwb_area")))
        )


class IncomeLineViewSet(ApiViewSet):
    lookup_url_kwarg = "income_line_id"
    serializer_class = serializers.IncomeLineSerializer
    filterset_class = filters.plan_filterset(IncomeLine, "plan")

    def get_queryset(self):
        return IncomeLine.objects.filter(plan__in=self.plans()).select_related(
            *PLAN_ROW, "funding_stream", "organisation", "year"
        )


class ExpenditureLineViewSet(ApiViewSet):
    lookup_url_kwarg = "expenditure_line_id"
    serializer_class = serializers.ExpenditureLineSerializer
    filterset_class = filters.plan_filterset(ExpenditureLine, "plan")

    def get_queryset(self):
        return (
            ExpenditureLine.objects.filter(plan__in=self.plans())
            .select_related(
                *PLAN_ROW,
                "scheme",
                "scheme_type",
                "sub_type",
                "area_of_spend",
                "commissioner",
                "provider",
                "funding_stream",
            )
            .prefetch_related(
                Prefetch("amounts", queryset=ExpenditureAmount.objects.select_related("year").order_by("year__order"))
            )
        )


class SchemeViewSet(ApiViewSet):
    lookup_url_kwarg = "scheme_id"
    serializer_class = serializers.SchemeSerializer
    filterset_class = filters.plan_filterset(Scheme, "plan")

    def get_queryset(self):
        return Scheme.objects.filter(plan__in=self.plans()).select_related(
            *PLAN_ROW, "scheme_type", "sub_type", "lead_commissioner", "area_of_spend"
        )


class MetricAmbitionViewSet(ApiViewSet):
    lookup_url_kwarg = "ambition_id"
    serializer_class = serializers.MetricAmbitionSerializer
    filterset_class = filters.plan_filterset(MetricAmbition, "plan")

    def get_queryset(self):
        return (
            MetricAmbition.objects.filter(plan__in=self.plans())
            .select_related(*PLAN_ROW, "metric")
            .prefetch_related("planned_values")
        )


class ConditionResponseViewSet(ApiViewSet):
    """Responses to the round's national conditions."""

    lookup_url_kwarg = "response_id"
    serializer_class = serializers.ConditionResponseSerializer
    filterset_class = filters.plan_filterset(ConditionResponse, "plan")

    def get_queryset(self):
        return ConditionResponse.objects.filter(plan__in=self.plans()).select_related(*PLAN_ROW, "question__condition")


class SubmissionViewSet(ApiViewSet):
    """What each plan submitted, with the SHA-256 of its snapshot, PDF and workbook."""

    lookup_url_kwarg = "submission_id"
    serializer_class = serializers.SubmissionSerializer
    filterset_class = filters.plan_filterset(Submission, "plan")

    def get_queryset(self):
        # The snapshot itself is left in the database: the hashes identify it, the portal serves it.
        return Submission.objects.filter(plan__in=self.plans()).select_related(*PLAN_ROW, "phase").defer("snapshot")


class AssuranceOutcomeViewSet(ApiViewSet):
    """Decided assurance reviews: the outcome and any conditions. Reviews in progress are not shown."""

    lookup_url_kwarg = "outcome_id"
    serializer_class = serializers.AssuranceOutcomeSerializer
    filterset_class = filters.plan_filterset(Review, "submission__plan")

    def get_queryset(self):
        return (
            Review.objects.filter(submission__plan__in=self.plans(), decided_at__isnull=False)
            .select_related("submission__plan__round", "submission__plan__hwb_area__region", "outcome")
            .prefetch_related("conditions")
        )


class ReturnViewSet(ApiViewSet):
    """Quarterly and year-end monitoring returns, with their lines."""

    lookup_url_kwarg = "return_id"
    serializer_class = serializers.ReturnSerializer
    filterset_class = filters.ReturnFilter

    def get_queryset(self):
        return (
            scoped_returns(self.request.user, self.request.auth)
            .select_related(*PLAN_ROW, "period")
            .prefetch_related("lines")
        )
