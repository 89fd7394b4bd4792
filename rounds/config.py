"""A planning round's configuration, read once per process and reused while it is unchanged.

Every Part 2 read needs the round's years, funding streams, code lists, metrics, national
conditions, ring-fences, capacity and demand table and published allocations, and the area's organisations, and
every section page the round's sections and questions: the same rows for every plan in the round, read on every
page and export. They change only when a round is
loaded again or edited in the admin, and every such change gives the round a new
`config_version` (the receivers below; an organisation changed or linked to another area
renews every round's), so a cached copy is never used after a change. The version comes with
the plan's round, or costs one small query.

Cached objects are shared between requests and threads: read them, never modify them.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from django.core.cache import cache
from django.db.models import Prefetch, Subquery
from django.db.models.signals import m2m_changed, post_delete, post_save

from .columns import TableColumn, columns_of
from .models import (
    Allocation,
    CapacityDemand,
    CapacityDemandTable,
    CodeListEntry,
    ConditionQuestion,
    FundingStream,
    HwbArea,
    IcbAllocation,
    Metric,
    NationalCondition,
    Organisation,
    OutputUnit,
    PlanningRound,
    Question,
    RingFence,
    RoundPhase,
    RoundYear,
    Section,
    SplitRule,
)


@dataclass(frozen=True)
class RoundConfig:
    years: list[RoundYear]
    streams: list[FundingStream]
    codes: dict[str, list[CodeListEntry]]  # list name -> entries in order
    metrics: list[Metric]
    conditions: list[NationalCondition]  # each with its questions prefetched
    ring_fences: list[RingFence]  # with stream, area of spend and commissioner attached
    split_rules: list[SplitRule]  # which lines are jointly commissioned (finance.rules.is_joint)
    output_units: list[OutputUnit]  # attached to the scheme types that name them
    allocations: dict[int, list[Allocation]]  # HWB area id -> the area's published allocations, year attached
    organisations: dict[int, list[Organisation]]  # HWB area id -> the area's organisations, by name
    # HWB area id -> the allocations of the ICBs that serve the area (organisation, year, stream attached)
    icb_allocations: dict[int, list[IcbAllocation]]
    icb_areas: dict[int, list[HwbArea]]  # ICB organisation id -> the HWB areas that share its allocations, by name
    year_by_id: dict[int, RoundYear]
    stream_by_id: dict[int, FundingStream]
    code_by_id: dict[int, CodeListEntry]
    metric_by_id: dict[int, Metric]
    question_by_id: dict[int, ConditionQuestion]
    risk_columns: tuple[TableColumn, ...] = ()  # the round's risk register columns (rounds.columns)
    document_columns: tuple[TableColumn, ...] = ()
    capacity_demand: CapacityDemand | None = None  # the round's capacity and demand table, if it has one
    # Every section in template order, its questions (in order) and national condition attached.
    sections: tuple[Section, ...] = ()
    phase_section_ids: dict[int, frozenset[int]] = field(default_factory=dict)  # phase id -> the sections it lists

    def sections_of_phase(self, phase_id: int | None) -> list[Section]:
        """What Section.objects.of_phase(round, phase) reads, in template order, without a query."""
        if phase_id is None:
            return [s for s in self.sections if s.phase_id is None]
        listed = self.phase_section_ids.get(phase_id, frozenset())
        return [s for s in self.sections if s.pk in listed]


def round_config(round_id: int, version: uuid.UUID | None = None) -> RoundConfig:
    """The round's configuration; pass the round's config_version if it was just read with the plan."""
    if version is None:
        version = PlanningRound.objects.filter(pk=round_id).values_list("config_version", flat=True).first()
    return _read(round_id, version)


@lru_cache(maxsize=32)
def _read(round_id: int, version: uuid.UUID | None) -> RoundConfig:
    """In this process's memory first; then Django's cache, which every web process and worker shares
    (Redis in production), so a process started on deadline day does not read it all again."""
    key = f"round-config:{round_id}:{version}"
    config = cache.get(key)
    if config is None:
        config = _read_from_database(round_id)
        cache.set(key, config, timeout=7 * 24 * 3600)
    return config


def _read_from_database(round_id: int) -> RoundConfig:
    output_units = list(OutputUnit.objects.filter(round_id=round_id).order_by("order"))
    unit_by_id = {unit.pk: unit for unit in output_units}
    codes: dict[str, list[CodeListEntry]] = defaultdict(list)
    for entry in CodeListEntry.objects.filter(round_id=round_id).order_by("list", "order", "label"):
        CodeListEntry.output_unit.field.set_cached_value(entry, unit_by_id.get(entry.output_unit_id))
        codes[entry.list].append(entry)
    code_by_id = {entry.pk: entry for entries in codes.values() for entry in entries}
    years = list(RoundYear.objects.filter(round_id=round_id).order_by("order"))
    streams = list(FundingStream.objects.filter(round_id=round_id).order_by("order"))
    stream_by_id = {s.pk: s for s in streams}
    metrics = list(Metric.objects.filter(round_id=round_id).order_by("order"))
    questions = Prefetch("questions", queryset=ConditionQuestion.objects.order_by("order"))
    conditions = list(
        NationalCondition.objects.filter(round_id=round_id).prefetch_related(questions).order_by("number")
    )
    ring_fences = list(RingFence.objects.filter(round_id=round_id).order_by("pk"))
    for fence in ring_fences:
        for name, known in (
            ("funding_stream", stream_by_id),
            ("area_of_spend", code_by_id),
            ("commissioner", code_by_id),
        ):
            field = RingFence._meta.get_field(name)
            if (value := known.get(getattr(fence, field.attname))) is not None:
                field.set_cached_value(fence, value)
    year_by_id = {y.pk: y for y in years}
    allocations: dict[int, list[Allocation]] = defaultdict(list)
    for allocation in Allocation.objects.filter(round_id=round_id).order_by("pk"):
        Allocation.year.field.set_cached_value(allocation, year_by_id[allocation.year_id])
        allocations[allocation.hwb_area_id].append(allocation)
    organisations: dict[int, list[Organisation]] = defaultdict(list)
    # One query, links and organisations together, so a link committed meanwhile cannot name an
    # organisation this read did not see.
    # Only the organisations that exist in this round (Organisation.first_round, last_round).
    deadline = Subquery(PlanningRound.objects.filter(pk=round_id).values("final_deadline"))
    valid = Organisation.objects.valid_at(deadline).values("pk")
    served: dict[int, list[HwbArea]] = defaultdict(list)
    links = Organisation.hwb_areas.through.objects.filter(organisation__in=valid)
    for link in links.select_related("organisation", "hwbarea"):
        organisations[link.hwbarea_id].append(link.organisation)
        served[link.organisation_id].append(link.hwbarea)
    for area_organisations in organisations.values():
        area_organisations.sort(key=lambda o: o.name)
    table_columns = PlanningRound.objects.filter(pk=round_id).values_list("risk_columns", "document_columns").first()
    risk_columns, document_columns = table_columns or ([], [])
    icb_allocations: dict[int, list[IcbAllocation]] = defaultdict(list)
    icb_areas: dict[int, list[HwbArea]] = {}
    for allocation in IcbAllocation.objects.filter(round_id=round_id).select_related("organisation").order_by("pk"):
        IcbAllocation.year.field.set_cached_value(allocation, year_by_id[allocation.year_id])
        IcbAllocation.funding_stream.field.set_cached_value(allocation, stream_by_id[allocation.funding_stream_id])
        areas = icb_areas.setdefault(allocation.organisation_id, sorted(served[allocation.organisation_id], key=str))
        for area in areas:
            icb_allocations[area.pk].append(allocation)
    table = CapacityDemandTable.objects.filter(round_id=round_id).first()
    condition_by_id = {c.pk: c for c in conditions}
    ordered_questions = Prefetch("questions", queryset=Question.objects.order_by("order"))
    sections = list(Section.objects.filter(round_id=round_id).prefetch_related(ordered_questions).order_by("order"))
    for section in sections:
        Section.national_condition.field.set_cached_value(section, condition_by_id.get(section.national_condition_id))
    phase_section_ids: dict[int, set[int]] = defaultdict(set)
    for phase_id, section_id in RoundPhase.sections.through.objects.filter(roundphase__round_id=round_id).values_list(
        "roundphase_id", "section_id"
    ):
        phase_section_ids[phase_id].add(section_id)
    return RoundConfig(
        sections=tuple(sections),
        phase_section_ids={phase: frozenset(ids) for phase, ids in phase_section_ids.items()},
        risk_columns=columns_of(risk_columns),
        document_columns=columns_of(document_columns),
        capacity_demand=table.definition if table is not None else None,
        years=years,
        streams=streams,
        codes=dict(codes),
        metrics=metrics,
        conditions=conditions,
        ring_fences=ring_fences,
        split_rules=list(SplitRule.objects.filter(round_id=round_id).order_by("order")),
        output_units=output_units,
        allocations=dict(allocations),
        organisations=dict(organisations),
        icb_allocations=dict(icb_allocations),
        icb_areas=icb_areas,
        year_by_id=year_by_id,
        stream_by_id=stream_by_id,
        code_by_id=code_by_id,
        metric_by_id={m.pk: m for m in metrics},
        question_by_id={q.pk: q for c in conditions for q in c.questions.all()},
    )


def bump_config_version(round_id: int) -> None:
    PlanningRound.objects.filter(pk=round_id).update(config_version=uuid.uuid4())


def bump_all_config_versions() -> None:
    """For changes every round sees (organisations), and for bulk loads, which send no signals."""
    PlanningRound.objects.update(config_version=uuid.uuid4())


CONFIG_MODELS = (
    RoundYear,
    FundingStream,
    CodeListEntry,
    Metric,
    NationalCondition,
    RingFence,
    Allocation,
    SplitRule,
    OutputUnit,
    IcbAllocation,
    CapacityDemandTable,
    Section,
    RoundPhase,
)


def _config_changed(sender, instance, **kwargs):
    bump_config_version(instance.round_id)


def _organisations_changed(sender, **kwargs):
    if kwargs.get("action", "post_").startswith("post_"):  # m2m_changed is sent before and after
        bump_all_config_versions()


def _question_changed(sender, instance, **kwargs):
    PlanningRound.objects.filter(national_conditions=instance.condition_id).update(config_version=uuid.uuid4())


def _section_question_changed(sender, instance, **kwargs):
    PlanningRound.objects.filter(sections=instance.section_id).update(config_version=uuid.uuid4())


def _phase_sections_changed(sender, instance, **kwargs):
    if kwargs.get("action", "").startswith("post_"):
        bump_config_version(instance.round_id)  # a RoundPhase or a Section, by which side changed the link


for _model in CONFIG_MODELS:
    post_save.connect(_config_changed, sender=_model, dispatch_uid=f"round_config_saved_{_model.__name__}")
    post_delete.connect(_config_changed, sender=_model, dispatch_uid=f"round_config_deleted_{_model.__name__}")
post_save.connect(_question_changed, sender=ConditionQuestion, dispatch_uid="round_config_question_saved")
post_delete.connect(_question_changed, sender=ConditionQuestion, dispatch_uid="round_config_question_deleted")
post_save.connect(_section_question_changed, sender=Question, dispatch_uid="round_config_section_question_saved")
post_delete.connect(_section_question_changed, sender=Question, dispatch_uid="round_config_section_question_deleted")
m2m_changed.connect(
    _phase_sections_changed, sender=RoundPhase.sections.through, dispatch_uid="round_config_phase_sections"
)
post_save.connect(_organisations_changed, sender=Organisation, dispatch_uid="round_config_organisation_saved")
post_delete.connect(_organisations_changed, sender=Organisation, dispatch_uid="round_config_organisation_deleted")
m2m_changed.connect(
    _organisations_changed, sender=Organisation.hwb_areas.through, dispatch_uid="round_config_organisation_areas"
)
