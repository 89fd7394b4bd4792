"""Forms for the authoring pages: a section's questions (built from the round's config), risks and documents.

Forms validate what was typed; the rules that span rows (versions, permissions, status)
live in plans.services. Every editing form carries the version of each object it loaded,
so a save over someone else's newer save is caught.
"""

import datetime
import zipfile

import filetype
from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from rounds import columns
from rounds.examples import HintExamples
from rounds.models import CodeListEntry, ConditionQuestion, Question
from rounds.money import MoneyField

from . import services
from .markdown import check_markdown
from .models import ConditionResponse

YES_NO = [("yes", "Yes"), ("no", "No")]


def _textarea(rows: int = 8) -> forms.Textarea:
    # The class and data attribute are the contract with the browser-side scripts (paste, preview).
    return forms.Textarea(attrs={"class": "govuk-textarea app-markdown-input", "data-markdown": "", "rows": rows})


class MarkdownField(forms.CharField):
    """A Markdown answer, held to plans.markdown's length and nesting limits.

    No maxlength attribute: a browser would silently cut a long paste short, so the limit is
    checked here and the message says how long the text is.
    """

    def __init__(self, *, subject: str = "Your answer", rows: int = 8, **kwargs):
        super().__init__(widget=_textarea(rows), **kwargs)
        self.subject = subject
        self.gds_kind = "textarea"

    def validate(self, value):
        super().validate(value)
        check_markdown(value, subject=self.subject)


class GovukDateWidget(forms.MultiWidget):
    """The GOV.UK date pattern: separate day, month and year boxes."""

    def __init__(self, attrs=None):
        super().__init__(
            widgets={"day": forms.TextInput, "month": forms.TextInput, "year": forms.TextInput}, attrs=attrs
        )

    def decompress(self, value):
        if isinstance(value, datetime.date):
            return [str(value.day), str(value.month), str(value.year)]
        return ["", "", ""]


class GovukDateField(forms.MultiValueField):
    widget = GovukDateWidget

    def __init__(self, **kwargs):
        kwargs.setdefault("require_all_fields", False)
        fields = (forms.CharField(required=False), forms.CharField(required=False), forms.CharField(required=False))
        super().__init__(fields=fields, **kwargs)
        self.gds_kind = "date"

    def compress(self, data_list):
        if not data_list or not any((part or "").strip() for part in data_list):
            return None
        day, month, year = ((part or "").strip() for part in data_list)
        if not day or not month or not year:
            missing = [name for name, part in (("day", day), ("month", month), ("year", year)) if not part]
            raise forms.ValidationError(f"The date must include a {' and '.join(missing)}")
        try:
            value = datetime.date(int(year), int(month), int(day))
        except ValueError:
            raise forms.ValidationError("The date must be a real date, for example 27 3 2015") from None
        if value.year < 2000 or value.year > 2100:
            raise forms.ValidationError("Enter a year between 2000 and 2100")
        return value


def _kind(field: forms.Field, kind: str) -> forms.Field:
    field.gds_kind = kind
    return field


def question_field_name(question: Question) -> str:
    return f"q_{question.key}"


def condition_field_prefix(cq: ConditionQuestion) -> str:
    return f"c{cq.pk}"


