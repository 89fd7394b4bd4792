"""The 2014/15 demo plans keep every risk and document through the move to round-defined columns.

rounds 0005 gives each round its columns (the ones its plans were written with); plans 0008-0010 move
each risk's concerns_nhs_providers, and its history's, into the row's `values`. The test migrates back
to before them, builds the 2014/15 demo plans' risks and documents as that schema held them, records
every value, migrates forward and compares.
"""

from pathlib import Path

import pytest
import yaml
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("rounds", "0004_merge_organisation_validity_and_reminders"), ("plans", "0007_exportjob_moved_to_governance")]
DEMO = Path(__file__).resolve().parent.parent.parent / "fixtures" / "demo"
RISK_FIELDS = ["id", "plan_id", "description", "rating_id", "mitigating_actions", "owner", "order", "version"]
DOCUMENT_FIELDS = ["id", "plan_id", "ref", "title", "synopsis", "url", "file", "original_filename", "order", "version"]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _build_demo_plans(apps) -> None:
    """The 2014/15 demo plans' risks and documents (fixtures/demo), with a history row for each risk."""
    region = apps.get_model("rounds", "Region").objects.create(code="SW", name="South West")
    rnd = apps.get_model("rounds", "PlanningRound").objects.create(
        slug="2014-15",
        name="Better Care Fund 2014/15 to 2015/16",
        final_deadline=timezone.now(),
        labels={"risks_column_actions": "Mitigating Actions"},
    )
    ratings = {
        code: apps.get_model("rounds", "CodeListEntry").objects.create(
            round=rnd, list="risk_rating", code=code, label=code.title(), order=order
        )
        for order, code in enumerate(["high", "medium", "low"], start=1)
    }
    Risk = apps.get_model("plans", "Risk")
    HistoricalRisk = apps.get_model("plans", "HistoricalRisk")
    Document = apps.get_model("plans", "RelatedDocument")
    for n, path in enumerate(sorted(DEMO.glob("plan-*-2014-15.yaml"))):
        data = yaml.safe_load(path.read_text())
        area = apps.get_model("rounds", "HwbArea").objects.create(
            ons_code=f"E0600099{n}", name=path.stem, region=region
        )
        plan = apps.get_model("plans", "Plan").objects.create(round=rnd, hwb_area=area)
        for order, item in enumerate(data.get("risks") or [], start=1):
            risk = Risk.objects.create(
                plan=plan,
                description=str(item["risk"]).strip(),
                rating=ratings[item["rating"]],
                mitigating_actions=str(item.get("mitigating_actions", "")).strip(),
                owner=item.get("owner", f"Owner {order}"),
                concerns_nhs_providers=item.get("concerns_nhs_providers", False),
                order=order,
                version=order,
            )
            fields = {name: getattr(risk, name) for name in RISK_FIELDS}
            HistoricalRisk.objects.create(
                **fields,
                concerns_nhs_providers=risk.concerns_nhs_providers,
                history_date=timezone.now(),
                history_type="+",
            )
        for order, item in enumerate(data.get("documents") or [], start=1):
            Document.objects.create(
                plan=plan,
                ref=item.get("ref", ""),
                title=item["title"],
                synopsis=str(item.get("synopsis", "")).strip(),
                url=item.get("url", ""),
                file=f"documents/sha256/aa/{n}{order}.pdf" if order == 1 else "",
                original_filename=f"Annex {order}.pdf" if order == 1 else "",
                order=order,
            )


def _record(apps, *, moved: bool) -> dict:
    """Every value of every risk, history row and document; `moved` reads concerns_nhs_providers from values."""

    def concerns(row):
        return row.values["concerns_nhs_providers"] if moved else row.concerns_nhs_providers

    risks = {
        r.pk: ({f: getattr(r, f) for f in RISK_FIELDS}, concerns(r))
        for r in apps.get_model("plans", "Risk").objects.all()
    }
    history = {
        h.history_id: ({f: getattr(h, f) for f in RISK_FIELDS}, concerns(h))
        for h in apps.get_model("plans", "HistoricalRisk").objects.all()
    }
    documents = {
        d.pk: {f: str(getattr(d, f)) for f in DOCUMENT_FIELDS}
        for d in apps.get_model("plans", "RelatedDocument").objects.all()
    }
    return {"risks": risks, "history": history, "documents": documents}


@pytest.mark.django_db(transaction=True)
def test_every_2014_15_risk_and_document_is_kept_through_the_migration():
    old_apps = _migrate(BEFORE)
    try:
        _build_demo_plans(old_apps)
        before = _record(old_apps, moved=False)
    finally:
        new_apps = _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    after = _record(new_apps, moved=True)

    assert after == before
    assert len(before["risks"]) >= 15 and len(before["documents"]) >= 8
    assert {c for _, c in before["risks"].values()} == {True, False}  # both answers are carried over

    # The round keeps the columns its plans were written with, with its own wording.
    rnd = new_apps.get_model("rounds", "PlanningRound").objects.get(slug="2014-15")
    keys = [c["key"] for c in rnd.risk_columns]
    assert keys == ["description", "rating", "mitigating_actions", "owner", "concerns_nhs_providers"]
    assert rnd.risk_columns[2]["heading"] == "Mitigating Actions"
    assert [c["key"] for c in rnd.document_columns] == ["ref", "title", "synopsis", "url", "file"]
    assert all(d.values == {} for d in new_apps.get_model("plans", "RelatedDocument").objects.all())


@pytest.mark.django_db(transaction=True)
def test_the_migration_can_be_reversed_without_loss():
    old_apps = _migrate(BEFORE)
    try:
        _build_demo_plans(old_apps)
        before = _record(old_apps, moved=False)
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
        again = _migrate(BEFORE)
        assert _record(again, moved=False) == before
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
