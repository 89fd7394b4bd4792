"""The shipped planning rounds load from their fixtures, match their templates, and reload cleanly.

A third, made-up round loaded from a test fixture proves that a new round needs no code.
"""

import datetime
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from capacity.models import CapacityDemandFigure
from capacity.selectors import capacity_for_plan
from finance.models import ExpenditureAmount, ExpenditureLine, IncomeLine
from metrics.models import MetricAmbition, PlannedValue
from plans import models as pm
from rounds import models as rm
from rounds.loader import LoadReport, RoundFixtureError, load_reference, load_round, rounds_dir
from schemes.models import Scheme

TEST_ROUNDS = Path(__file__).resolve().parent.parent / "fixtures" / "rounds"

pytestmark = pytest.mark.django_db

ROUND_MODELS = [
    rm.PlanningRound,
    rm.RoundYear,
    rm.NationalCondition,
    rm.ConditionQuestion,
    rm.Section,
    rm.Question,
    rm.Metric,
    rm.FundingStream,
    rm.CodeListEntry,
    rm.RingFence,
    rm.Allocation,
    rm.SignOffSlot,
    rm.KeyLineOfEnquiry,
    rm.OutcomeCategory,
    rm.CapacityDemandTable,
    rm.Region,
    rm.HwbArea,
    rm.Organisation,
]


def row_counts():
    return {model.__name__: model.objects.count() for model in ROUND_MODELS}


@pytest.fixture
def round_2014(db):
    return load_round(rounds_dir() / "2014-15.yaml")


@pytest.fixture
def round_2017(db):
    return load_round(rounds_dir() / "2017-19.yaml")


# --- 2014/15 to 2015/16 ----------------------------------------------------------------


def test_2014_part_one_follows_the_template_in_order(round_2014):
    part_one = [(s.group_heading, s.title) for s in round_2014.sections.filter(part=1).order_by("order")]
    assert part_one == [
        ("1) PLAN DETAILS", "a) Summary of Plan"),
        ("1) PLAN DETAILS", "b) Authorisation and signoff"),
        ("1) PLAN DETAILS", "c) Service provider engagement"),
        ("1) PLAN DETAILS", "d) Patient, service user and public engagement"),
        ("1) PLAN DETAILS", "e) Related documentation"),
        ("VISION AND SCHEMES", "a) Vision for health and care services"),
        ("VISION AND SCHEMES", "b) Aims and objectives"),
        ("VISION AND SCHEMES", "c) Description of planned changes"),
        ("VISION AND SCHEMES", "d) Implications for the acute sector"),
        ("VISION AND SCHEMES", "e) Governance"),
        ("2) NATIONAL CONDITIONS", "a) Protecting social care services"),
        ("2) NATIONAL CONDITIONS", "b) 7 day services to support discharge"),
        ("2) NATIONAL CONDITIONS", "c) Data sharing"),
        ("2) NATIONAL CONDITIONS", "d) Joint assessment and accountable lead professional"),
        ("3) RISKS", "Risks"),
    ]
    part_two = {s.key: s.table for s in round_2014.sections.filter(part=2)}
    assert part_two == {
        "p2-schemes": "schemes",
        "p2-income": "income",
        "p2-expenditure": "expenditure",
        "p2-metrics": "metrics",
    }


def test_2014_summary_of_plan_has_the_template_fields_with_itf_wording_from_labels(round_2014):
    summary = round_2014.sections.get(key="1a")
    assert [(q.label, q.kind) for q in summary.questions.order_by("order")] == [
        ("Local Authority", "text"),
        ("Clinical Commissioning Groups", "text"),
        ("Boundary Differences", "text"),
        ("Date agreed at Health and Well-Being Board", "date"),
        ("Date submitted", "date"),
        ("Minimum required value of ITF pooled budget: 2014/15", "money"),
        ("Minimum required value of ITF pooled budget: 2015/16", "money"),
        ("Total agreed value of pooled budget: 2014/15", "money"),
        ("Total agreed value of pooled budget: 2015/16", "money"),
    ]
    assert round_2014.label("fund_name") == "ITF"


