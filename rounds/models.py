"""Reference data and the planning round as data.

Regions, HWB areas and organisations, and everything that differs between BCF planning rounds
(years, sections, questions, conditions, metrics, funding streams, code lists, ring-fences,
allocations, sign-off slots, KLOEs, outcomes, labels): rows related to PlanningRound, loaded from a
fixture by rounds.loader, so adding a round needs no code. The lowest layer: it imports no other app.
"""

import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from .columns import columns_of, default_document_columns, default_risk_columns
from .money import MAX_AMOUNT
from .money import MoneyField as MoneyFormField
from .units import POLARITY_CHOICES, UNIT_CHOICES, Measure, measure_for
from .units import STORED_PLACES as MAX_METRIC_PLACES

# The allocation key of an area's minimum pooled budget; the others are funding stream and ring-fence keys.
MINIMUM_POOL_KEY = "minimum_pool"

# Wording the pages and files need when a round's `labels` do not give it (a round made by a
# national administrator, a test round). Neutral on purpose: a round's own wording belongs in
# its fixture, never here.
LABEL_DEFAULTS = {
    "contributor_nhs": "NHS",
    "contributor_la": "Local authority",
    "documents_column_title": "Title",
    "documents_column_synopsis": "Summary and links",
    "risks_column_risk": "Risk",
    "risks_column_rating": "Rating",
    "risks_column_actions": "Mitigating actions",
}


def round_label(labels: dict, key: str) -> str:
    """The round's wording for `key`, or the neutral default when the round does not define it."""
    return labels.get(key) or LABEL_DEFAULTS.get(key, "")


class MoneyField(models.DecimalField):
    """Pounds to the penny; never a float. Its forms (the admin's too) take money as people type it."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": MoneyFormField, **kwargs})


# --- Places ------------------------------------------------------------------------------


class Region(models.Model):
    """An NHS England region; assurers work on the plans of one region."""

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class HwbArea(models.Model):
    """A Health and Wellbeing Board area: an upper-tier local authority, by ONS code."""

    ons_code = models.CharField("ONS code", max_length=9, unique=True)
    name = models.CharField(max_length=150)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="hwb_areas")

    class Meta:
        ordering = ["name"]
        verbose_name = "HWB area"

    def __str__(self):
        return self.name


class OrganisationQuerySet(models.QuerySet):
    def valid_in(self, planning_round: "PlanningRound"):
        """Organisations that exist in the round: no first round after it, no last round before it.

        Rounds are ordered by their final deadline, so a round loaded later still falls in place.
        """
        return self.valid_at(planning_round.final_deadline)

    def valid_at(self, deadline):
        """As valid_in, for a round's final deadline (a value, or an expression such as a subquery)."""
        return self.filter(
            models.Q(first_round__isnull=True) | models.Q(first_round__final_deadline__lte=deadline),
            models.Q(last_round__isnull=True) | models.Q(last_round__final_deadline__gte=deadline),
        )


class Organisation(models.Model):
    class Kind(models.TextChoices):
        LOCAL_AUTHORITY = "local_authority", "Local authority"
        CCG = "ccg", "Clinical commissioning group"
        ICB = "icb", "Integrated care board"
        PROVIDER = "provider", "Provider"
        OTHER = "other", "Other"

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    code = models.CharField("ODS or ONS code", max_length=20, blank=True)
    hwb_areas = models.ManyToManyField(HwbArea, related_name="organisations", blank=True)
    # CCGs gave way to integrated care boards in 2022: an organisation is offered only in the rounds
    # it existed in. Blank means no limit on that side.
    first_round = models.ForeignKey(
        "PlanningRound",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The first round this organisation is valid for; blank for every earlier round.",
    )
    last_round = models.ForeignKey(
        "PlanningRound",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The last round this organisation is valid for; blank for every later round.",
    )

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        first, last = self.first_round, self.last_round
        if first and last and first.final_deadline > last.final_deadline:
            raise ValidationError({"last_round": f"Choose a last round no earlier than {first}, the first round"})

    def is_valid_in(self, planning_round: "PlanningRound") -> bool:
        deadline = planning_round.final_deadline
        return (self.first_round is None or self.first_round.final_deadline <= deadline) and (
            self.last_round is None or self.last_round.final_deadline >= deadline
        )


