"""National pages for returns: the roll-up of a period's returns, and the national dataset with its returns sheet.

National admins see every region; assurers see their own regions' submitted returns; anyone else
is refused before anything is read.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from accounts.permissions import is_national_admin
from governance.dataset import national_dataset as build_national_dataset
from rounds.models import PlanningRound

from . import national, permissions


@login_required
@require_GET
def national_returns(request, round_slug: str, period_key: str):
    if not permissions.can_view_national_returns(request.user):
        raise PermissionDenied("The national view of returns is for national administrators and assurers.")
    period = national.national_period(round_slug=round_slug, period_key=period_key)
    return render(request, "monitoring/national.html", national.national_returns(request.user, period))


@login_required
@require_GET
def national_dataset(request, round_slug: str):
    """Every submitted plan's lines and every submitted return's lines in the round (national admins only)."""
    if not is_national_admin(request.user):
        raise PermissionDenied("The national dataset is for national administrators.")
    planning_round = get_object_or_404(PlanningRound, slug=round_slug)
    data = build_national_dataset(planning_round, extra_sheets=[national.returns_sheet(planning_round)])
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="bcf-national-dataset-{planning_round.slug}.xlsx"'
    return response
