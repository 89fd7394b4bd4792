"""No plan URL serves one area's plan to a commissioner of another area.

The URLs are discovered from the resolver, not listed by hand, so a page added tomorrow
is tested tomorrow: every pattern under plans/ (and the schemes/, finance/ and metrics/
mounts) is requested with the other area's real round, ONS code and object ids. The owner
must be able to reach each filled-in URL (so the ids are real), and the outsider must get
403 or 404 on GET and POST, see none of the plan's text, and change nothing.
"""

import itertools
import re
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver, path
from django.urls.resolvers import RoutePattern
from django.utils import timezone

from accounts.models import Membership
from governance.models import ExportJob
from plans.models import (
    Answer,
    ConditionResponse,
    Figure,
    Plan,
    PlanGroup,
    RelatedDocument,
    Risk,
    SectionProgress,
    SharedAnswer,
    UnsavedDraft,
    WordImport,
)
from rounds.models import (
    CapacityDemandTable,
    CodeListEntry,
    ConditionQuestion,
    Metric,
    Organisation,
    PlanningRound,
    Question,
    Section,
)
from tests.factories import HwbAreaFactory, MembershipFactory, PlanFactory, UserFactory

pytestmark = pytest.mark.django_db

SECRET = "ZQXSECRET"  # in every piece of the victim plan's text
VICTIM_AREA_NAME = "Zqxshire"
# Parts of the site that are not plan pages. The API takes tokens, never this test's session (it answers
# 401 to one); tests/api/test_contract.py calls every endpoint with tokens of every role instead.
NOT_PLAN_PAGES = ("admin/", "sign-in/", "sign-out/", "healthz", "__debug__/", "static/", "media/", "api/")
# Filled-in URLs that may rightly be 404 for the plan's own commissioner (say why for each).
OWNER_MAY_GET_404: set[str] = {
    # Public open data exists only once a national admin publishes the round (tests/opendata/).
    "opendata:round",
    "opendata:dictionary",
    "opendata:dataset_xlsx",
    "opendata:dataset_csv",
    "opendata:part_one_pdf",
}
MAX_COMBINATIONS = 40


def _code(rnd, list_name, code, label, **extra):
    entry, _ = CodeListEntry.objects.get_or_create(
        round=rnd, list=list_name, code=code, defaults={"label": label, **extra}
    )
    return entry


