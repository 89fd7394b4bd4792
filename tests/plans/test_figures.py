"""Figures in narrative answers: the upload is bounded and sanitised, alt text is required, and pages show them."""

import io
import struct
import zlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from plans import figures
from plans.editing import StaleEdit
from plans.models import Figure, Plan
from rounds.models import Question
from tests.plans.authoring import build_round, plan_kwargs

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def a():
    return build_round()


def narrative(a) -> Question:
    return Question.objects.get(section__round=a.round, key="vision")


def image_bytes(fmt="PNG", size=(120, 80), color=(0, 94, 165), **save) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt, **save)
    return buffer.getvalue()


def upload(data: bytes, name="chart.png", content_type="image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x0131] = "Editor 1.0 on the chief officer's laptop"  # Software
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (50.0, 22.0, 34.0)
    gps[3] = "W"
    gps[4] = (4.0, 8.0, 32.0)
    return image_bytes("JPEG", exif=exif.tobytes(), comment=b"Internal draft - do not share")


def add(a, data=None, alt="Governance structure chart", caption="", name="chart.png"):
    return figures.add_figure(
        user=a.commissioner,
        plan=a.plan,
        question=narrative(a),
        upload=upload(data if data is not None else image_bytes(), name=name),
        alt_text=alt,
        caption=caption,
    )


# --- The service ---------------------------------------------------------------------------


def test_a_figure_is_stored_by_hash_with_its_alt_text_and_size(a):
    figure = add(a, caption="Figure 1: Governance")
    assert figure.alt_text == "Governance structure chart"
    assert figure.caption == "Figure 1: Governance"
    assert (figure.width, figure.height) == (120, 80)
    assert figure.file.name == f"figures/sha256/{figure.sha256[:2]}/{figure.sha256}.png"
    assert figure.uploaded_by == a.commissioner
    assert figure.history.count() == 1
    second = add(a, image_bytes(color=(255, 0, 0)))
    assert (figure.order, second.order) == (0, 1)


@pytest.mark.parametrize("alt", ["", "   ", "\n\t"])
def test_an_image_without_alt_text_is_refused(a, alt):
    with pytest.raises(ValidationError, match="Enter alt text"):
        add(a, alt=alt)
    assert not Figure.objects.exists()


def test_alt_text_longer_than_the_limit_is_refused(a):
    with pytest.raises(ValidationError, match="1000 characters or fewer"):
        add(a, alt="x" * 1001)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"%PDF-1.4\n%%EOF\n", "must be a PNG or JPEG"),
        (b"<html><script>alert(1)</script></html>", "must be a PNG or JPEG"),
        (b"GIF89a" + b"\0" * 64, "must be a PNG or JPEG"),
        (b"", "is empty"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 200, "could not be read"),
        (image_bytes("PNG")[:60], "could not be read"),
    ],
    ids=["pdf", "html", "gif", "empty", "broken-png", "truncated-png"],
)
def test_files_that_are_not_sound_png_or_jpeg_are_refused(a, data, message):
    with pytest.raises(ValidationError, match=message):
        add(a, data)
    assert not Figure.objects.exists()


def test_svg_is_refused_with_a_message_saying_to_export_a_png(a):
    svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><image href="https://example.org/x"/></svg>'
    with pytest.raises(ValidationError, match="Export the figure as a PNG"):
        add(a, svg, name="chart.svg")


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(a):
    big = SimpleUploadedFile("big.png", b"\x89PNG\r\n\x1a\n" + b"\0" * figures.MAX_FIGURE_BYTES)
    with pytest.raises(ValidationError, match="must be smaller than 5"):
        figures.add_figure(user=a.commissioner, plan=a.plan, question=narrative(a), upload=big, alt_text="x")


