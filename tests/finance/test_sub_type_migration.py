"""Migration finance 0006 gives a draft plan's lines their scheme's sub-type, and changes nothing else."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db

# rounds at its newest: the state of finance 0005 alone would lack the columns other rounds migrations add.
BEFORE = [("finance", "0005_line_sub_type_and_planned_output"), ("rounds", "0006_merge_round_format_for_issue_17")]
AFTER = [("finance", "0006_line_sub_type_from_scheme")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest():
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_lines_of_draft_plans_get_their_schemes_sub_type_and_signed_plans_keep_their_content():
    apps = migrate(BEFORE)
    model = apps.get_model
    region = model("rounds", "Region").objects.create(code="SW", name="South West")
    rnd = model("rounds", "PlanningRound").objects.create(
        slug="r", name="R", final_deadline=datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)
    )
    codes = model("rounds", "CodeListEntry").objects

    def code(list_, value, parent=None):
        return codes.create(round=rnd, list=list_, code=value, label=value.title(), parent=parent)

    care, other = code("scheme_type", "intermediate-care"), code("scheme_type", "other")
    at_home, foreign = code("scheme_subtype", "reablement-home", care), code("scheme_subtype", "mdt", other)
    area, commissioner, provider = code("area_of_spend", "social"), code("commissioner", "la"), code("provider", "la")
    stream = model("rounds", "FundingStream").objects.create(round=rnd, key="s", name="S", contributor="nhs", order=1)

    def line(status, ons, scheme_type, sub_type):
        hwb = model("rounds", "HwbArea").objects.create(ons_code=ons, name=ons, region=region)
        plan = model("plans", "Plan").objects.create(round=rnd, hwb_area=hwb, status=status)
        scheme = model("schemes", "Scheme").objects.create(
            plan=plan,
            reference="S1",
            name="Scheme",
            scheme_type=scheme_type,
            sub_type=sub_type,
            lead_commissioner=commissioner,
            area_of_spend=area,
        )
        return (
            model("finance", "ExpenditureLine")
            .objects.create(
                plan=plan,
                scheme=scheme,
                scheme_type=scheme_type,
                area_of_spend=area,
                commissioner=commissioner,
                provider=provider,
                funding_stream=stream,
            )
            .pk
        )

    draft = line("draft", "E06000001", care, at_home)
    signed = line("signed_off", "E06000002", care, at_home)
    no_sub_type = line("draft", "E06000003", care, None)
    other_type = line("draft", "E06000004", care, foreign)  # the scheme's sub-type is of another type

    apps = migrate(AFTER)
    sub_types = dict(apps.get_model("finance", "ExpenditureLine").objects.values_list("pk", "sub_type_id"))
    assert sub_types == {draft: at_home.pk, signed: None, no_sub_type: None, other_type: None}

    apps = migrate(BEFORE)  # reversible: the lines' sub-types go, the schemes keep theirs
    assert not apps.get_model("finance", "ExpenditureLine").objects.filter(sub_type__isnull=False).exists()
    assert apps.get_model("schemes", "Scheme").objects.filter(sub_type=at_home.pk).count() == 2
    latest()