# --- The planning round as data ------------------------------------------------------


def default_reminder_days() -> list[int]:
    return [14, 7, 1]


def validate_reminder_days(value) -> None:
    if not isinstance(value, list) or not all(isinstance(d, int) and 0 < d <= 365 for d in value):
        raise ValidationError("Enter a list of whole numbers of days from 1 to 365, e.g. [14, 7, 1]")


class PlanningRound(models.Model):
    slug = models.SlugField(max_length=20, unique=True, help_text="Used in URLs and commands, e.g. 2014-15.")
    name = models.CharField(max_length=150)
    draft_deadline = models.DateTimeField(null=True, blank=True)
    final_deadline = models.DateTimeField()
    is_open = models.BooleanField(default=True)
    # Reminders (governance.reminders): areas that have not submitted are emailed this many days before
    # the final deadline, and signatories who have not signed every this many days a plan waits for them.
    reminder_days = models.JSONField(
        default=default_reminder_days,
        blank=True,
        validators=[validate_reminder_days],
        help_text="Days before the final deadline to remind areas that have not submitted, e.g. [14, 7, 1].",
    )
    signature_reminder_days = models.PositiveSmallIntegerField(
        default=3, help_text="Remind signatories who have not signed every this many days a plan waits for them."
    )
    labels = models.JSONField(
        default=dict, blank=True, help_text="Wording that changed between template versions, by key."
    )
    # The columns of the risk register and the documents table (rounds.columns), from the round file.
    risk_columns = models.JSONField(default=default_risk_columns, blank=True)
    document_columns = models.JSONField(default=default_document_columns, blank=True)
    # A new value whenever the round's years, streams, code lists, metrics, conditions,
    # ring-fences or the areas' organisations change (rounds.config), so cached copies of
    # them are never used stale.
    config_version = models.UUIDField(default=uuid.uuid4, editable=False)

    class Meta:
        ordering = ["-final_deadline"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # The version changes only by the UPDATEs in rounds.config. A round saved from a copy
        # read earlier (an admin form, a reload) must not write back the version it read and so
        # undo a change made meanwhile.
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name for f in self._meta.concrete_fields if not f.primary_key and f.name != "config_version"
            ]
        super().save(*args, **kwargs)

    def label(self, key: str) -> str:
        return round_label(self.labels, key)

    def table_columns(self, table: str):
        """The round's columns of the risks or documents table (rounds.columns.TableColumn)."""
        return columns_of(self.risk_columns if table == "risks" else self.document_columns)

    def allocation_keys(self) -> list[str]:
        """What an allocation of this round may be for: the minimum pool, a funding stream or a ring-fence."""
        streams = self.funding_streams.order_by("order").values_list("key", flat=True)
        fences = self.ring_fences.order_by("key").values_list("key", flat=True)
        return [MINIMUM_POOL_KEY, *streams, *fences]


class RoundYear(models.Model):
    """A financial year a round covers, e.g. 2014/15."""

    round = models.ForeignKey(PlanningRound, on_delete=models.CASCADE, related_name="years")
    label = models.CharField(max_length=10)
    order = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["round", "order"]
        constraints = [models.UniqueConstraint(fields=["round", "label"], name="unique_round_year")]

    def __str__(self):
        return self.label


class NationalCondition(models.Model):
    round = models.ForeignKey(PlanningRound, on_delete=models.CASCADE, related_name="national_conditions")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=250)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["round", "number"]
        constraints = [models.UniqueConstraint(fields=["round", "number"], name="unique_condition_number")]

    def __str__(self):
        return f"{self.number}. {self.title}"


