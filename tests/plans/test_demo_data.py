"""The demo loads once and reloads harmlessly, carries the seeds' figures, and its users can sign in."""

import re
from collections import Counter, defaultdict
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accounts import models as am
from demo import loader as demo_module
from demo.loader import load_demo
from finance.models import ExpenditureAmount, IncomeLine
from governance.models import SignOff
from metrics.models import MetricAmbition
from plans import models as pm
from rounds import models as rm
from schemes.models import Scheme

pytestmark = pytest.mark.django_db

# shared/ sits beside the repository's checkout on developer machines and in CI.
SEEDS = next(
    (
        folder / "shared" / "seeds"
        for folder in Path(__file__).resolve().parents
        if (folder / "shared" / "seeds").is_dir()
    ),
    Path(__file__).resolve().parents[3] / "shared" / "seeds",
)
PLYMOUTH, BATHNES, SOUTHAMPTON, BARKING = "E06000026", "E06000022", "E06000045", "E09000002"

CONTENT_MODELS = [
    am.User,
    am.Membership,
    pm.Plan,
    pm.PlanGroup,
    pm.Answer,
    pm.ConditionResponse,
    pm.RelatedDocument,
    pm.Risk,
    pm.SectionProgress,
    Scheme,
    IncomeLine,
    ExpenditureAmount,
    MetricAmbition,
    SignOff,
]


def counts():
    return {model.__name__: model.objects.count() for model in CONTENT_MODELS}


def plan(ons_code):
    return pm.Plan.objects.select_related("round", "hwb_area").get(hwb_area__ons_code=ons_code)


def income_by_year(p):
    totals = defaultdict(Decimal)
    for line in IncomeLine.objects.filter(plan=p).select_related("year"):
        totals[line.year.label] += line.amount
    return dict(totals)


def test_load_demo_twice_creates_everything_once_and_prints_the_password_once():
    first_out, second_out = StringIO(), StringIO()

    call_command("load_demo", stdout=first_out)
    after_first = counts()
    call_command("load_demo", stdout=second_out)

    assert counts() == after_first
    assert after_first["Plan"] == 6 and after_first["PlanGroup"] == 1
    first, second = first_out.getvalue(), second_out.getvalue()
    assert "Password for every demo user (shown once)" in first
    assert "commissioner@plymouth.demo" in first and "admin@bcf.demo" in first
    assert "already exist" in second and "--reset-passwords" in second
    assert "Password" not in second and "commissioner@plymouth.demo" not in second


def test_demo_users_share_one_random_password_and_reset_gives_a_new_one(client):
    result = load_demo()
    assert result.password and len(result.password) >= 16
    user = am.User.objects.get(email="commissioner@southampton.demo")
    assert user.check_password(result.password)
    assert load_demo().password is None  # later runs never reveal or change it

    reset = load_demo(reset_passwords=True)

    user.refresh_from_db()
    assert reset.password != result.password
    assert user.check_password(reset.password) and not user.check_password(result.password)
    assert all(u.check_password(reset.password) for u in am.User.objects.filter(email__endswith=".demo"))


def test_every_role_has_a_demo_user(demo_data):
    memberships = am.Membership.objects.select_related("user", "hwb_area", "region")
    roles = Counter(m.role for m in memberships)
    assert set(roles) == set(am.Membership.Role.values)
    slots = {(m.hwb_area.ons_code, m.signoff_slot_code) for m in memberships if m.role == "signatory"}
    for ons, round_slug in [
        (PLYMOUTH, "2014-15"),
        (BATHNES, "2014-15"),
        (SOUTHAMPTON, "2014-15"),
        (BARKING, "2017-19"),
    ]:
        for slot in rm.SignOffSlot.objects.filter(round__slug=round_slug):
            assert (ons, slot.code) in slots
        assert memberships.filter(role="commissioner", hwb_area__ons_code=ons).exists()
    assert {m.region.name for m in memberships if m.role == "assurer"} == set(
        rm.Region.objects.values_list("name", flat=True)
    )
    admin = am.User.objects.get(memberships__role="national_admin")
    assert admin.is_staff and admin.is_superuser


