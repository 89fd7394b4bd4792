"""Quarterly and year-end monitoring returns: what an area reports against its approved plan.

A return is made once per period of the round's return template (rounds.ReturnPeriod) for an
approved plan, and starts as a copy of that plan's approved submission (its lines, metrics and
conditions, with the planned figures for the period). Nothing in the plan depends on returns.
"""

import os
import uuid

from django.db import models
from simple_history.models import HistoricalRecords

from accounts.models import User
from governance.models import Submission
from plans.models import Plan
from rounds.models import OutcomeCategory, ReturnPart, ReturnPeriod, ReturnQuestion, SignOffSlot


class Return(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "In progress"
        READY_FOR_SIGNOFF = "ready_for_signoff", "Waiting for sign-off"
        SIGNED_OFF = "signed_off", "Signed off"
        SUBMITTED = "submitted", "Submitted"
        REVIEWED = "reviewed", "Reviewed"

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="returns")
    period = models.ForeignKey(ReturnPeriod, on_delete=models.PROTECT, related_name="returns")
    # The approved submission the return reports on: its figures are the return's planned ones.
    approved_submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=30, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(default=1, help_text="Increases each time the return is reopened.")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["plan", "period__order"]
        constraints = [models.UniqueConstraint(fields=["plan", "period"], name="one_return_per_plan_period")]

    def __str__(self):
        return f"{self.period} return for {self.plan}"


class ReturnLine(models.Model):
    """One income or expenditure line of the approved plan, with the period's actual and the year's forecast."""

    class Kind(models.TextChoices):
        INCOME = "income", "Income"
        EXPENDITURE = "expenditure", "Expenditure"

    ret = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Which line of the approved submission's snapshot this is (stable across re-reads).
    source_key = models.CharField(max_length=100)
    label = models.CharField(max_length=300)
    detail = models.CharField(max_length=300, blank=True)
    planned_year = models.DecimalField(max_digits=14, decimal_places=2)
    planned = models.DecimalField(max_digits=14, decimal_places=2, help_text="Planned to the end of the period.")
    actual = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    forecast = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    explanation = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField()
    version = models.PositiveIntegerField(default=1)

    history = HistoricalRecords()

    class Meta:
        ordering = ["ret", "kind", "order"]
        constraints = [
            models.UniqueConstraint(fields=["ret", "kind", "source_key"], name="one_return_line_per_source"),
            models.CheckConstraint(
                name="return_line_amounts_not_negative",
                condition=(models.Q(actual__isnull=True) | models.Q(actual__gte=0))
                & (models.Q(forecast__isnull=True) | models.Q(forecast__gte=0)),
            ),
        ]

    def __str__(self):
        return self.label


class ReturnMetric(models.Model):
    """One metric of the approved plan: its ambition for the period, the actual, and on track or not."""

    ret = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="metrics")
    source_key = models.CharField(max_length=100)
    name = models.CharField(max_length=300)
    unit = models.CharField(max_length=40, blank=True)
    ambition_period = models.CharField(max_length=60, blank=True)
    ambition = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    actual = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    on_track = models.BooleanField(null=True, blank=True)
    reason = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField()
    version = models.PositiveIntegerField(default=1)

    history = HistoricalRecords()

    class Meta:
        ordering = ["ret", "order"]
        constraints = [models.UniqueConstraint(fields=["ret", "source_key"], name="one_return_metric_per_source")]

    def __str__(self):
        return self.name


class ReturnCondition(models.Model):
    """A national condition of the approved plan: still met, or when it will be and why not yet."""

    ret = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="conditions")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=250)
    met = models.BooleanField(null=True, blank=True)
    expected_date = models.DateField(null=True, blank=True)
    explanation = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)

    history = HistoricalRecords()

    class Meta:
        ordering = ["ret", "number"]
        constraints = [models.UniqueConstraint(fields=["ret", "number"], name="one_return_condition_per_number")]

    def __str__(self):
        return self.title


class ReturnAnswer(models.Model):
    """The answer to one of the return template's own questions."""

    ret = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(ReturnQuestion, on_delete=models.PROTECT, related_name="+")
    yes = models.BooleanField(null=True, blank=True, help_text="Yes/no and confirmation questions.")
    date = models.DateField(null=True, blank=True, help_text="When it will be, for a yes/no answered no.")
    text = models.TextField(blank=True, help_text="The narrative, or why not, for a yes/no answered no.")
    version = models.PositiveIntegerField(default=1)

    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ret", "question"], name="one_return_answer_per_question")]