class SectionForm(forms.Form):
    """The fields of one section, generated from its questions and its national condition's sub-questions.

    `complete=True` (the "Mark this section as completed" button) also requires every
    required answer. Versions travel in hidden `v_…` fields.
    """

    def __init__(
        self,
        *args,
        questions,
        condition_questions,
        answers,
        responses,
        examples: HintExamples,
        complete=False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        self.condition_questions = list(condition_questions)
        self.complete = complete
        self.version_names: dict[str, str] = {}
        self.question_rows: list[dict] = []
        self.condition_rows: list[dict] = []
        for question in self.questions:
            name = question_field_name(question)
            answer = answers.get(question.pk)
            self.fields[name] = self._question_field(question)
            self.fields[name].label = question.label
            # The question's own prompt, then what the field expects (a money field says "In pounds, …").
            self.fields[name].help_text = "\n".join(filter(None, [question.prompt, self.fields[name].help_text]))
            self.fields[name].question = question
            if answer is not None:
                self.initial[name] = _answer_value(question, answer)
            self._add_version(name, answer.version if answer else 0)
            self.question_rows.append({"question": question, "name": name})
        for cq in self.condition_questions:
            prefix = condition_field_prefix(cq)
            response = responses.get(cq.pk)
            status = _kind(
                forms.ChoiceField(choices=ConditionResponse.Status.choices, required=False, widget=forms.RadioSelect),
                "radios",
            )
            status.label = f"{cq.number} {cq.prompt}".strip()
            status.conditional = {"in_progress": f"{prefix}_target_date"}
            self.fields[f"{prefix}_status"] = status
            target = GovukDateField(
                required=False, label="When will this be met?", help_text=f"For example, {examples.date_in_round}"
            )
            self.fields[f"{prefix}_target_date"] = target
            self.fields[f"{prefix}_narrative"] = MarkdownField(
                subject="Your explanation", rows=6, required=False, label="Explain your answer"
            )
            if response is not None:
                self.initial[f"{prefix}_status"] = response.status
                self.initial[f"{prefix}_target_date"] = response.target_date
                self.initial[f"{prefix}_narrative"] = response.narrative
            self._add_version(prefix, response.version if response else 0)
            self.condition_rows.append(
                {
                    "cq": cq,
                    "prefix": prefix,
                    "status": f"{prefix}_status",
                    "target_date": f"{prefix}_target_date",
                    "narrative": f"{prefix}_narrative",
                }
            )

    def _add_version(self, name: str, version: int) -> None:
        vname = f"v_{name}"
        self.fields[vname] = forms.IntegerField(min_value=0, widget=forms.HiddenInput, required=False)
        self.initial[vname] = version
        self.version_names[name] = vname

    @staticmethod
    def _question_field(question: Question) -> forms.Field:
        kind = question.kind
        if kind == Question.Kind.NARRATIVE:
            return MarkdownField(required=False)
        if kind == Question.Kind.TEXT:
            return _kind(
                forms.CharField(
                    required=False, max_length=2000, widget=forms.TextInput(attrs={"class": "govuk-input"})
                ),
                "input",
            )
        if kind == Question.Kind.DATE:
            return GovukDateField(required=False)
        if kind == Question.Kind.MONEY:
            return MoneyField(required=False)
        return _kind(forms.ChoiceField(choices=YES_NO, required=False, widget=forms.RadioSelect), "radios")

    def clean(self):
        cleaned = super().clean()
        for row in self.condition_rows:
            status = cleaned.get(row["status"])
            if (
                status == ConditionResponse.Status.IN_PROGRESS
                and not cleaned.get(row["target_date"])
                and row["target_date"] not in self.errors
            ):
                self.add_error(row["target_date"], "Enter the date by when this condition will be met")
        if self.complete:
            for question in self.questions:
                name = question_field_name(question)
                if question.required and name not in self.errors and _is_empty(cleaned.get(name)):
                    self.add_error(name, _missing_message(question))
            for row in self.condition_rows:
                if not cleaned.get(row["status"]) and row["status"] not in self.errors:
                    self.add_error(row["status"], "Select yes, no or in progress")
                if not (cleaned.get(row["narrative"]) or "").strip() and row["narrative"] not in self.errors:
                    self.add_error(row["narrative"], "Explain your answer")
        return cleaned

    def answer_edits(self) -> dict[str, services.AnswerEdit]:
        """Question key → the typed value, in the shape the Answer model stores, and the version loaded."""
        edits = {}
        for question in self.questions:
            name = question_field_name(question)
            raw = self.cleaned_data.get(name)
            if question.kind == Question.Kind.CONFIRMATION:
                raw = {"yes": True, "no": False}.get(raw)
            elif question.kind in (Question.Kind.NARRATIVE, Question.Kind.TEXT):
                raw = raw or ""
            edits[question.key] = services.AnswerEdit(raw, self._version(name))
        return edits

    def condition_edits(self) -> dict[int, services.ConditionEdit]:
        """Condition question id → the response and the version loaded."""
        edits = {}
        for row in self.condition_rows:
            status = self.cleaned_data.get(row["status"]) or ""
            edits[row["cq"].pk] = services.ConditionEdit(
                status=status,
                # A target date only means something while the condition is in progress.
                target_date=self.cleaned_data.get(row["target_date"]) if status == "in_progress" else None,
                narrative=self.cleaned_data.get(row["narrative"]) or "",
                version=self._version(row["prefix"]),
            )
        return edits

    def _version(self, name: str) -> int:
        return self.cleaned_data.get(self.version_names[name]) or 0

    @staticmethod
    def field_name(key: str, attribute: str = "") -> str:
        """The field showing a value the service names: a question key, or "<condition question id>.<attribute>"."""
        cqid, _, condition_attribute = key.partition(".")
        if cqid.isdigit():
            return f"c{cqid}_{condition_attribute or attribute}"
        return f"q_{key}"


def _is_empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _missing_message(question: Question) -> str:
    label = question.label.rstrip(".?:")
    if question.kind == Question.Kind.CONFIRMATION:
        return f"Select yes or no for {label[:1].lower() + label[1:]}"
    if question.kind == Question.Kind.DATE:
        return f"Enter {label[:1].lower() + label[1:]}"
    if question.kind == Question.Kind.MONEY:
        return f"Enter an amount for {label[:1].lower() + label[1:]}"
    return f"Enter {label[:1].lower() + label[1:]}"


def _answer_value(question: Question, answer) -> object:
    if question.kind == Question.Kind.DATE:
        return answer.date
    if question.kind == Question.Kind.MONEY:
        return "" if answer.money is None else f"{answer.money:.2f}"
    if question.kind == Question.Kind.CONFIRMATION:
        return {True: "yes", False: "no"}.get(answer.confirmed, "")
    return answer.text


# --- Table rows ------------------------------------------------------------------------


class VersionedForm(forms.Form):
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput, required=False)

    @staticmethod
    def field_name(key: str, attribute: str = "") -> str:
        """The field showing a value the service names: a row's attribute (a foreign key without `_id`)."""
        return (attribute or key).removesuffix("_id")

    def save_kwargs(self) -> dict:
        """What the row's save service takes besides who, which plan and which row."""
        return {"values": self.values(), "version": self.cleaned_data.get("version")}