def test_2014_table_sections_and_prompts(round_2014):
    sections = {s.key: s for s in round_2014.sections.all()}
    assert sections["1b"].table == "signoff"
    assert sections["1e"].table == "documents"
    assert sections["1e"].prompt.startswith("Please include information/links to any related documents")
    assert sections["1c"].prompt.startswith("Please describe how health and social care providers have been involved")
    assert "2018/19" in sections["vision-a"].prompt
    assert "pattern and configuration of services" in sections["vision-a"].guidance
    assert "measures of health gain" in sections["vision-b"].guidance
    assert "JSNA, JHWS" in sections["vision-c"].guidance
    assert sections["vision-e"].prompt.startswith("Please provide details of the arrangements are in place")


def test_2014_risks_section_has_the_risk_table_and_ratings(round_2014):
    risks = round_2014.sections.get(key="3")
    assert risks.table == "risks"
    assert risks.prompt.startswith("Please provide details of the most important risks")
    assert "impact on NHS service providers" in risks.prompt
    columns = [round_2014.label(k) for k in ("risks_column_risk", "risks_column_rating", "risks_column_actions")]
    assert columns == ["Risk", "Risk rating", "Mitigating Actions"]
    ratings = round_2014.code_entries.filter(list="risk_rating").order_by("order")
    assert [r.label for r in ratings] == ["High", "Medium", "Low"]


def test_2014_has_six_national_conditions_and_2c_has_four_prompts(round_2014):
    assert round_2014.national_conditions.count() == 6
    sections = {s.key: s for s in round_2014.sections.select_related("national_condition")}
    assert sections["2a"].national_condition.number == 2
    assert sections["2c"].national_condition.title.startswith("Better data sharing")
    data_sharing = list(sections["2c"].national_condition.questions.order_by("order"))
    assert len(data_sharing) == 4
    assert "NHS Number as the primary identifier" in data_sharing[0].prompt
    assert "Open APIs" in data_sharing[2].prompt
    assert "Caldicott 2" in data_sharing[3].prompt
    assert sections["2a"].national_condition.questions.count() == 2
    assert (
        sections["2d"]
        .national_condition.questions.get()
        .prompt.startswith("Please confirm that local people at high risk")
    )


def test_2014_signoff_slots_funding_streams_outcomes(round_2014):
    slots = list(round_2014.signoff_slots.order_by("order"))
    assert [s.code for s in slots] == ["ccg", "council", "hwb_chair"]
    chair = slots[2]
    assert chair.by_label == "By Chair of Health and Wellbeing Board"
    assert chair.has_position is False
    assert all(s.has_position for s in slots[:2])
    assert [s.name for s in round_2014.funding_streams.order_by("order")] == [
        "CCG minimum contribution",
        "Disabled Facilities Grant and social care capital grant",
        "Additional local authority contribution",
        "Additional CCG contribution",
    ]
    outcomes = {o.label: o.requires_conditions for o in round_2014.outcomes.all()}
    assert outcomes == {
        "Approved": False,
        "Approved with support": False,
        "Approved subject to conditions": True,
        "Not approved": False,
    }
    assert round_2014.kloes.count() >= 5
    assert [y.label for y in round_2014.years.all()] == ["2014/15", "2015/16"]
    assert round_2014.metrics.filter(key="residential-admissions", unit="rate_per_100k").exists()


def test_2014_allocations_use_the_seed_figures(round_2014):
    def allocation(ons, year, key):
        return rm.Allocation.objects.get(round=round_2014, hwb_area__ons_code=ons, year__label=year, key=key).amount

    assert allocation("E06000026", "2014/15", "minimum_pool") == Decimal("5700000.00")
    assert allocation("E06000026", "2015/16", "minimum_pool") == Decimal("19532000.00")
    assert allocation("E06000045", "2015/16", "ccg-minimum") == Decimal("15325000.00")
    assert allocation("E06000045", "2015/16", "dfg-capital") == Decimal("1526000.00")


def test_scheme_types_have_sub_types(round_2014):
    dfg = round_2014.code_entries.get(list="scheme_type", code="dfg")
    assert {c.label for c in dfg.children.all()} == {"Adaptations", "Discretionary use of DFG", "Handyperson services"}
    assert all(c.list == "scheme_subtype" for c in dfg.children.all())


# --- 2017-19 --------------------------------------------------------------------------