class ReturnPartProgress(models.Model):
    """Whether the commissioners have marked a part of the return completed."""

    ret = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="progress")
    part = models.ForeignKey(ReturnPart, on_delete=models.PROTECT, related_name="+")
    completed = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ret", "part"], name="one_progress_per_return_part")]


class ReturnSignOff(models.Model):
    """A signature in one of the round's sign-off slots, bound to a hash of the return's content."""

    ret = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="signoffs")
    slot = models.ForeignKey(SignOffSlot, on_delete=models.PROTECT, related_name="+")
    signed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    signatory_name = models.CharField(max_length=200)
    position = models.CharField(max_length=200, blank=True)
    signed_on = models.DateField()
    content_hash = models.CharField(max_length=64)
    voided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["ret", "slot__order", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["ret", "slot"],
                condition=models.Q(voided_at__isnull=True),
                name="one_valid_return_signoff_per_slot",
            ),
        ]


class ReturnSubmissionIsImmutable(Exception):
    """A submitted return is the record of what was sent: nothing may change or remove it."""


def return_file_name(instance, filename: str) -> str:
    """A fresh name for every stored file, so no submitted return's file is ever overwritten."""
    _, ext = os.path.splitext(filename)
    ret = instance.ret
    plan = ret.plan
    return f"returns/{plan.round.slug}/{plan.hwb_area.ons_code}/{ret.period.key}-v{instance.version}-{uuid.uuid4().hex}{ext}"


RETURN_FILE_FIELDS = frozenset({"files_status", "files_error", "pdf", "pdf_sha256", "workbook", "workbook_sha256"})


class ReturnSubmissionQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ReturnSubmissionIsImmutable("Submitted returns cannot be changed.")

    def record_files(self, **fields) -> int:
        """Record rendering progress or the rendered files while they are not yet recorded: the one change allowed."""
        if not set(fields) <= RETURN_FILE_FIELDS:
            raise ReturnSubmissionIsImmutable("Only a submitted return's files can be recorded.")
        pending = self.exclude(files_status=ReturnSubmission.FilesStatus.DONE)
        return models.QuerySet.update(pending, **fields)

    def delete(self):
        raise ReturnSubmissionIsImmutable("Submitted returns cannot be deleted.")

    def bulk_update(self, objs, fields, batch_size=None):
        raise ReturnSubmissionIsImmutable("Submitted returns cannot be changed.")


class ReturnSubmission(models.Model):
    """An immutable record of a submitted return: its snapshot, PDF and workbook, with their hashes.

    The snapshot and its hash are written in the submitting request; a Celery worker renders the PDF
    and workbook from the snapshot afterwards and records them once (`record_files`).
    """

    class FilesStatus(models.TextChoices):
        RENDERING = "rendering", "Being created"
        FAILED = "failed", "Could not be created"
        DONE = "done", "Ready"

    ret = models.ForeignKey(Return, on_delete=models.PROTECT, related_name="submissions")
    version = models.PositiveIntegerField()
    snapshot = models.JSONField()
    snapshot_sha256 = models.CharField(max_length=64)
    pdf = models.FileField(upload_to=return_file_name, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    workbook = models.FileField(upload_to=return_file_name, blank=True)
    workbook_sha256 = models.CharField(max_length=64, blank=True)
    submitted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField()
    is_late = models.BooleanField(default=False)
    files_status = models.CharField(max_length=10, choices=FilesStatus.choices, default=FilesStatus.RENDERING)
    files_error = models.TextField(blank=True)

    objects = ReturnSubmissionQuerySet.as_manager()

    class Meta:
        ordering = ["ret", "version"]
        constraints = [models.UniqueConstraint(fields=["ret", "version"], name="one_return_submission_per_version")]

    def __str__(self):
        return f"{self.ret} v{self.version}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ReturnSubmissionIsImmutable("Submitted returns cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ReturnSubmissionIsImmutable("Submitted returns cannot be deleted.")


class ReturnReview(models.Model):
    """An assurer's review of a submitted return: comments per part and an outcome."""

    submission = models.ForeignKey(ReturnSubmission, on_delete=models.PROTECT, related_name="reviews")
    assurer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    outcome = models.ForeignKey(OutcomeCategory, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    summary = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"Review of {self.submission}"


class ReturnComment(models.Model):
    """An assurer's comment on one part of a return, shown to the area's commissioners."""

    ret = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="comments")
    part = models.ForeignKey(ReturnPart, on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)


class ReturnEvent(models.Model):
    """Append-only history of a return: who moved it through its workflow, when and why."""

    ret = models.ForeignKey(Return, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    action = models.CharField(max_length=60)
    from_status = models.CharField(max_length=30, blank=True)
    to_status = models.CharField(max_length=30, blank=True)
    comment = models.TextField(blank=True)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