def _png_header_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge image (a decompression bomb's first step)."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_a_decompression_bomb_is_refused_with_a_clear_message(a):
    with pytest.raises(ValidationError, match="too large: it must have fewer than 40 million pixels"):
        add(a, _png_header_claiming(50_000, 50_000))
    assert not Figure.objects.exists()


def test_exif_gps_and_comments_are_stripped_from_a_jpeg(a):
    original = jpeg_with_gps()
    with Image.open(io.BytesIO(original)) as before:
        assert before.getexif().get_ifd(0x8825)  # the test's own image does carry GPS
    figure = add(a, original, name="photo.jpg")
    stored = figure.file.read()
    assert figure.file.name.endswith(".jpg")
    with Image.open(io.BytesIO(stored)) as after:
        assert not after.getexif()
        assert "exif" not in after.info and "comment" not in after.info and "icc_profile" not in after.info
    assert b"SecretCam" not in stored and b"laptop" not in stored and b"do not share" not in stored


def test_png_text_chunks_are_stripped(a):
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Jane Secret")
    figure = add(a, image_bytes("PNG", pnginfo=info))
    stored = figure.file.read()
    assert b"Jane Secret" not in stored


def test_a_large_image_is_scaled_down_to_the_maximum_side(a):
    figure = add(a, image_bytes("PNG", size=(4000, 1000)))
    assert (figure.width, figure.height) == (2000, 500)
    with Image.open(figure.file) as stored:
        assert stored.size == (2000, 500)


def test_figures_belong_to_narrative_questions_only(a):
    text_question = Question.objects.get(section__round=a.round, key="local_authority")
    with pytest.raises(ValidationError, match="narrative answer"):
        figures.add_figure(
            user=a.commissioner, plan=a.plan, question=text_question, upload=upload(image_bytes()), alt_text="x"
        )


def test_only_someone_who_may_edit_the_plan_can_add_a_figure(a):
    for user in (a.viewer, a.outsider):
        with pytest.raises(PermissionDenied):
            figures.add_figure(
                user=user, plan=a.plan, question=narrative(a), upload=upload(image_bytes()), alt_text="x"
            )
    Plan.objects.filter(pk=a.plan.pk).update(status=Plan.Status.SUBMITTED)
    a.plan.refresh_from_db()
    with pytest.raises(PermissionDenied):
        add(a)
    assert not Figure.objects.exists()


def test_adding_and_removing_a_figure_is_a_content_change(a, monkeypatch):
    from plans import events

    causes = []
    monkeypatch.setattr(events, "content_changed", lambda **kw: causes.append(kw["cause"]))
    figure = add(a)
    figures.remove_figure(user=a.commissioner, plan=a.plan, figure_id=figure.pk, version=figure.version)
    assert causes == ["figure added to Vision", "figure removed from Vision"]
    assert not Figure.objects.exists()
    # The file stays: a submission or the row's history may name it.
    assert Figure._meta.get_field("file").storage.exists(figure.file.name)


def test_removing_a_figure_someone_changed_meanwhile_is_refused(a):
    figure = add(a)
    with pytest.raises(StaleEdit):
        figures.remove_figure(user=a.commissioner, plan=a.plan, figure_id=figure.pk, version=figure.version + 1)


def test_figures_can_be_reordered(a):
    first, second, third = (add(a, image_bytes(color=(i * 60, 0, 0)), alt=f"Chart {i}") for i in range(3))
    figures.reorder_figures(
        user=a.commissioner, plan=a.plan, question=narrative(a), figure_ids=[third.pk, first.pk, second.pk]
    )
    assert list(Figure.objects.order_by("order").values_list("alt_text", flat=True)) == [
        "Chart 2",
        "Chart 0",
        "Chart 1",
    ]
    figures.move_figure(user=a.commissioner, plan=a.plan, figure_id=first.pk, up=True)
    assert list(Figure.objects.order_by("order").values_list("alt_text", flat=True)) == [
        "Chart 0",
        "Chart 2",
        "Chart 1",
    ]
    with pytest.raises(ValidationError):
        figures.reorder_figures(user=a.commissioner, plan=a.plan, question=narrative(a), figure_ids=[first.pk])


# --- The pages -----------------------------------------------------------------------------


def url(a, name, plan=None, **kwargs):
    return reverse(name, kwargs={**plan_kwargs(plan or a.plan), **kwargs})


def add_url(a, plan=None):
    return url(a, "plans:figure_add", plan, question_id=narrative(a).pk)


def test_a_commissioner_adds_two_figures_through_the_page_and_sees_them_with_alt_text(
    client, a, django_assert_max_num_queries
):
    client.force_login(a.commissioner)
    section_url = url(a, "plans:section", section_key=narrative(a).section.key)
    page = client.get(section_url).content.decode()
    assert "Add a figure" in page and add_url(a) in page
    assert client.get(add_url(a)).status_code == 200
    for n in (1, 2):
        response = client.post(
            add_url(a),
            {
                "upload": upload(image_bytes(color=(n * 100, 0, 0))),
                "alt_text": f"Chart {n}: who decides",
                "caption": f"Figure {n}",
            },
        )
        assert response.status_code == 302
        assert response["Location"] == f"{section_url}#figures-vision"
    with django_assert_max_num_queries(30):
        page = client.get(section_url).content.decode()
    for figure in Figure.objects.all():
        image_url = url(a, "plans:figure_image", pk=figure.pk)
        assert f'<img src="{image_url}" alt="{figure.alt_text}"' in page
        assert f'<figcaption class="govuk-body-s govuk-!-margin-top-1">{figure.caption}</figcaption>' in page
        image = client.get(image_url)
        assert image.status_code == 200 and image["Content-Type"] == "image/png"
        assert image["X-Content-Type-Options"] == "nosniff"
        assert b"".join(image.streaming_content) == figure.file.open("rb").read()
    answers = client.get(url(a, "plans:check_answers")).content.decode()
    assert answers.count("<figure") == 2 and 'alt="Chart 1: who decides"' in answers


def test_the_add_page_refuses_a_figure_without_alt_text(client, a):
    client.force_login(a.commissioner)
    response = client.post(add_url(a), {"upload": upload(image_bytes()), "alt_text": "  "})
    assert response.status_code == 400
    assert "Enter alt text that describes the figure" in response.content.decode()
    assert not Figure.objects.exists()


def test_the_add_page_shows_the_services_refusal_on_the_image_field(client, a):
    client.force_login(a.commissioner)
    response = client.post(add_url(a), {"upload": upload(b"%PDF-1.4\n"), "alt_text": "A chart"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'href="#id_upload">The selected file must be a PNG or JPEG image' in html


def test_a_figure_is_removed_through_the_confirm_page(client, a):
    figure = add(a)
    client.force_login(a.commissioner)
    remove_url = url(a, "plans:figure_remove", pk=figure.pk)
    assert "Are you sure you want to remove this figure?" in client.get(remove_url).content.decode()
    response = client.post(remove_url, {"version": figure.version})
    assert response.status_code == 302
    assert not Figure.objects.exists()


def test_a_viewer_sees_figures_but_no_add_or_remove(client, a):
    figure = add(a)
    client.force_login(a.viewer)
    page = client.get(url(a, "plans:section", section_key=narrative(a).section.key)).content.decode()
    assert f'alt="{figure.alt_text}"' in page
    assert "Add a figure" not in page and "Remove" not in page
    assert client.get(url(a, "plans:figure_image", pk=figure.pk)).status_code == 200
    assert client.get(add_url(a)).status_code == 403


def test_another_areas_figure_gives_404(client, a):
    figure = add(a)
    client.force_login(a.outsider)
    assert client.get(url(a, "plans:figure_image", pk=figure.pk)).status_code == 404
    assert client.get(url(a, "plans:figure_remove", pk=figure.pk)).status_code == 404
    assert client.post(url(a, "plans:figure_move", pk=figure.pk), {"to": "up"}).status_code == 404
    assert client.get(add_url(a)).status_code == 404
    # Their own plan's URL with this plan's figure id: still 404.
    assert client.get(url(a, "plans:figure_image", a.other_plan, pk=figure.pk)).status_code == 404
    assert client.post(url(a, "plans:figure_remove", a.other_plan, pk=figure.pk)).status_code == 404
    assert Figure.objects.filter(pk=figure.pk).exists()


def test_a_section_page_asks_for_its_status_comments_and_figures_in_one_statement_and_shows_what_is_added(client, a):
    """Most sections have no comments and most plans no figures: one plain statement says so (with the
    section's status), and the rows are read only when there are some, added by whatever path (issue 21)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from governance.models import SectionComment  # the test may reach across layers

    section = narrative(a).section
    section_url = url(a, "plans:section", section_key=section.key)
    client.force_login(a.commissioner)
    client.get(section_url)  # the signed-in user and the round's configuration, read once and then cached
    with CaptureQueriesContext(connection) as queries:
        page = client.get(section_url).content.decode()
    statements = [q["sql"] for q in queries.captured_queries]
    assert sum("plans_figure" in sql for sql in statements) == 1
    assert sum("governance_sectioncomment" in sql for sql in statements) == 1
    assert sum("plans_sectionprogress" in sql for sql in statements) == 1
    assert len(statements) == 3, statements  # the plan, that statement, the answers
    assert "No figures added" in page and "Comments from your assurer" not in page

    add(a, caption="Figure 1: Governance")
    SectionComment.objects.create(plan=a.plan, section=section, author=a.commissioner, text="Add dates.")
    page = client.get(section_url).content.decode()
    assert "Figure 1: Governance" in page and "No figures added" not in page
    assert "Comments from your assurer" in page and "Add dates." in page
