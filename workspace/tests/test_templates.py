"""The badge template pages (issue 20): list, create and edit with the designer or an
upload, preview, duplicate, archive, history and PNG downloads; owners and editors
change, staff read, other issuers' members find nothing."""

import base64
import re
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from assertions.services import batch_assign
from core.exceptions import ApplicationError
from core.testing import png_bytes
from issuers.models import Role
from issuers.tests.factories import MembershipFactory
from templates_app.models import BadgeTemplate
from templates_app.services import template_archive, template_update
from templates_app.tests.factories import BadgeTemplateFactory

pytestmark = pytest.mark.django_db


def url(issuer, suffix=""):
    return f"/issuers/{issuer.entity_id}/templates/{suffix}"


def designed(**overrides) -> dict:
    """A valid form that draws its image in the designer."""
    data = {
        "name": "Git Basics",
        "kind": "skills",
        "description": "Branches and merges.",
        "criteria_narrative": "Pass the **final** quiz.",
        "tags": "git, vcs, git",
        "alignment_framework": ["ESCO", ""],
        "alignment_code": ["S1.2", ""],
        "alignment_name": ["Use version control", ""],
        "alignment_url": ["https://esco.example/s1.2", ""],
        "validity_amount": "2",
        "validity_unit": "years",
        "image_source": "design",
        "shape": "hexagon",
        "background": "#204080",
        "accent": "#ffcc00",
        "text_colour": "#ffffff",
        "title": "Git Basics",
        "icon": "code",
    }
    data.update(overrides)
    return data


def login_as(client, issuer, role):
    user = MembershipFactory(issuer=issuer, role=role).user
    client.force_login(user)
    return user


def test_an_editor_creates_a_template_in_the_designer(client, issuer):
    # given an editor of the issuer
    editor = login_as(client, issuer, Role.EDITOR)
    # when they send the form with a design
    response = client.post(url(issuer, "new/"), designed())
    # then the template exists with everything typed, its SVG image and version 1
    template = BadgeTemplate.objects.get(issuer=issuer, name="Git Basics")
    assert response.status_code == 302
    assert response.url == url(issuer, f"{template.entity_id}/")
    assert template.tags == ["git", "vcs"]
    assert template.alignments == [
        {
            "targetFramework": "ESCO",
            "targetCode": "S1.2",
            "targetName": "Use version control",
            "targetUrl": "https://esco.example/s1.2",
        }
    ]
    assert (template.validity_amount, template.validity_unit) == (2, "years")
    assert template.design["shape"] == "hexagon"
    assert template.created_by == editor
    version = template.current_version
    assert version.number == 1
    assert version.image.name.endswith(".svg")
    assert b"#204080" in version.image.read()
    assert version.image_high.name.endswith(".png")


def test_an_owner_creates_a_template_from_an_upload(client, issuer, staff):
    response = client.post(
        url(issuer, "new/"),
        designed(image_source="upload", image=SimpleUploadedFile("b.png", png_bytes(size=120))),
    )
    assert response.status_code == 302
    template = BadgeTemplate.objects.get(name="Git Basics")
    assert template.current_version.image.name.endswith(".png")
    assert template.design == {}


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"name": ""}, "name", "required"),
        ({"criteria_narrative": "", "criteria_url": ""}, "criteria_narrative", "criteria"),
        ({"criteria_url": "javascript:alert(1)"}, "criteria_url", ""),
        ({"validity_unit": ""}, "validity_unit", "days, weeks"),
        ({"validity_amount": "0"}, "validity_amount", ""),
        ({"background": "red"}, "background", "#rrggbb"),
        ({"shape": "blob"}, "shape", ""),
        ({"alignment_url": ["ftp://x.example/", ""]}, "alignments", "http"),
        ({"alignment_url": ["", ""]}, "alignments", "targetUrl"),
        (
            {"alignment_name": ["x"] * 51, "alignment_url": ["https://a.example"] * 51},
            "alignments",
            "At most 50",
        ),
        ({"image_source": "upload"}, "image", "Choose the image file"),
        (
            {"image_source": "upload", "image": SimpleUploadedFile("a.gif", b"GIF89a" + b"0" * 9)},
            "image",
            "GIF",
        ),
        (
            {"picture": SimpleUploadedFile("p.html", b"<html><script>1</script></html>")},
            "picture",
            "PNG",
        ),
    ],
)
def test_bad_input_is_shown_under_its_field_and_nothing_is_saved(
    client, issuer, staff, changes, field, words
):
    response = client.post(url(issuer, "new/"), designed(**changes))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors, errors
    assert words in " ".join(errors[field])
    assert not BadgeTemplate.objects.filter(issuer=issuer).exists()