def test_2017_has_four_conditions_four_metrics_and_the_ibcf_stream(round_2017):
    assert round_2017.national_conditions.count() == 4
    assert round_2017.national_conditions.get(number=4).title.startswith(
        "Implementation of the High Impact Change Model"
    )
    assert list(round_2017.metrics.values_list("key", flat=True)) == [
        "non-elective-admissions",
        "residential-admissions",
        "reablement-91-days",
        "delayed-transfers",
    ]
    assert list(round_2017.funding_streams.values_list("key", flat=True)) == [
        "ccg-minimum",
        "dfg",
        "ibcf",
        "additional-asc",
        "additional-la",
        "additional-ccg",
    ]
    assert round_2017.funding_streams.get(key="ibcf").name.startswith("Improved Better Care Fund")
    assert [s.code for s in round_2017.signoff_slots.all()] == ["hwb", "council", "ccg"]
    assert [o.label for o in round_2017.outcomes.all()] == ["Approved", "Approved with conditions", "Not approved"]
    assert list(round_2017.kloes.values_list("code", flat=True)) == [f"PR{n}" for n in range(1, 9)]


def test_2017_narrative_template_headings_and_ring_fences(round_2017):
    headings = list(round_2017.sections.filter(part=1).values_list("heading", flat=True))
    for expected in [
        "Local vision and approach for integration",
        "Background and context",
        "Progress to date",
        "Evidence base and local priorities",
        "Focus areas and schemes",
        "Approach to performance metrics",
        "Assessment of risk and risk management",
        "Financial risk management",
        "Overview of funding contributions",
        "Delayed transfers of care plan",
        "Programme governance",
        "Approval and sign-off",
    ]:
        assert expected in headings
    fences = {
        f.key: f for f in round_2017.ring_fences.select_related("funding_stream", "area_of_spend", "commissioner")
    }
    assert fences["nhs-asc"].name == "NHS contribution to adult social care"
    assert (fences["nhs-asc"].funding_stream.key, fences["nhs-asc"].area_of_spend.code) == (
        "ccg-minimum",
        "social-care",
    )
    assert fences["nhs-ooh"].name == "NHS-commissioned out-of-hospital services"
    assert fences["nhs-ooh"].commissioner.code == "ccg"
    bd = {
        (a.year.label, a.key): a.amount
        for a in rm.Allocation.objects.filter(round=round_2017, hwb_area__ons_code="E09000002").select_related("year")
    }
    assert bd[("2017/18", "ccg-minimum")] == Decimal("13415000.00")
    assert bd[("2018/19", "ibcf")] == Decimal("4910000.00")
    assert bd[("2017/18", "nhs-ooh")] > 0


# --- Loading, reloading, errors -------------------------------------------------------


def test_loading_every_shipped_round_twice_changes_and_duplicates_nothing():
    out = StringIO()
    call_command("load_round", "--all", stdout=out)
    first = row_counts()
    assert "Loaded round 2014-15" in out.getvalue() and "Loaded round 2017-19" in out.getvalue()
    snapshot = {s.pk: (s.key, s.order, s.heading) for s in rm.Section.objects.all()}

    report = LoadReport()
    load_reference(report=report)
    for slug in ("2014-15", "2017-19"):
        load_round(rounds_dir() / f"{slug}.yaml", report=report, with_reference=False)

    assert row_counts() == first
    assert (report.created, report.updated) == (0, 0), report.changed_rows
    assert {s.pk: (s.key, s.order, s.heading) for s in rm.Section.objects.all()} == snapshot


def test_reloading_an_edited_fixture_updates_rows_in_place(tmp_path, round_2014):
    text = (rounds_dir() / "2014-15.yaml").read_text()
    edited = tmp_path / "2014-15.yaml"
    edited.write_text(text.replace("fund_name: ITF", "fund_name: BCF"))
    before = row_counts()

    report = LoadReport()
    load_round(edited, report=report)

    assert row_counts() == before
    question = rm.Question.objects.get(section__round=round_2014, key="minimum-pool-2014-15")
    assert question.label == "Minimum required value of BCF pooled budget: 2014/15"
    assert report.created == 0 and report.updated == 3  # the round's labels and the two "minimum required" questions