def build_victim_plan(rnd: PlanningRound) -> tuple[Plan, dict[str, list]]:
    """A draft plan with content of every kind, each text carrying SECRET; returns ids by kind."""
    from capacity.models import CapacityDemandFigure
    from finance.models import ExpenditureAmount, ExpenditureLine, IncomeLine
    from governance.models import Review, SectionComment, Submission
    from metrics.models import MetricAmbition, PlannedValue
    from schemes.models import Scheme

    area = HwbAreaFactory(ons_code="E06999901", name=VICTIM_AREA_NAME)
    plan = PlanFactory(round=rnd, hwb_area=area)
    owner = MembershipFactory(hwb_area=area, user__email="owner@zqxshire.gov.uk").user
    ids: dict[str, list] = {}

    def add(kind, *values):
        ids.setdefault(kind, []).extend(str(v) for v in values)

    sections = list(Section.objects.filter(round=rnd))
    if not sections:  # a bare round: give it a section of each table kind
        for i, table in enumerate(["", *Section.Table.values[1:]]):
            Section.objects.create(round=rnd, key=f"s{i}", heading=f"Section {i}", order=i, table=table)
        sections = list(Section.objects.filter(round=rnd))
    for section in sections:
        add("section", section.key, section.pk)
        SectionProgress.objects.create(plan=plan, section=section, status="in_progress", updated_by=owner)
    questions = list(Question.objects.filter(section__round=rnd))
    if not questions:
        questions = [
            Question.objects.create(section=sections[0], key="vision", label="Vision", kind="narrative", order=1)
        ]
    for q in questions:
        answer = Answer.objects.create(plan=plan, question=q, text=f"{SECRET} answer to {q.key}", updated_by=owner)
        answer.text += " (edited)"
        answer.version += 1
        answer.save()  # a second history row, for history/diff pages
        add("question", q.key, q.pk)
        add("answer", answer.pk)
        add("history", *answer.history.values_list("history_id", flat=True))

    doc = RelatedDocument.objects.create(
        plan=plan, ref="D1", title=f"{SECRET} document", synopsis=f"{SECRET} synopsis", url="https://example.org/x"
    )
    uploaded = RelatedDocument(plan=plan, ref="D2", title=f"{SECRET} uploaded", original_filename="zqx.pdf")
    uploaded.file.save("zqx.pdf", ContentFile(b"%PDF-1.4\n% ZQXSECRET\n%%EOF\n"), save=True)
    add("document", doc.pk, uploaded.pk)
    narrative = next((q for q in questions if q.kind == Question.Kind.NARRATIVE), None)
    if narrative is not None:
        figure = Figure(plan=plan, question=narrative, alt_text=f"{SECRET} figure", caption=f"{SECRET} caption")
        figure.file.save("zqx.png", ContentFile(_tiny_png()), save=True)
        add("figure", figure.pk)
    rating = CodeListEntry.objects.filter(round=rnd, list="risk_rating").first() or _code(
        rnd, "risk_rating", "high", "High"
    )
    risk = Risk.objects.create(plan=plan, description=f"{SECRET} risk", rating=rating, owner=f"{SECRET} owner")
    add("risk", risk.pk)
    add("history", *risk.history.values_list("history_id", flat=True))

    scheme = Scheme.objects.create(
        plan=plan,
        reference="ZQ01",
        name=f"{SECRET} scheme",
        description=f"{SECRET} scheme description",
        scheme_type=CodeListEntry.objects.filter(round=rnd, list="scheme_type").first()
        or _code(rnd, "scheme_type", "other", "Other"),
        lead_commissioner=CodeListEntry.objects.filter(round=rnd, list="commissioner").first()
        or _code(rnd, "commissioner", "joint", "Joint"),
        area_of_spend=CodeListEntry.objects.filter(round=rnd, list="area_of_spend").first()
        or _code(rnd, "area_of_spend", "other", "Other"),
        provider=f"{SECRET} provider",
    )
    add("scheme", scheme.pk, scheme.reference)

    for cq in ConditionQuestion.objects.filter(condition__round=rnd):
        response = ConditionResponse.objects.create(
            plan=plan, question=cq, status="yes", narrative=f"{SECRET} condition {cq.pk}", updated_by=owner
        )
        add("condition", cq.condition.number, cq.condition.pk, cq.pk, response.pk)
        add("response", response.pk)

    council = Organisation.objects.create(name=f"{VICTIM_AREA_NAME} Council", kind="local_authority")
    council.hwb_areas.add(area)
    year = rnd.years.first()
    stream = rnd.funding_streams.first()
    if year and stream:
        income = IncomeLine.objects.create(
            plan=plan, funding_stream=stream, organisation=council, year=year, amount=Decimal("123456.78"),
            note=f"{SECRET} income",
        )  # fmt: skip
        add("income", income.pk)
        add("year", year.pk, year.label)
        add("stream", stream.pk, stream.key)
        line = ExpenditureLine.objects.create(
            plan=plan,
            scheme=scheme,
            scheme_type=scheme.scheme_type,
            area_of_spend=scheme.area_of_spend,
            commissioner=scheme.lead_commissioner,
            provider=CodeListEntry.objects.filter(round=rnd, list="provider").first()
            or _code(rnd, "provider", "la", "Local authority"),
            funding_stream=stream,
        )
        amount = ExpenditureAmount.objects.create(line=line, year=year, amount=Decimal("654321.00"))
        add("expenditure", line.pk)
        add("line", line.pk)
        add("amount", amount.pk)
    metric = Metric.objects.filter(round=rnd).first()
    ambition = MetricAmbition.objects.create(
        plan=plan, metric=metric, local_name="" if metric else f"{SECRET} local metric", rationale=f"{SECRET} why"
    )
    value = PlannedValue.objects.create(ambition=ambition, period="Q1", value=Decimal("1.5"))
    add("metric", *([metric.key, metric.pk] if metric else []), ambition.pk)
    add("ambition", ambition.pk)
    add("value", value.pk)
    local = MetricAmbition.objects.create(plan=plan, local_name=f"{SECRET} local metric", rationale=f"{SECRET} why")
    add("local", local.pk)
    add("ambition", local.pk)
    add("slot", *rnd.signoff_slots.values_list("code", flat=True))

    # Capacity and demand: a round without a table gets a small one, and a section that shows it.
    table = CapacityDemandTable.objects.filter(round=rnd).first() or CapacityDemandTable.objects.create(
        round=rnd,
        periods=["Apr 2025"],
        blocks=[{"key": "discharge", "label": "Hospital discharge", "rows": [{"key": "d-home", "label": "Home"}]}],
    )
    if not Section.objects.filter(round=rnd, table=Section.Table.CAPACITY_DEMAND).exists():
        last = max(s.order for s in sections) + 1
        cd = Section.objects.create(
            round=rnd, key="zq-cd", heading="Capacity", order=last, part=2, table="capacity_demand"
        )
        SectionProgress.objects.create(plan=plan, section=cd, status="in_progress", updated_by=owner)
        add("section", cd.key, cd.pk)
    first_row = table.blocks[0]["rows"][0]["key"]
    CapacityDemandFigure.objects.create(plan=plan, row_key=first_row, period=table.periods[0], demand=91, capacity=90)
    add("block", *(b["key"] for b in table.blocks))

    # Exports and an immutable submission with a decision, for the download pages.
    job = ExportJob(plan=plan, kind="pdf", content_hash="0" * 64, status="done", requested_by=owner)
    job.file.save("zqx-export.pdf", ContentFile(f"%PDF-1.4 {SECRET}".encode()), save=False)
    job.save()
    add("job", job.pk)
    add("export", job.pk)
    submission = Submission(
        plan=plan,
        version=1,
        snapshot={"note": SECRET},
        snapshot_sha256="0" * 64,
        pdf_sha256="1" * 64,
        workbook_sha256="2" * 64,
        files_status=Submission.FilesStatus.DONE,
        submitted_by=owner,
        submitted_at=timezone.now(),
    )
    submission.pdf.save("part1.pdf", ContentFile(f"%PDF-1.4 {SECRET}".encode()), save=False)
    submission.workbook.save("part2.xlsx", ContentFile(SECRET.encode()), save=False)
    submission.save()
    outcome = rnd.outcomes.order_by("order").first()
    if outcome:
        assurer = UserFactory()
        Review.objects.create(
            submission=submission,
            assurer=assurer,
            outcome=outcome,
            summary=f"{SECRET} review",
            decided_at=timezone.now(),
        )
    add("version", submission.version)
    add("submission", submission.version)
    add("kind", "pdf", "xlsx", "json")
    _add_victim_return(plan, submission, owner, add)

    comment = SectionComment.objects.create(plan=plan, section=sections[0], author=owner, text=f"{SECRET} comment")
    add("comment", comment.pk)
    UnsavedDraft.objects.create(user=owner, plan=plan, form_key=f"section:{sections[0].key}", data={"q": SECRET})
    add("form_key", f"section:{sections[0].key}")
    # An aligned plan: the victim is in a group, and a narrative section is written for the group.
    shared_question = next((q for q in questions if q.kind == Question.Kind.NARRATIVE), None)
    if shared_question is not None:
        Section.objects.filter(pk=shared_question.section_id).update(shareable=True)
        group = PlanGroup.objects.create(round=rnd, name=f"{VICTIM_AREA_NAME} aligned plan")
        Plan.objects.filter(pk=plan.pk).update(group=group)
        plan.group = group
        SharedAnswer.objects.create(group=group, question=shared_question, text=f"{SECRET} shared text")
    word_import = WordImport.objects.create(
        plan=plan,
        user=owner,
        original_filename="plan.docx",
        sha256="3" * 64,
        pieces=[{"id": 1, "kind": "text", "heading": SECRET, "markdown": f"{SECRET} imported", "target": ""}],
    )
    add("import", word_import.pk)
    return plan, ids


