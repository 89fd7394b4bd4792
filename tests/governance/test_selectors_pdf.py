"""The Part 1 document is read (as the plan's snapshot) in a fixed number of queries and holds only plain values."""

import json

from django.db import connection
from django.test.utils import CaptureQueriesContext

from governance.pdf import part1_content_hash
from governance.selectors import part1_document
from governance.snapshots import read_plan_snapshot
from plans import models as pm
from rounds import models as rm
from schemes.models import Scheme
from tests import factories as f

# One per kind of row (figures included), plus the planned values of any metric ambitions (none in this plan).
PART1_QUERIES = 19


def test_part1_document_makes_a_fixed_number_of_queries(db, django_assert_max_num_queries):
    plan = f.PlanWithContentFactory(signoffs=False)  # rows are added below, and an edit would void signatures
    read_plan_snapshot(plan)  # the round's configuration is cached per process, as in a running server
    with CaptureQueriesContext(connection) as small:
        part1_document(read_plan_snapshot(plan))

    # Many more rows of every kind must not add a query.
    scheme = plan.schemes.first()
    for n in range(10):
        Scheme.objects.create(
            plan=plan,
            reference=f"X{n}",
            name=f"Extra scheme {n}",
            scheme_type=scheme.scheme_type,
            lead_commissioner=scheme.lead_commissioner,
            area_of_spend=scheme.area_of_spend,
        )
        pm.Risk.objects.create(plan=plan, description=f"Extra risk {n}", rating=plan.risks.first().rating)
        pm.RelatedDocument.objects.create(plan=plan, title=f"Extra document {n}")
        section = rm.Section.objects.create(round=plan.round, key=f"extra-{n}", order=100 + n, heading=f"Extra {n}")
        question = rm.Question.objects.create(section=section, key="q", label="Extra", kind="narrative", order=1)
        pm.Answer.objects.create(plan=plan, question=question, text="More")

    read_plan_snapshot(plan)
    with django_assert_max_num_queries(PART1_QUERIES), CaptureQueriesContext(connection) as large:
        document = part1_document(read_plan_snapshot(plan))
    assert len(large) == len(small), [q["sql"][:80] for q in large.captured_queries]
    assert len(document["schemes"]) == 12 and len(document["risks"]) == 12


def test_part1_document_is_plain_data_that_hashes_stably(db):
    plan = f.PlanWithContentFactory()
    document = part1_document(read_plan_snapshot(plan))
    json.dumps(document, default=str)  # no model instances hide in the snapshot
    assert part1_content_hash(read_plan_snapshot(plan)) == part1_content_hash(read_plan_snapshot(plan))


def test_content_hash_changes_when_an_answer_or_the_status_changes(db):
    plan = f.PlanWithContentFactory()
    before = part1_content_hash(read_plan_snapshot(plan))
    pm.Answer.objects.filter(plan=plan, question__key="local-authority").update(text="Plymouth City Council (unitary)")
    after_edit = part1_content_hash(read_plan_snapshot(plan))
    assert after_edit != before
    pm.Plan.objects.filter(pk=plan.pk).update(status=pm.Plan.Status.SUBMITTED)
    assert part1_content_hash(read_plan_snapshot(plan)) != after_edit  # the DRAFT mark goes, so the PDF differs
