"""Figures in narrative answers: a governance chart or a model of care, uploaded with its alt text.

An upload is bounded before it is decoded (size, real type by its bytes, pixel count), then decoded
by Pillow, re-encoded (which drops EXIF, GPS, text chunks and colour profiles) and scaled down to
MAX_FIGURE_SIDE. Only the re-encoded bytes are stored, under their SHA-256 like documents, and never
deleted, so a submission's snapshot always finds the figures it was submitted with. Every write goes
through plans.editing.plan_edit, so it voids signatures and records history like any other edit.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import warnings

import filetype
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db.models import Max
from django.template.defaultfilters import filesizeformat
from PIL import Image, ImageOps, UnidentifiedImageError

from accounts.models import User
from rounds.models import Question

from .editing import plan_edit
from .models import Figure, Plan

MAX_FIGURE_BYTES = 5 * 1024 * 1024
# A larger side is scaled down: plenty for an A4 page at print resolution, and a bounded PDF.
MAX_FIGURE_SIDE = 2000
# Refused before decoding: 40 million pixels is a 160 MB RGBA bitmap, well past any real chart.
MAX_FIGURE_PIXELS = 40_000_000
MAX_ALT_TEXT = 1000
MAX_CAPTION = 300
MAX_FIGURES_PER_QUESTION = 10
# The types a figure may be, judged by the file's bytes, and the format it is re-encoded in.
FIGURE_FORMATS = {"png": "PNG", "jpg": "JPEG"}
CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg"}

NOT_AN_IMAGE = "The selected file must be a PNG or JPEG image"
SVG_REFUSED = (
    "SVG files cannot be uploaded. Export the figure as a PNG from the program you drew it in, then upload that"
)


def check_alt_text(alt_text: str) -> str:
    alt_text = " ".join((alt_text or "").split())
    if not alt_text:
        raise ValidationError("Enter alt text that describes the figure", code="alt_text")
    if len(alt_text) > MAX_ALT_TEXT:
        raise ValidationError(f"Alt text must be {MAX_ALT_TEXT} characters or fewer", code="alt_text")
    return alt_text


def check_caption(caption: str) -> str:
    caption = " ".join((caption or "").split())
    if len(caption) > MAX_CAPTION:
        raise ValidationError(f"The caption must be {MAX_CAPTION} characters or fewer", code="caption")
    return caption


def _looks_like_svg(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith((b"<?xml", b"<svg", b"<!doctype svg")) and b"<svg" in text


def sanitised_image(upload) -> tuple[bytes, str, int, int]:
    """The upload as clean image bytes, its extension, width and height; ValidationError if it is refused.

    The checks run cheapest first, and nothing is decoded until the size, the real type and the
    pixel count (read from the header alone) are known to be within bounds.
    """
    if upload.size > MAX_FIGURE_BYTES:
        raise ValidationError(f"The image must be smaller than {filesizeformat(MAX_FIGURE_BYTES)}", code="upload")
    if upload.size == 0:
        raise ValidationError("The selected file is empty", code="upload")
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    if _looks_like_svg(head):
        # Converting SVG safely needs a renderer that fetches nothing and bounds its work; none is
        # pinned here, so the author exports a PNG instead (docs/figures.md).
        raise ValidationError(SVG_REFUSED, code="upload")
    kind = filetype.guess(head)
    extension = kind.extension if kind else None
    if extension not in FIGURE_FORMATS:
        raise ValidationError(NOT_AN_IMAGE, code="upload")
    data = upload.read(MAX_FIGURE_BYTES + 1)
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            # Pillow warns (rather than refuses) between its limit and twice it: refuse both.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[FIGURE_FORMATS[extension]]) as probe:
                _check_pixels(probe)
                probe.verify()
            with Image.open(io.BytesIO(data), formats=[FIGURE_FORMATS[extension]]) as image:
                _check_pixels(image)
                image.load()
                clean = _cleaned(image, extension)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(_too_many_pixels_message(), code="upload") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise ValidationError("The selected image could not be read. Save it again as a PNG", code="upload") from None
    buffer = io.BytesIO()
    if extension == "jpg":
        clean.save(buffer, format="JPEG", quality=88, optimize=True)
    else:
        clean.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue(), extension, clean.width, clean.height


def _too_many_pixels_message() -> str:
    return (
        f"The image is too large: it must have fewer than {MAX_FIGURE_PIXELS // 1_000_000} million pixels. "
        f"Save it at most {MAX_FIGURE_SIDE} pixels wide"
    )


def _check_pixels(image: Image.Image) -> None:
    width, height = image.size
    if width <= 0 or height <= 0 or width * height > MAX_FIGURE_PIXELS:
        raise ValidationError(_too_many_pixels_message(), code="upload")


def _cleaned(image: Image.Image, extension: str) -> Image.Image:
    """A new image with only the pixels: turned upright, in a plain colour mode, at most MAX_FIGURE_SIDE."""
    image = ImageOps.exif_transpose(image)
    if extension == "jpg":
        image = image.convert("RGB")
    elif image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA")
    # A copy of the pixels alone: no info dict, EXIF, XMP, ICC profile or text chunks come with it.
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    if max(clean.size) > MAX_FIGURE_SIDE:
        clean.thumbnail((MAX_FIGURE_SIDE, MAX_FIGURE_SIDE), Image.Resampling.LANCZOS)
    return clean


def store_figure_file(data: bytes, extension: str) -> tuple[str, str]:
    """Store clean image bytes under their SHA-256 (once; never overwritten or deleted); return name and hash."""
    sha256 = hashlib.sha256(data).hexdigest()
    name = f"figures/sha256/{sha256[:2]}/{sha256}.{extension}"
    storage = Figure._meta.get_field("file").storage
    if not storage.exists(name):
        name = storage.save(name, ContentFile(data))
    return name, sha256


def figure_question(plan: Plan, question_id: int) -> Question:
    """A narrative question of the plan's round (figures belong to narrative answers only)."""
    question = (
        Question.objects.filter(pk=question_id, section__round_id=plan.round_id, kind=Question.Kind.NARRATIVE)
        .select_related("section")
        .first()
    )
    if question is None:
        raise ValidationError("Figures can only be added to a narrative answer", code="question")
    return question