class ConditionQuestion(models.Model):
    """A sub-question of a national condition, answered Yes / No / In progress with narrative."""

    condition = models.ForeignKey(NationalCondition, on_delete=models.CASCADE, related_name="questions")
    number = models.CharField(max_length=10, blank=True)
    prompt = models.TextField()
    order = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["condition", "order"]

    def __str__(self):
        return f"{self.condition.number}.{self.order} {self.prompt[:60]}"


class SectionQuerySet(models.QuerySet):
    def of_phase(self, round_id: int, phase_id: int | None):
        """The sections a plan in this phase of the round is asked for.

        The first phase (None: a round without phases has only that one) asks for every section
        not introduced by a later phase; a later phase asks for the sections it lists.
        """
        if phase_id is None:
            return self.filter(round_id=round_id, phase__isnull=True)
        return self.filter(round_id=round_id, phases=phase_id)

    def required(self):
        """The sections a plan must complete: every one but the optional front matter (foreword, introduction)."""
        return self.filter(front_matter=False)


class Section(models.Model):
    """A section of the round's template, in template order; one item of the plan's task list.

    Most sections hold questions. Some hold a table (sign-off, documents, schemes, risks,
    income, expenditure, metrics, capacity and demand) or the sub-questions of a national condition.
    """

    class Table(models.TextChoices):
        NONE = "", "No table"
        SIGNOFF = "signoff", "Sign-off"
        DOCUMENTS = "documents", "Related documents"
        SCHEMES = "schemes", "Schemes"
        RISKS = "risks", "Risks"
        INCOME = "income", "Income"
        EXPENDITURE = "expenditure", "Expenditure"
        METRICS = "metrics", "Metrics"
        CAPACITY_DEMAND = "capacity_demand", "Capacity and demand"

    round = models.ForeignKey(PlanningRound, on_delete=models.CASCADE, related_name="sections")
    key = models.SlugField(max_length=20, help_text="Stable identifier within the round, e.g. 1a, vision-c.")
    part = models.PositiveSmallIntegerField(default=1, choices=[(1, "Part 1"), (2, "Part 2")])
    group_heading = models.CharField(max_length=150, blank=True, help_text="e.g. 1) PLAN DETAILS")
    number = models.CharField(max_length=10, blank=True, help_text="e.g. a)")
    heading = models.CharField(max_length=200)
    prompt = models.TextField(blank=True)
    guidance = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField()
    table = models.CharField(max_length=20, choices=Table.choices, blank=True, default="")
    national_condition = models.ForeignKey(
        NationalCondition, on_delete=models.PROTECT, null=True, blank=True, related_name="sections"
    )
    # A section only a later phase asks for (e.g. the planning update's own questions); blank for the plan's.
    phase = models.ForeignKey(
        "RoundPhase", on_delete=models.PROTECT, null=True, blank=True, related_name="own_sections"
    )
    # Where such a section's answers start from: the plan's section whose questions have the same keys.
    prefill_from = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # Written once for an aligned plan's group (plans.SharedAnswer); each member may add a local addendum.
    shareable = models.BooleanField(default=False)
    # Optional opening matter (foreword, introduction, local picture): never required for completion.
    front_matter = models.BooleanField(default=False)

    objects = SectionQuerySet.as_manager()

    class Meta:
        ordering = ["round", "order"]
        constraints = [
            models.UniqueConstraint(fields=["round", "key"], name="unique_section_key"),
            models.UniqueConstraint(fields=["round", "order"], name="unique_section_order"),
        ]

    def __str__(self):
        return self.title

    @property
    def title(self) -> str:
        return f"{self.number} {self.heading}".strip()


class RoundPhaseQuerySet(models.QuerySet):
    def current(self, round_id: int, phase_id: int | None) -> "RoundPhase | None":
        """The phase a plan is in: its own, or (None) the round's first; None for a round without phases."""
        phases = self.filter(round_id=round_id)
        return phases.filter(pk=phase_id).first() if phase_id else phases.order_by("order").first()

    def following(self, round_id: int, phase_id: int | None) -> "RoundPhase | None":
        """The phase after the plan's (None: after the first); None when it is in the last, or there are none."""
        current = self.current(round_id, phase_id)
        if current is None:
            return None
        return self.filter(round_id=round_id, order__gt=current.order).order_by("order").first()


