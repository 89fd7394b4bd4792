"""Who plans where, the planning round as data, and the plan with its Part 1 answers.

Everything that differs between BCF planning rounds (sections, questions, conditions,
metrics, funding streams, code lists, sign-off slots, KLOEs, outcomes, labels) is a row
related to PlanningRound, loaded from a fixture: adding a round needs no code.
"""

import uuid

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from simple_history.models import HistoricalRecords

from .money import MAX_AMOUNT
from .money import MoneyField as MoneyFormField


class MoneyField(models.DecimalField):
    """Pounds to the penny; never a float. Its forms (the admin's too) take money as people type it."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": MoneyFormField, **kwargs})


# --- People and places -------------------------------------------------------------


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("Users must have an email address.")
        user = self.model(email=email, **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=self.model.normalize_username(username))


class User(AbstractUser):
    """A person who signs in with their email address."""

    username = None
    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    job_title = models.CharField(max_length=200, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    objects = UserManager()

    class Meta(AbstractUser.Meta):
        constraints = [
            # Backs normalize_username: even a write that bypasses save() cannot add a second
            # account for an address that differs only in case.
            models.UniqueConstraint(
                Lower("email"),
                name="user_email_unique_ignoring_case",
                violation_error_message="A user with this email address already exists.",
            ),
        ]

    def __str__(self):
        return self.full_name or self.email

    @classmethod
    def normalize_username(cls, username):
        """An email address as stored and compared: trimmed and in lower case.

        Sign-in, the lockout count (settings.AXES_USERNAME_CALLABLE), single sign-on and account
        creation all use this, so "Amy@x" and " amy@x" are one account with one lockout.
        """
        username = super().normalize_username(username)
        return username.strip().lower() if isinstance(username, str) else username

    def save(self, *args, **kwargs):
        self.email = self.normalize_username(self.email)
        super().save(*args, **kwargs)

    def get_full_name(self):
        return self.full_name or self.email

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email


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

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Membership(models.Model):
    """A user's role in an HWB area, an organisation or a region.

    Commissioners, signatories and viewers belong to an HWB area; a signatory also names
    the sign-off slot code they hold (slot codes are shared across rounds, e.g. "ccg").
    Assurers belong to a region; national admins need neither.
    """

    class Role(models.TextChoices):
        COMMISSIONER = "commissioner", "Commissioner"
        SIGNATORY = "signatory", "Signatory"
        ASSURER = "assurer", "Assurer"
        NATIONAL_ADMIN = "national_admin", "National administrator"
        VIEWER = "viewer", "Read-only viewer"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    hwb_area = models.ForeignKey(HwbArea, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships"
    )
    region = models.ForeignKey(Region, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships")
    signoff_slot_code = models.CharField(max_length=40, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="membership_scope_matches_role",
                condition=(
                    models.Q(role="national_admin")
                    | models.Q(role="assurer", region__isnull=False)
                    | models.Q(role__in=["commissioner", "viewer"], hwb_area__isnull=False)
                    | models.Q(role="signatory", hwb_area__isnull=False, signoff_slot_code__gt="")
                ),
            ),
        ]

    def __str__(self):
        scope = self.hwb_area or self.region or "national"
        return f"{self.user} — {self.get_role_display()} ({scope})"


# --- The planning round as data ------------------------------------------------------


class PlanningRound(models.Model):
    slug = models.SlugField(max_length=20, unique=True, help_text="Used in URLs and commands, e.g. 2014-15.")
    name = models.CharField(max_length=150)
    draft_deadline = models.DateTimeField(null=True, blank=True)
    final_deadline = models.DateTimeField()
    is_open = models.BooleanField(default=True)
    labels = models.JSONField(
        default=dict, blank=True, help_text="Wording that changed between template versions, by key."
    )
    # A new value whenever the round's years, streams, code lists, metrics, conditions,
    # ring-fences or the areas' organisations change (plans.round_config), so cached copies of
    # them are never used stale.
    config_version = models.UUIDField(default=uuid.uuid4, editable=False)

    class Meta:
        ordering = ["-final_deadline"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # The version changes only by the UPDATEs in plans.round_config. A round saved from a copy
        # read earlier (an admin form, a reload) must not write back the version it read and so
        # undo a change made meanwhile.
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name for f in self._meta.concrete_fields if not f.primary_key and f.name != "config_version"
            ]
        super().save(*args, **kwargs)

    def label(self, key: str, default: str = "") -> str:
        return self.labels.get(key, default)


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


class Section(models.Model):
    """A section of the round's template, in template order; one item of the plan's task list.

    Most sections hold questions. Some hold a table (sign-off, documents, schemes, risks,
    income, expenditure, metrics) or the sub-questions of a national condition.
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


