"""Every URL the project defines, requested by every role, for their own and a foreign object.

The URL patterns are discovered from the resolver. Each must have an entry in RULES saying who
may reach it; a pattern without one fails the test ("new URL without a rule"). The plan-scoped
URLs are filled with the real ids of one plan (tests.plans.test_views_foreign_area.build_victim_plan,
whose every text carries SECRET) and requested twice: with the plan in Draft and once it has
been submitted (with a Submission), because assurers may see it only then.

Roles: commissioner, signatory, viewer and assurer of the plan's own area / region and of a
foreign one; each of the area's roles held together with the region's assurer role (they may do
what their area role allows, but never review their own area's plan); a national administrator;
an anonymous visitor; and, for admin/ only, a staff user.
Allowed means an answer other than 401/403/404 and not a redirect to sign-in; refused means 403
or 404 (anonymous: a redirect to sign-in, 401, 403 or 404), with none of the plan's text in the
body and, for a POST, no change to the plan. Every request runs in a savepoint that is rolled
back, so an allowed POST (a submission, say) does not change what the next request sees.
"""

from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern
from django.utils import timezone

from accounts import invitations
from accounts.models import Membership
from governance.models import ExportJob, Review, Submission
from metrics.models import MetricAmbition
from monitoring.models import Return
from plans.models import Plan
from rounds.models import PlanningRound, ReturnPeriod, SignOffSlot
from tests.factories import ApiTokenFactory, HwbAreaFactory, MembershipFactory, PlanFactory, RegionFactory, UserFactory
from tests.plans.test_views_foreign_area import (
    POST_DATA,
    SECRET,
    VICTIM_AREA_NAME,
    build_victim_plan,
    filled_urls,
    plan_fingerprint,
)

pytestmark = pytest.mark.django_db

R = Membership.Role
OWN_ROLES = ["commissioner", "signatory", "viewer", "assurer"]
# A role in the plan's area held by someone who is also an assurer of its region.
AREA_ROLE_AND_ASSURER = {
    "commissioner_and_assurer": "commissioner",
    "signatory_and_assurer": "signatory",
    "viewer_and_assurer": "viewer",
}
ROLES = [
    *OWN_ROLES,
    # The area's lead commissioner: a commissioner who also manages the area's team.
    "lead_commissioner",
    *AREA_ROLE_AND_ASSURER,
    *[f"foreign_{r}" for r in OWN_ROLES],
    "national_admin",
    "anonymous",
]
PHASES = ("draft", "submitted")


@dataclass(frozen=True)
class Rule:
    """Who may reach a URL in each phase (own roles by name; foreign roles never reach plan URLs)."""

    draft: frozenset
    submitted: frozenset
    plan_scoped: bool = True
    # A signed-in user the rule does not name may still GET the page (a list scoped to them).
    any_signed_in: bool = False
    why: str = ""
    # Who may POST, when fewer may POST than GET (None: the same roles).
    writers: "Rule | None" = None
    # Assurers who also hold a role in the plan's area are refused (no marking one's own homework).
    independent_assurers_only: bool = False
    # The API takes personal tokens only: a signed-in session is refused with 401, like no token.
    token_only: bool = False

    def allows(self, role: str, phase: str) -> bool:
        if self.why == "public":
            return True
        if role == "anonymous":
            return False
        if self.any_signed_in:
            return True
        if role == "lead_commissioner":
            return role in (self.draft if phase == "draft" else self.submitted) or self.allows("commissioner", phase)
        if role in AREA_ROLE_AND_ASSURER:
            as_assurer = self.allows("assurer", phase) and not self.independent_assurers_only
            return self.allows(AREA_ROLE_AND_ASSURER[role], phase) or as_assurer
        return role in (self.draft if phase == "draft" else self.submitted)


def rule(draft=(), submitted=(), **kwargs) -> Rule:
    return Rule(frozenset(draft), frozenset(submitted), **kwargs)