def test_editing_makes_a_version_and_the_history_shows_the_change(client, issuer, staff):
    template = BadgeTemplateFactory(issuer=issuer, name="Old name", tags=["a"])
    page = client.get(url(issuer, f"{template.entity_id}/"))
    assert page.status_code == 200
    assert page.context["form"].initial["tags"] == "a"
    response = client.post(
        url(issuer, f"{template.entity_id}/"),
        designed(name="New name", tags="a, b", image_source="keep"),
    )
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.current_version.number == 2
    history = client.get(url(issuer, f"{template.entity_id}/versions/"))
    text = history.content.decode()
    assert "Old name" in text
    assert "New name" in text
    assert "a, b" in text
    # an alignment's address alone changing shows in the history too
    client.post(
        url(issuer, f"{template.entity_id}/"),
        designed(
            name="New name",
            tags="a, b",
            image_source="keep",
            alignment_url=["https://esco.example/v2", ""],
        ),
    )
    text = client.get(url(issuer, f"{template.entity_id}/versions/")).content.decode()
    assert "https://esco.example/s1.2" in text
    assert "https://esco.example/v2" in text


def test_the_preview_renders_the_markdown_safely_and_draws_the_design(client, issuer, staff):
    response = client.post(
        url(issuer, "preview/"),
        designed(criteria_narrative="**Pass** it <script>alert(1)</script>"),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>Pass</strong>" in html
    assert "<script>" not in html
    assert 'src="data:image/svg+xml;base64,' in html
    assert "Valid for 2 years" in html
    # and a bad design says why instead of drawing
    bad = client.post(url(issuer, "preview/"), designed(accent="nope"))
    assert bad.status_code == 400
    assert "#rrggbb" in bad.content.decode()


def test_the_no_javascript_preview_button_shows_the_preview_without_saving(client, issuer, staff):
    response = client.post(url(issuer, "new/"), designed(preview="1"))
    assert response.status_code == 200
    assert response.context["preview"]["fields"]["name"] == "Git Basics"
    assert not BadgeTemplate.objects.exists()


def test_the_list_searches_filters_by_kind_and_shows_archived_apart(client, issuer, staff):
    BadgeTemplateFactory(issuer=issuer, name="Python Basics", kind="skills", tags=["code"])
    BadgeTemplateFactory(issuer=issuer, name="Summer Camp", kind="participation")
    old = BadgeTemplateFactory(issuer=issuer, name="Old Python")
    template_archive(template=old)
    BadgeTemplateFactory(name="Python elsewhere")  # another issuer's

    def names(**query):
        response = client.get(url(issuer), query)
        assert response.status_code == 200
        return [row["template"].name for row in response.context["rows"]]

    assert names() == ["Python Basics", "Summer Camp"]
    assert names(q="pyth") == ["Python Basics"]
    assert names(q="CODE") == ["Python Basics"]  # a tag
    assert names(kind="participation") == ["Summer Camp"]
    assert names(archived="on") == ["Old Python"]
    assert names(kind="nonsense") == ["Python Basics", "Summer Camp"]  # ignored, no 500


def test_the_list_makes_the_same_queries_for_3_or_150_templates(
    client, issuer, staff, django_assert_max_num_queries
):
    first = BadgeTemplateFactory(issuer=issuer, name="A")
    BadgeTemplateFactory(issuer=issuer, name="B")
    BadgeTemplateFactory(issuer=issuer, name="C")
    with django_assert_max_num_queries(20) as few:
        client.get(url(issuer))
    fields = {f.attname: getattr(first, f.attname) for f in BadgeTemplate._meta.concrete_fields}
    fields.pop("id")
    BadgeTemplate.objects.bulk_create(
        [
            BadgeTemplate(**{**fields, "entity_id": f"copy-{i:04d}", "name": f"Copy {i:04d}"})
            for i in range(147)
        ]
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url(issuer))
    assert len(response.context["rows"]) == 100
    assert response.context["more"] is True


def test_duplicate_and_archive_from_the_pages(client, issuer, staff):
    template = BadgeTemplateFactory(issuer=issuer, name="Git")
    response = client.post(url(issuer, f"{template.entity_id}/duplicate/"))
    copy = BadgeTemplate.objects.get(name="Copy of Git")
    assert response.url == url(issuer, f"{copy.entity_id}/")
    client.post(url(issuer, f"{template.entity_id}/archive/"), {"archived": "1"})
    template.refresh_from_db()
    assert template.archived
    # an archived template cannot be assigned (the award service's rule)
    with pytest.raises(ApplicationError) as refused:
        batch_assign(
            template=template,
            rows=[{"email": "ada@example.org", "first_name": "Ada", "last_name": "L"}],
            actor=staff.user,
        )
    assert refused.value.code == "template_archived"
    client.post(url(issuer, f"{template.entity_id}/archive/"), {"archived": "0"})
    template.refresh_from_db()
    assert not template.archived


@pytest.mark.parametrize("size", [96, 512])
def test_the_badge_downloads_as_a_png_of_each_size(client, issuer, staff, size):
    client.post(url(issuer, "new/"), designed())
    template = BadgeTemplate.objects.get(name="Git Basics")
    response = client.get(url(issuer, f"{template.entity_id}/badge-{size}.png"))
    assert response["Content-Type"] == "image/png"
    with Image.open(BytesIO(response.content)) as img:
        assert img.size == (size, size)
    assert client.get(url(issuer, f"{template.entity_id}/badge-97.png")).status_code == 404


def test_an_uploaded_png_downloads_fitted_never_enlarged(client, issuer, staff):
    template = BadgeTemplateFactory(
        issuer=issuer, image=SimpleUploadedFile("b.png", png_bytes(size=300), "image/png")
    )
    response = client.get(url(issuer, f"{template.entity_id}/badge-96.png"))
    with Image.open(BytesIO(response.content)) as img:
        assert img.size == (96, 96)
    response = client.get(url(issuer, f"{template.entity_id}/badge-1024.png"))
    with Image.open(BytesIO(response.content)) as img:
        assert img.size == (300, 300)


def test_staff_see_templates_read_only_and_cannot_change_them(client, issuer):
    template = BadgeTemplateFactory(issuer=issuer, name="Git")
    login_as(client, issuer, Role.STAFF)
    # the list and the template show, without the ways to change them
    listing = client.get(url(issuer))
    assert listing.status_code == 200
    assert b"Duplicate" not in listing.content
    assert b"New template" not in listing.content
    page = client.get(url(issuer, f"{template.entity_id}/"))
    assert page.status_code == 200
    assert b'data-testid="read-only"' in page.content
    assert b'data-testid="template-save"' not in page.content
    assert page.context["form"].fields["name"].disabled
    # every change is refused, and nothing changes
    assert client.get(url(issuer, "new/")).status_code == 403
    for path, data in [
        ("new/", designed()),
        (f"{template.entity_id}/", designed(name="Changed", image_source="keep")),
        (f"{template.entity_id}/duplicate/", {}),
        (f"{template.entity_id}/archive/", {"archived": "1"}),
    ]:
        assert client.post(url(issuer, path), data).status_code == 403, path
    template.refresh_from_db()
    assert (template.name, template.archived) == ("Git", False)
    assert BadgeTemplate.objects.count() == 1


def test_another_issuers_member_finds_nothing(client, issuer):
    template = BadgeTemplateFactory(issuer=issuer, name="Secret badge")
    outsider = MembershipFactory(role=Role.OWNER).user
    client.force_login(outsider)
    for path in [
        "",
        "new/",
        f"{template.entity_id}/",
        f"{template.entity_id}/versions/",
        f"{template.entity_id}/badge-96.png",
    ]:
        response = client.get(url(issuer, path))
        assert response.status_code == 404, path
        assert b"Secret badge" not in response.content
    for path in ["preview/", f"{template.entity_id}/duplicate/", f"{template.entity_id}/archive/"]:
        assert client.post(url(issuer, path), designed()).status_code == 404, path
    # nor through its own issuer's address
    own = outsider.issuer_memberships.get().issuer
    assert client.get(url(own, f"{template.entity_id}/")).status_code == 404
    template.refresh_from_db()
    assert not template.archived
    assert BadgeTemplate.objects.count() == 1


def test_signed_out_visitors_are_sent_to_sign_in(client, issuer):
    template = BadgeTemplateFactory(issuer=issuer)
    client.logout()
    response = client.get(url(issuer, f"{template.entity_id}/"))
    assert response.status_code == 302
    assert "login" in response.url


def test_a_badge_whose_stored_image_is_gone_says_so_instead_of_failing(client, issuer, staff):
    # Given a template whose stored image file was lost, and one whose file is not an image
    lost = BadgeTemplateFactory(issuer=issuer, name="Lost")
    lost.current_version.image.storage.delete(lost.current_version.image.name)
    broken = BadgeTemplateFactory(issuer=issuer, name="Broken")
    with broken.current_version.image.storage.open(broken.current_version.image.name, "wb") as f:
        f.write(b"not an image")
    for template in (lost, broken):
        # When its PNG is downloaded
        response = client.get(url(issuer, f"{template.entity_id}/badge-256.png"), follow=True)
        # Then the template's page says what is wrong, and no error page is shown
        assert response.status_code == 200
        assert response.redirect_chain[-1][0].endswith(f"/templates/{template.entity_id}/")
        assert b"cannot be read; upload the image again" in response.content


def _pictures_in(svg: bytes) -> list[bytes]:
    """The pixels of each picture a designed SVG embeds (PNG, JPEG or WebP data URIs)."""
    found = re.findall(rb'href="data:image/(?:png|jpeg|webp);base64,([^"]+)"', svg)
    return [Image.open(BytesIO(base64.b64decode(data))).convert("RGBA").tobytes() for data in found]


def _drawn(template) -> list[bytes]:
    template.refresh_from_db()
    with template.current_version.image.open("rb") as file:
        return _pictures_in(file.read())


def test_the_designers_picture_stays_through_a_redesign_until_cleared(client, issuer, staff):
    # Given a template drawn in the designer with a picture instead of the icon
    picture = png_bytes(size=90, color="#10a050")
    client.post(url(issuer, "new/"), designed(picture=SimpleUploadedFile("me.png", picture)))
    template = BadgeTemplate.objects.get(name="Git Basics")
    pixels = Image.open(BytesIO(picture)).convert("RGBA").tobytes()
    assert _drawn(template) == [pixels]
    assert template.design_picture.name.startswith("badge-templates/pictures/")
    # the edit page shows it as the picture field's current file, with a way to clear it
    page = client.get(url(issuer, f"{template.entity_id}/"))
    html = page.content.decode()
    assert template.design_picture.url in html
    assert 'name="picture-clear"' in html
    # When the design changes (another colour) and no picture is chosen again
    response = client.post(url(issuer, f"{template.entity_id}/"), designed(background="#aa0000"))
    # Then the badge is drawn again with the picture (it was drawn with the icon before)
    assert response.status_code == 302
    assert _drawn(template) == [pixels]
    assert template.current_version.number == 2
    kept = template.design_picture.name
    # and so is the live preview
    preview = client.post(
        url(issuer, f"preview/?template={template.entity_id}"), designed(background="#0000aa")
    )
    (uri,) = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', preview.content.decode())
    assert _pictures_in(base64.b64decode(uri)) == [pixels]
    # the stored picture is not written again when it is kept
    client.post(url(issuer, f"{template.entity_id}/"), designed(background="#00aa00"))
    template.refresh_from_db()
    assert template.design_picture.name == kept
    # When another picture is chosen, it replaces the first
    other = png_bytes(size=70, color="#a01050")
    client.post(
        url(issuer, f"{template.entity_id}/"),
        designed(picture=SimpleUploadedFile("other.png", other)),
    )
    assert _drawn(template) == [Image.open(BytesIO(other)).convert("RGBA").tobytes()]
    # When it is cleared, the icon is drawn instead and the picture is forgotten
    client.post(url(issuer, f"{template.entity_id}/"), designed(**{"picture-clear": "on"}))
    assert _drawn(template) == []
    assert not template.design_picture


def test_an_uploaded_image_or_a_copy_takes_the_designers_picture_with_it(client, issuer, staff):
    picture = png_bytes(size=90, color="#10a050")
    client.post(url(issuer, "new/"), designed(picture=SimpleUploadedFile("me.png", picture)))
    template = BadgeTemplate.objects.get(name="Git Basics")
    # a copy is drawn with the same picture, and redrawn with it
    client.post(url(issuer, f"{template.entity_id}/duplicate/"))
    copy = BadgeTemplate.objects.get(name="Copy of Git Basics")
    assert copy.design_picture
    assert copy.design_picture.name != template.design_picture.name
    client.post(url(issuer, f"{copy.entity_id}/"), designed(name="Copy", background="#aa0000"))
    assert _drawn(copy) == _drawn(template)
    assert _drawn(copy) != []
    # an uploaded image replaces the design, and its picture with it
    client.post(
        url(issuer, f"{template.entity_id}/"),
        designed(image_source="upload", image=SimpleUploadedFile("b.png", png_bytes(size=120))),
    )
    template.refresh_from_db()
    assert template.design == {}
    assert not template.design_picture
    # both chosen at once is a message on the form, nothing saved
    refused = client.post(
        url(issuer, f"{copy.entity_id}/"),
        designed(picture=SimpleUploadedFile("x.png", picture), **{"picture-clear": "on"}),
    )
    assert refused.status_code == 400
    assert "picture" in refused.context["form"].errors


def test_the_designers_picture_comes_with_a_design():
    template = BadgeTemplateFactory()
    owner = MembershipFactory(issuer=template.issuer, role=Role.OWNER).user
    with pytest.raises(ApplicationError) as refused:
        template_update(template=template, design_picture=png_bytes(), actor=owner)
    assert "design_picture" in refused.value.field_errors


def test_a_designers_picture_the_storage_lost_is_a_message_not_an_error(client, issuer, staff):
    # Given a template drawn with a picture whose stored file was lost
    picture = png_bytes(size=90, color="#10a050")
    client.post(url(issuer, "new/"), designed(picture=SimpleUploadedFile("me.png", picture)))
    template = BadgeTemplate.objects.get(name="Git Basics")
    template.design_picture.storage.delete(template.design_picture.name)
    # When the design is changed, previewed or the template copied
    changed = client.post(url(issuer, f"{template.entity_id}/"), designed(background="#aa0000"))
    preview = client.post(
        url(issuer, f"preview/?template={template.entity_id}"), designed(background="#aa0000")
    )
    copied = client.post(url(issuer, f"{template.entity_id}/duplicate/"), follow=True)
    # Then each says what is wrong, under the picture or as a message, and nothing changes
    lost = "cannot be read any more; choose it again"
    assert changed.status_code == 400
    assert lost in " ".join(changed.context["form"].errors["picture"])
    assert preview.status_code == 400
    assert lost in preview.content.decode()
    assert lost in copied.content.decode()
    assert BadgeTemplate.objects.count() == 1
    template.refresh_from_db()
    assert template.current_version.number == 1
    # and ticking the box draws the icon
    client.post(url(issuer, f"{template.entity_id}/"), designed(**{"picture-clear": "on"}))
    template.refresh_from_db()
    assert template.current_version.number == 2
    assert not template.design_picture
