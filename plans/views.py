"""Plan pages: the user's plans and a plan's task list."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from . import selectors


@login_required
def your_plans(request):
    plans = selectors.plan_list_for_user(request.user)
    return render(request, "plans/your_plans.html", {"plans": plans})


@login_required
def plan_overview(request, round_slug: str, ons_code: str):
    plan = selectors.get_plan_for_user(request.user, round_slug=round_slug, ons_code=ons_code)
    task_list = selectors.plan_for_task_list(plan)
    return render(request, "plans/plan_overview.html", {"plan": plan, "task_list": task_list})