AREA_READERS = {"commissioner", "signatory", "viewer", "national_admin"}
READ = rule(
    AREA_READERS, AREA_READERS | {"assurer"}, why="the area's people and national admins; assurers once submitted"
)
EDIT = rule({"commissioner"}, (), why="the area's commissioners until submitted")
COMMISSIONER_PAGE = rule({"commissioner"}, {"commissioner"}, why="commissioner-only workflow page")
SIGN = rule({"signatory"}, (), why="the signatory holding the slot, before submission")
REVIEW = rule(
    (),
    {"assurer"},
    independent_assurers_only=True,
    why="assurers of the plan's region with no role in its area, submitted plans only",
)
READ_OWN_DRAFTS = rule(
    AREA_READERS,
    AREA_READERS | {"assurer"},
    writers=EDIT,
    why="readers GET only their own unsaved draft; only editors may save one",
)
PUBLIC = rule(plan_scoped=False, why="public")
SIGNED_IN_LIST = rule(plan_scoped=False, any_signed_in=True, why="any signed-in user; the list is scoped to them")
NATIONAL = rule({"national_admin"}, {"national_admin"}, plan_scoped=False, why="national administrators")
# Public pages of something the matrix never makes public (an unpublished round): nobody reaches them.
UNPUBLISHED_OPEN_DATA = rule(plan_scoped=False, why="public once published; the matrix's round never is")
# An area's team page: its commissioners read it; its lead commissioner and national admins manage it.
TEAM = rule(
    {"commissioner", "lead_commissioner", "national_admin"},
    {"commissioner", "lead_commissioner", "national_admin"},
    why="the area's commissioners and national admins",
)
MANAGE_TEAM = rule(
    {"lead_commissioner", "national_admin"},
    {"lead_commissioner", "national_admin"},
    why="the area's lead commissioner and national admins",
)
# A user's API tokens: the matrix's token is the national admin's; anyone else's request is a 404.
OWN_API_TOKEN = rule(
    {"national_admin"},
    {"national_admin"},
    plan_scoped=False,
    why="the token's owner only (the matrix's token is the national admin's)",
)
# The API (api/v1/): no session is accepted, whoever is signed in (tests/api test tokens).
API_TOKEN_ONLY = rule(plan_scoped=False, token_only=True, why="API: a personal token, never a session")
ASSURANCE = rule(
    {"assurer", "foreign_assurer", "national_admin"},
    {"assurer", "foreign_assurer", "national_admin"},
    plan_scoped=False,
    why="assurers (their own region only) and national admins",
)

# A plan's return moves with it in the matrix: a draft while the plan is, submitted (with a
# ReturnSubmission, submit_returns) once the plan is. So its rules are the plan's.
RETURN_READ = READ
RETURN_EDIT = EDIT
RETURN_EDIT_PAGE = rule(
    AREA_READERS,
    AREA_READERS | {"assurer"},
    writers=EDIT,
    why="the return's readers read it; its commissioners change it until it is submitted",
)