class RoundPhase(models.Model):
    """A stage of a round with its own template, sign-off and submission, in order.

    The first is the plan; a later one (the 2024/25 planning update) is filled in against the
    approved plan, asks for the sections it lists, and has its own deadline. A round without
    phases has one implicit phase, the plan.
    """

    round = models.ForeignKey(PlanningRound, on_delete=models.CASCADE, related_name="phases")
    key = models.SlugField(max_length=40)
    name = models.CharField(max_length=150, help_text="e.g. 2024/25 planning update")
    order = models.PositiveSmallIntegerField()
    opens_at = models.DateTimeField(
        null=True, blank=True, help_text="When approved plans move into this phase by themselves; blank for never."
    )
    deadline = models.DateTimeField(null=True, blank=True, help_text="Blank: the round's final deadline.")
    sections = models.ManyToManyField(Section, blank=True, related_name="phases")

    objects = RoundPhaseQuerySet.as_manager()

    class Meta:
        ordering = ["round", "order"]
        constraints = [
            models.UniqueConstraint(fields=["round", "key"], name="unique_phase_key"),
            models.UniqueConstraint(fields=["round", "order"], name="unique_phase_order"),
        ]

    def __str__(self):
        return self.name

    @property
    def effective_deadline(self):
        return self.deadline or self.round.final_deadline


class Question(models.Model):
    class Kind(models.TextChoices):
        NARRATIVE = "narrative", "Narrative"
        TEXT = "text", "Short text"
        DATE = "date", "Date"
        MONEY = "money", "Money"
        CONFIRMATION = "confirmation", "Yes/no confirmation"

    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="questions")
    key = models.SlugField(max_length=40)
    label = models.CharField(max_length=250)
    prompt = models.TextField(blank=True)
    guidance = models.TextField(blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    required = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["section", "order"]
        constraints = [models.UniqueConstraint(fields=["section", "key"], name="unique_question_key")]

    def __str__(self):
        return self.label


class RoundListEntry(models.Model):
    """An entry in one of the round's own ordered lists (metrics, funding streams), known by its key."""

    key = models.SlugField(max_length=40)
    order = models.PositiveSmallIntegerField()

    class Meta:
        abstract = True
        ordering = ["round", "order"]

    def __str__(self):
        return self.name


class Metric(RoundListEntry):
    round = models.ForeignKey(PlanningRound, on_delete=models.CASCADE, related_name="metrics")
    name = models.CharField(max_length=250)
    definition = models.TextField()
    unit = models.CharField(max_length=20, choices=UNIT_CHOICES, help_text="How the value is worked out and shown.")
    numerator = models.CharField(max_length=150, blank=True, help_text="e.g. Emergency admissions, aged 65+")
    denominator = models.CharField(max_length=150, blank=True, help_text="e.g. Population aged 65+")
    decimal_places = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_METRIC_PLACES)],
        help_text="Decimal places shown; blank for the unit's own.",
    )
    polarity = models.CharField(max_length=10, choices=POLARITY_CHOICES, blank=True)
    periods = models.JSONField(default=list, help_text="Period labels for planned values, in order.")

    class Meta(RoundListEntry.Meta):
        constraints = [models.UniqueConstraint(fields=["round", "key"], name="unique_metric_key")]

    @property
    def measure(self) -> Measure:
        return measure_for(self)


class FundingStream(RoundListEntry):
    class Contributor(models.TextChoices):
        # What a person reads comes from the round's labels (contributor_label): the NHS body's name changed.
        NHS = "nhs", "NHS"
        LOCAL_AUTHORITY = "la", "Local authority"

    round = models.ForeignKey(PlanningRound, on_delete=models.CASCADE, related_name="funding_streams")
    name = models.CharField(max_length=200)
    contributor = models.CharField(max_length=10, choices=Contributor.choices)
    is_mandatory = models.BooleanField(default=True, help_text="Part of the minimum pool.")

    class Meta(RoundListEntry.Meta):
        constraints = [models.UniqueConstraint(fields=["round", "key"], name="unique_stream_key")]

    def contributor_label(self, labels: dict) -> str:
        """Who pays in, in the round's own words (labels contributor_nhs and contributor_la)."""
        return round_label(labels, f"contributor_{self.contributor}")


