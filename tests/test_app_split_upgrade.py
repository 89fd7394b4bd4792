"""A database created before the app split upgrades with every row kept (docs/adr/0009-app-split.md).

For PostgreSQL and for SQLite (the embedded default), in databases of the test's own:

1. A *new* database is migrated and loaded as users fill one: both rounds, the demo users and plans
   (answers, schemes, income, expenditure, metrics, signatures), one plan sent for sign-off, signed
   and submitted (with its rendered files), an export, audit events, a group with permissions and an
   entry in the admin's log.
2. An *old* database is built with the migrations as they were before the split (which are still in
   the migration graph) and recorded exactly as such a database records them; every row of the new
   database is copied into it under the old table names and app labels.
3. The old database is upgraded the documented way: `migrate` refuses and says what to do,
   `prepare_app_split`, `migrate`.
4. Every row of every table is then the same as in the new database (same ids, same values, content
   types now in the new apps), the schema is the same as the new database's (columns, constraints and
   foreign keys pointing at the renamed tables, indexes), and a demo user signs in and sees their plan.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from psycopg.types.json import Jsonb

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "upgrade-check-4471"

# The last migration of each app before the split: what a database created before it has applied.
PRE_SPLIT = [
    ("plans", "0004_user_email_case_insensitive"),
    ("schemes", "0001_initial"),
    ("metrics", "0002_initial"),
    ("finance", "0003_amount_by_line_covering_index"),
    ("governance", "0005_submission_files_rendered_after_commit"),
]
THIRD_PARTY = ("admin", "auth", "contenttypes", "sessions", "axes")
MOVED_TO = {
    "rounds": [
        "region",
        "hwbarea",
        "organisation",
        "planninground",
        "roundyear",
        "nationalcondition",
        "conditionquestion",
        "section",
        "question",
        "metric",
        "fundingstream",
        "codelistentry",
        "ringfence",
        "allocation",
        "signoffslot",
        "keylineofenquiry",
        "outcomecategory",
    ],
    "accounts": ["user", "membership", "securityevent"],
    "governance": ["exportjob"],
}
MOVED = {(app, model) for app, models in MOVED_TO.items() for model in models}

# Run in `manage.py shell` on the new database after load_demo: a known password, a submitted plan with
# its files, an export, audit events, permissions through a group and directly, and an admin log entry.
FILL = f"""
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType

from accounts import security
from accounts.models import Membership, User
from governance import exports, services
from governance.snapshots import plan_content_hash
from plans.models import Plan, SectionProgress
from rounds.models import Region, Section, SignOffSlot

User.objects.update(password=make_password({PASSWORD!r}))
plan = Plan.objects.get(round__slug="2014-15", hwb_area__ons_code="E06000045")
for section in Section.objects.filter(round_id=plan.round_id).exclude(table=Section.Table.SIGNOFF):
    SectionProgress.objects.update_or_create(
        plan=plan, section=section, defaults={{"status": SectionProgress.Status.COMPLETED}}
    )
commissioner = Membership.objects.filter(hwb_area=plan.hwb_area, role="commissioner").first().user
services.send_for_signoff(user=commissioner, plan=plan)
for slot in SignOffSlot.objects.filter(round_id=plan.round_id):
    signer = Membership.objects.get(hwb_area=plan.hwb_area, role="signatory", signoff_slot_code=slot.code).user
    signature = services.Signature(signatory_name=signer.full_name, position=signer.job_title)
    services.sign_plan(
        user=signer, plan=plan, slot_code=slot.code, signature=signature, seen_content_hash=plan_content_hash(plan)
    )
plan.refresh_from_db()
services.submit_plan(user=commissioner, plan=plan)
plan.refresh_from_db()
assert plan.status == Plan.Status.SUBMITTED, plan.status
assert plan.submissions.get().files_status == "done"

other = Plan.objects.get(round__slug="2017-19", hwb_area__ons_code="E09000002")
other_commissioner = Membership.objects.filter(hwb_area=other.hwb_area, role="commissioner").first().user
job = exports.request_export(user=other_commissioner, plan=other, kind="xlsx")
job.refresh_from_db()
assert job.status == "done", job.error
security.record(security.Action.SIGNED_IN, user=other_commissioner)
security.record(security.Action.SIGN_IN_FAILED, username="nobody@example.org")
security.record(security.Action.EXPORT_DOWNLOADED, user=other_commissioner, plan=other, detail={{"kind": "xlsx"}})