# The declared table: URL name → rule. A URL pattern missing here fails the test.
RULES: dict[str, Rule] = {
    # Site
    "": PUBLIC,  # the home page redirects to "Your plans"
    "login": PUBLIC,
    "logout": PUBLIC,
    "healthz": PUBLIC,
    "audit_log": NATIONAL,
    # Public pages, and the steps of a forgotten password or an invitation (the link is the key).
    "accessibility": PUBLIC,
    "cookies": PUBLIC,
    "privacy": PUBLIC,
    "password_reset": PUBLIC,
    "password_reset_done": PUBLIC,
    "password_reset_confirm": PUBLIC,
    "password_reset_complete": PUBLIC,
    "accept_invitation": PUBLIC,
    # People
    "account": SIGNED_IN_LIST,
    "password_change": SIGNED_IN_LIST,
    "team": TEAM,
    "invite": MANAGE_TEAM,
    "invitation_resend": MANAGE_TEAM,
    "invitation_revoke": MANAGE_TEAM,
    "membership_end": MANAGE_TEAM,
    "invite_assurer": NATIONAL,
    # Authoring (plans app)
    "plans:your_plans": SIGNED_IN_LIST,
    "plans:plan_overview": READ,
    "plans:section": READ,
    "plans:section_history": READ,
    "plans:check_answers": READ,
    "plans:risk_add": EDIT,
    "plans:risk_change": EDIT,
    "plans:risk_remove": EDIT,
    "plans:document_add": EDIT,
    "plans:document_change": EDIT,
    "plans:document_remove": EDIT,
    "plans:document_download": READ,
    "plans:figure_add": EDIT,
    "plans:figure_remove": EDIT,
    "plans:figure_move": EDIT,
    "plans:figure_image": READ,
    "plans:autosave": READ_OWN_DRAFTS,
    # Aligned plans: the group page and the shared text are read like the plan; the group is set up,
    # joined or left by the area's commissioners until submission (and by national admins), and the
    # shared text is written by the commissioners of member areas while the plan can be edited.
    "plans:plan_group": rule(
        AREA_READERS,
        AREA_READERS | {"assurer"},
        writers=rule({"commissioner", "national_admin"}, {"national_admin"}),
        why="read like the plan; its commissioners (and national admins) change its group",
    ),
    "plans:shared_section": rule(
        AREA_READERS,
        AREA_READERS | {"assurer"},
        writers=EDIT,
        why="read like the plan; written by member areas' commissioners until submitted",
    ),
    # Renders only the text the user posts, as Markdown; no plan content, so any reader.
    "plans:markdown_preview": READ,
    # Importing a Word plan; a preview is further limited to the commissioner who uploaded it (404 for others).
    "plans:word_import": EDIT,
    "plans:word_import_preview": EDIT,
    "governance:export_request": READ,
    "governance:export_status": READ,
    "governance:export_download": READ,
    # Part 2
    "schemes:list": READ,
    "schemes:add": EDIT,
    "schemes:change": EDIT,
    "schemes:remove": EDIT,
    "finance:income": READ,
    "finance:income_add": EDIT,
    "finance:income_change": EDIT,
    "finance:income_remove": EDIT,
    "finance:expenditure": READ,
    "finance:expenditure_add": EDIT,
    "finance:expenditure_change": EDIT,
    "finance:expenditure_remove": EDIT,
    "finance:summary": READ,
    "finance:import": EDIT,
    "finance:import_confirm": EDIT,
    "metrics:ambitions": READ,
    "metrics:ambition": EDIT,
    "metrics:local_add": EDIT,
    "metrics:local_change": EDIT,
    "capacity:tables": READ,
    "capacity:block": EDIT,
    # Workflow
    "governance:plan_status": READ,
    "governance:transition": EDIT,
    "governance:sign": SIGN,
    "governance:submit": COMMISSIONER_PAGE,
    "governance:review": REVIEW,
    "governance:versions": READ,
    # A plan's submissions (and decision letters) are part of the plan: its readers read them.
    "governance:download": READ,
    "governance:decision_letter": READ,
    # A submission's files are rendered after it is committed: its readers follow their progress
    # and may ask again for a failed render (plans.retry_submission_files).
    "governance:submission_progress": READ,
    "governance:submission_retry": READ,
    "governance:assurance_dashboard": ASSURANCE,
    "governance:national_dashboard": NATIONAL,
    # National administration (governance.national_views): rounds, reference data import, progress.
    "governance:national_rounds": NATIONAL,
    "governance:national_round": NATIONAL,
    "governance:national_round_open": NATIONAL,
    "governance:national_create_plans": NATIONAL,
    "governance:national_progress": NATIONAL,
    "governance:national_import": NATIONAL,
    "governance:national_import_confirm": NATIONAL,
    # Monitoring returns: read like the plan, changed by its commissioners until submitted.
    "monitoring:export": RETURN_READ,
    "monitoring:import": RETURN_EDIT,
    "monitoring:import_confirm": RETURN_EDIT,
    # Monitoring returns: the national roll-up of a period (assurers see their own regions only) and
    # the national dataset, which monitoring serves because it carries the returns too.
    "monitoring:national": ASSURANCE,
    "monitoring:national_dataset": NATIONAL,
    # Open data (opendata.views): the list of published rounds is public; a round's pages, datasets and
    # Part 1 PDFs are public only once it is published and the plan approved, which the matrix's
    # round and plan never are, so they are a 404 for everyone. Publishing is for national admins.
    "opendata:index": PUBLIC,
    "opendata:round": UNPUBLISHED_OPEN_DATA,
    "opendata:dictionary": UNPUBLISHED_OPEN_DATA,
    "opendata:dataset_xlsx": UNPUBLISHED_OPEN_DATA,
    "opendata:dataset_csv": UNPUBLISHED_OPEN_DATA,
    "opendata:part_one_pdf": UNPUBLISHED_OPEN_DATA,
    "opendata:publish": NATIONAL,
    # Monitoring returns (monitoring.views). The plan's returns page reads like the plan; only its
    # commissioners start a return (refused until the plan is approved, which the matrix's plan never is).
    "monitoring:returns": rule(
        AREA_READERS,
        AREA_READERS | {"assurer"},
        writers=COMMISSIONER_PAGE,
        why="the plan's readers; its commissioners start returns",
    ),
    "monitoring:task_list": RETURN_READ,
    "monitoring:history": RETURN_READ,
    "monitoring:part": RETURN_EDIT_PAGE,
    "monitoring:autosave": RETURN_EDIT_PAGE,
    # Monitoring returns: sign-off, PDF, submitted files, review (monitoring.signoff_views)
    "monitoring:signoff": READ,
    "monitoring:pdf": READ,
    "monitoring:submission_file": READ,
    "monitoring:review": REVIEW,
    "monitoring:assurance": ASSURANCE,
    # The national data API (api.views) answers personal tokens only, never a session: with a token, each
    # role sees exactly what these pages' rules allow (tests/api/test_contract.py checks every endpoint).
    "api:schema": PUBLIC,  # the OpenAPI document describes the API, not its data
    "api:docs": PUBLIC,
    # Every data endpoint's list and detail: the same rule, since a session never reaches them.
    **{
        f"api:{kind}-{view}": API_TOKEN_ONLY
        for kind in (
            "round",
            "region",
            "area",
            "plan",
            "income-line",
            "expenditure-line",
            "scheme",
            "metric-ambition",
            "condition-response",
            "submission",
            "assurance-outcome",
            "return",
        )
        for view in ("list", "detail")
    },
    # API tokens (api.views): each user lists and creates their own (creating needs a role, which
    # every matrix role has) and revokes only their own.
    "api:token_list": SIGNED_IN_LIST,
    "api:token_create": SIGNED_IN_LIST,
    "api:token_revoke": OWN_API_TOKEN,
    "api:me": API_TOKEN_ONLY,
}
# URLs whose filled-in form may rightly be 404 even for a role allowed to reach them (say why).
MAY_BE_404: dict[str, str] = {
    # A Word import's preview belongs to the commissioner who uploaded it (plans.word_import_views); the
    # area's other commissioners get 404 for it, as tests/plans/test_word_import.py checks.
    "plans:word_import_preview": "a preview is its uploader's own",
}
# In the submitted phase these read pages may redirect or refuse an editor: not a leak.
ADMIN_PREFIX = "admin/"