class TableRowForm(VersionedForm):
    """A row of the risks or documents table, with one field per column the round defines (rounds.columns).

    A product column (likelihood x impact) has no field: it is computed and shown in the table.
    """

    table = ""

    def __init__(self, *args, round, **kwargs):  # noqa: A002 - the planning round
        super().__init__(*args, **kwargs)
        self.columns = round.table_columns(self.table)
        self.codes = {}
        if any(c.kind == columns.CHOICE for c in self.columns):
            for entry in CodeListEntry.objects.filter(round=round).order_by("order", "label"):
                self.codes.setdefault(entry.list, []).append(entry)
        for column in self.columns:
            if not column.is_computed:
                self.fields[self.field_name(column.key)] = self._field(column)

    @staticmethod
    def field_name(key: str, attribute: str = "") -> str:
        name = (attribute or key).removesuffix("_id")
        return "upload" if name == "file" else name

    def _field(self, column) -> forms.Field:
        common = {
            "label": column.question,
            "required": column.required,
            "help_text": column.hint,
            "error_messages": {"required": column.required_message},
        }
        kind = column.kind
        if kind == columns.NARRATIVE:
            return MarkdownField(subject=column.heading, rows=5, **common)
        if kind == columns.TEXT:
            width = "govuk-input--width-5" if column.key == "ref" else "govuk-!-width-two-thirds"
            max_length = columns.MAX_LENGTHS.get(column.key, columns.TEXT_MAX_LENGTH)
            widget = forms.TextInput(attrs={"class": f"govuk-input {width}"})
            return _kind(forms.CharField(max_length=max_length, widget=widget, **common), "input")
        if kind == columns.URL:
            return _kind(
                forms.URLField(
                    max_length=columns.MAX_LENGTHS["url"],
                    assume_scheme="https",
                    widget=forms.URLInput(attrs={"class": "govuk-input", "spellcheck": "false"}),
                    **{
                        **common,
                        "error_messages": {
                            **common["error_messages"],
                            "invalid": "Enter a web address in the correct format, like https://www.example.org",
                        },
                    },
                ),
                "input",
            )
        if kind == columns.FILE:
            widget = forms.ClearableFileInput(attrs={"class": "govuk-file-upload"})
            return _kind(forms.FileField(widget=widget, **common), "file")
        if kind == columns.CHOICE:
            entries = self.codes.get(column.code_list, [])
            if column.is_field(self.table):
                queryset = CodeListEntry.objects.filter(pk__in=[e.pk for e in entries]).order_by("order", "label")
                field = forms.ModelChoiceField(queryset=queryset, widget=forms.RadioSelect, empty_label=None, **common)
            else:
                choices = [(e.code, e.label) for e in entries]
                field = forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
            return _kind(field, "radios")
        if kind == columns.SCORE:
            choices = [(str(n), str(n)) for n in columns.SCORE_RANGE]
            field = forms.TypedChoiceField(choices=choices, coerce=int, widget=forms.RadioSelect, **common)
            return _kind(field, "radios")
        if kind == columns.YES_NO:
            field = forms.TypedChoiceField(
                choices=YES_NO, coerce=lambda v: v == "yes", widget=forms.RadioSelect, **common
            )
            return _kind(field, "radios")
        raise ValueError(f"unknown column kind {kind}")

    @classmethod
    def initial_for(cls, row) -> dict:
        initial = {"version": row.version}
        for column in row.plan.round.table_columns(cls.table):
            if column.is_computed or column.kind == columns.FILE:
                continue
            if column.is_field(cls.table):
                value = getattr(row, column.key)
                value = getattr(value, "pk", value)
            else:
                value = row.values.get(column.key)
            if column.kind == columns.YES_NO and value is not None:
                value = "yes" if value else "no"
            initial[column.key] = value
        return initial

    def values(self) -> dict:
        """The row's fields by attribute name, and its round-defined values under `values`."""
        data = self.cleaned_data
        result, values = {}, {}
        for column in self.columns:
            if column.is_computed or column.kind == columns.FILE:
                continue
            value = data.get(column.key)
            if column.is_field(self.table):
                if column.kind == columns.CHOICE:
                    result[f"{column.key}_id"] = value.pk if value else None
                else:
                    result[column.key] = value or ""
            elif value not in (None, ""):
                values[column.key] = value
        result["values"] = values
        return result


