"""The plan's life after writing: sign-off, submissions, assurance reviews, the audit trail and exports."""

import os
import uuid

from django.db import models

from accounts.models import User
from plans.models import Plan
from rounds.models import KeyLineOfEnquiry, Organisation, OutcomeCategory, RoundPhase, Section, SignOffSlot


class SignOff(models.Model):
    """A signature in one of the round's sign-off slots, bound to a hash of the plan's content."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="signoffs")
    slot = models.ForeignKey(SignOffSlot, on_delete=models.PROTECT, related_name="signoffs")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, null=True, blank=True)
    organisation_name = models.CharField(max_length=200, blank=True)
    signed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="signoffs")
    signatory_name = models.CharField(max_length=200)
    position = models.CharField(max_length=200, blank=True)
    signed_on = models.DateField(null=True, blank=True)
    content_hash = models.CharField(max_length=64, blank=True)
    under_delegation = models.BooleanField(default=False)
    delegating_body = models.CharField(max_length=200, blank=True)
    delegation_date = models.DateField(null=True, blank=True)
    delegation_minute_ref = models.CharField(max_length=100, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["plan", "slot__order", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "slot"], condition=models.Q(voided_at__isnull=True), name="one_valid_signoff_per_slot"
            ),
        ]

    def __str__(self):
        return f"{self.slot} — {self.signatory_name}"


class SignoffContent(models.Model):
    """The plan's content as it was sent for sign-off: what its signatories read.

    Kept so that a signatory whose page has gone out of date can be shown what changed since.
    """

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="+")
    content_hash = models.CharField(max_length=64)
    content = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["plan", "content_hash"], name="one_signoff_content_per_hash")]

    def __str__(self):
        return f"{self.plan} {self.content_hash[:12]}"


class SubmissionIsImmutable(Exception):
    """A submission is the record of what was sent: nothing may change or remove it."""


# A submission's PDF and workbook are rendered by a worker after the submission is committed.
# Until they are recorded, only these columns may change (the database trigger allows nothing else);
# the files are then recorded once, with their hashes, and the row never changes again.
RENDERING_FIELDS = frozenset({"files_status", "files_error", "files_tries", "files_updated_at"})
FILE_FIELDS = frozenset({"pdf", "pdf_sha256", "workbook", "workbook_sha256"})


class SubmissionQuerySet(models.QuerySet):
    # Bulk writes skip save(); refuse them here too (a database trigger backs this for raw SQL).
    def update(self, **kwargs):
        raise SubmissionIsImmutable("Submissions cannot be changed.")

    def record_rendering(self, **fields) -> int:
        """Record rendering progress, or the rendered files, on submissions whose files are not recorded yet.

        The one change a submission allows; returns how many rows changed (0 once the files are recorded).
        """
        if not set(fields) <= RENDERING_FIELDS | FILE_FIELDS:
            raise SubmissionIsImmutable("Only a submission's rendering progress and files can be recorded.")
        pending = self.exclude(files_status=Submission.FilesStatus.DONE).filter(
            pdf="", pdf_sha256="", workbook="", workbook_sha256=""
        )
        return models.QuerySet.update(pending, **fields)

    def delete(self):
        raise SubmissionIsImmutable("Submissions cannot be deleted.")

    def bulk_update(self, objs, fields, batch_size=None):
        raise SubmissionIsImmutable("Submissions cannot be changed.")


def submission_file_name(instance, filename: str) -> str:
    """A fresh name for every stored file, so no submission's file is ever overwritten."""
    _, ext = os.path.splitext(filename)
    plan = instance.plan
    return f"submissions/{plan.round.slug}/{plan.hwb_area.ons_code}/v{instance.version}-{uuid.uuid4().hex}{ext}"


class Submission(models.Model):
    """An immutable record of exactly what was submitted: snapshot, PDF and workbook, with hashes.

    The snapshot is frozen in the submitting request; the PDF and workbook are rendered from the
    plan, which cannot move on until they are recorded (see governance/submission_files.py).
    """

    class FilesStatus(models.TextChoices):
        RENDERING = "rendering", "Being created"
        FAILED = "failed", "Could not be created"
        DONE = "done", "Ready"

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="submissions")
    version = models.PositiveIntegerField()
    # The phase submitted (the plan, or its planning update); blank for the round's first.
    phase = models.ForeignKey(RoundPhase, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    snapshot = models.JSONField()
    snapshot_sha256 = models.CharField(max_length=64)
    pdf = models.FileField(upload_to=submission_file_name, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    workbook = models.FileField(upload_to=submission_file_name, blank=True)
    workbook_sha256 = models.CharField(max_length=64, blank=True)
    submitted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField()
    is_late = models.BooleanField(default=False)
    files_status = models.CharField(max_length=10, choices=FilesStatus.choices, default=FilesStatus.RENDERING)
    files_error = models.TextField(blank=True)
    files_tries = models.PositiveSmallIntegerField(default=0)
    files_updated_at = models.DateTimeField(null=True, blank=True)

    objects = SubmissionQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "version"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "version"], name="one_submission_per_version"),
            # Ready means both files are stored with their hashes; until then there are none.
            models.CheckConstraint(
                name="submission_files_recorded_when_ready",
                condition=(
                    models.Q(files_status="done")
                    & ~models.Q(pdf="")
                    & ~models.Q(pdf_sha256="")
                    & ~models.Q(workbook="")
                    & ~models.Q(workbook_sha256="")
                )
                | (~models.Q(files_status="done") & models.Q(pdf="", pdf_sha256="", workbook="", workbook_sha256="")),
            ),
        ]

    def __str__(self):
        return f"{self.plan} v{self.version}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise SubmissionIsImmutable("Submissions cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise SubmissionIsImmutable("Submissions cannot be deleted.")


class Review(models.Model):
    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="reviews")
    assurer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="reviews")
    outcome = models.ForeignKey(OutcomeCategory, on_delete=models.PROTECT, null=True, blank=True)
    summary = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"Review of {self.submission}"


class KloeRating(models.Model):
    class Rating(models.TextChoices):
        MET = "met", "Met"
        PARTLY_MET = "partly_met", "Partly met"
        NOT_MET = "not_met", "Not met"

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="ratings")
    kloe = models.ForeignKey(KeyLineOfEnquiry, on_delete=models.PROTECT, related_name="+")
    rating = models.CharField(max_length=20, choices=Rating.choices)
    comment = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["review", "kloe"], name="one_rating_per_kloe")]


class ReviewCondition(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="conditions")
    text = models.TextField()
    due_date = models.DateField()


class SectionComment(models.Model):
    """An assurer's comment on one section of a plan, shown to its commissioners."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="section_comments")
    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)


class PlanEvent(models.Model):
    """Append-only audit entry: a workflow transition or a security-relevant action."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, null=True, blank=True, related_name="events")
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    action = models.CharField(max_length=60)
    from_status = models.CharField(max_length=30, blank=True)
    to_status = models.CharField(max_length=30, blank=True)
    comment = models.TextField(blank=True)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"


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


class ReminderSent(models.Model):
    """One reminder email sent to one person, kept so a reminder run twice sends nothing twice.

    `occasion` names what the reminder is for: "deadline:7" (7 days before the deadline), or
    "signature:<event id>:<period>" (the plan's sending for sign-off, and which M-day wait).
    """

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="+")
    occasion = models.CharField(max_length=80)
    email = models.EmailField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["plan", "occasion", "email"], name="one_reminder_per_occasion")]