def all_url_patterns():
    """Every leaf URL pattern of the site as (route, name, is_regex)."""
    found = []

    def walk(patterns, prefix, namespace):
        for p in patterns:
            is_route = isinstance(p.pattern, RoutePattern)
            piece = str(p.pattern._route) if is_route else str(p.pattern)
            route = prefix + piece
            if isinstance(p, URLResolver):
                walk(p.url_patterns, route, p.namespace or namespace)
            elif isinstance(p, URLPattern):
                name = f"{namespace}:{p.name}" if namespace and p.name else (p.name or "")
                found.append((route, name, not is_route))

    walk(get_resolver().url_patterns, "", None)
    return found


# --- The people and the plan ---------------------------------------------------------------


@pytest.fixture
def world(shipped_rounds):
    rnd = PlanningRound.objects.get(slug="2014-15")
    plan, ids = build_victim_plan(rnd)
    area = plan.hwb_area
    foreign_area = HwbAreaFactory(ons_code="E06999903", name="Farshire", region=RegionFactory(code="RFX"))
    assert foreign_area.region_id != area.region_id
    PlanFactory(round=rnd, hwb_area=foreign_area)
    slot = SignOffSlot.objects.filter(round=rnd).order_by("order").first()

    def member(role, scope_area, **extra):
        kwargs = {"role": role, **extra}
        if role == R.ASSURER:
            kwargs["region"], kwargs["hwb_area"] = scope_area.region, None
        elif role == R.NATIONAL_ADMIN:
            kwargs["hwb_area"] = None
        else:
            kwargs["hwb_area"] = scope_area
        return MembershipFactory(**kwargs).user

    users = {
        "commissioner": area.memberships.get(role=R.COMMISSIONER).user,
        "signatory": member(R.SIGNATORY, area, signoff_slot_code=slot.code),
        "viewer": member(R.VIEWER, area),
        "assurer": member(R.ASSURER, area),
        "foreign_commissioner": member(R.COMMISSIONER, foreign_area),
        "foreign_signatory": member(R.SIGNATORY, foreign_area, signoff_slot_code=slot.code),
        "foreign_viewer": member(R.VIEWER, foreign_area),
        "foreign_assurer": member(R.ASSURER, foreign_area),
        "national_admin": member(R.NATIONAL_ADMIN, area),
        "lead_commissioner": member(R.COMMISSIONER, area, is_lead=True),
        "anonymous": None,
    }
    for role, area_role in AREA_ROLE_AND_ASSURER.items():
        extra = {"signoff_slot_code": slot.code} if area_role == "signatory" else {}
        users[role] = member(area_role, area, **extra)
        MembershipFactory(user=users[role], role=R.ASSURER, region=area.region, hwb_area=None)
    local = MetricAmbition.objects.create(plan=plan, metric=None, local_name=f"{SECRET} local", rationale=SECRET)
    job = ExportJob.objects.create(plan=plan, kind="xlsx", content_hash="x" * 64, status=ExportJob.Status.DONE)
    job.file.save(f"exports/matrix-{job.pk}.xlsx", ContentFile(b"PK\x03\x04 " + SECRET.encode()), save=True)
    invitation = invitations.invite(
        by=users["national_admin"], email_address="invitee@example.org", role="viewer", hwb_area=area
    )
    token = invitation_token(invitation)
    api_token = ApiTokenFactory(user=users["national_admin"], name=f"{SECRET} token")
    ids.update(
        {
            "token": [token],
            "invitation": [str(invitation.pk)],
            "api_token": [str(api_token.pk)],
            "membership": [str(area.memberships.get(user=users["viewer"]).pk)],
            "slot": [slot.code],
            "step": ["send_for_signoff"],
            "kind": ["xlsx", "pdf", "json"],
            "version": [str(plan.version)],
            "job": [str(job.pk)],
            "local": [str(local.pk)],
            "period": list(ReturnPeriod.objects.filter(round=rnd).order_by("order").values_list("key", flat=True)),
            # The API's detail URLs name their object by id (api/urls.py).
            "plan_id": [str(plan.pk)],
            "submission_id": [str(pk) for pk in Submission.objects.filter(plan=plan).values_list("pk", flat=True)],
            "outcome_id": [str(pk) for pk in Review.objects.filter(submission__plan=plan).values_list("pk", flat=True)],
            "return_id": [str(pk) for pk in Return.objects.filter(plan=plan).values_list("pk", flat=True)],
            "region_code": [area.region.code],
        }
    )
    return plan, ids, users