def add_figure(*, user: User, plan: Plan, question: Question, upload, alt_text: str, caption: str = "") -> Figure:
    """Add a sanitised figure at the end of the question's figures."""
    alt_text = check_alt_text(alt_text)
    caption = check_caption(caption)
    question = figure_question(plan, question.pk)
    data, extension, width, height = sanitised_image(upload)
    with plan_edit(user=user, plan=plan) as edit:
        existing = Figure.objects.filter(plan=edit.plan, question=question)
        if existing.count() >= MAX_FIGURES_PER_QUESTION:
            raise ValidationError(
                f"An answer can have at most {MAX_FIGURES_PER_QUESTION} figures. Remove one to add another",
                code="upload",
            )
        name, sha256 = store_figure_file(data, extension)
        last = existing.aggregate(last=Max("order"))["last"]
        figure = Figure(
            plan=edit.plan,
            question=question,
            file=name,
            original_filename=os.path.basename(upload.name or "")[:255],
            alt_text=alt_text,
            caption=caption,
            width=width,
            height=height,
            sha256=sha256,
            order=0 if last is None else last + 1,
            uploaded_by=user,
        )
        edit.save(figure, cause=f"figure added to {question.label}")
    return figure


def remove_figure(*, user: User, plan: Plan, figure_id: int, version: int | None) -> None:
    """Remove a figure from the answer; its file stays for any submission or history that names it."""
    with plan_edit(user=user, plan=plan) as edit:
        figure = edit.row(Figure, figure_id, version=version)
        edit.delete(figure, cause=f"figure removed from {figure.question.label}")


def reorder_figures(*, user: User, plan: Plan, question: Question, figure_ids: list[int]) -> None:
    """Put the question's figures in the given order (every one of them, each once)."""
    with plan_edit(user=user, plan=plan) as edit:
        figures = {f.pk: f for f in Figure.objects.select_for_update().filter(plan=edit.plan, question=question)}
        if sorted(figure_ids) != sorted(figures):
            raise ValidationError("Give every figure of the answer once", code="order")
        for order, figure_id in enumerate(figure_ids):
            figure = figures[figure_id]
            if figure.order != order:
                figure.order = order
                edit.save(figure, cause=f"figures reordered in {question.label}")


def move_figure(*, user: User, plan: Plan, figure_id: int, up: bool) -> None:
    """Swap a figure with the one before (up) or after it."""
    figure = Figure.objects.filter(plan=plan, pk=figure_id).select_related("question").first()
    if figure is None:
        raise ValidationError("No such figure", code="order")
    ids = list(Figure.objects.filter(plan=plan, question=figure.question).values_list("pk", flat=True))
    at = ids.index(figure.pk)
    to = at - 1 if up else at + 1
    if 0 <= to < len(ids):
        ids[at], ids[to] = ids[to], ids[at]
        reorder_figures(user=user, plan=plan, question=figure.question, figure_ids=ids)


def none_to_read(plan: Plan) -> None:
    """The page already knows the plan has no figures where it shows them: figures_by_question reads nothing."""
    plan._figures_by_question = {}


def figures_by_question(plan: Plan) -> dict[int, list[Figure]]:
    """The plan's figures by question id, in order, read once per plan object (one query per page)."""
    cached = getattr(plan, "_figures_by_question", None)
    if cached is None:
        cached = {}
        for figure in Figure.objects.filter(plan=plan).order_by("question_id", "order", "id"):
            cached.setdefault(figure.question_id, []).append(figure)
        plan._figures_by_question = cached
    return cached


def figure_data_uri_of(name: str) -> str:
    """A stored figure's bytes as a data: URI; only a name this module stores is read."""
    extension = name.rsplit(".", 1)[-1].lower()
    if not name.startswith("figures/") or ".." in name or extension not in CONTENT_TYPES:
        raise ValueError(f"Not a stored figure: {name}")
    with Figure._meta.get_field("file").storage.open(name, "rb") as stored:
        data = stored.read(MAX_FIGURE_BYTES * 4)
    return f"data:{CONTENT_TYPES[extension]};base64,{base64.b64encode(data).decode('ascii')}"