admin = User.objects.filter(is_superuser=True).first()
editors = Group.objects.create(name="Round editors")
editors.permissions.add(Permission.objects.get(content_type__app_label="rounds", codename="change_planninground"))
admin.groups.add(editors)
admin.user_permissions.add(Permission.objects.get(content_type__app_label="accounts", codename="view_user"))
region = Region.objects.order_by("pk").first()
LogEntry.objects.create(
    user=admin, content_type=ContentType.objects.get_for_model(Region), object_id=str(region.pk),
    object_repr=str(region), action_flag=ADDITION, change_message="[]",
)
"""

# Run in `manage.py shell` with MIGRATE set: the pre-split migrations, recorded as such a database has them.
BUILD_OLD = f"""
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder

executor = MigrationExecutor(connection)
third_party = [key for key in executor.loader.graph.leaf_nodes() if key[0] in {THIRD_PARTY!r}]
executor.migrate([*{PRE_SPLIT!r}, *third_party])
# admin's first migration pulled in accounts' first (the user model's app now): a database from before
# the split has never heard of accounts, nor of rounds.
MigrationRecorder(connection).migration_qs.filter(app__in=["accounts", "rounds"]).delete()
applied = MigrationRecorder(connection).applied_migrations()
assert not any(app in ("accounts", "rounds", "demo") for app, _ in applied), applied
for app, name in {PRE_SPLIT!r}:
    assert (app, name) in applied
    assert not any(a == app and n > name for a, n in applied), (app, sorted(n for a, n in applied if a == app))
"""

# Run in `manage.py shell` on the upgraded database: sign in through the real sign-in page, see one's
# plan, and follow foreign keys from every moved model and to it.
AFTER = f"""
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test import Client
from django.test.utils import setup_test_environment

from accounts.models import Membership, SecurityEvent, User
from governance.models import ExportJob, SignOff, Submission
from plans.models import Plan
from rounds.models import Organisation, Region

setup_test_environment()
client = Client()
response = client.post("/sign-in/", {{"username": "commissioner@southampton.demo", "password": {PASSWORD!r}}})
assert response.status_code == 302, response.status_code
page = client.get("/plans/").content.decode()
assert "Southampton" in page, page[:2000]
assert SecurityEvent.objects.filter(action="signed_in", user__email="commissioner@southampton.demo").exists()

for membership in Membership.objects.select_related("user", "hwb_area", "region", "organisation"):
    assert membership.user.email and (membership.hwb_area or membership.region or membership.role == "national_admin")
for plan in Plan.objects.all():
    assert plan.round.slug and plan.hwb_area.region.name
    assert plan.answers.exists() and all(a.question.section.round_id == plan.round_id for a in plan.answers.all())
assert all(o.hwb_areas.exists() for o in Organisation.objects.filter(kind="ccg"))
assert SignOff.objects.exists()
assert all(s.slot.round_id == s.plan.round_id for s in SignOff.objects.select_related("slot", "plan"))
assert Submission.objects.get().submitted_by.email == "commissioner@southampton.demo"
assert ExportJob.objects.get().requested_by.memberships.exists()
entry = LogEntry.objects.get()
assert entry.content_type.app_label == "rounds" and entry.get_edited_object() == Region.objects.order_by("pk").first()
admin = User.objects.filter(is_superuser=True).first()
assert admin.has_perm("rounds.change_planninground") and admin.has_perm("accounts.view_user")
connection.check_constraints()
print("upgraded database works")
"""


def manage(env, *args, stdin=None, ok=True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if ok:
        assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result


def old_name(table: str) -> str:
    """The table's name before the split."""
    if table == "governance_exportjob":
        return "plans_exportjob"
    for app in ("rounds", "accounts"):
        if table.startswith(f"{app}_"):
            return "plans_" + table.removeprefix(f"{app}_")
    return table


# --- The two databases, through plain DB-API ---------------------------------------------------


class Database:
    """Just enough to list, copy and compare every table of a PostgreSQL or SQLite database."""

    def __init__(self, url: str, connect):
        self.url = url
        self._connect = connect

    def connect(self):
        return self._connect()

    def tables(self) -> list[str]:
        raise NotImplementedError

    def columns(self, cursor, table) -> list[str]:
        cursor.execute(f'SELECT * FROM "{table}" WHERE 1 = 0')  # noqa: S608 - names from the catalogue
        return [d[0] for d in cursor.description]

    def rows(self, table) -> tuple[list[str], list[tuple]]:
        with contextlib.closing(self.connect()) as conn:
            cursor = conn.cursor()
            columns = self.columns(cursor, table)
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608
            return columns, sorted(cursor.fetchall(), key=repr)

    def everything(self) -> dict[str, tuple[list[str], list[tuple]]]:
        return {t: self.rows(t) for t in self.tables() if t != "django_migrations"}