class Metric(models.Model):
    class Unit(models.TextChoices):
        RATE_PER_100K = "rate_per_100k", "Rate per 100,000 population"
        PERCENTAGE = "percentage", "Percentage"
        COUNT = "count", "Count"
        DAYS = "days", "Days"

    round = models.ForeignKey(PlanningRound, on_delete=models.CASCADE, related_name="metrics")
    key = models.SlugField(max_length=40)
    name = models.CharField(max_length=250)
    definition = models.TextField()
    unit = models.CharField(max_length=20, choices=Unit.choices)
    denominator = models.CharField(max_length=150, blank=True, help_text="e.g. Population aged 65+")
    periods = models.JSONField(default=list, help_text="Period labels for planned values, in order.")
    order = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["round", "order"]
        constraints = [models.UniqueConstraint(fields=["round", "key"], name="unique_metric_key")]

    def __str__(self):
        return self.name


class FundingStream(models.Model):
    class Contributor(models.TextChoices):
        NHS = "nhs", "NHS (CCG or ICB)"
        LOCAL_AUTHORITY = "la", "Local authority"

    round = models.ForeignKey(PlanningRound, on_delete=models.CASCADE, related_name="funding_streams")
    key = models.SlugField(max_length=40)
    name = models.CharField(max_length=200)
    contributor = models.CharField(max_length=10, choices=Contributor.choices)
    is_mandatory = models.BooleanField(default=True, help_text="Part of the minimum pool.")
    order = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["round", "order"]
        constraints = [models.UniqueConstraint(fields=["round", "key"], name="unique_stream_key")]

    def __str__(self):
        return self.name


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
    commissioner) must be at least the area's allocation with the same key.
    """

    round = models.ForeignKey(PlanningRound, on_delete=models.CASCADE, related_name="ring_fences")
    key = models.SlugField(max_length=40)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    funding_stream = models.ForeignKey(FundingStream, on_delete=models.CASCADE, null=True, blank=True)
    area_of_spend = models.ForeignKey(CodeListEntry, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    commissioner = models.ForeignKey(CodeListEntry, on_delete=models.CASCADE, null=True, blank=True, related_name="+")

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


# --- The plan ----------------------------------------------------------------------


class PlanGroup(models.Model):
    """An aligned plan across several HWB areas (shared narrative; finance stays per area)."""

    round = models.ForeignKey(PlanningRound, on_delete=models.CASCADE, related_name="plan_groups")
    name = models.CharField(max_length=200)

    def __str__(self):
        return self.name


class Plan(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        READY_FOR_SIGNOFF = "ready_for_signoff", "Ready for sign-off"
        SIGNED_OFF = "signed_off", "Signed off"
        SUBMITTED = "submitted", "Submitted"
        IN_ASSURANCE = "in_assurance", "In assurance"
        APPROVED = "approved", "Approved"
        APPROVED_WITH_CONDITIONS = "approved_with_conditions", "Approved with conditions"
        NOT_APPROVED = "not_approved", "Not approved"

    round = models.ForeignKey(PlanningRound, on_delete=models.PROTECT, related_name="plans")
    hwb_area = models.ForeignKey(HwbArea, on_delete=models.PROTECT, related_name="plans")
    group = models.ForeignKey(PlanGroup, on_delete=models.SET_NULL, null=True, blank=True, related_name="plans")
    status = models.CharField(max_length=30, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(default=1, help_text="Increases each time the plan is reopened.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["round", "hwb_area__name"]
        constraints = [models.UniqueConstraint(fields=["round", "hwb_area"], name="one_plan_per_area_per_round")]

    def __str__(self):
        return f"{self.hwb_area} — {self.round}"


class Answer(models.Model):
    """The answer to one question of the template. `version` guards against lost updates."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    text = models.TextField(blank=True)
    date = models.DateField(null=True, blank=True)
    money = MoneyField(null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(MAX_AMOUNT)])
    confirmed = models.BooleanField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["plan", "question"], name="one_answer_per_question"),
            models.CheckConstraint(name="answer_money_not_negative", condition=models.Q(money__gte=0)),
        ]

    def __str__(self):
        return f"{self.plan}: {self.question}"