def _tiny_png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (0, 0, 0)).save(buffer, format="PNG")
    return buffer.getvalue()


def _add_victim_return(plan, submission, owner, add) -> None:
    """The plan's first monitoring return (if the round has any), with a line carrying SECRET."""
    from monitoring.models import Return, ReturnCondition, ReturnLine, ReturnMetric

    period = plan.round.return_periods.order_by("order").first()
    if period is None:
        return
    ret = Return.objects.create(plan=plan, period=period, approved_submission=submission, created_by=owner)
    ReturnLine.objects.create(
        ret=ret, kind="expenditure", source_key="expenditure-1", label=f"{SECRET} line", planned_year=400,
        planned=100, actual=50, explanation=f"{SECRET} variance", order=1,
    )  # fmt: skip
    ReturnMetric.objects.create(ret=ret, source_key="m1", name=f"{SECRET} return metric", order=1)
    ReturnCondition.objects.create(ret=ret, number=1, title=f"{SECRET} return condition")
    add("period", period.key)
    add("part", *plan.round.return_parts.order_by("order").values_list("key", flat=True))
    # Its submitted files exist from the start, so a refused download means "refused", not "not yet".
    from governance.snapshots import canonical_json, sha256_hex
    from monitoring.models import ReturnSubmission
    from monitoring.signoff_selectors import return_snapshot

    snapshot = return_snapshot(ret)
    submitted = ReturnSubmission(
        ret=ret,
        version=ret.version,
        snapshot=snapshot,
        snapshot_sha256=sha256_hex(canonical_json(snapshot)),
        pdf_sha256="1" * 64,
        workbook_sha256="2" * 64,
        files_status=ReturnSubmission.FilesStatus.DONE,
        submitted_by=owner,
        submitted_at=timezone.now(),
    )
    submitted.pdf.save("return.pdf", ContentFile(f"%PDF-1.4 {SECRET}".encode()), save=False)
    submitted.workbook.save("return.xlsx", ContentFile(SECRET.encode()), save=False)
    submitted.save()