def test_a_section_dropped_from_the_file_is_kept_reported_and_the_rest_reordered(tmp_path):
    original = (TEST_ROUNDS / "2030-31.yaml").read_text()
    rnd = load_round(TEST_ROUNDS / "2030-31.yaml")
    plan = pm.Plan.objects.create(round=rnd, hwb_area=rm.HwbArea.objects.get(ons_code="E06000026"))
    story = rm.Question.objects.get(section__round=rnd, key="story")
    pm.Answer.objects.create(plan=plan, question=story, text="Written before the section was dropped.")
    story_block = (
        "  - key: story\n"
        "    group_heading: About the plan\n"
        "    heading: Our neighbourhood story\n"
        "    questions:\n"
        "      - {key: story, label: Our neighbourhood story, kind: narrative}\n"
    )
    cond_a = "  - {key: cond-a, group_heading: Conditions, heading: Partnership agreement, national_condition: 1}\n"
    cond_b = "  - {key: cond-b, group_heading: Conditions, heading: Neighbourhood teams, national_condition: 2}\n"
    assert story_block in original and cond_a + cond_b in original
    edited = tmp_path / "2030-31.yaml"
    dropped_prompt = '      - {number: "A2.2", prompt: "When will every locality be covered?"}\n'
    assert dropped_prompt in original
    edited.write_text(
        original.replace(story_block, "").replace(cond_a + cond_b, cond_b + cond_a).replace(dropped_prompt, "")
    )
    out = StringIO()

    call_command("load_round", str(edited), stdout=out)

    assert "no longer in the file" in out.getvalue()
    assert "section story" in out.getvalue() and "condition 2 question 2" in out.getvalue()
    order = list(rnd.sections.order_by("order").values_list("key", flat=True))
    assert order == [
        "about",
        "cond-b",
        "cond-a",
        "risk-log",
        "teams",
        "money-in",
        "money-out",
        "measures",
        "care-flow",
        "update-about",
        "story",
    ]
    assert plan.answers.get().text == "Written before the section was dropped."


def test_command_loads_a_round_by_slug_and_by_path():
    call_command("load_round", "2017-19", verbosity=0)
    call_command("load_round", str(TEST_ROUNDS / "2030-31.yaml"), verbosity=0)
    assert set(rm.PlanningRound.objects.values_list("slug", flat=True)) == {"2017-19", "2030-31"}


def write(tmp_path, text):
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    return path


def test_a_misspelt_key_is_rejected_naming_the_key_and_line(tmp_path):
    text = (TEST_ROUNDS / "2030-31.yaml").read_text()
    broken = text.replace(
        "{key: story, label: Our neighbourhood story, kind: narrative}", "{key: story, lable: Story, kind: narrative}"
    )
    path = write(tmp_path, broken)
    line = next(i for i, row in enumerate(broken.splitlines(), start=1) if "lable" in row)

    with pytest.raises(RoundFixtureError) as error:
        load_round(path)

    message = str(error.value)
    assert f"line {line}" in message
    assert "unknown key 'lable'" in message
    assert "sections[1] (story).questions[0]" in message
    assert not rm.PlanningRound.objects.exists()  # nothing half-loaded


def test_bad_values_and_references_are_rejected_clearly(tmp_path):
    base = (TEST_ROUNDS / "2030-31.yaml").read_text()
    cases = {
        "kind: narrative}": ("kind: essay}", "'essay' is not one of: narrative, text, date, money, confirmation"),
        "national_condition: 2}": ("national_condition: 7}", "no national condition numbered 7"),
        "icb-core: 26000000": ("icb-core: -5", "enter an amount of £0 or more"),
        "E06000026:": ("E06999999:", "no HWB area with ONS code E06999999"),
        "Value of the {fund_name} pool": (
            "Value of the {fund_title} pool",
            "the round's labels do not define 'fund_title'",
        ),
        "  - {code: green, label: Green}": (
            "  - {code: red, label: Green}",
            "'risk_rating code red' appears more than once",
        ),
    }
    for original, (replacement, expected) in cases.items():
        assert original in base
        with pytest.raises(
            RoundFixtureError, match=expected.replace("(", r"\(").replace(")", r"\)").replace("{", r"\{")
        ):
            load_round(write(tmp_path, base.replace(original, replacement, 1)))
    assert not rm.PlanningRound.objects.filter(slug="2030-31").exists()


def test_invalid_yaml_names_the_line(tmp_path):
    path = write(tmp_path, "round:\n  slug: x\n  name: [unclosed\nyears: []\n")
    with pytest.raises(RoundFixtureError, match=r"broken.yaml, line \d+: not valid YAML"):
        load_round(path)