def submit(plan, users):
    """Put the plan in Submitted with a Submission row, as the workflow would."""
    from governance.models import Submission

    Plan.objects.filter(pk=plan.pk).update(status=Plan.Status.SUBMITTED)
    plan.refresh_from_db()
    submit_returns(plan, users)
    if Submission.objects.filter(plan=plan, version=plan.version).exists():
        return  # build_victim_plan already made one (with a decision)
    Submission.objects.create(
        plan=plan,
        version=plan.version,
        snapshot={"area": VICTIM_AREA_NAME, "text": SECRET},
        snapshot_sha256="0" * 64,
        pdf=ContentFile(b"%PDF-1.4 " + SECRET.encode(), name="matrix.pdf"),
        pdf_sha256="1" * 64,
        workbook=ContentFile(b"PK\x03\x04 " + SECRET.encode(), name="matrix.xlsx"),
        workbook_sha256="2" * 64,
        files_status=Submission.FilesStatus.DONE,
        submitted_by=users["commissioner"],
        submitted_at=timezone.now(),
    )


def submit_returns(plan, users):
    """Put the plan's returns in Submitted with a ReturnSubmission each, as the workflow would."""
    from governance.snapshots import canonical_json, sha256_hex
    from monitoring.models import Return, ReturnSubmission
    from monitoring.signoff_selectors import return_snapshot

    for ret in Return.objects.filter(plan=plan).select_related("plan__round", "plan__hwb_area", "period"):
        Return.objects.filter(pk=ret.pk).update(status=Return.Status.SUBMITTED)
        ret.status = Return.Status.SUBMITTED
        if ReturnSubmission.objects.filter(ret=ret, version=ret.version).exists():
            continue
        snapshot = return_snapshot(ret)
        submission = ReturnSubmission(
            ret=ret,
            version=ret.version,
            snapshot=snapshot,
            snapshot_sha256=sha256_hex(canonical_json(snapshot)),
            pdf_sha256="1" * 64,
            workbook_sha256="2" * 64,
            files_status=ReturnSubmission.FilesStatus.DONE,
            submitted_by=users["commissioner"],
            submitted_at=timezone.now(),
        )
        submission.pdf.save("return.pdf", ContentFile(b"%PDF-1.4 " + SECRET.encode()), save=False)
        submission.workbook.save("return.xlsx", ContentFile(b"PK\x03\x04 " + SECRET.encode()), save=False)
        submission.save()