class OutputUnit(RoundListEntry):
    """A unit a scheme type's planned outputs are counted in, e.g. packages, beds, hours of care."""

    round = models.ForeignKey(PlanningRound, on_delete=models.CASCADE, related_name="output_units")
    label = models.CharField(max_length=100)

    class Meta(RoundListEntry.Meta):
        constraints = [models.UniqueConstraint(fields=["round", "key"], name="unique_output_unit_key")]

    def __str__(self):
        return self.label


class SplitRule(models.Model):
    """Which expenditure lines are jointly commissioned: a line whose commissioner is one of
    `commissioners` (codes), on one of `funding_streams` (keys; empty means every stream), must give
    its % NHS / % LA split, and every other line must leave it blank. A round with no rules keeps the
    split optional (both or neither, adding up to 100)."""

    round = models.ForeignKey(PlanningRound, on_delete=models.CASCADE, related_name="split_rules")
    order = models.PositiveSmallIntegerField()
    commissioners = models.JSONField(default=list, help_text="Commissioner codes that mean a joint line.")
    funding_streams = models.JSONField(
        default=list, blank=True, help_text="Funding stream keys the rule applies to; empty for every stream."
    )

    class Meta:
        ordering = ["round", "order"]
        constraints = [models.UniqueConstraint(fields=["round", "order"], name="unique_split_rule_order")]

    def __str__(self):
        return f"Joint: {', '.join(self.commissioners)}"


class CodeListEntry(models.Model):
    """One value of one of the round's code lists (scheme types, areas of spend, …)."""

    class List(models.TextChoices):
        SCHEME_TYPE = "scheme_type", "Scheme type"
        SCHEME_SUBTYPE = "scheme_subtype", "Scheme sub-type"
        AREA_OF_SPEND = "area_of_spend", "Area of spend"
        COMMISSIONER = "commissioner", "Commissioner"
        PROVIDER = "provider", "Provider type"
        RISK_RATING = "risk_rating", "Risk rating"

    round = models.ForeignKey(PlanningRound, on_delete=models.CASCADE, related_name="code_entries")
    list = models.CharField(max_length=20, choices=List.choices)
    code = models.SlugField(max_length=60)
    label = models.CharField(max_length=200)
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children", help_text="For sub-types."
    )
    # A scheme type's planned-output unit: lines of that type record a planned output per year in it.
    output_unit = models.ForeignKey(OutputUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["round", "list", "order", "label"]
        verbose_name_plural = "code list entries"
        constraints = [models.UniqueConstraint(fields=["round", "list", "code"], name="unique_code_entry")]

    def __str__(self):
        return self.label


class RingFence(models.Model):
    """A minimum spend the round requires, e.g. NHS contribution to adult social care.

    Spend on expenditure lines matching the filters (funding stream, area of spend,
    commissioner) must be at least the area's allocation with the same key. With a `share`, a
    jointly commissioned line (one with a % NHS / % LA split) counts by that share of it, whatever
    its commissioner; without one, matching lines count whole.
    """

    class Share(models.TextChoices):
        WHOLE = "", "The whole line"
        NHS = "nhs", "The % NHS of a joint line"
        LOCAL_AUTHORITY = "la", "The % LA of a joint line"

    round = models.ForeignKey(PlanningRound, on_delete=models.CASCADE, related_name="ring_fences")
    key = models.SlugField(max_length=40)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    funding_stream = models.ForeignKey(FundingStream, on_delete=models.CASCADE, null=True, blank=True)
    area_of_spend = models.ForeignKey(CodeListEntry, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    commissioner = models.ForeignKey(CodeListEntry, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    share = models.CharField(max_length=3, choices=Share.choices, blank=True, default="")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "key"], name="unique_ring_fence_key")]

    def __str__(self):
        return self.name