class SectionProgress(models.Model):
    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="section_progress")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NOT_STARTED)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name_plural = "section progress"
        constraints = [models.UniqueConstraint(fields=["plan", "section"], name="one_progress_per_section")]


class RelatedDocument(models.Model):
    markdown_fields = ("synopsis",)  # kept within plans.markdown's limits by plans.services.save_row

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="documents")
    ref = models.CharField(max_length=20, blank=True)
    title = models.CharField(max_length=250)
    synopsis = models.TextField(blank=True)
    url = models.URLField(blank=True, max_length=500)
    file = models.FileField(upload_to="documents/%Y/", blank=True)
    original_filename = models.CharField(max_length=255, blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    class Meta:
        ordering = ["plan", "order", "id"]

    def __str__(self):
        return self.title


class ConditionResponse(models.Model):
    class Status(models.TextChoices):
        YES = "yes", "Yes"
        NO = "no", "No"
        IN_PROGRESS = "in_progress", "In progress"

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="condition_responses")
    question = models.ForeignKey(ConditionQuestion, on_delete=models.PROTECT, related_name="responses")
    status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    target_date = models.DateField(null=True, blank=True, help_text="When an in-progress condition will be met.")
    narrative = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["plan", "question"], name="one_response_per_condition_question"),
            models.CheckConstraint(
                name="in_progress_needs_target_date",
                condition=~models.Q(status="in_progress") | models.Q(target_date__isnull=False),
            ),
        ]


class Risk(models.Model):
    markdown_fields = ("description", "mitigating_actions")  # kept within plans.markdown's limits by save_row

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="risks")
    description = models.TextField()
    rating = models.ForeignKey(
        CodeListEntry, on_delete=models.PROTECT, related_name="+", limit_choices_to={"list": "risk_rating"}
    )
    mitigating_actions = models.TextField(blank=True)
    owner = models.CharField(max_length=200, blank=True)
    concerns_nhs_providers = models.BooleanField(default=False)
    order = models.PositiveSmallIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    class Meta:
        ordering = ["plan", "order", "id"]

    def __str__(self):
        return self.description[:80]


class ExportJob(models.Model):
    """A PDF or workbook export of a plan, rendered by a Celery worker.

    Keyed by a hash of the plan's content, so an unchanged plan reuses its last export.
    """

    class Kind(models.TextChoices):
        PDF = "pdf", "Part 1 PDF"
        XLSX = "xlsx", "Part 2 workbook"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="export_jobs")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    content_hash = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    file = models.FileField(upload_to="exports/", blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "kind", "content_hash"],
                condition=models.Q(status="done"),
                name="one_done_export_per_content",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} of {self.plan} ({self.status})"


class UnsavedDraft(models.Model):
    """What a user typed but has not saved, kept in the background so a crash loses nothing."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="unsaved_drafts")
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="+")
    form_key = models.CharField(max_length=100, help_text="Which form the data belongs to, e.g. section:1c.")
    data = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "plan", "form_key"], name="one_draft_per_form")]


class SecurityEvent(models.Model):
    """Append-only audit entry for a security event: sign-in, refusals, sign-off, submission, downloads.

    Kept in plans (not governance) so sign-in and permission events, which have no plan, are
    recorded by the lowest layer; governance's workflow events are copied in by plans.security.
    """

    class Action(models.TextChoices):
        SIGNED_IN = "signed_in", "Signed in"
        SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
        LOCKED_OUT = "locked_out", "Locked out"
        SIGNED_OUT = "signed_out", "Signed out"
        PERMISSION_DENIED = "permission_denied", "Permission denied"
        SIGNED = "signed", "Sign-off"
        SUBMITTED = "submitted", "Submission"
        DECISION = "decision", "Assurance decision"
        TRANSITION_REFUSED = "transition_refused", "Workflow step refused"
        EXPORT_DOWNLOADED = "export_downloaded", "Export downloaded"

    action = models.CharField(max_length=30, choices=Action.choices, db_index=True)
    user = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # What was typed at sign-in, kept even when it matches no user (failed sign-ins).
    username = models.CharField(max_length=254, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    path = models.CharField(max_length=500, blank=True)
    plan = models.ForeignKey(Plan, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    hwb_area = models.ForeignKey(HwbArea, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_action_display()} {self.username}"