def invitation_token(invitation) -> str:
    """A known token for the invitation (the table keeps only its hash), set as a resend would."""
    import hashlib

    token = f"matrix-token-{invitation.pk}"
    type(invitation).objects.filter(pk=invitation.pk).update(token_sha256=hashlib.sha256(token.encode()).hexdigest())
    return token


# --- Requests -------------------------------------------------------------------------------


def _body(response) -> str:
    data = b"".join(response.streaming_content) if response.streaming else response.content
    return data.decode("utf-8", "replace")


def _is_login_redirect(response) -> bool:
    return response.status_code in (301, 302) and "/sign-in/" in response.get("Location", "")


def ask(client, user, method, url, plan=None):
    """One request in a rolled-back savepoint: (status, body, location, login_redirect, changed).

    With `plan`, `changed` says whether the request changed the plan, judged inside the savepoint
    (after the rollback every request would look harmless).
    """
    client.logout()
    if user is not None:
        client.force_login(user)
    with transaction.atomic():
        before = plan_fingerprint(plan) if plan is not None else None
        try:
            response = client.post(url, POST_DATA) if method == "post" else client.get(url)
        except Exception as error:  # a crash is an answer too: report it with the others
            transaction.set_rollback(True)
            return (500, f"{type(error).__name__}: {error}", "", False, False)
        changed = plan is not None and plan_fingerprint(plan) != before
        location = response.get("Location", "")
        result = (response.status_code, _body(response), location, _is_login_redirect(response), changed)
        transaction.set_rollback(True)
    return result


def allowed_answer(rule_, status, login_redirect) -> bool:
    # Public pages may send you to sign-in (signing out does); no other allowed page may.
    return status not in (401, 403, 404) and (rule_ is PUBLIC or not login_redirect)


def refused_answer(role, status, login_redirect, rule_=None) -> bool:
    if rule_ is not None and rule_.token_only:
        return status == 401
    if role == "anonymous":
        return login_redirect or status in (401, 403, 404)
    return status in (403, 404)


def choose_url(client, route, ids, plan, rule_, users):
    """A filling of the route that a role allowed by the rule actually reaches (so the ids are real)."""
    urls = list(filled_urls(route, ids, plan))
    assert urls, f"No values to fill {route}"
    for phase in PHASES:
        prober = next((r for r in ROLES if r != "anonymous" and rule_.allows(r, phase)), None)
        if prober is None:
            continue
        if phase == "submitted":
            return urls[0], phase, prober  # decided by the caller after submitting
        for url in urls:
            status = ask(client, users[prober], "get", url)[0]
            if status == 405:
                status = ask(client, users[prober], "post", url)[0]
            if status != 404:
                return url, phase, prober
    return urls[0], None, None


def check_url(client, url, name, rule_, phase, users, plan, problems, covered):
    for role in ROLES:
        user = users[role]
        expected_allowed = rule_.allows(role, phase)
        watch = None if expected_allowed else plan  # a refused request must change nothing
        status, body, _, login_redirect, changed = ask(client, user, "get", url, watch)
        method = "get"
        if status == 405:
            method = "post"
            status, body, _, login_redirect, changed = ask(client, user, "post", url, watch)
        covered.add((name, role, phase))
        where = f"{phase}: {method.upper()} {url} ({name}) as {role}"
        if expected_allowed:
            if not allowed_answer(rule_, status, login_redirect) and not (status == 404 and name in MAY_BE_404):
                problems.append(f"{where} answered {status}; the rule allows it ({rule_.why})")
            if rule_.writers is not None and not rule_.writers.allows(role, phase):
                status, _, _, _, changed = ask(client, user, "post", url, plan)
                if status not in (403, 404, 405) or changed:
                    problems.append(f"{phase}: POST {url} ({name}) as {role} answered {status}; only editors may")
            continue
        if not refused_answer(role, status, login_redirect, rule_):
            problems.append(f"{where} answered {status}; it should be refused ({rule_.why})")
        if changed:
            problems.append(f"{where} was refused but changed the plan")
        if rule_.plan_scoped and (SECRET in body or VICTIM_AREA_NAME in body):
            problems.append(f"{where} was refused but showed the plan's content")
        if rule_.plan_scoped and method == "get" and role != "anonymous":
            status, body, _, _, changed = ask(client, user, "post", url, plan)
            if status not in (403, 404, 405) or SECRET in body or changed:
                problems.append(f"{phase}: POST {url} ({name}) as {role} answered {status}; it should be refused")