def plan_url_patterns():
    """Every leaf URL pattern of the site outside NOT_PLAN_PAGES, as (route, name, converters)."""
    found = []

    def walk(patterns, prefix, namespace, converters):
        for p in patterns:
            if not isinstance(p.pattern, RoutePattern):
                found.append((prefix + str(p.pattern), None, None))  # a regex route: fail below
                continue
            route = prefix + str(p.pattern._route)
            conv = {**converters, **p.pattern.converters}
            if isinstance(p, URLResolver):
                ns = p.namespace or namespace
                walk(p.url_patterns, route, ns, conv)
            elif isinstance(p, URLPattern):
                found.append((route, f"{namespace}:{p.name}" if namespace else p.name, conv))

    walk(get_resolver().url_patterns, "", None, {})
    return [f for f in found if not f[0].startswith(NOT_PLAN_PAGES) and f[0] != ""]


PARAM = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>\w+)>")


def candidates_for(route: str, kwarg: str, converter_name: str, ids: dict[str, list], plan: Plan) -> list[str]:
    if kwarg == "round_slug":
        return [plan.round.slug]
    if kwarg == "ons_code":
        return [plan.hwb_area.ons_code]
    # The kwarg's own name and the literal path segment before it say what it is (risks/<int:pk>/).
    before = re.split(rf"<(?:[^>:]+:)?{kwarg}>", route)[0]
    literal = PARAM.sub("", before).rstrip("/").split("/")[-1]
    hints = [k for k in ids if k in kwarg.lower() or k in literal.lower()]
    values = [v for k in hints for v in ids[k]] or [v for vs in ids.values() for v in vs]
    if converter_name == "int":
        values = [v for v in values if v.isdigit()]
    elif converter_name == "slug":
        values = [v for v in values if re.fullmatch(r"[-a-zA-Z0-9_]+", v)]
    return list(dict.fromkeys(values))


