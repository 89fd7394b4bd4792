"""Figure pages of a narrative answer: add one, remove one, move one, and the image itself.

Every view fetches the plan through selectors.get_plan_for_user (404 outside the user's areas);
the image is served only to people who may read the plan, and writes go through plans.figures.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from rounds.models import Question

from . import figures, selectors
from .editing import StaleEdit, require_edit
from .figure_forms import FigureForm
from .forms import add_service_error
from .models import Figure, Plan
from .selectors import plan_sections
from .views import remove_page


def _figures_url(plan: Plan, question: Question) -> str:
    url = reverse(
        "plans:section",
        kwargs={
            "round_slug": plan.round.slug,
            "ons_code": plan.hwb_area.ons_code,
            "section_key": question.section.key,
        },
    )
    return f"{url}#figures-{question.key}"


def _get_figure(plan: Plan, pk: int) -> Figure:
    figure = Figure.objects.filter(plan=plan, pk=pk).select_related("question__section").first()
    if figure is None:
        raise Http404("No such figure")
    return figure


@login_required
@require_http_methods(["GET", "POST"])
def figure_add(request: HttpRequest, round_slug: str, ons_code: str, question_id: int):
    plan = selectors.get_plan_for_user(request.user, round_slug=round_slug, ons_code=ons_code)
    question = (
        Question.objects.filter(pk=question_id, kind=Question.Kind.NARRATIVE, section__in=plan_sections(plan))
        .select_related("section")
        .first()
    )
    if question is None:
        raise Http404("No such narrative question")
    section = question.section
    require_edit(user=request.user, plan=plan)
    back_url = _figures_url(plan, question)
    if request.method == "POST":
        form = FigureForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                figures.add_figure(
                    user=request.user,
                    plan=plan,
                    question=question,
                    upload=form.cleaned_data["upload"],
                    alt_text=form.cleaned_data["alt_text"],
                    caption=form.cleaned_data["caption"],
                )
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"The figure has been added to ‘{question.label}’.")
                return redirect(back_url)
        status = 400
    else:
        form = FigureForm()
        status = 200
    return render(
        request,
        "plans/figure_form.html",
        {"plan": plan, "section": section, "question": question, "form": form, "back_url": back_url},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def figure_remove(request: HttpRequest, round_slug: str, ons_code: str, pk: int) -> HttpResponse:
    plan = selectors.get_plan_for_user(request.user, round_slug=round_slug, ons_code=ons_code)
    figure = _get_figure(plan, pk)

    def remove(row, version):
        figures.remove_figure(user=request.user, plan=plan, figure_id=row.pk, version=version)

    return remove_page(
        request,
        plan,
        model=Figure,
        pk=figure.pk,
        remove=remove,
        back_url=_figures_url(plan, figure.question),
        noun="figure",
        describe=lambda row: row.caption or row.alt_text,
    )


@login_required
@require_POST
def figure_move(request: HttpRequest, round_slug: str, ons_code: str, pk: int) -> HttpResponse:
    plan = selectors.get_plan_for_user(request.user, round_slug=round_slug, ons_code=ons_code)
    figure = _get_figure(plan, pk)
    require_edit(user=request.user, plan=plan)
    try:
        figures.move_figure(user=request.user, plan=plan, figure_id=figure.pk, up=request.POST.get("to") == "up")
    except (ValidationError, StaleEdit) as exc:
        messages.warning(request, exc.messages[0] if isinstance(exc, ValidationError) else str(exc))
    return redirect(_figures_url(plan, figure.question))


@login_required
def figure_image(request: HttpRequest, round_slug: str, ons_code: str, pk: int) -> FileResponse:
    """The sanitised image, inline, only to people who may read the plan."""
    plan = selectors.get_plan_for_user(request.user, round_slug=round_slug, ons_code=ons_code)
    figure = _get_figure(plan, pk)
    extension = figure.file.name.rsplit(".", 1)[-1].lower()
    if extension not in figures.CONTENT_TYPES:
        raise Http404("No such image")
    response = FileResponse(figure.file.open("rb"), content_type=figures.CONTENT_TYPES[extension])
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