def test_every_url_pattern_has_a_rule_and_every_role_gets_the_expected_answer(client, world, capsys):
    plan, ids, users = world
    patterns = all_url_patterns()
    regex = [route for route, _, is_regex in patterns if is_regex and not route.startswith(ADMIN_PREFIX)]
    assert not regex, f"Use path() with named kwargs so this test can fill them: {regex}"
    app_patterns = [(route, name) for route, name, _ in patterns if not route.startswith(ADMIN_PREFIX)]
    missing = sorted({f"{name or '(unnamed)'} /{route}" for route, name in app_patterns if name not in RULES})
    assert not missing, "New URL without a rule in RULES:\n" + "\n".join(missing)

    before = plan_fingerprint(plan)
    problems: list[str] = []
    covered: set = set()
    chosen = {}
    for route, name in app_patterns:
        rule_ = RULES[name]
        if "<" not in route:
            chosen[name] = ("/" + route, rule_)
            continue
        url, _, _ = choose_url(client, route, ids, plan, rule_, users)
        chosen[name] = (url, rule_)

    for phase in PHASES:
        if phase == "submitted":
            submit(plan, users)
            before = plan_fingerprint(plan)
        for name, (url, rule_) in chosen.items():
            check_url(client, url, name, rule_, phase, users, plan, problems, covered)
        # Lists and dashboards: a role that may not read the plan must not see it listed or counted.
        for name in (
            "plans:your_plans",
            "governance:assurance_dashboard",
            "audit_log",
            "monitoring:national",
            "monitoring:assurance",
            *[f"api:{kind}-list" for kind in ("plan", "income-line", "condition-response", "assurance-outcome")],
            *[f"api:{kind}-list" for kind in ("metric-ambition", "scheme", "return")],
        ):
            if name in chosen:
                for role in ROLES:
                    if role != "anonymous" and not READ.allows(role, phase):
                        body = ask(client, users[role], "get", chosen[name][0])[1]
                        if VICTIM_AREA_NAME in body or SECRET in body:
                            problems.append(f"{phase}: {chosen[name][0]} ({name}) shows the plan to {role}")
        assert plan_fingerprint(plan) == before, f"{phase}: a request changed the plan"

    assert not problems, f"{len(problems)} permission problems:\n" + "\n".join(problems)
    with capsys.disabled():
        print(
            f"\npermission matrix: {len(chosen)} URL patterns × {len(ROLES)} roles × {len(PHASES)} plan states"
            f" = {len(covered)} checks"
        )


def test_admin_requires_staff(client, world):
    """admin/ is covered by one rule: only is_staff users get in; everyone else is sent to its sign-in."""
    plan, _, users = world
    admin_routes = [route for route, _, _ in all_url_patterns() if route.startswith(ADMIN_PREFIX)]
    assert admin_routes
    for role in ROLES:
        status, body, location, _, _ = ask(client, users[role], "get", "/admin/plans/plan/")
        assert status == 302 and "/admin/login/" in location, f"{role} reached the admin ({status})"
    staff = UserFactory(is_staff=True, is_superuser=True)
    status = ask(client, staff, "get", "/admin/plans/plan/")[0]
    assert status == 200


def test_the_matrix_fails_for_a_url_without_a_rule(client, world, settings):
    from django.http import HttpResponse
    from django.urls import path

    from bcf_portal.urls import urlpatterns as project

    class Urlconf:
        urlpatterns = [path("new-page/", lambda request: HttpResponse("hi"), name="brand_new"), *project]

    settings.ROOT_URLCONF = Urlconf
    names = {name for _, name, _ in all_url_patterns()}
    assert "brand_new" in names and "brand_new" not in RULES


def _leaky_view(request, round_slug, ons_code, pk):
    # A careless view: fetches the row by id (not through get_plan_for_user) and lets anyone change it.
    from django.http import HttpResponse

    from plans.models import Risk

    risk = Risk.objects.get(pk=pk)
    if request.method == "POST":
        Risk.objects.filter(pk=pk).update(description="changed by anyone")
    return HttpResponse(risk.description)


