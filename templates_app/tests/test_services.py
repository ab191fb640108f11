import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from assertions.tests.factories import AssertionFactory
from core.exceptions import ApplicationError, PermissionDeniedError
from core.testing import png_upload
from issuers.models import Role
from issuers.tests.factories import IssuerFactory, MembershipFactory
from templates_app.designer import design_clean, design_svg
from templates_app.models import BadgeTemplate, BadgeTemplateVersion, Kind
from templates_app.selectors import template_history
from templates_app.services import (
    template_archive,
    template_create,
    template_duplicate,
    template_update,
)
from templates_app.tests.factories import BadgeTemplateFactory

pytestmark = pytest.mark.django_db


def test_create_makes_version_1_with_a_copy_of_everything_shown():
    template = BadgeTemplateFactory(
        name="Python",
        tags=["code", " code ", "python"],
        kind=Kind.KNOWLEDGE,
        alignments=[{"targetName": "ESCO", "targetUrl": "https://esco.example/1"}],
    )
    version = template.current_version
    assert version.number == 1
    assert version.name == "Python"
    assert version.kind == Kind.KNOWLEDGE
    assert version.tags == ["code", "python"]
    assert version.alignments == [{"targetName": "ESCO", "targetUrl": "https://esco.example/1"}]
    assert version.image.name.startswith("badge-versions/")
    assert len(version.image_sha256) == 64


def test_an_edit_that_changes_what_a_badge_shows_makes_a_new_version():
    template = BadgeTemplateFactory(description="Old words")
    template_update(template=template, description="New words")
    template.refresh_from_db()
    assert template.current_version.number == 2
    assert template.current_version.description == "New words"
    # the new version keeps the image it did not change
    assert template.current_version.image.name == template.versions.get(number=1).image.name


def test_an_edit_of_what_no_badge_shows_makes_no_version():
    template = BadgeTemplateFactory()
    template_update(template=template, validity_amount=2, validity_unit="years")
    template_update(template=template, description=template.description)
    assert template.versions.count() == 1


def test_a_new_image_makes_a_version_and_the_same_image_does_not():
    template = BadgeTemplateFactory(image=png_upload(color="#ff0000"))
    template_update(template=template, image=png_upload(color="#ff0000"))
    assert template.versions.count() == 1
    template_update(template=template, image=png_upload(color="#00ff00"))
    assert template.versions.count() == 2


def test_a_template_edit_after_issuing_leaves_old_badges_on_the_old_version():
    template = BadgeTemplateFactory(name="First name")
    badge = AssertionFactory(template=template)
    template_update(template=template, name="Second name")
    badge.refresh_from_db()
    assert badge.badge_template_version.number == 1
    assert badge.badge_template_version.name == "First name"
    newer = AssertionFactory(template=BadgeTemplate.objects.get(pk=template.pk))
    assert newer.badge_template_version.number == 2


def test_versions_are_never_rewritten():
    template = BadgeTemplateFactory(name="A")
    v1 = template.current_version
    before = {f.name: getattr(v1, f.name) for f in BadgeTemplateVersion._meta.concrete_fields}
    template_update(template=template, name="B", tags=["x"])
    v1.refresh_from_db()
    assert {
        f.name: getattr(v1, f.name) for f in BadgeTemplateVersion._meta.concrete_fields
    } == before


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"name": ""}, "name"),
        ({"kind": "hobby"}, "kind"),
        ({"criteria_url": "not a url"}, "criteria_url"),
        ({"tags": "a,b"}, "tags"),
        ({"tags": ["ok", ""]}, "tags"),
        ({"alignments": [{"targetName": "x"}]}, "alignments"),
        ({"alignments": [{"targetName": "x", "targetUrl": "u", "colour": "red"}]}, "alignments"),
    ],
)
def test_create_names_the_bad_field(fields, bad_field):
    issuer = IssuerFactory()
    base = {
        "issuer": issuer,
        "name": "Ok",
        "criteria_url": "https://x.example",
        "image": png_upload(),
    }
    with pytest.raises(ApplicationError) as err:
        template_create(**{**base, **fields})
    assert bad_field in err.value.field_errors
    assert not BadgeTemplate.objects.exists()


def test_criteria_and_validity_rules():
    issuer = IssuerFactory()
    with pytest.raises(ApplicationError, match="criteria"):
        template_create(issuer=issuer, name="No criteria", image=png_upload())
    with pytest.raises(ApplicationError, match="amount and a unit"):
        template_create(
            issuer=issuer,
            name="Half validity",
            criteria_url="https://x.example",
            validity_amount=3,
            image=png_upload(),
        )


