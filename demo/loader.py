"""Load the demo: users for every role and four realistic plans, from fixtures/demo/*.yaml.

The plans use the facts and figures of the example plans in shared/seeds (pooled budgets,
funding lines, schemes, risks, sign-offs), with narrative written afresh. Loading is
idempotent: users and plans that already exist are left exactly as they are, so a demo
that people have been editing is never overwritten by a second run.
"""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Membership, User
from finance.models import ExpenditureAmount, ExpenditureLine, IncomeLine
from finance.selectors import line_problems, split_rule_specs
from governance.models import SignOff
from metrics.models import MetricAmbition, PlannedValue
from plans.groups import seed_shared_text
from plans.models import Answer, ConditionResponse, Plan, PlanGroup, RelatedDocument, Risk, SectionProgress
from rounds.columns import clean_values
from rounds.config import round_config
from rounds.loader import fixtures_dir, load_rounds, read_yaml, shipped_round_paths
from rounds.models import (
    CodeListEntry,
    ConditionQuestion,
    HwbArea,
    Organisation,
    PlanningRound,
    Question,
    Region,
    Section,
)
from schemes.models import Scheme

from . import workflow as demo_workflow


class DemoDataError(ValueError):
    """A demo fixture that does not fit its round; the message names the file and the entry."""


def demo_dir() -> Path:
    return fixtures_dir() / "demo"


@dataclass
class DemoResult:
    password: str | None = None  # set only when users were created or passwords reset
    new_users: list[str] = field(default_factory=list)
    users: list[tuple[str, str]] = field(default_factory=list)  # (email, role description)
    plans_created: list[str] = field(default_factory=list)
    plans_existing: list[str] = field(default_factory=list)
    created: list[Plan] = field(default_factory=list)  # the plans this load created
    workflow: list[str] = field(default_factory=list)  # what demo.workflow did to them


def load_demo(*, reset_passwords: bool = False, workflow: bool = True) -> DemoResult:
    """Load the shipped rounds, then the demo users and plans. Safe to run again.

    With `workflow`, the plans of fixtures/demo/workflow.yaml created by this load are then taken
    through sign-off, submission and assurance (demo.workflow); without, every demo plan stays a draft.
    """
    result = DemoResult()
    with transaction.atomic():
        load_rounds(shipped_round_paths())
        _load_users(result, reset_passwords=reset_passwords)
        for path in sorted(demo_dir().glob("plan-*.yaml")):
            _DemoPlan(path).load(result)
    if workflow:
        # After the commit, step by step: a submission's files are rendered once it is committed.
        result.workflow = demo_workflow.run(demo_dir() / "workflow.yaml", result.created)
    return result


# --- Users --------------------------------------------------------------------------------


def _load_users(result: DemoResult, *, reset_passwords: bool):
    path = demo_dir() / "users.yaml"
    data = read_yaml(path)
    password = secrets.token_urlsafe(12)
    # One hash for all: the demo users share a password by design, and hashing once keeps
    # loading fast with a deliberately slow production hasher.
    hashed = make_password(password)
    areas = {a.ons_code: a for a in HwbArea.objects.all()}
    regions = {r.code: r for r in Region.objects.all()}

    for i, item in enumerate(data["users"]):
        where = f"{path}: users[{i}] ({item.get('email')})"
        email = User.normalize_username(str(item["email"]))
        role = item["role"]
        if role not in Membership.Role.values:
            raise DemoDataError(f"{where}: unknown role '{role}'")
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = User.objects.create(
                email=email,
                full_name=item.get("full_name", ""),
                job_title=item.get("job_title", ""),
                password=hashed,
                is_staff=role == Membership.Role.NATIONAL_ADMIN,
                is_superuser=role == Membership.Role.NATIONAL_ADMIN,
            )
            result.new_users.append(email)
        elif reset_passwords:
            user.password = hashed
            user.save(update_fields=["password"])

        scope: dict = {"role": role, "signoff_slot_code": item.get("slot", "")}
        if "area" in item:
            if item["area"] not in areas:
                raise DemoDataError(f"{where}: no HWB area with ONS code {item['area']}")
            scope["hwb_area"] = areas[item["area"]]
        if "region" in item:
            if item["region"] not in regions:
                raise DemoDataError(f"{where}: no region with code {item['region']}")
            scope["region"] = regions[item["region"]]
        if "organisation" in item:
            scope["organisation"] = Organisation.objects.get(name=item["organisation"])
        membership, _ = Membership.objects.get_or_create(user=user, **scope)
        if item.get("lead") and not membership.is_lead:
            # The area's lead commissioner manages its team (invitations) from /areas/<code>/team/.
            membership.is_lead = True
            membership.save(update_fields=["is_lead"])
        result.users.append((email, _describe(role, scope) + (" (lead)" if item.get("lead") else "")))

    if result.new_users or reset_passwords:
        result.password = password


