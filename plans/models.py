"""The plan and its Part 1 content: answers, section progress, documents, condition responses, risks.

What a plan is asked (sections, questions, conditions) is the round's data, in rounds.models; who
writes it is accounts.models.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from rounds.models import (
    CodeListEntry,
    ConditionQuestion,
    HwbArea,
    MoneyField,
    PlanningRound,
    Question,
    RoundPhase,
    Section,
)
from rounds.money import MAX_AMOUNT


class PlanGroup(models.Model):
    """An aligned plan across several HWB areas (shared narrative; finance stays per area).

    Its members are the plans whose `group` it is; the round's shareable sections are written once
    for the group (SharedAnswer), and each member may add a local addendum (its own Answer).
    """

    round = models.ForeignKey(PlanningRound, on_delete=models.CASCADE, related_name="plan_groups")
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True, null=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

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
    # Blank: the round's first phase, the plan itself (every plan of a round without phases).
    phase = models.ForeignKey(RoundPhase, on_delete=models.PROTECT, null=True, blank=True, related_name="plans")
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
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
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
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

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
    # The round's own columns (rounds.columns), by column key; the common ones are the fields above.
    values = models.JSONField(default=dict, blank=True)
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
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
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
    # Empty in a round whose risk register has no rating column (rounds.columns).
    rating = models.ForeignKey(
        CodeListEntry,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"list": "risk_rating"},
        null=True,
        blank=True,
    )
    mitigating_actions = models.TextField(blank=True)
    owner = models.CharField(max_length=200, blank=True)
    # The round's own columns (rounds.columns), by column key; the common ones are the fields above.
    values = models.JSONField(default=dict, blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    class Meta:
        ordering = ["plan", "order", "id"]

    def __str__(self):
        return self.description[:80]


class UnsavedDraft(models.Model):
    """What a user typed but has not saved, kept in the background so a crash loses nothing."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="unsaved_drafts")
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="+")
    form_key = models.CharField(max_length=100, help_text="Which form the data belongs to, e.g. section:1c.")
    data = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "plan", "form_key"], name="one_draft_per_form")]


class SharedAnswer(models.Model):
    """A group's shared answer to one question of a shareable section; `version` guards lost updates."""

    group = models.ForeignKey(PlanGroup, on_delete=models.CASCADE, related_name="shared_answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="shared_answers")
    text = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "question"], name="one_shared_answer_per_question")]

    def __str__(self):
        return f"{self.group}: {self.question}"


class Figure(models.Model):
    """An image in a narrative answer (a governance chart, a model of care), with the alt text it needs.

    Stored like documents, after sanitising (metadata stripped, dimensions bounded, re-encoded).
    """

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="figures")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="figures")
    file = models.FileField(upload_to="figures/%Y/")
    original_filename = models.CharField(max_length=255, blank=True)
    alt_text = models.CharField(max_length=1000)
    caption = models.CharField(max_length=300, blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["plan", "question", "order", "id"]

    def __str__(self):
        return self.alt_text[:80]


class WordImport(models.Model):
    """An uploaded Word plan, converted and split into pieces, waiting for the commissioner's preview.

    `pieces` is the converted document as a list of pieces (Markdown text or table rows), each with
    the section and question it was matched to (or none); nothing reaches the plan until confirmed.
    """

    class Status(models.TextChoices):
        PREVIEW = "preview", "Waiting for preview"
        APPLIED = "applied", "Applied"
        DISCARDED = "discarded", "Discarded"

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="word_imports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    original_filename = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    pieces = models.JSONField(default=list, blank=True)
    messages = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PREVIEW)
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.original_filename} ({self.get_status_display()})"