def test_command_reports_a_broken_fixture_as_a_command_error(tmp_path):
    path = write(
        tmp_path, "round: {slug: x, name: X, final_deadline: 2030-01-01}\nyears: [2030/31]\nsections:\n  - {key: a}\n"
    )
    with pytest.raises(CommandError, match=r"line 4: sections\[0\]: missing required key 'heading'"):
        call_command("load_round", str(path), verbosity=0)


# --- A third round, from a fixture file alone -------------------------------------------


def test_a_new_round_from_a_fixture_alone_can_be_planned_in_end_to_end():
    rnd = load_round(TEST_ROUNDS / "2030-31.yaml")
    assert rnd.name == "Better Care and Neighbourhood Health Fund 2030/31"
    assert rnd.sections.count() == 11
    assert rnd.sections.get(key="about").questions.get(key="pool").label == "Value of the BCNHF pool"

    area = rm.HwbArea.objects.get(ons_code="E06000026")
    council = rm.Organisation.objects.get(name="Plymouth City Council")
    plan = pm.Plan.objects.create(round=rnd, hwb_area=area)
    year = rnd.years.get()
    code = {(c.list, c.code): c for c in rnd.code_entries.all()}

    values = {
        "narrative": {"text": "Our teams work **together**.\n\n- one\n- two"},
        "text": {"text": "Plymouth Neighbourhood Partnership"},
        "money": {"money": Decimal("30500000.00")},
        "date": {"date": datetime.date(2030, 6, 1)},
        "confirmation": {"confirmed": True},
    }
    questions = rm.Question.objects.filter(
        section__round=rnd, section__phase__isnull=True
    )  # the plan's, not the update's
    for question in questions:
        pm.Answer.objects.create(plan=plan, question=question, **values[question.kind])
    for cq in rm.ConditionQuestion.objects.filter(condition__round=rnd):
        pm.ConditionResponse.objects.create(plan=plan, question=cq, status="yes", narrative="Agreed at the board.")

    stream = rnd.funding_streams.get(key="icb-core")
    IncomeLine.objects.create(
        plan=plan, funding_stream=stream, organisation=council, year=year, amount=Decimal("30500000")
    )
    scheme = Scheme.objects.create(
        plan=plan,
        reference="N1",
        name="Frailty neighbourhood team",
        scheme_type=code[("scheme_type", "neighbourhood-team")],
        sub_type=code[("scheme_subtype", "nt-frailty")],
        lead_commissioner=code[("commissioner", "icb")],
        area_of_spend=code[("area_of_spend", "neighbourhood")],
    )
    line = ExpenditureLine.objects.create(
        plan=plan,
        scheme=scheme,
        scheme_type=scheme.scheme_type,
        area_of_spend=scheme.area_of_spend,
        commissioner=scheme.lead_commissioner,
        provider=code[("provider", "community-interest")],
        funding_stream=stream,
    )
    ExpenditureAmount.objects.create(line=line, year=year, amount=Decimal("30500000"))
    pm.Risk.objects.create(plan=plan, description="Teams cannot recruit", rating=code[("risk_rating", "amber")])
    ambition = MetricAmbition.objects.create(plan=plan, metric=rnd.metrics.get(), baseline_value=Decimal("78.5"))
    for order, period in enumerate(ambition.metric.periods):
        PlannedValue.objects.create(ambition=ambition, period=period, value=Decimal("80") + order, order=order)

    figure = CapacityDemandFigure.objects.create(
        plan=plan, row_key="home-reablement", period="Apr 2030", demand=40, capacity=38
    )

    assert plan.answers.count() == questions.count() == 7
    assert capacity_for_plan(plan).blocks[0].rows[0].cells[0].gap == figure.capacity - figure.demand == -2
    assert plan.condition_responses.count() == 3
    assert plan.income_lines.get().amount == plan.expenditure_lines.get().amounts.get().amount
    assert [p.period for p in ambition.planned_values.all()] == ["H1 2030/31", "H2 2030/31"]
    # The shipped rounds are untouched by the new one.
    assert not rm.PlanningRound.objects.filter(slug__in=["2014-15", "2017-19"]).exists()


# --- Issue 14, item 21: the loader is all or nothing, exact about lines, strict about placeholders ---