def test_plymouth_matches_its_published_part_one(demo_data):
    p = plan(PLYMOUTH)
    minimum = rm.Allocation.objects.get(round=p.round, hwb_area=p.hwb_area, year__label="2014/15", key="minimum_pool")
    assert minimum.amount == Decimal("5700000")
    answers = {a.question.key: a for a in p.answers.select_related("question")}
    assert answers["minimum-pool-2014-15"].money == Decimal("5700000")
    assert answers["total-pool-2015-16"].money == Decimal("19532000")
    assert str(answers["date-agreed-hwb"].date) == "2014-02-13"
    assert income_by_year(p) == {"2014/15": Decimal("5700000"), "2015/16": Decimal("19532000")}

    # Every Part 1 question and every condition sub-question of the template is answered.
    assert set(answers) == set(rm.Question.objects.filter(section__round=p.round).values_list("key", flat=True))
    condition_questions = rm.ConditionQuestion.objects.filter(condition__sections__round=p.round)
    assert p.condition_responses.count() == condition_questions.count() == 8

    ratings = Counter(r.rating.label for r in p.risks.select_related("rating"))
    assert ratings == {"High": 7, "Medium": 3}
    signed = {s.slot.code: s for s in SignOff.objects.filter(plan=p).select_related("slot")}
    assert signed["ccg"].signatory_name == "Paul O'Sullivan"
    assert signed["ccg"].position == "Managing Director Partnerships"
    assert str(signed["council"].signed_on) == "2014-02-03"
    assert signed["hwb_chair"].signed_on is None  # blank in the published template
    names = set(Scheme.objects.filter(plan=p).values_list("name", flat=True))
    assert {"Crisis Support", "Supporting Hospital Discharges", "Care Coordination"} <= names


def test_barking_and_dagenham_pool_and_funding_lines_match_the_report(demo_data):
    p = plan(BARKING)
    assert p.group.name.startswith("Barking and Dagenham, Havering and Redbridge")
    assert income_by_year(p) == {"2017/18": Decimal("21758000"), "2018/19": Decimal("24236000")}
    by_stream = {
        (line.funding_stream.key, line.year.label): line.amount
        for line in IncomeLine.objects.filter(plan=p).select_related("funding_stream", "year")
    }
    assert by_stream[("ccg-minimum", "2017/18")] == Decimal("13415000")
    assert by_stream[("dfg", "2018/19")] == Decimal("1517000")
    assert by_stream[("ibcf", "2017/18")] == Decimal("1044000")
    assert by_stream[("ibcf", "2018/19")] == Decimal("4910000")
    assert by_stream[("additional-asc", "2017/18")] == Decimal("4385000")
    assert by_stream[("additional-asc", "2018/19")] == Decimal("2616000")


def test_southampton_minimum_and_pool(demo_data):
    p = plan(SOUTHAMPTON)
    allocations = {
        a.key: a.amount for a in rm.Allocation.objects.filter(round=p.round, hwb_area=p.hwb_area, year__label="2015/16")
    }
    assert allocations["ccg-minimum"] == Decimal("15325000")
    assert allocations["dfg-capital"] == Decimal("1526000")
    assert income_by_year(p)["2015/16"] == Decimal("60800000")
    assert Scheme.objects.filter(plan=p).count() == 5


def test_every_demo_plan_is_consistent_with_its_income_minimum_and_ring_fences(demo_data):
    for p in pm.Plan.objects.select_related("round", "hwb_area"):
        income = defaultdict(Decimal)
        for line in IncomeLine.objects.filter(plan=p).select_related("funding_stream", "year"):
            income[(line.funding_stream.key, line.year.label)] += line.amount
        spend = defaultdict(Decimal)
        amounts = ExpenditureAmount.objects.filter(line__plan=p).select_related(
            "year", "line__funding_stream", "line__area_of_spend", "line__commissioner"
        )
        for amount in amounts:
            spend[(amount.line.funding_stream.key, amount.year.label)] += amount.amount
        for key, used in spend.items():
            assert used <= income[key], f"{p}: spend from {key} exceeds income"
        allocations = rm.Allocation.objects.filter(round=p.round, hwb_area=p.hwb_area).select_related("year")
        for allocation in allocations.filter(key="minimum_pool"):
            pooled = sum(v for (_, year), v in income.items() if year == allocation.year.label)
            assert pooled >= allocation.amount, f"{p}: pool below the minimum in {allocation.year}"
        for fence in p.round.ring_fences.select_related("funding_stream", "area_of_spend", "commissioner"):
            for allocation in allocations.filter(key=fence.key):
                covered = sum(
                    a.amount
                    for a in amounts
                    if a.year_id == allocation.year_id
                    and (fence.funding_stream is None or a.line.funding_stream_id == fence.funding_stream_id)
                    and (fence.area_of_spend is None or a.line.area_of_spend_id == fence.area_of_spend_id)
                    and (fence.commissioner is None or a.line.commissioner_id == fence.commissioner_id)
                )
                assert covered >= allocation.amount, f"{p}: {fence.name} {allocation.year} not met"