class Allocation(models.Model):
    """An HWB area's published figure for a round and year: a minimum contribution or ring-fence.

    `key` is "minimum_pool", a funding stream key (its minimum), or a ring-fence key.
    """

    round = models.ForeignKey(PlanningRound, on_delete=models.CASCADE, related_name="allocations")
    hwb_area = models.ForeignKey(HwbArea, on_delete=models.CASCADE, related_name="allocations")
    year = models.ForeignKey(RoundYear, on_delete=models.CASCADE, related_name="allocations")
    key = models.SlugField(max_length=40)
    amount = MoneyField(validators=[MinValueValidator(0), MaxValueValidator(MAX_AMOUNT)])

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "hwb_area", "year", "key"], name="unique_allocation"),
            models.CheckConstraint(name="allocation_not_negative", condition=models.Q(amount__gte=0)),
        ]

    def __str__(self):
        return f"{self.hwb_area} {self.year} {self.key}: £{self.amount:,}"

    def clean(self):
        """The key and the year must be the round's own: a key it does not define is ignored by every check."""
        if self.round_id is None:
            return
        errors = {}
        if self.year_id is not None and self.year.round_id != self.round_id:
            years = ", ".join(self.round.years.order_by("order").values_list("label", flat=True))
            errors["year"] = f"{self.year} is a year of {self.year.round}, not of {self.round}. Choose one of: {years}"
        keys = self.round.allocation_keys()
        if self.key and self.key not in keys:
            errors["key"] = f"‘{self.key}’ is not an allocation of {self.round}. Enter one of: {', '.join(keys)}"
        if errors:
            raise ValidationError(errors)


class IcbAllocation(models.Model):
    """Money a round allocates to an integrated care board rather than to one HWB area.

    The ICB agrees with the HWB areas it serves (its `hwb_areas`, from the reference data) how to
    share the amount; each area's plan records its share as income from the ICB for the stream,
    and finance.rules checks that the shares do not exceed the ICB's amount.
    """

    round = models.ForeignKey(PlanningRound, on_delete=models.CASCADE, related_name="icb_allocations")
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="icb_allocations",
        limit_choices_to={"kind": Organisation.Kind.ICB},
        verbose_name="ICB",
    )
    year = models.ForeignKey(RoundYear, on_delete=models.CASCADE, related_name="icb_allocations")
    funding_stream = models.ForeignKey(FundingStream, on_delete=models.CASCADE, related_name="icb_allocations")
    amount = MoneyField(validators=[MinValueValidator(0), MaxValueValidator(MAX_AMOUNT)])

    class Meta:
        verbose_name = "ICB allocation"
        constraints = [
            models.UniqueConstraint(
                fields=["round", "organisation", "year", "funding_stream"], name="unique_icb_allocation"
            ),
            models.CheckConstraint(name="icb_allocation_not_negative", condition=models.Q(amount__gte=0)),
        ]

    def __str__(self):
        return f"{self.organisation} {self.year} {self.funding_stream}: £{self.amount:,}"

    def clean(self):
        """Only an ICB, and only the round's own years and streams: anything else no plan could match."""
        errors = {}
        if self.organisation_id is not None and self.organisation.kind != Organisation.Kind.ICB:
            errors["organisation"] = f"{self.organisation} is not an integrated care board. Choose an ICB"
        if self.round_id is not None:
            if self.year_id is not None and self.year.round_id != self.round_id:
                errors["year"] = f"{self.year} is a year of {self.year.round}, not of {self.round}"
            if self.funding_stream_id is not None and self.funding_stream.round_id != self.round_id:
                errors["funding_stream"] = f"{self.funding_stream} is a funding stream of another round"
        if errors:
            raise ValidationError(errors)