class RiskForm(TableRowForm):
    table = columns.RISKS


# A .docx or .xlsx is a zip; these members prove it is really a Word document or a workbook.
ZIP_MEMBERS = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}
ALLOWED_UPLOADS = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def check_upload(upload) -> str:
    """Return the file's real type (pdf, docx or xlsx), judged by its content, or raise ValidationError.

    The name and the browser's content type are ignored: a renamed .exe or .html is refused.
    """
    if upload.size > settings.MAX_UPLOAD_SIZE:
        raise forms.ValidationError(f"The file must be smaller than {filesizeformat(settings.MAX_UPLOAD_SIZE)}")
    if upload.size == 0:
        raise forms.ValidationError("The selected file is empty")
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    ext = kind.extension if kind else None
    if ext not in ALLOWED_UPLOADS:
        raise forms.ValidationError("The selected file must be a PDF, DOCX or XLSX")
    if ext in ZIP_MEMBERS:
        try:
            with zipfile.ZipFile(upload) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError):
            raise forms.ValidationError("The selected file must be a PDF, DOCX or XLSX") from None
        finally:
            upload.seek(0)
        if ZIP_MEMBERS[ext] not in names:
            raise forms.ValidationError("The selected file must be a PDF, DOCX or XLSX")
    return ext