def test_load_round_all_is_all_or_nothing(tmp_path, monkeypatch):
    """A bad file after good ones leaves nothing loaded: not the rounds before it, not the reference data."""
    rounds = tmp_path / "rounds"
    rounds.mkdir()
    for slug in ("2014-15", "2017-19"):
        (rounds / f"{slug}.yaml").write_text((rounds_dir() / f"{slug}.yaml").read_text())
    # Sorted after the good files; its mistake (an area no reference file knows) is found only while writing.
    bad = (TEST_ROUNDS / "2030-31.yaml").read_text().replace("  E06000026:\n", "  E06999999:\n", 1)
    (rounds / "2030-31.yaml").write_text(bad)
    monkeypatch.setattr("rounds.loader.rounds_dir", lambda: rounds)

    with pytest.raises(CommandError, match=r"no HWB area with ONS code E06999999.*\nNothing was loaded"):
        call_command("load_round", "--all", verbosity=0)

    assert row_counts() == dict.fromkeys(row_counts(), 0)

    # A file that fails validation is refused before anything at all is written.
    (rounds / "2030-31.yaml").write_text(bad.replace("kind: narrative}", "kind: essay}", 1))
    with pytest.raises(CommandError, match="'essay' is not one of"):
        call_command("load_round", "--all", verbosity=0)
    assert not rm.PlanningRound.objects.exists() and not rm.HwbArea.objects.exists()


def test_unknown_area_code_is_reported_on_its_own_line(tmp_path):
    text = (TEST_ROUNDS / "2030-31.yaml").read_text().replace("  E06000026:\n", "  E06999999:\n", 1)
    path = write(tmp_path, text)
    line = text.splitlines().index("  E06999999:") + 1

    with pytest.raises(RoundFixtureError) as error:
        load_round(path)

    assert str(error.value).startswith(f"{path}, line {line}: allocations.E06999999: no HWB area with ONS code")
    assert not rm.PlanningRound.objects.filter(slug="2030-31").exists()


def test_unknown_placeholder_in_a_condition_title_is_refused_with_file_line_and_name(tmp_path):
    original = "    title: Neighbourhood teams in every locality\n"
    text = (TEST_ROUNDS / "2030-31.yaml").read_text()
    assert original in text
    broken = text.replace(original, "    title: Neighbourhood teams for the {label}\n")
    line = broken.splitlines().index("    title: Neighbourhood teams for the {label}") + 1

    with pytest.raises(RoundFixtureError) as error:
        load_round(write(tmp_path, broken))

    message = str(error.value)
    assert message.startswith(f"{tmp_path / 'broken.yaml'}, line {line}: national_conditions[1].title: ")
    assert "uses the placeholder '{label}', but the round's labels do not define 'label'" in message
    assert not rm.PlanningRound.objects.filter(slug="2030-31").exists()


def test_placeholders_are_filled_in_every_text_and_found_on_their_line_inside_long_text(tmp_path):
    text = (TEST_ROUNDS / "2030-31.yaml").read_text()
    text = text.replace(
        "    title: Neighbourhood teams in every locality\n",
        "    title: Neighbourhood teams funded by the {fund_name}\n"
        "    description: |\n"
        "      Every locality has a team.\n"
        "\n"
        "      The {fund_name} pays for the team's {Fund-Name} lead.\n",
    )
    line = text.splitlines().index("      The {fund_name} pays for the team's {Fund-Name} lead.") + 1

    with pytest.raises(RoundFixtureError) as error:
        load_round(write(tmp_path, text))
    assert f"line {line}: national_conditions[1].description: uses the placeholder '{{Fund-Name}}'" in str(error.value)

    rnd = load_round(write(tmp_path, text.replace(" {Fund-Name}", "")))
    condition = rnd.national_conditions.get(number=2)
    assert condition.title == "Neighbourhood teams funded by the BCNHF"
    assert "The BCNHF pays for the team's lead." in condition.description


def test_a_label_whose_wording_uses_another_label_is_refused(tmp_path):
    text = (
        (TEST_ROUNDS / "2030-31.yaml")
        .read_text()
        .replace("  fund_name: BCNHF\n", "  fund_name: The {nhs_bodies} fund\n")
    )
    with pytest.raises(RoundFixtureError, match=r"line 8: labels.fund_name: uses the placeholder '\{nhs_bodies\}'"):
        load_round(write(tmp_path, text))