class Postgres(Database):
    def __init__(self, name: str):
        db = settings.DATABASES["default"]
        self.params = {
            "host": db.get("HOST") or "127.0.0.1",
            "port": db.get("PORT") or 5432,
            "user": db.get("USER") or "postgres",
            "password": db.get("PASSWORD") or None,
        }
        self.name = name
        auth = self.params["user"] + (f":{self.params['password']}" if self.params["password"] else "")
        super().__init__(
            f"postgres://{auth}@{self.params['host']}:{self.params['port']}/{name}",
            lambda: psycopg.connect(dbname=name, **self.params),
        )

    def _admin(self, sql: str):
        with psycopg.connect(dbname="postgres", autocommit=True, **self.params) as conn:
            conn.execute(sql)

    def create(self):
        self.drop()
        self._admin(f'CREATE DATABASE "{self.name}"')

    def drop(self):
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def tables(self):
        with contextlib.closing(self.connect()) as conn:
            rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1").fetchall()
        return [r[0] for r in rows]

    def insert_all(self, data: dict[str, tuple[list[str], list[tuple]]]):
        """Insert every row in one transaction. Django's foreign keys are deferred, so they are all checked
        at the commit: the copy is a consistent database or nothing."""
        with contextlib.closing(self.connect()) as conn, conn.transaction():
            for table, (columns, rows) in data.items():
                if not rows:
                    continue
                names = ", ".join(f'"{c}"' for c in columns)
                marks = ", ".join(["%s"] * len(columns))
                values = [tuple(Jsonb(v) if isinstance(v, dict | list) else v for v in row) for row in rows]
                conn.cursor().executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', values)  # noqa: S608
                if "id" in columns:
                    conn.execute(
                        f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), max(id)) FROM \"{table}\""
                    )  # noqa: S608

    def schema(self) -> dict:
        """Columns, constraints (by definition, not name) and indexes (by definition) of every table."""
        with contextlib.closing(self.connect()) as conn:
            columns = conn.execute(
                "SELECT table_name, column_name, data_type, is_nullable, is_identity FROM information_schema.columns"
                " WHERE table_schema = 'public'"
            ).fetchall()
            constraints = conn.execute(
                "SELECT conrelid::regclass::text, contype, pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE connamespace = 'public'::regnamespace"
            ).fetchall()
            indexes = conn.execute(
                "SELECT tablename, regexp_replace(indexdef, 'INDEX \\S+ ON', 'INDEX ON') FROM pg_indexes"
                " WHERE schemaname = 'public'"
            ).fetchall()
            triggers = conn.execute(
                "SELECT event_object_table, action_timing, event_manipulation, action_statement"
                " FROM information_schema.triggers WHERE trigger_schema = 'public'"
            ).fetchall()
        return {
            "columns": sorted(columns),
            "constraints": sorted(constraints),
            "indexes": sorted(indexes),
            "triggers": sorted(triggers),
        }