def _describe(role: str, scope: dict) -> str:
    text = Membership.Role(role).label
    if scope.get("signoff_slot_code"):
        text += f" ({scope['signoff_slot_code']} slot)"
    where = scope.get("hwb_area") or scope.get("region")
    return f"{text}, {where}" if where else text


# --- Plans ---------------------------------------------------------------------------------


class _DemoPlan:
    """One plan-*.yaml file: the plan and everything in it, created only if the plan is new."""

    def __init__(self, path: Path):
        self.path = path
        self.data = read_yaml(path)

    def fail(self, where: str, message: str):
        raise DemoDataError(f"{self.path}: {where}: {message}")

    def load(self, result: DemoResult):
        try:
            self._load(result)
        except KeyError as exc:
            raise DemoDataError(f"{self.path}: missing required key {exc}") from exc
        except (TypeError, ValueError, ArithmeticError) as exc:
            if isinstance(exc, DemoDataError):
                raise
            raise DemoDataError(f"{self.path}: {exc}") from exc

    def _load(self, result: DemoResult):
        head = self.data["plan"]
        rnd = PlanningRound.objects.filter(slug=head["round"]).first()
        if rnd is None:
            self.fail("plan.round", f"no planning round '{head['round']}'")
        area = HwbArea.objects.filter(ons_code=head["hwb_area"]).first()
        if area is None:
            self.fail("plan.hwb_area", f"no HWB area with ONS code {head['hwb_area']}")
        label = f"{area.name} ({rnd.slug})"
        if Plan.objects.filter(round=rnd, hwb_area=area).exists():
            result.plans_existing.append(label)
            return
        group = None
        if head.get("group"):
            group, _ = PlanGroup.objects.get_or_create(round=rnd, name=head["group"])
        self.rnd = rnd
        self.author = (
            User.objects.filter(memberships__role=Membership.Role.COMMISSIONER, memberships__hwb_area=area)
            .order_by("pk")
            .first()
        )
        status = head.get("status", Plan.Status.DRAFT)
        if status not in Plan.Status.values:
            self.fail("plan.status", f"'{status}' is not one of: {', '.join(Plan.Status.values)}")
        self.plan = Plan.objects.create(round=rnd, hwb_area=area, group=group, status=status)
        self.years = {y.label: y for y in rnd.years.all()}
        self.codes = {(c.list, c.code): c for c in CodeListEntry.objects.filter(round=rnd)}
        self.streams = {s.key: s for s in rnd.funding_streams.all()}
        self._answers()
        if group is not None:
            # An aligned plan: the first member's shareable answers are the group's shared text (plans.groups).
            for answer in seed_shared_text(plan=self.plan, group=group, user=self.author):
                answer.save()
        self._conditions()
        self._documents()
        self._risks()
        self._finance()
        self._metrics()
        self._progress()
        # Last: a signature binds to the content hash, so sign what is final.
        self._signoffs()
        result.plans_created.append(label)
        result.created.append(self.plan)

    def code(self, list_name: str, code: str, where: str) -> CodeListEntry:
        try:
            return self.codes[(list_name, str(code))]
        except KeyError:
            self.fail(where, f"no {list_name} code '{code}' in round {self.rnd.slug}")

    def year(self, label: str, where: str):
        if str(label) not in self.years:
            self.fail(where, f"round {self.rnd.slug} has no year {label}")
        return self.years[str(label)]

    def organisation(self, name: str, where: str) -> Organisation:
        org = Organisation.objects.filter(name=name).first()
        if org is None:
            self.fail(where, f"no organisation named '{name}' in fixtures/reference.yaml")
        return org

    def _answers(self):
        questions = {
            (q.section.key, q.key): q
            for q in Question.objects.filter(section__round=self.rnd).select_related("section")
        }
        for section_key, answers in (self.data.get("answers") or {}).items():
            for question_key, value in answers.items():
                where = f"answers.{section_key}.{question_key}"
                question = questions.get((str(section_key), question_key))
                if question is None:
                    self.fail(where, f"no such question in round {self.rnd.slug}")
                fields: dict = {}
                if question.kind in (Question.Kind.NARRATIVE, Question.Kind.TEXT):
                    fields["text"] = str(value).strip()
                elif question.kind == Question.Kind.DATE:
                    fields["date"] = value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)
                elif question.kind == Question.Kind.MONEY:
                    fields["money"] = Decimal(str(value))
                else:
                    fields["confirmed"] = bool(value)
                Answer.objects.create(plan=self.plan, question=question, updated_by=self.author, **fields)

    def _conditions(self):
        for number, responses in (self.data.get("condition_responses") or {}).items():
            questions = list(
                ConditionQuestion.objects.filter(condition__round=self.rnd, condition__number=number).order_by("order")
            )
            if len(responses) > len(questions):
                self.fail(f"condition_responses.{number}", f"condition {number} has only {len(questions)} questions")
            for i, (question, item) in enumerate(zip(questions, responses, strict=False)):
                status = item.get("status", "")
                # YAML 1.1 reads an unquoted yes/no as true/false; accept that spelling too.
                status = {True: "yes", False: "no"}.get(status, status)
                if status not in ["", *ConditionResponse.Status.values]:
                    self.fail(f"condition_responses.{number}[{i}].status", f"'{status}' is not yes, no or in_progress")
                ConditionResponse.objects.create(
                    plan=self.plan,
                    question=question,
                    status=status,
                    target_date=item.get("target_date"),
                    narrative=str(item.get("narrative", "")).strip(),
                    updated_by=self.author,
                )

    def _row_values(self, table: str, item: dict, fields: set[str], where: str) -> dict:
        """The round-defined values of a demo risk or document: every key that is not one of the row's fields."""
        given = {k: v for k, v in item.items() if k not in fields}
        table_columns = self.rnd.table_columns(table)
        known = {c.key for c in table_columns if not c.is_field(table) and not c.is_computed}
        for key in given:
            if key not in known:
                self.fail(f"{where}.{key}", f"round {self.rnd.slug} has no {table} column '{key}'")
        codes: dict[str, set[str]] = {}
        for list_name, code in self.codes:
            codes.setdefault(list_name, set()).add(code)
        try:
            return clean_values(table_columns, table, given, codes)
        except ValidationError as exc:
            self.fail(f"{where}.{exc.code}", exc.messages[0])

    def _documents(self):
        fields = {"ref", "title", "synopsis", "url"}
        for order, item in enumerate(self.data.get("documents") or [], start=1):
            RelatedDocument.objects.create(
                plan=self.plan,
                ref=item.get("ref", ""),
                title=item["title"],
                synopsis=str(item.get("synopsis", "")).strip(),
                url=item.get("url", ""),
                values=self._row_values("documents", item, fields, f"documents[{order - 1}]"),
                order=order,
            )

    def _signoffs(self):
        slots = {s.code: s for s in self.rnd.signoff_slots.all()}
        for i, item in enumerate(self.data.get("signoffs") or []):
            where = f"signoffs[{i}]"
            if item["slot"] not in slots:
                self.fail(where, f"round {self.rnd.slug} has no sign-off slot '{item['slot']}'")
            org = self.organisation(item["organisation"], where) if item.get("organisation") else None
            SignOff.objects.create(
                plan=self.plan,
                slot=slots[item["slot"]],
                organisation=org,
                organisation_name=org.name if org else item.get("organisation_name", ""),
                signatory_name=item["signatory_name"],
                position=item.get("position", ""),
                signed_on=item.get("signed_on"),
            )

    def _risks(self):
        fields = {"risk", "rating", "mitigating_actions", "owner"}
        for order, item in enumerate(self.data.get("risks") or [], start=1):
            where = f"risks[{order - 1}]"
            Risk.objects.create(
                plan=self.plan,
                description=str(item["risk"]).strip(),
                rating=self.code("risk_rating", item["rating"], f"{where}.rating") if "rating" in item else None,
                mitigating_actions=str(item.get("mitigating_actions", "")).strip(),
                owner=item.get("owner", ""),
                values=self._row_values("risks", item, fields, where),
                order=order,
            )

    def _finance(self):
        schemes = {}
        for i, item in enumerate(self.data.get("schemes") or []):
            where = f"schemes[{i}] ({item.get('reference')})"
            schemes[str(item["reference"])] = Scheme.objects.create(
                plan=self.plan,
                reference=str(item["reference"]),
                name=item["name"],
                scheme_type=self.code("scheme_type", item["type"], where),
                sub_type=self.code("scheme_subtype", item["sub_type"], where) if item.get("sub_type") else None,
                description=str(item.get("description", "")).strip(),
                lead_commissioner=self.code("commissioner", item["commissioner"], where),
                provider=item.get("provider", ""),
                area_of_spend=self.code("area_of_spend", item["area_of_spend"], where),
                is_new=item.get("is_new", False),
                order=i + 1,
            )

        for i, item in enumerate(self.data.get("income") or []):
            where = f"income[{i}]"
            stream = self._stream(item["stream"], where)
            org = self.organisation(item["organisation"], where)
            for year, amount in item["amounts"].items():
                IncomeLine.objects.create(
                    plan=self.plan,
                    funding_stream=stream,
                    organisation=org,
                    year=self.year(year, where),
                    amount=Decimal(str(amount)),
                    note=item.get("note", ""),
                )

        for i, item in enumerate(self.data.get("expenditure") or []):
            where = f"expenditure[{i}]"
            scheme = schemes.get(str(item["scheme"]))
            if scheme is None:
                self.fail(where, f"no scheme with reference '{item['scheme']}' in this plan")
            line = ExpenditureLine.objects.create(
                plan=self.plan,
                scheme=scheme,
                scheme_type=scheme.scheme_type,
                area_of_spend=(
                    self.code("area_of_spend", item["area_of_spend"], where)
                    if "area_of_spend" in item
                    else scheme.area_of_spend
                ),
                commissioner=(
                    self.code("commissioner", item["commissioner"], where)
                    if "commissioner" in item
                    else scheme.lead_commissioner
                ),
                percent_nhs=item.get("percent_nhs"),
                percent_la=item.get("percent_la"),
                provider=self.code("provider", item["provider"], where),
                funding_stream=self._stream(item["stream"], where),
                is_new=scheme.is_new,
                # The line's own sub-type, else its scheme's (both must be of the line's scheme type).
                sub_type=(
                    self.code("scheme_subtype", item["sub_type"], where) if "sub_type" in item else scheme.sub_type
                ),
                order=i + 1,
            )
            outputs = item.get("outputs") or {}
            # Demo lines meet the round's per-line rules, as a line saved on the pages must.
            config = round_config(self.rnd.pk)
            for _field, message in line_problems(
                codes=config.codes,
                split_rules=split_rule_specs(config),
                scheme_type=line.scheme_type,
                sub_type=line.sub_type,
                commissioner=line.commissioner,
                funding_stream=line.funding_stream,
                percent_nhs=line.percent_nhs,
                percent_la=line.percent_la,
                amounts={str(y): Decimal(str(a)) for y, a in item["amounts"].items()},
                outputs={str(y): Decimal(str(o)) for y, o in outputs.items()},
            ):
                self.fail(where, message)
            for year, amount in item["amounts"].items():
                output = outputs.get(year)
                ExpenditureAmount.objects.create(
                    line=line,
                    year=self.year(year, where),
                    amount=Decimal(str(amount)),
                    planned_output=Decimal(str(output)) if output is not None else None,
                )

    def _stream(self, key: str, where: str):
        if key not in self.streams:
            self.fail(where, f"round {self.rnd.slug} has no funding stream '{key}'")
        return self.streams[key]

    def _metrics(self):
        metrics = {m.key: m for m in self.rnd.metrics.all()}
        for i, item in enumerate(self.data.get("metrics") or []):
            where = f"metrics[{i}]"
            metric = None
            if "metric" in item:
                metric = metrics.get(item["metric"])
                if metric is None:
                    self.fail(where, f"round {self.rnd.slug} has no metric '{item['metric']}'")
            ambition = MetricAmbition.objects.create(
                plan=self.plan,
                metric=metric,
                local_name=item.get("local_name", ""),
                local_definition=item.get("local_definition", ""),
                local_unit=item.get("local_unit", ""),
                baseline_value=_decimal(item.get("baseline")),
                baseline_period=str(item.get("baseline_period", "")),
                baseline_numerator=_decimal(item.get("baseline_numerator")),
                baseline_denominator=_decimal(item.get("baseline_denominator")),
                rationale=str(item.get("rationale", "")).strip(),
                order=i + 1,
            )
            periods = metric.periods if metric else list(item.get("planned", {}))
            for period, value in (item.get("planned") or {}).items():
                if str(period) not in periods:
                    self.fail(
                        f"{where}.planned", f"'{period}' is not one of the metric's periods: {', '.join(periods)}"
                    )
                PlannedValue.objects.create(
                    ambition=ambition, period=str(period), value=_decimal(value), order=periods.index(str(period))
                )

    def _progress(self):
        sections = {s.key: s for s in Section.objects.filter(round=self.rnd)}
        for status, keys in (self.data.get("progress") or {}).items():
            if status not in SectionProgress.Status.values:
                self.fail(f"progress.{status}", "use completed, in_progress or not_started")
            for key in keys:
                if str(key) not in sections:
                    self.fail(f"progress.{status}", f"round {self.rnd.slug} has no section '{key}'")
                SectionProgress.objects.create(
                    plan=self.plan, section=sections[str(key)], status=status, updated_by=self.author
                )


def _decimal(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))