class DocumentForm(TableRowForm):
    table = columns.DOCUMENTS

    def __init__(self, *args, has_file: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.has_file = has_file
        if "upload" in self.fields:
            self.fields["upload"].help_text = (
                f"PDF, DOCX or XLSX, smaller than {filesizeformat(settings.MAX_UPLOAD_SIZE)}"
                + (". Choosing a file replaces the current one." if has_file else "")
            )
        self.upload_kind = None

    def clean_url(self):
        url = self.cleaned_data.get("url") or ""
        if url and not url.lower().startswith(("https://", "http://")):
            raise forms.ValidationError("Enter a web address starting with https://")
        return url

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if upload:
            self.upload_kind = check_upload(upload)
        return upload

    def save_kwargs(self) -> dict:
        return {
            **super().save_kwargs(),
            "upload": self.cleaned_data.get("upload"),
            "upload_kind": self.upload_kind or "",
        }


class ConfirmRemoveForm(forms.Form):
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput, required=False)


def add_service_error(form: forms.Form, exc) -> None:
    """Show a rule a service enforced (a ValidationError) on the field its code names, else above the form."""
    field_name = getattr(form, "field_name", None)
    name = field_name(exc.code) if exc.code and field_name else exc.code
    form.add_error(name if name in form.fields else None, exc.messages[0])


class WordUploadForm(forms.Form):
    document = forms.FileField(
        label="Upload your Word plan",
        help_text="A Word document (.docx) smaller than 10 MB, without a password or macros.",
        error_messages={"required": "Choose a Word document to upload", "empty": "The selected file is empty"},
    )


DO_NOT_IMPORT = ""
DECISIONS = [
    ("replace", "Replace the current answer with the imported text"),
    ("append", "Add the imported text after the current answer"),
    ("keep", "Keep the current answer and do not import this text"),
]


class WordPreviewForm(forms.Form):
    """Where each piece of an imported Word plan goes, and what to do with answers that already have text.

    One select per piece (`piece-<id>`), one set of radios per question that has an answer
    (`decision-<question id>`) with the answer's version the user was shown (`version-<question id>`).
    """

    def __init__(self, *args, pieces: list[dict], questions: list, answered: list, **kwargs):
        super().__init__(*args, **kwargs)
        question_choices = [(str(q.pk), f"{q.section.title}: {q.label}") for q in questions]
        for piece in pieces:
            if piece["kind"] == "rows":
                table = "risks" if piece["table"] == "risks" else "supporting documents"
                choices = [(piece["table"], f"Add these rows to the {table} table"), (DO_NOT_IMPORT, "Do not import")]
            else:
                choices = [(DO_NOT_IMPORT, "Do not import"), *question_choices]
            self.fields[f"piece-{piece['id']}"] = forms.ChoiceField(
                label=f"Put piece {piece['id']} in",
                choices=choices,
                required=False,
                initial=piece["target"],
            )
        for item in answered:
            self.fields[f"decision-{item.question.pk}"] = forms.ChoiceField(
                label=f"‘{item.question.label}’ already has an answer. What should happen to it?",
                choices=DECISIONS,
                widget=forms.RadioSelect,
                error_messages={"required": f"Choose what to do with the answer ‘{item.question.label}’ already has"},
            )
            # The version of the answer the user was shown: an answer changed since is shown again.
            self.fields[f"version-{item.question.pk}"] = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def placements(self) -> dict[int, str]:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return {
            int(name.removeprefix("piece-")): value or DO_NOT_IMPORT
            for name, value in data.items()
            if name.startswith("piece-")
        }