def filled_urls(route, ids, plan):
    params = [(m.group("name"), m.group("conv") or "str") for m in PARAM.finditer(route)]
    choices = [candidates_for(route, name, conv, ids, plan) for name, conv in params]
    for combo in itertools.islice(itertools.product(*choices), MAX_COMBINATIONS):
        url = route
        for (name, _), value in zip(params, combo, strict=True):
            url = re.sub(rf"<(?:[^>:]+:)?{name}>", value, url, count=1)
        yield "/" + url


def plan_fingerprint(plan):
    """Everything an outsider's POST might change."""
    from capacity.models import CapacityDemandFigure
    from finance.models import ExpenditureLine, IncomeLine
    from metrics.models import MetricAmbition
    from monitoring.models import Return, ReturnComment, ReturnLine, ReturnPartProgress, ReturnReview, ReturnSignOff
    from schemes.models import Scheme

    return {
        "plan": list(Plan.objects.filter(pk=plan.pk).values_list("status", "version", "group")),
        "shared": sorted(SharedAnswer.objects.filter(group__plans=plan).values_list("pk", "text", "version")),
        "returns": sorted(Return.objects.filter(plan=plan).values_list("pk", "status", "version")),
        "return_signoffs": ReturnSignOff.objects.filter(ret__plan=plan).count(),
        "return_comments": ReturnComment.objects.filter(ret__plan=plan).count(),
        "return_reviews": ReturnReview.objects.filter(submission__ret__plan=plan).count(),
        "answers": sorted(Answer.objects.filter(plan=plan).values_list("pk", "text", "version")),
        "documents": sorted(RelatedDocument.objects.filter(plan=plan).values_list("pk", "title", "version")),
        "figures": sorted(Figure.objects.filter(plan=plan).values_list("pk", "alt_text", "order", "version")),
        "risks": sorted(Risk.objects.filter(plan=plan).values_list("pk", "description", "version")),
        "schemes": sorted(Scheme.objects.filter(plan=plan).values_list("pk", "name", "version")),
        "responses": sorted(ConditionResponse.objects.filter(plan=plan).values_list("pk", "narrative", "version")),
        "income": sorted(IncomeLine.objects.filter(plan=plan).values_list("pk", "amount", "version")),
        "expenditure": sorted(ExpenditureLine.objects.filter(plan=plan).values_list("pk", "version")),
        "ambitions": sorted(MetricAmbition.objects.filter(plan=plan).values_list("pk", "rationale", "version")),
        "progress": sorted(SectionProgress.objects.filter(plan=plan).values_list("section_id", "status")),
        "drafts": sorted(UnsavedDraft.objects.filter(plan=plan).values_list("pk", "data")),
        "return_lines": sorted(
            ReturnLine.objects.filter(ret__plan=plan).values_list("pk", "actual", "forecast", "explanation", "version")
        ),
        "return_progress": sorted(
            ReturnPartProgress.objects.filter(ret__plan=plan).values_list("part_id", "completed")
        ),
        "capacity": sorted(
            CapacityDemandFigure.objects.filter(plan=plan).values_list("row_key", "period", "demand", "capacity")
        ),
    }


POST_DATA = {
    "text": "outsider",
    "form_key": "section:x",
    "data": "{}",
    "title": "outsider",
    "description": "outsider",
    "name": "outsider",
    "version": "1",
    "action": "complete",
    "status": "completed",
    "confirm": "yes",
}


@pytest.fixture
def victim(shipped_rounds):
    rnd = PlanningRound.objects.get(slug="2014-15")
    return build_victim_plan(rnd)


@pytest.fixture
def outsider(victim):
    plan, _ = victim
    other_area = HwbAreaFactory(ons_code="E06999902", name="Elsewhere")
    PlanFactory(round=plan.round, hwb_area=other_area)
    return MembershipFactory(hwb_area=other_area, role=Membership.Role.COMMISSIONER).user