class SignOffSlot(models.Model):
    round = models.ForeignKey(PlanningRound, on_delete=models.CASCADE, related_name="signoff_slots")
    code = models.SlugField(max_length=40, help_text="Matches Membership.signoff_slot_code, e.g. ccg, council.")
    title = models.CharField(max_length=200, help_text="e.g. Signed on behalf of the Council")
    organisation_kind = models.CharField(max_length=20, choices=Organisation.Kind.choices, blank=True)
    by_label = models.CharField(max_length=100, default="By")
    has_position = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["round", "order"]
        constraints = [models.UniqueConstraint(fields=["round", "code"], name="unique_signoff_slot")]

    def __str__(self):
        return self.title

    @property
    def named_position(self) -> str:
        """The position a slot that asks for none names in its label: "By Chair of the Board" → "Chair of the Board"."""
        label = self.by_label.strip()
        if self.has_position or not label.lower().startswith("by "):
            return ""
        return label[3:].strip()


class KeyLineOfEnquiry(models.Model):
    round = models.ForeignKey(PlanningRound, on_delete=models.CASCADE, related_name="kloes")
    code = models.CharField(max_length=20)
    title = models.CharField(max_length=250)
    description = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["round", "order"]
        verbose_name = "key line of enquiry"
        verbose_name_plural = "key lines of enquiry"
        constraints = [models.UniqueConstraint(fields=["round", "code"], name="unique_kloe_code")]

    def __str__(self):
        return f"{self.code} {self.title}"


class OutcomeCategory(models.Model):
    round = models.ForeignKey(PlanningRound, on_delete=models.CASCADE, related_name="outcomes")
    code = models.SlugField(max_length=40)
    label = models.CharField(max_length=100)
    is_approval = models.BooleanField(default=False)
    requires_conditions = models.BooleanField(default=False)
    order = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["round", "order"]
        verbose_name_plural = "outcome categories"
        constraints = [models.UniqueConstraint(fields=["round", "code"], name="unique_outcome_code")]

    def __str__(self):
        return self.label


class CapacityDemandTable(models.Model):
    """The round's capacity and demand table: service types (rows) in blocks, by period (columns).

    Plans enter demand and capacity per service type and period (capacity.CapacityDemandFigure);
    the gap (capacity − demand) is computed, never stored. Blocks and rows are kept as the round
    file gives them (validated by the loader); `definition` reads them as frozen values.
    """

    round = models.OneToOneField(PlanningRound, on_delete=models.CASCADE, related_name="capacity_demand")
    periods = models.JSONField(default=list, help_text="Period labels (columns), in order, e.g. Apr 2025.")
    blocks = models.JSONField(
        default=list, help_text="[{key, label, rows: [{key, label, pathway}]}], in order; row keys unique."
    )
    demand_label = models.CharField(max_length=100, default="Demand")
    capacity_label = models.CharField(max_length=100, default="Capacity")
    gap_label = models.CharField(max_length=100, default="Gap (capacity minus demand)")
    pathway_label = models.CharField(max_length=100, default="Pathway")

    class Meta:
        verbose_name = "capacity and demand table"

    def __str__(self):
        return f"Capacity and demand, {self.round}"

    @property
    def definition(self) -> "CapacityDemand":
        return CapacityDemand(
            periods=tuple(str(p) for p in self.periods),
            blocks=tuple(
                CapacityBlock(
                    key=b["key"],
                    label=b["label"],
                    rows=tuple(CapacityRow(r["key"], r["label"], r.get("pathway", "")) for r in b["rows"]),
                )
                for b in self.blocks
            ),
            demand_label=self.demand_label,
            capacity_label=self.capacity_label,
            gap_label=self.gap_label,
            pathway_label=self.pathway_label,
        )


@dataclass(frozen=True)
class CapacityRow:
    key: str
    label: str  # the service type
    pathway: str  # e.g. a discharge pathway "1"; blank when the round gives none


@dataclass(frozen=True)
class CapacityBlock:
    key: str
    label: str
    rows: tuple[CapacityRow, ...]


