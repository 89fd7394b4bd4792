"""One snapshot of a plan: its hash, submission JSON, PDF and workbook all come from one read of its rows."""

import dataclasses
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from finance.models import ExpenditureAmount, ExpenditureLine, IncomeLine
from finance.selectors import workbook_content_hash
from finance.workbook import workbook_bytes
from governance import submission_files
from governance.models import SignOff
from governance.pdf import part1_content_hash, pdf_bytes
from governance.snapshots import canonical_json, plan_content_hash, read_plan_snapshot, sha256_hex
from metrics.models import MetricAmbition, PlannedValue
from plans.models import Answer, ConditionResponse, Figure, Plan, RelatedDocument, Risk
from rounds.models import Question
from schemes.models import Scheme
from tests import factories as f

# Every table holding a plan's own rows.
PLAN_TABLES = [
    Plan,
    Answer,
    RelatedDocument,
    ConditionResponse,
    Risk,
    Scheme,
    IncomeLine,
    ExpenditureLine,
    ExpenditureAmount,
    MetricAmbition,
    PlannedValue,
    SignOff,
    Figure,
]


def _reads(captured) -> dict[str, int]:
    """How many statements read each plan table (as the table read or joined)."""
    reads = {}
    for model in PLAN_TABLES:
        table = re.escape(model._meta.db_table)
        reads[model._meta.db_table] = sum(
            1 for q in captured.captured_queries if re.search(rf'(FROM|JOIN) "{table}"', q["sql"])
        )
    return reads


@pytest.fixture
def full_plan(db):
    """A plan with rows in every plan table, metrics included."""
    plan = f.PlanWithContentFactory()
    ambition = MetricAmbition.objects.create(
        plan=plan, local_name="Falls at home", local_unit="count", baseline_value=Decimal("410"), baseline_period="2013"
    )
    PlannedValue.objects.create(ambition=ambition, period="2015/16", value=Decimal("380"), order=1)
    f.FigureFactory(plan=plan, question=Question.objects.get(section__round=plan.round, key="vision"))
    for model in PLAN_TABLES[1:]:
        assert model._base_manager.exists(), model  # the test means something only if every table has rows
    return Plan.objects.select_related("round", "hwb_area__region").get(pk=plan.pk)


def test_one_read_of_the_plan_per_export(full_plan):
    plan = full_plan
    read_plan_snapshot(plan)  # the round's configuration is cached per process, as in a running server

    with CaptureQueriesContext(connection) as captured:
        snapshot = read_plan_snapshot(plan)
        signature_hash = snapshot.content_hash
        submission = snapshot.submission_json()
        pdf = pdf_bytes(snapshot)
        pdf_hash = part1_content_hash(snapshot)
        workbook = workbook_bytes(snapshot.part_two)
        workbook_hash = workbook_content_hash(snapshot.part_two)

    assert _reads(captured) == {model._meta.db_table: 1 for model in PLAN_TABLES}
    assert all(q["sql"].startswith("SELECT") for q in captured.captured_queries)
    # What was rendered is what was read.
    assert submission["content_hash"] == signature_hash == plan_content_hash(plan)
    assert pdf_hash == part1_content_hash(read_plan_snapshot(plan))
    assert workbook_hash and pdf_hash != workbook_hash
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    scheme = Scheme.objects.filter(plan=plan).first()
    assert scheme.name in " ".join(text.split())
    wb = openpyxl.load_workbook(io.BytesIO(workbook), read_only=True)
    assert any(scheme.reference in str(row) for row in wb["Expenditure"].iter_rows(values_only=True))
    assert any("Falls at home" in str(row) for row in wb["Metrics"].iter_rows(values_only=True))


def test_a_submissions_files_and_its_check_come_from_one_read(full_plan, django_assert_max_num_queries):
    """The worker checks the plan still matches its submission and renders both files from the same read."""
    plan = full_plan
    Plan.objects.filter(pk=plan.pk).update(status=Plan.Status.SUBMITTED)
    submission = type("Submitted", (), {})()
    submission.plan, submission.version = plan, plan.version
    submission.snapshot_sha256 = sha256_hex(canonical_json(read_plan_snapshot(plan).submission_json()))

    with CaptureQueriesContext(connection) as captured:
        pdf, workbook = submission_files.render(submission)

    assert _reads(captured) == {model._meta.db_table: 1 for model in PLAN_TABLES}
    assert pdf[:4] == b"%PDF" and workbook[:2] == b"PK"


def test_the_snapshot_is_immutable(full_plan):
    snapshot = read_plan_snapshot(full_plan)
    with pytest.raises(dataclasses.FrozenInstanceError):
        snapshot.sections[0].answers[0].value = "changed"
    with pytest.raises(dataclasses.FrozenInstanceError):
        snapshot.part_two = None
    assert isinstance(snapshot.schemes, tuple) and isinstance(snapshot.part_two.income_lines, tuple)


def test_a_blank_text_answer_is_one_value_everywhere(full_plan):
    """One answer-value rule: the content holds what is stored, and the PDF shows a blank as not answered."""
    answer = Answer.objects.filter(plan=full_plan, question__kind="text").first()
    Answer.objects.filter(pk=answer.pk).update(text="   ")
    snapshot = read_plan_snapshot(full_plan)
    row = next(a for s in snapshot.sections for a in s.answers if a.question.pk == answer.question_id)
    assert row.value == "   " and not row.answered
    content = next(a for s in snapshot.content()["sections"] for a in s["answers"] if a["key"] == row.question.key)
    assert content["value"] == "   "
