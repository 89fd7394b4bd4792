"""Aligned-plan pages: a plan's group page (set up, invite, join, leave) and a shareable section's shared text.

Every view fetches the plan through selectors.get_plan_for_user (404 outside the user's areas);
every write goes through plans.groups, which checks who may do it.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from rounds.examples import hint_examples

from . import groups, permissions, selectors
from .editing import StaleEdit
from .forms import SectionForm, add_service_error
from .group_forms import CreateGroupForm, InviteForm, JoinForm
from .views import _conflict_page, _posted_data, _resolved_post


def _group_url(plan) -> str:
    return reverse("plans:plan_group", kwargs={"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code})


@login_required
@require_http_methods(["GET", "POST"])
def plan_group(request: HttpRequest, round_slug: str, ons_code: str) -> HttpResponse:
    plan = selectors.get_plan_for_user(request.user, round_slug=round_slug, ons_code=ons_code)
    user = request.user
    is_admin = selectors.is_national_admin(user)
    can_edit = selectors.can_edit_plan(user, plan)
    group = plan.group
    can_manage = group is not None and permissions.can_manage_group(user, group)
    outside = groups.round_plans_outside_groups(plan.round).exclude(pk=plan.pk)
    action = request.POST.get("action") if request.method == "POST" else None
    if action and not (can_edit or is_admin or (action == "invite" and can_manage)):
        raise PermissionDenied("You cannot change this plan's group.")

    create_form = CreateGroupForm(other_plans=outside if is_admin else None)
    invite_form = InviteForm(plans=outside)
    join_form = JoinForm()
    invitation = None
    status = 200
    try:
        if action == "create" and group is None:
            create_form = CreateGroupForm(request.POST, other_plans=outside if is_admin else None)
            if create_form.is_valid():
                members = [plan, *create_form.cleaned_data.get("members", [])]
                groups.create_group(user=user, name=create_form.cleaned_data["name"], plans=members)
                messages.success(request, f"You set up the group ‘{create_form.cleaned_data['name']}’.")
                return redirect(_group_url(plan))
            status = 400
        elif action == "join" and group is None:
            join_form = JoinForm(request.POST)
            if join_form.is_valid():
                joined = groups.accept_invitation(user=user, plan=plan, code=join_form.cleaned_data["code"])
                messages.success(request, f"Your plan joined the group ‘{joined.name}’.")
                return redirect(_group_url(plan))
            status = 400
        elif action == "invite" and group is not None:
            invite_form = InviteForm(request.POST, plans=outside)
            if invite_form.is_valid():
                invited = invite_form.cleaned_data["plan"]
                invitation = {
                    "area": invited.hwb_area.name,
                    "code": groups.invitation_code(user=user, group=group, plan=invited),
                }
            else:
                status = 400
        elif action == "leave" and group is not None:
            groups.leave_group(user=user, plan=plan)
            messages.success(request, f"Your plan left the group ‘{group.name}’. The shared text was copied into it.")
            return redirect(_group_url(plan))
    except ValidationError as exc:
        form = {"create": create_form, "join": join_form, "invite": invite_form}.get(action)
        if form is not None:
            add_service_error(form, exc)
        else:
            messages.error(request, exc.messages[0])
        status = 400

    return render(
        request,
        "plans/plan_group.html",
        {
            "plan": plan,
            "group": group,
            "members": list(groups.group_members(group)) if group else [],
            "can_edit": can_edit,
            "is_admin": is_admin,
            "can_manage": can_manage,
            "create_form": create_form,
            "invite_form": invite_form,
            "join_form": join_form,
            "invitation": invitation,
            "has_outside": outside.exists(),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def shared_section(request: HttpRequest, round_slug: str, ons_code: str, section_key: str) -> HttpResponse:
    """The group's shared text of one shareable section, written once for every member plan."""
    plan = selectors.get_plan_for_user(request.user, round_slug=round_slug, ons_code=ons_code)
    section_obj = selectors.get_section(plan, section_key)
    if not groups.is_shared_section(plan, section_obj):
        raise Http404("This section is not shared")
    group = plan.group
    can_edit = permissions.can_edit_shared_text(request.user, group) and selectors.can_edit_plan(request.user, plan)
    if request.method == "POST" and not can_edit:
        raise PermissionDenied("You cannot change this group's shared text.")
    members = list(groups.group_members(group))
    frozen = groups.frozen_members(members)
    questions = groups.shared_questions(section_obj)
    form_kwargs = {
        "examples": hint_examples(plan.round),
        "questions": questions,
        "condition_questions": [],
        "answers": groups.shared_answers(group.pk, questions),
        "responses": {},
    }
    form_key = groups.shared_form_key(section_obj)
    section_url = reverse(
        "plans:section",
        kwargs={"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code, "section_key": section_obj.key},
    )
    status = 200
    if request.method == "POST":
        data = _resolved_post(request)
        form = SectionForm(data, **form_kwargs)
        if form.is_valid():
            try:
                groups.save_shared_section(
                    user=request.user, group=group, section=section_obj, answers=form.answer_edits()
                )
            except StaleEdit as stale:
                fresh_kwargs = {**form_kwargs, "answers": groups.shared_answers(group.pk, questions)}
                return _conflict_page(
                    request,
                    plan=plan,
                    title=f"{section_obj.title} (shared text)",
                    yours=_posted_data(data),
                    fresh_form=SectionForm(**fresh_kwargs),
                    form_class=SectionForm,
                    form_kwargs=fresh_kwargs,
                    conflicts=stale.conflicts,
                    back_url=request.path,
                    extra={"section": section_obj, "form_key": form_key},
                )
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, "The shared text has been saved for every plan in the group.")
                return redirect(section_url)
        status = 400
    else:
        form = SectionForm(**form_kwargs)
    return render(
        request,
        "plans/shared_section.html",
        {
            "plan": plan,
            "section": section_obj,
            "group": group,
            "members": members,
            "frozen_message": groups.frozen_message(frozen) if frozen else "",
            "form": form,
            # While frozen the form is not offered, except to give back what someone just posted.
            "can_edit": can_edit and (not frozen or request.method == "POST"),
            "form_key": form_key,
            "section_url": section_url,
            "status": selectors.section_status(plan, section_obj),
        },
        status=status,
    )
