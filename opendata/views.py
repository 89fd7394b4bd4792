"""Open data pages. The public ones need no sign-in and show nothing of who is signed in; only
published (not withdrawn) rounds and their approved plans exist for them: anything else is a 404.
The national administrator's publish page is refused to everyone else."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from rounds.models import PlanningRound

from . import public_pdf, selectors, services
from .dataset import open_dataset_csv_zip, open_dataset_xlsx
from .dictionary import data_dictionary
from .permissions import can_publish_open_data

# Public pages may be kept a little while by browsers and shared caches; a withdrawal reaches
# everyone within this time. Signed-in visitors still get no-store (accounts.security).
public_cache = cache_control(public=True, max_age=300)


def _published_round(round_slug: str) -> PlanningRound:
    return get_object_or_404(selectors.published_rounds(), slug=round_slug)


def _pdf_url(request):
    def url(published: selectors.PublishedPlan) -> str:
        path = reverse("opendata:part_one_pdf", args=[published.plan.round.slug, published.plan.hwb_area.ons_code])
        return request.build_absolute_uri(path)

    return url


@require_GET
@public_cache
def index(request):
    return render(request, "opendata/index.html", {"rounds": list(selectors.published_rounds())})


@require_GET
@public_cache
def round_page(request, round_slug: str):
    planning_round = _published_round(round_slug)
    published = selectors.published_plans(planning_round)
    return render(request, "opendata/round.html", {"round": planning_round, "published": published})


@require_GET
@public_cache
def dictionary(request, round_slug: str):
    planning_round = _published_round(round_slug)
    return render(
        request, "opendata/dictionary.html", {"round": planning_round, "dictionary": data_dictionary(planning_round)}
    )


@require_GET
@public_cache
def part_one_pdf(request, round_slug: str, ons_code: str):
    published = selectors.published_plan(_published_round(round_slug), ons_code)
    if published is None:
        raise Http404("No published plan for this area.")
    # The public copy (no personal data), rendered by the task at publication or now if it has not yet.
    name = public_pdf.stored_public_pdf(published.plan)
    return FileResponse(
        default_storage.open(name, "rb"),
        as_attachment=False,
        filename=published.pdf_filename,
        content_type="application/pdf",
    )


def _download(data: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
@public_cache
def dataset_xlsx(request, round_slug: str):
    planning_round = _published_round(round_slug)
    published = selectors.published_plans(planning_round)
    return _download(
        open_dataset_xlsx(planning_round, published, _pdf_url(request)),
        f"bcf-open-data-{planning_round.slug}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@require_GET
@public_cache
def dataset_csv(request, round_slug: str):
    planning_round = _published_round(round_slug)
    published = selectors.published_plans(planning_round)
    return _download(
        open_dataset_csv_zip(planning_round, published, _pdf_url(request)),
        f"bcf-open-data-{planning_round.slug}-csv.zip",
        "application/zip",
    )


@login_required
def publish(request, round_slug: str):
    """What publishing the round would make public, and the publish or withdraw button (with a confirmation)."""
    if not can_publish_open_data(request.user):
        raise PermissionDenied("Only national administrators can publish open data.")
    planning_round = get_object_or_404(PlanningRound, slug=round_slug)
    is_published = selectors.is_published(planning_round)
    error = ""
    if request.method == "POST":
        action = request.POST.get("action")
        if action not in ("publish", "withdraw") or (action == "publish") == is_published:
            error = "The round's open data has changed since the page was shown. Check it and try again."
        elif request.POST.get("confirm") != "yes":
            error = (
                "Confirm that the approved plans may be published"
                if action == "publish"
                else "Confirm that the open data should be withdrawn"
            )
        elif action == "publish":
            services.publish_round(user=request.user, planning_round=planning_round, request=request)
            messages.success(request, f"The open data for {planning_round.name} is published.")
            return redirect("opendata:publish", round_slug=planning_round.slug)
        else:
            services.withdraw_round(user=request.user, planning_round=planning_round, request=request)
            messages.success(request, f"The open data for {planning_round.name} has been withdrawn.")
            return redirect("opendata:publish", round_slug=planning_round.slug)
    context = {
        "round": planning_round,
        "is_published": is_published,
        "publication": getattr(planning_round, "publication", None),
        "approved": selectors.approved_plans(planning_round),
        "error": error,
        "page_has_errors": bool(error),
    }
    return render(request, "opendata/publish.html", context, status=400 if error else 200)