def test_the_matrix_catches_a_view_that_leaks_or_lets_anyone_write(client, world, settings):
    from django.urls import path

    from bcf_portal.urls import urlpatterns as project

    plan, ids, users = world

    class Urlconf:
        urlpatterns = [path("plans/<slug:round_slug>/<str:ons_code>/leak/<int:pk>/", _leaky_view), *project]

    settings.ROOT_URLCONF = Urlconf
    url = f"/plans/{plan.round.slug}/{plan.hwb_area.ons_code}/leak/{ids['risk'][0]}/"
    problems: list[str] = []
    check_url(client, url, "leak", READ, "draft", users, plan, problems, set())
    assert any("foreign_commissioner" in p and "answered 200" in p for p in problems)
    assert any("showed the plan's content" in p for p in problems)
    assert any("POST" in p and "foreign_viewer" in p for p in problems)


def test_signed_in_pages_and_downloads_carry_cache_control_private_no_store(client, world):
    """Every page and download a signed-in reader gets is kept by no cache, shared or the browser's."""
    plan, ids, users = world
    routes = [(route, name) for route, name, _ in all_url_patterns() if not route.startswith(ADMIN_PREFIX)]
    urls = {
        name: "/" + route if "<" not in route else choose_url(client, route, ids, plan, RULES[name], users)[0]
        for route, name in routes
    }
    answered: set[str] = set()
    problems = []
    for phase, roles in (
        ("draft", ["commissioner", "signatory", "viewer"]),
        ("submitted", ["assurer", "national_admin"]),
    ):
        if phase == "submitted":
            submit(plan, users)
        for role in roles:
            client.force_login(users[role])
            for name, url in urls.items():
                if name in ("logout", "login") or not RULES[name].allows(role, phase):
                    continue
                response = client.get(url)
                if response.status_code != 200:
                    continue  # a POST-only URL, or a page this role is redirected from
                answered.add(name)
                cache_control = {part.strip() for part in response.get("Cache-Control", "").split(",")}
                if not {"private", "no-store"} <= cache_control:
                    problems.append(
                        f"{phase}: GET {url} ({name}) as {role}: Cache-Control {response.get('Cache-Control')!r}"
                    )
    downloads = {
        "plans:document_download",
        "plans:figure_image",
        "governance:export_download",
        "governance:download",
        "governance:decision_letter",
    }
    assert downloads <= answered, f"not reached: {downloads - answered}"
    assert {"plans:your_plans", "plans:plan_overview", "plans:section", "governance:review"} <= answered
    assert not problems, "\n".join(problems)


def test_an_assurer_with_any_role_in_an_area_may_not_review_its_plan_but_may_review_the_rest_of_the_region(
    client, world
):
    """No marking one's own homework: refused, in the page and in the services, and the refusal is logged."""
    from django.core.exceptions import PermissionDenied
    from django.urls import reverse

    from accounts.models import SecurityEvent
    from governance import services
    from plans import permissions

    plan, _, users = world
    neighbour = PlanFactory(
        round=plan.round, hwb_area=HwbAreaFactory(ons_code="E06999904", name="Nearshire", region=plan.hwb_area.region)
    )
    submit(plan, users)
    submit(neighbour, users)

    def review_url(p):
        return reverse("governance:review", kwargs={"round_slug": p.round.slug, "ons_code": p.hwb_area.ons_code})

    for role in AREA_ROLE_AND_ASSURER:
        user = users[role]
        client.force_login(user)
        refused = client.get(review_url(plan))
        assert refused.status_code == 403, role
        assert "because you also have a role in its area" in refused.content.decode()
        assert SecurityEvent.objects.filter(
            action=SecurityEvent.Action.PERMISSION_DENIED, user=user, path=review_url(plan)
        ).exists()
        returned = client.post(review_url(plan), {"action": "return", "comment": "Looks fine to me"})
        assert returned.status_code == 403
        with pytest.raises(PermissionDenied):
            services.start_review(user=user, plan=plan)
        assert SecurityEvent.objects.filter(
            action=SecurityEvent.Action.TRANSITION_REFUSED, user=user, plan_id=plan.pk
        ).exists()
        plan.refresh_from_db()
        assert plan.status == Plan.Status.SUBMITTED
        assert not permissions.can_review_plan(user, plan)

        # The rest of their region is theirs to assure.
        assert permissions.can_review_plan(user, neighbour)
        assert client.get(review_url(neighbour)).status_code == 200

    services.start_review(user=users["commissioner_and_assurer"], plan=neighbour)
    neighbour.refresh_from_db()
    assert neighbour.status == Plan.Status.IN_ASSURANCE