@dataclass(frozen=True)
class CapacityDemand:
    """A round's capacity and demand table as plain values (shared by cached round configs: read only)."""

    periods: tuple[str, ...]
    blocks: tuple[CapacityBlock, ...]
    demand_label: str
    capacity_label: str
    gap_label: str
    pathway_label: str

    @property
    def rows(self) -> tuple[CapacityRow, ...]:
        return tuple(row for block in self.blocks for row in block.rows)

    def block(self, key: str) -> CapacityBlock | None:
        return next((b for b in self.blocks if b.key == key), None)


# --- Monitoring returns: what a round asks of its approved plans every quarter and at year end ---


class ReturnTemplate(models.Model):
    """The round's monitoring return (e.g. the 2015-16 quarterly reporting template), as data."""

    round = models.OneToOneField(PlanningRound, on_delete=models.CASCADE, related_name="return_template")
    name = models.CharField(max_length=150, help_text="e.g. Quarterly reporting template")
    # A line whose actual differs from its planned amount by more than this needs an explanation.
    variance_percent = models.DecimalField(max_digits=5, decimal_places=2, default=10)
    amount_max = models.DecimalField(
        max_digits=14, decimal_places=2, default=100_000_000, help_text="Largest amount a return accepts, in £."
    )

    def __str__(self):
        return self.name


class ReturnPeriod(models.Model):
    """A quarter or the year end that approved plans report on, with its deadline."""

    round = models.ForeignKey(PlanningRound, on_delete=models.CASCADE, related_name="return_periods")
    key = models.SlugField(max_length=40, help_text="e.g. q1-2015-16")
    name = models.CharField(max_length=100, help_text="e.g. Quarter 1 2015/16")
    year = models.ForeignKey(RoundYear, on_delete=models.PROTECT, related_name="+")
    # How much of the year's planned amounts is due by the period's end (25 for Q1, 100 at year end).
    share_of_year = models.DecimalField(max_digits=5, decimal_places=2)
    period_end = models.DateField()
    deadline = models.DateTimeField()
    # The metric periods whose planned values this return reports against, first match per metric.
    metric_periods = models.JSONField(default=list, blank=True)
    order = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["round", "order"]
        constraints = [
            models.UniqueConstraint(fields=["round", "key"], name="unique_return_period_key"),
            models.CheckConstraint(
                name="return_period_share_is_a_percentage",
                condition=models.Q(share_of_year__gt=0, share_of_year__lte=100),
            ),
        ]

    def __str__(self):
        return self.name


class ReturnPart(models.Model):
    """One part of the return (a sheet of the old template): questions, or a report on part of the plan."""

    class ReportsOn(models.TextChoices):
        QUESTIONS = "", "Its own questions"
        CONDITIONS = "conditions", "The plan's national conditions"
        FINANCE = "finance", "The plan's income and expenditure"
        METRICS = "metrics", "The plan's metrics"

    round = models.ForeignKey(PlanningRound, on_delete=models.CASCADE, related_name="return_parts")
    key = models.SlugField(max_length=40)
    title = models.CharField(max_length=150)
    description = models.TextField(blank=True)
    reports_on = models.CharField(max_length=20, choices=ReportsOn.choices, blank=True)
    order = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["round", "order"]
        constraints = [models.UniqueConstraint(fields=["round", "key"], name="unique_return_part_key")]

    def __str__(self):
        return self.title


class ReturnQuestion(models.Model):
    """A question a part of the return asks."""

    class Kind(models.TextChoices):
        CONFIRM = "confirm", "Confirmation"
        YES_NO = "yes_no", "Yes or no (a date and an explanation when no)"
        NARRATIVE = "narrative", "Narrative"

    part = models.ForeignKey(ReturnPart, on_delete=models.CASCADE, related_name="questions")
    key = models.SlugField(max_length=40)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    prompt = models.TextField()
    hint = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["part", "order"]
        constraints = [models.UniqueConstraint(fields=["part", "key"], name="unique_return_question_key")]

    def __str__(self):
        return self.prompt[:60]
