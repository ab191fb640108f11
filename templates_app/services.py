from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError, ConflictError, full_clean_or_raise
from core.uploads import image_accept
from core.validators import is_web_url
from issuers.models import Issuer
from issuers.permissions import MANAGE_TEMPLATES, require_role
from templates_app.designer import design_clean, picture_accept
from templates_app.images import make_renditions
from templates_app.models import VERSION_FIELDS, BadgeTemplate, BadgeTemplateVersion

# What an awarded badge shows. A change to any of these (or to the image) makes a version.
SHOWN_FIELDS = VERSION_FIELDS
EDITABLE_FIELDS = (*SHOWN_FIELDS, "validity_amount", "validity_unit", "image")
ALIGNMENT_KEYS = {"targetName", "targetUrl", "targetDescription", "targetFramework", "targetCode"}


def _clean_tags(tags) -> list[str]:
    if tags is None:
        return []
    if isinstance(tags, str) or not isinstance(tags, list | tuple):
        raise ApplicationError(
            _("Tags must be a list."), field_errors={"tags": [_("Give a list of words.")]}
        )
    cleaned = []
    for tag in tags:
        if not isinstance(tag, str) or not tag.strip():
            raise ApplicationError(
                _("Every tag must be non-empty text."),
                field_errors={"tags": [_("Every tag must be non-empty text.")]},
            )
        if tag.strip() not in cleaned:
            cleaned.append(tag.strip())
    return cleaned


def _clean_alignments(alignments) -> list[dict]:
    if alignments is None:
        return []
    problems = []
    if not isinstance(alignments, list | tuple):
        problems.append("Give a list of alignment objects.")
        alignments = []
    for i, item in enumerate(alignments, start=1):
        if not isinstance(item, dict):
            problems.append(f"Alignment {i} is not an object.")
            continue
        unknown = set(item) - ALIGNMENT_KEYS
        if unknown:
            problems.append(f"Alignment {i} has unknown keys: {', '.join(sorted(unknown))}.")
        for key in ("targetName", "targetUrl"):
            if not isinstance(item.get(key), str) or not item[key].strip():
                problems.append(f"Alignment {i} needs {key}.")
        optional = (ALIGNMENT_KEYS - {"targetName", "targetUrl"}) & set(item)
        others = [k for k in optional if not isinstance(item[k], str)]
        if others:
            problems.append(f"Alignment {i}: {', '.join(sorted(others))} must be text.")
        url = item.get("targetUrl")
        if isinstance(url, str) and url.strip() and not is_web_url(url):
            # It becomes a link on the public badge page: http(s) only, as every URL.
            problems.append(
                f"Alignment {i}: targetUrl must be an absolute http:// or https:// address."
            )
    if problems:
        raise ApplicationError(
            _("The alignments are not valid."), field_errors={"alignments": problems}
        )
    return [dict(item) for item in alignments]


def _snapshot(template: BadgeTemplate) -> dict:
    return {field: getattr(template, field) for field in SHOWN_FIELDS}


def _version_snapshot(version: BadgeTemplateVersion) -> dict:
    return {field: getattr(version, field) for field in SHOWN_FIELDS}


def _new_version(template: BadgeTemplate, *, image, actor) -> BadgeTemplateVersion:
    """`image` is a new image the upload gate accepted, or the version whose image to keep."""
    last = template.versions.aggregate(n=Max("number"))["n"] or 0
    version = BadgeTemplateVersion(
        template=template, number=last + 1, created_by=actor, **_snapshot(template)
    )
    if isinstance(image, BadgeTemplateVersion):
        # Versions never change and their files are never deleted, so they can share one.
        version.image.name = image.image.name
        version.image_high.name = image.image_high.name
        version.image_thumbnail.name = image.image_thumbnail.name
        version.image_sha256 = image.image_sha256
    else:
        sizes = make_renditions(image)
        name = version.entity_id
        version.image.save(f"{name}{sizes.image_ext}", ContentFile(sizes.image), save=False)
        version.image_high.save(f"{name}-high.png", ContentFile(sizes.high), save=False)
        version.image_thumbnail.save(f"{name}-thumb.png", ContentFile(sizes.thumbnail), save=False)
        version.image_sha256 = image.sha256
    version.save()
    template.current_version = version
    template.save(update_fields=["current_version", "updated_at"])
    return version


KEEP = object()  # the designer's picture stays as it is


def _picture_set(template: BadgeTemplate, picture) -> None:
    """The designer's picture of `template` becomes `picture`: KEEP, None (none), the
    stored file itself (kept), or a new one (an upload, bytes), which passes the gate."""
    if picture is KEEP or (
        isinstance(picture, FieldFile) and picture.name == template.design_picture.name
    ):
        return
    template.design_picture = picture_accept(picture).as_file() if picture else ""