def test_demo_plans_are_realistically_incomplete_but_mostly_answered(demo_data):
    for p in pm.Plan.objects.select_related("round"):
        sections = p.round.sections.filter(part=1, table="", national_condition__isnull=True)
        answered = sections.filter(questions__answers__plan=p).distinct()
        if p.group_id:  # an aligned plan's shareable sections are answered by the group's shared text
            answered = answered | sections.filter(questions__shared_answers__group=p.group_id).distinct()
        answered = answered.distinct().count()
        assert answered >= 0.75 * sections.count(), f"{p}: only {answered} of {sections.count()} answered"
        statuses = Counter(p.section_progress.values_list("status", flat=True))
        total = p.round.sections.count()
        assert 0 < statuses["completed"] < total, f"{p}: every section or none completed"
        assert p.risks.exists() and p.metric_ambitions.exists() or p.hwb_area.ons_code == BATHNES


def _shingles(text: str, size: int = 10) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9£%]+", text.lower())
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}


def test_demo_narrative_is_not_copied_from_the_seed_documents(demo_data):
    seed_files = list(SEEDS.glob("*.txt"))
    assert len(seed_files) == 4, f"the seed documents are expected in {SEEDS}"
    seeds = set()
    for path in seed_files:
        seeds |= _shingles(path.read_text(encoding="utf-8"))
    texts = list(pm.Answer.objects.exclude(text="").values_list("text", flat=True))
    texts += list(pm.ConditionResponse.objects.values_list("narrative", flat=True))
    texts += [f"{r.description} {r.mitigating_actions}" for r in pm.Risk.objects.all()]
    texts += [f"{d.title} {d.synopsis}" for d in pm.RelatedDocument.objects.all()]
    texts += list(Scheme.objects.values_list("description", flat=True))
    copied = [" ".join(s) for text in texts for s in _shingles(text) & seeds]
    assert copied == []


def test_a_demo_commissioner_signs_in_and_sees_only_their_own_plans(client, demo_data):
    response = client.post(
        "/sign-in/", {"username": "commissioner@plymouth.demo", "password": demo_data.password}, follow=True
    )
    assert response.status_code == 200
    assert response.wsgi_request.user.email == "commissioner@plymouth.demo"

    page = client.get("/plans/").content.decode()
    assert "Plymouth" in page
    for other in ("Southampton", "Bath and North East Somerset", "Barking and Dagenham"):
        assert other not in page

    own = client.get(f"/plans/2014-15/{PLYMOUTH}/")
    assert own.status_code == 200
    other = client.get(f"/plans/2014-15/{SOUTHAMPTON}/")
    assert other.status_code == 404
    assert "Southampton" not in other.content.decode()
    assert client.get(f"/plans/2017-19/{BARKING}/").status_code == 404


def test_a_wrong_password_does_not_sign_in(client, demo_data):
    response = client.post("/sign-in/", {"username": "commissioner@plymouth.demo", "password": "not-the-password"})
    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated
    assert client.get("/plans/").status_code == 302


def test_a_demo_file_that_does_not_fit_its_round_is_rejected_clearly(tmp_path, monkeypatch):
    source = Path(demo_module.demo_dir())
    (tmp_path / "users.yaml").write_text((source / "users.yaml").read_text())
    text = (source / "plan-plymouth-2014-15.yaml").read_text()
    assert "type: intermediate-care, sub_type: step-up-down-beds" in text
    (tmp_path / "plan-plymouth-2014-15.yaml").write_text(
        text.replace(
            "type: intermediate-care, sub_type: step-up-down-beds", "type: beds, sub_type: step-up-down-beds", 1
        )
    )
    monkeypatch.setattr(demo_module, "demo_dir", lambda: tmp_path)

    with pytest.raises(
        CommandError, match=r"plan-plymouth-2014-15.yaml: schemes\[0\] \(P01\): no scheme_type code 'beds'"
    ):
        call_command("load_demo", stdout=StringIO())
    assert not pm.Plan.objects.exists()  # nothing half-loaded


def test_every_section_page_of_every_demo_plan_opens_for_its_commissioner(client, demo_data):
    for p in pm.Plan.objects.select_related("round", "hwb_area"):
        client.force_login(
            am.User.objects.filter(memberships__role="commissioner", memberships__hwb_area=p.hwb_area)[0]
        )
        base = f"/plans/{p.round.slug}/{p.hwb_area.ons_code}/"
        overview = client.get(base)
        assert overview.status_code == 200
        for section in p.round.sections.all():
            assert section.heading in overview.content.decode()
            page = client.get(f"{base}sections/{section.key}/")
            assert page.status_code == 200, f"{p}: section {section.key} gave {page.status_code}"