class Sqlite(Database):
    def __init__(self, path: Path):
        self.path = path
        super().__init__(f"sqlite:///{path}", lambda: sqlite3.connect(path))

    def create(self):
        self.path.unlink(missing_ok=True)

    def drop(self):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def tables(self):
        with contextlib.closing(self.connect()) as conn:
            rows = conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1"
            ).fetchall()
        return [r[0] for r in rows]

    def insert_all(self, data):
        with contextlib.closing(self.connect()) as conn:
            conn.execute("PRAGMA foreign_keys = ON")
            with conn:  # one transaction; Django's foreign keys are deferred to its commit
                for table, (columns, rows) in data.items():
                    if rows:
                        names = ", ".join(f'"{c}"' for c in columns)
                        marks = ", ".join(["?"] * len(columns))
                        conn.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)  # noqa: S608
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []

    def schema(self) -> dict:
        result = {}
        with contextlib.closing(self.connect()) as conn:
            for table in self.tables():
                columns = conn.execute(f'PRAGMA table_info("{table}")').fetchall()
                keys = conn.execute(f'PRAGMA foreign_key_list("{table}")').fetchall()
                indexes = []
                for _, name, unique, origin, partial in conn.execute(f'PRAGMA index_list("{table}")').fetchall():
                    indexed = [r[2] for r in conn.execute(f'PRAGMA index_info("{name}")').fetchall()]
                    indexes.append((unique, origin, partial, tuple(indexed)))
                checks = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
                result[table] = {
                    "columns": sorted((c[1], c[2], c[3], c[5]) for c in columns),
                    "foreign_keys": sorted((k[2], k[3], k[4], k[7]) for k in keys),
                    "indexes": sorted(indexes),
                    "check_constraints": checks.count("CHECK"),
                }
            triggers = conn.execute("SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
        result["triggers"] = sorted(triggers)
        return result


# Columns added by migrations after the split: a database from before it has none of them, and the
# upgrade adds them empty (rounds 0003: the rounds an organisation is valid for).
# Columns and tables that later migrations added: a database from before the split has none of them, and
# its rows are compared without them.
ADDED_AFTER_SPLIT = {
    "rounds_organisation": {"first_round_id", "last_round_id"},
    "rounds_planninground": {"reminder_days", "signature_reminder_days", "risk_columns", "document_columns"},
    "accounts_membership": {"is_lead"},
    # rounds 0005, plans 0008: the rounds' own table columns (their values are compared below).
    "plans_risk": {"values"},
    "plans_historicalrisk": {"values"},
    "plans_relateddocument": {"values"},
    "plans_historicalrelateddocument": {"values"},
    # issue 17: sub-types and planned outputs, phases, metric units, split shares, output units
    "finance_expenditureline": {"sub_type_id"},
    "finance_historicalexpenditureline": {"sub_type_id"},
    "finance_expenditureamount": {"planned_output"},
    "finance_historicalexpenditureamount": {"planned_output"},
    "governance_submission": {"phase_id"},
    "plans_plan": {"phase_id"},
    "rounds_metric": {"numerator", "decimal_places", "polarity"},
    "rounds_section": {"phase_id", "prefill_from_id", "shareable", "front_matter"},
    "plans_plangroup": {"created_at", "created_by_id"},
    "rounds_ringfence": {"share"},
    "rounds_codelistentry": {"output_unit_id"},
}


def _values(row: dict) -> dict:
    value = row["values"]
    return json.loads(value) if isinstance(value, str) else value


# Columns a later migration moved: a database from before the split holds them, filled from the new
# rows (plans 0009 moved each risk's concerns_nhs_providers into its values).
MOVED_AFTER_SPLIT = {
    "plans_risk": {"concerns_nhs_providers": lambda row: _values(row)["concerns_nhs_providers"]},
    "plans_historicalrisk": {"concerns_nhs_providers": lambda row: _values(row)["concerns_nhs_providers"]},
}
TABLES_ADDED_AFTER_SPLIT = (
    "django_celery_beat_",
    "accounts_invitation",
    "governance_remindersent",
    "rounds_icballocation",
    # issue 17: the round format's new tables and the capacity app
    "rounds_outputunit",
    "rounds_splitrule",
    "rounds_capacitydemandtable",
    "rounds_roundphase",
    "capacity_",
    # issue 18: the round's return template and the monitoring app
    "rounds_returntemplate",
    "rounds_returnperiod",
    "rounds_returnpart",
    "rounds_returnquestion",
    "monitoring_",
    # issue 19: aligned plans' shared answers, figures, Word imports; issue 20: API tokens and open data
    "plans_sharedanswer",
    "plans_historicalsharedanswer",
    "plans_figure",
    "plans_historicalfigure",
    "plans_wordimport",
    "api_",
    "opendata_",
)


def added_after_split(table: str) -> bool:
    return table.startswith(TABLES_ADDED_AFTER_SPLIT)


def _without_added_columns(table: str, columns: list[str], rows: list[tuple]) -> tuple[list[str], list[tuple]]:
    added = ADDED_AFTER_SPLIT.get(table, set())
    keep = [i for i, c in enumerate(columns) if c not in added]
    return [columns[i] for i in keep], [tuple(row[i] for i in keep) for row in rows]


def old_rows(data: dict[str, tuple[list[str], list[tuple]]]) -> dict[str, tuple[list[str], list[tuple]]]:
    """The new database's rows as a database from before the split holds them: old tables, old app labels."""
    copied = {}
    for table, (columns, rows) in data.items():
        if added_after_split(table):
            continue
        moved = MOVED_AFTER_SPLIT.get(table, {})
        moved_values = [[fill(dict(zip(columns, row, strict=True))) for fill in moved.values()] for row in rows]
        columns, rows = _without_added_columns(table, columns, rows)
        if moved:
            columns = [*columns, *moved]
            rows = [(*row, *extra) for row, extra in zip(rows, moved_values, strict=True)]
        if table == "django_content_type":
            app, model = columns.index("app_label"), columns.index("model")
            rows = [
                tuple("plans" if i == app and (row[app], row[model]) in MOVED else v for i, v in enumerate(row))
                for row in rows
            ]
        copied[old_name(table)] = (columns, rows)
    return copied


@pytest.fixture(params=["postgresql", "sqlite"])
def databases(request, tmp_path):
    if request.param == "postgresql":
        base = settings.DATABASES["default"]["NAME"].removeprefix("test_")
        new, old = Postgres(f"test_{base}_split_new"), Postgres(f"test_{base}_split_old")
    else:
        new, old = Sqlite(tmp_path / "new.sqlite3"), Sqlite(tmp_path / "old.sqlite3")
    new.create()
    old.create()
    yield new, old
    new.drop()
    old.drop()


def environment(database: Database, tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_", "DEBUG"))}
    env.update(DATABASE_URL=database.url, MEDIA_ROOT=str(tmp_path / "media"), DEBUG="true", AXES_ENABLED="true")
    return env


@pytest.mark.slow
def test_a_database_created_before_the_app_split_upgrades_with_every_row_kept(databases, tmp_path):
    new, old = databases
    new_env, old_env = environment(new, tmp_path), environment(old, tmp_path)

    # 1. A new database, filled as people fill one.
    manage(new_env, "migrate", "--noinput", "-v", "0")
    manage(new_env, "load_demo", "--no-workflow")  # FILL submits a plan itself
    manage(new_env, "shell", stdin=FILL)
    before = new.everything()
    assert before["accounts_securityevent"][1] and before["governance_exportjob"][1]
    assert before["governance_submission"][1] and before["accounts_user_groups"][1]
    assert before["rounds_organisation_hwb_areas"][1] and before["django_admin_log"][1]

    # 2. An old database: the migrations as they were before the split, and the same rows under the
    #    old tables' names and app labels.
    manage(old_env, "shell", stdin=BUILD_OLD)
    old_tables = set(old.tables()) - {"django_migrations"}
    expected_tables = {old_name(t) for t in before if not added_after_split(t)}
    assert old_tables == expected_tables, old_tables ^ expected_tables
    assert "plans_user" in old_tables and "accounts_user" not in old_tables
    with contextlib.closing(old.connect()) as conn:
        cursor = conn.cursor()
        for table, (columns, _) in before.items():
            if added_after_split(table):
                continue
            # The same columns (SQLite may hold them in another order: plans 0005 rebuilds one table).
            expected = [c for c in columns if c not in ADDED_AFTER_SPLIT.get(table, set())]
            expected += list(MOVED_AFTER_SPLIT.get(table, {}))
            assert sorted(old.columns(cursor, old_name(table))) == sorted(expected), table
    old.insert_all(old_rows(before))

    # 3. The documented upgrade.
    refused = manage(old_env, "migrate", "--noinput", ok=False)
    assert refused.returncode != 0 and "prepare_app_split" in refused.stderr, refused.stderr
    prepared = manage(old_env, "prepare_app_split").stdout
    assert "Recorded accounts.0001_initial as applied" in prepared, prepared
    manage(old_env, "migrate", "--noinput")
    assert "Nothing to do" in manage(old_env, "prepare_app_split").stdout
    manage(old_env, "migrate", "--check")
    manage(old_env, "makemigrations", "--check", "--dry-run")

    # 4. Every row kept, under the new names; the schema is a new database's; it works.
    after = old.everything()
    assert sorted(after) == sorted(before)
    for table, (columns, rows) in before.items():
        if added_after_split(table):
            continue  # created by the upgrade's migrations, as in a new database (timestamps differ)
        kept = _without_added_columns(table, *after[table])
        assert kept == _without_added_columns(table, columns, rows), f"{table} differs after the upgrade"
    for table in MOVED_AFTER_SPLIT:  # every risk's answer came back into its values
        columns, rows = before[table]
        expected = {
            row[columns.index("history_id" if "history_id" in columns else "id")]: _values(
                dict(zip(columns, row, strict=True))
            )
            for row in rows
        }
        columns, rows = after[table]
        found = {
            row[columns.index("history_id" if "history_id" in columns else "id")]: _values(
                dict(zip(columns, row, strict=True))
            )
            for row in rows
        }
        assert found == expected and expected, table
    columns, rows = after["django_content_type"]
    labels = {(row[columns.index("app_label")], row[columns.index("model")]) for row in rows}
    assert labels >= MOVED  # the moved models' content types (same ids: compared above) are in their new apps
    assert not {("plans", model) for _, model in MOVED} & labels  # and none is left in plans
    assert sum(len(rows) for _, rows in after.values()) > 1000  # a real database's worth of rows was compared
    assert old.schema() == new.schema()
    assert "upgraded database works" in manage(old_env, "shell", stdin=AFTER).stdout