def _apply(template: BadgeTemplate, changes: dict):
    """Set `changes` on the template; return the new image (through the gate), or None."""
    unknown = set(changes) - {*EDITABLE_FIELDS, "design", "design_picture"}
    if unknown:
        raise ApplicationError(
            _("These template fields cannot be set: %(names)s.")
            % {"names": ", ".join(sorted(unknown))}
        )
    image = changes.pop("image", None)
    picture = changes.pop("design_picture", KEEP)
    if "design" in changes:
        # Kept only to open the designer again: checked as the designer checks it.
        changes["design"] = design_clean(changes["design"]).as_dict() if changes["design"] else {}
        if not changes["design"]:
            picture = None
    elif image is not None:
        changes["design"] = {}  # an uploaded image: the designer did not draw it
        picture = None
    elif picture is not KEEP:
        raise ApplicationError(
            _("A picture for the designer comes with the design it is drawn in."),
            field_errors={"design_picture": [_("Give the design too.")]},
        )
    _picture_set(template, picture)
    if "tags" in changes:
        changes["tags"] = _clean_tags(changes["tags"])
    if "alignments" in changes:
        changes["alignments"] = _clean_alignments(changes["alignments"])
    for field in ("name", "description", "criteria_url", "criteria_narrative", "validity_unit"):
        if field in changes:
            changes[field] = (changes[field] or "").strip()
    for field, value in changes.items():
        setattr(template, field, value)
    if image is None:
        return None
    accepted = image_accept(image)
    template.image = accepted.as_file()
    return accepted


@transaction.atomic
def template_create(*, issuer: Issuer, actor=None, name: str, **fields) -> BadgeTemplate:
    """Create a badge template and its version 1."""
    require_role(actor, issuer, MANAGE_TEMPLATES)
    template = BadgeTemplate(issuer=issuer, created_by=actor)
    if fields.get("image") is None:
        raise ApplicationError(
            _("A badge template needs an image."),
            field_errors={"image": [_("Upload the badge image (PNG, JPEG, WebP or SVG).")]},
        )
    new_image = _apply(template, {"name": name, **fields})
    full_clean_or_raise(template, "The badge template is not valid.", exclude=["current_version"])
    template.save()
    _new_version(template, image=new_image, actor=actor)
    return template


@transaction.atomic
def template_update(*, template: BadgeTemplate, actor=None, **changes) -> BadgeTemplate:
    """Change a template. A new version is made only when something a badge shows changed;
    badges already issued keep their version."""
    require_role(actor, template.issuer, MANAGE_TEMPLATES)
    template = (
        BadgeTemplate.objects.select_for_update(of=("self",))
        .select_related("current_version")
        .get(pk=template.pk)
    )
    new_image = _apply(template, dict(changes))
    full_clean_or_raise(template, "The badge template is not valid.", exclude=["current_version"])
    template.save()
    current = template.current_version
    image_changed = new_image is not None and new_image.sha256 != current.image_sha256
    if image_changed or _snapshot(template) != _version_snapshot(current):
        _new_version(template, image=new_image if image_changed else current, actor=actor)
    return template


@transaction.atomic
def template_archive(
    *, template: BadgeTemplate, actor=None, archived: bool = True
) -> BadgeTemplate:
    """Archived templates can no longer be awarded; badges already issued stay valid."""
    require_role(actor, template.issuer, MANAGE_TEMPLATES)
    template.archived = archived
    template.save(update_fields=["archived", "updated_at"])
    return template


@transaction.atomic
def template_delete(*, template: BadgeTemplate, actor=None) -> None:
    """Delete a template that was never awarded; awarded ones can only be archived."""
    require_role(actor, template.issuer, MANAGE_TEMPLATES)
    if template.assertions.exists() or template.versions.filter(batches__isnull=False).exists():
        raise ConflictError(
            _('"%(template)s" has been awarded and cannot be deleted; archive it instead.')
            % {"template": template.name},
            code="template_awarded",
        )
    BadgeTemplate.objects.filter(pk=template.pk).update(current_version=None)
    template.versions.all().delete()
    template.delete()


@transaction.atomic
def template_duplicate(*, template: BadgeTemplate, actor=None, name: str = "") -> BadgeTemplate:
    """A new template (with its version 1) that starts as a copy of `template` as it is
    now: its fields, its image (the same sanitised file, through the gate again), its
    design and the designer's picture; never archived, whatever the original is."""
    require_role(actor, template.issuer, MANAGE_TEMPLATES)
    version = template.current_version
    if version is None or not version.image:
        raise ConflictError(_("This template has no image to copy."), code="template_no_image")
    image = stored_bytes(version.image, field="image")
    fields = {field: getattr(template, field) for field in EDITABLE_FIELDS if field != "image"}
    fields["name"] = (name or "").strip() or _("Copy of %(name)s") % {"name": template.name}
    fields["name"] = fields["name"][: BadgeTemplate._meta.get_field("name").max_length]
    return template_create(
        issuer=template.issuer,
        actor=actor,
        image=image,
        design=dict(template.design or {}),
        design_picture=stored_bytes(template.design_picture, field="picture"),
        **fields,
    )


def stored_bytes(file, *, field: str) -> bytes | None:
    """The content of a stored file (a FieldFile), None when there is none, or an
    ApplicationError on `field` when the storage has lost it."""
    if not file:
        return None
    try:
        with file.open("rb") as opened:
            return opened.read()
    except OSError:
        message = _("A file this template keeps cannot be read any more; choose it again.")
        raise ApplicationError(message, field_errors={field: [message]}) from None