def find_leaks(client, plan, ids, owner, outsider) -> tuple[list[str], list[str], set[str]]:
    """Request every scoped plan URL as the outsider; return (leaks, URLs the owner cannot reach, names)."""
    patterns = plan_url_patterns()
    regex_routes = [route for route, name, conv in patterns if conv is None]
    assert not regex_routes, f"Use path() with named kwargs so this test can fill them: {regex_routes}"
    scoped = [(route, name) for route, name, _ in patterns if "round_slug>" in route]

    problems, unreachable = [], []
    for route, name in scoped:
        urls = list(filled_urls(route, ids, plan))
        assert urls, f"No values to fill {route}: add ids of that kind to build_victim_plan"
        # The owner reaches at least one filling: proof that the ids are real, so a 404
        # for the outsider means "refused", not "no such object".
        client.force_login(owner)
        owner_ok = [u for u in urls if client.get(u).status_code != 404]
        if not owner_ok and name not in OWNER_MAY_GET_404:
            unreachable.append(f"{name} {route}")
        client.force_login(outsider)
        for url in owner_ok or urls:
            refused = []
            for method in ("get", "post"):
                response = client.post(url, POST_DATA) if method == "post" else client.get(url)
                body = b"".join(response.streaming_content) if response.streaming else response.content
                text = body.decode("utf-8", "replace")
                if SECRET in text or VICTIM_AREA_NAME in text:
                    problems.append(f"{method.upper()} {url} ({name}) showed the other area's plan")
                if response.status_code in (403, 404):
                    refused.append(method)
                elif response.status_code != 405:
                    problems.append(f"{method.upper()} {url} ({name}) answered {response.status_code}, not 403/404")
            if not refused:
                problems.append(f"{url} ({name}) refused neither GET nor POST with 403/404")
    return problems, unreachable, {name for _, name in scoped}


def test_every_plan_url_is_refused_to_a_commissioner_of_another_area(client, victim, outsider):
    plan, ids = victim
    owner = plan.hwb_area.memberships.get().user
    before = plan_fingerprint(plan)

    problems, unreachable, names = find_leaks(client, plan, ids, owner, outsider)

    assert {"plans:plan_overview", "plans:autosave", "plans:markdown_preview"} <= names
    assert not problems, "Plan URLs leak to another area:\n" + "\n".join(problems)
    assert not unreachable, "The owner could not reach these with the plan's real ids:\n" + "\n".join(unreachable)
    assert plan_fingerprint(plan) == before, "An outsider's request changed the other area's plan"


def _leaky_risk_page(request, round_slug, ons_code, pk):
    # What a careless new view looks like: it fetches the row by id, not through the plan getter.
    return HttpResponse(Risk.objects.get(pk=pk).description)


class LeakyUrlconf:
    from bcf_portal.urls import urlpatterns as _project

    urlpatterns = [
        path("plans/<slug:round_slug>/<str:ons_code>/risks/<int:pk>/leak/", _leaky_risk_page, name="leak"),
        *_project,
    ]


def test_the_check_catches_a_url_that_leaks(client, victim, outsider, settings):
    plan, ids = victim
    settings.ROOT_URLCONF = LeakyUrlconf
    problems, _, _ = find_leaks(client, plan, ids, plan.hwb_area.memberships.get().user, outsider)
    assert any("/leak/" in p and "showed the other area's plan" in p for p in problems)
    assert any("/leak/" in p and "answered 200" in p for p in problems)


def test_unscoped_pages_show_an_outsider_nothing_of_another_areas_plan(client, victim, outsider):
    client.force_login(outsider)
    for route, name, _ in plan_url_patterns():
        if "<" in route:
            continue
        response = client.get("/" + route)
        body = response.content.decode("utf-8", "replace")
        assert SECRET not in body and VICTIM_AREA_NAME not in body, f"/{route} ({name}) shows another area's plan"


def test_the_owner_sees_their_own_plan_so_the_checks_above_mean_something(client, victim):
    plan, _ = victim
    client.force_login(plan.hwb_area.memberships.get().user)
    response = client.get(f"/plans/{plan.round.slug}/{plan.hwb_area.ons_code}/")
    assert response.status_code == 200
    assert VICTIM_AREA_NAME in response.content.decode()