def test_images_are_checked(settings):
    issuer = IssuerFactory()
    common = {"issuer": issuer, "name": "Img", "criteria_url": "https://x.example"}
    with pytest.raises(ApplicationError, match="needs an image"):
        template_create(**common)
    with pytest.raises(ApplicationError, match="not a PNG"):
        template_create(**common, image=SimpleUploadedFile("x.png", b"<script>alert(1)</script>"))
    settings.BADGE_IMAGE_MAX_BYTES = 100
    with pytest.raises(ApplicationError, match="larger than"):
        template_create(**common, image=png_upload(size=256))
    settings.BADGE_IMAGE_MAX_BYTES = 10**6
    settings.BADGE_IMAGE_MAX_PIXELS = 32 * 32
    with pytest.raises(ApplicationError, match="too many pixels"):
        template_create(**common, image=png_upload(size=64))


def test_roles_for_templates():
    staff = MembershipFactory(role=Role.STAFF)
    editor = MembershipFactory(issuer=staff.issuer, role=Role.EDITOR)
    args = {"issuer": staff.issuer, "name": "T", "criteria_url": "https://x.example"}
    with pytest.raises(PermissionDeniedError):
        template_create(**args, actor=staff.user, image=png_upload())
    template = template_create(**args, actor=editor.user, image=png_upload())
    with pytest.raises(PermissionDeniedError):
        template_update(template=template, actor=staff.user, name="U")
    with pytest.raises(PermissionDeniedError):
        template_archive(template=template, actor=staff.user)
    assert template_archive(template=template, actor=editor.user).archived


def test_unknown_fields_are_refused():
    template = BadgeTemplateFactory()
    with pytest.raises(ApplicationError, match="issuer"):
        template_update(template=template, issuer=IssuerFactory())


# --- the workspace's template pages (issue 20): design, duplicate, history ------------------


def test_a_design_is_kept_checked_and_an_upload_forgets_it():

    design = design_clean({"shape": "shield", "title": "Git"})
    template = BadgeTemplateFactory(image=design_svg(design), design=design.as_dict())
    assert template.design["shape"] == "shield"
    assert template.current_version.image.name.endswith(".svg")
    with pytest.raises(ApplicationError) as caught:
        template_update(template=template, design={"shape": "blob"})
    assert "shape" in caught.value.field_errors
    template = template_update(template=template, image=png_upload())
    assert template.design == {}


def test_duplicate_copies_the_fields_image_and_design_but_not_the_archiving():

    # given an archived template with tags, alignments and a validity
    original = BadgeTemplateFactory(
        name="Git Basics",
        tags=["git", "vcs"],
        alignments=[{"targetName": "ESCO git", "targetUrl": "https://esco.example/git"}],
        validity_amount=2,
        validity_unit="years",
    )
    template_archive(template=original)
    # when an editor duplicates it
    editor = MembershipFactory(issuer=original.issuer, role=Role.EDITOR).user
    copy = template_duplicate(template=original, actor=editor)
    # then the copy is a new, assignable template with the same content and image
    assert copy.pk != original.pk
    assert copy.entity_id != original.entity_id
    assert copy.name == "Copy of Git Basics"
    assert (copy.tags, copy.alignments) == (original.tags, original.alignments)
    assert (copy.validity_amount, copy.validity_unit) == (2, "years")
    assert copy.archived is False
    assert copy.current_version.number == 1
    assert copy.current_version.image_sha256 == original.current_version.image_sha256
    assert copy.created_by == editor


def test_staff_may_not_duplicate():

    original = BadgeTemplateFactory()
    staff = MembershipFactory(issuer=original.issuer, role=Role.STAFF).user
    with pytest.raises(PermissionDeniedError):
        template_duplicate(template=original, actor=staff)
    assert BadgeTemplate.objects.count() == 1


def test_the_history_says_what_each_version_changed():

    template = BadgeTemplateFactory(name="Old", tags=["a"])
    template_update(template=template, name="New", tags=["a", "b"])
    template_update(template=template, validity_amount=3, validity_unit="days")  # not shown
    template_update(template=template, image=png_upload(color="#ff0000"))
    history = template_history(template)
    assert [entry.version.number for entry in history] == [3, 2, 1]
    assert [c.field for c in history[0].changes] == ["image"]
    assert [(c.field, c.before, c.after) for c in history[1].changes] == [
        ("name", "Old", "New"),
        ("tags", ["a"], ["a", "b"]),
    ]
    assert history[2].changes == []
