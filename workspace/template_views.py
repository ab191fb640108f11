"""/issuers/<id>/templates/...: the issuer's badge templates for its members - the list
(search, kind, archived), the form that creates and edits one with its live preview and
the badge designer, duplicate, archive, the version history and PNG downloads.

Owners and editors change templates (issuers.permissions.MANAGE_TEMPLATES); staff see
the same pages read-only. Every change is a templates_app service's."""

import base64
import logging
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models.fields.files import FieldFile
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assertions.openbadges import badge_image_urls
from core.exceptions import ApplicationError
from core.forms import add_application_error
from core.uploads import image_accept
from issuers.permissions import MANAGE_TEMPLATES, has_role
from issuers.selectors import issuer_for_user
from templates_app.designer import design_clean, design_svg, picture_accept
from templates_app.images import EXPORT_SIZES, version_png
from templates_app.models import BadgeTemplate
from templates_app.selectors import template_history, templates_of_issuer
from templates_app.services import (
    stored_bytes,
    template_archive,
    template_create,
    template_duplicate,
    template_update,
)
from workspace.template_forms import (
    KIND_LABELS,
    UNIT_LABELS,
    TemplateForm,
    TemplateListForm,
    template_initial,
)

log = logging.getLogger(__name__)

PAGE_SIZE = 100
FIELD_LABELS = {  # lazily translated: the page's language
    "name": gettext_lazy("Name"),
    "description": gettext_lazy("Description"),
    "kind": gettext_lazy("Kind"),
    "criteria_url": gettext_lazy("Criteria page (URL)"),
    "criteria_narrative": gettext_lazy("Criteria"),
    "tags": gettext_lazy("Tags"),
    "alignments": gettext_lazy("Alignments"),
    "image": gettext_lazy("Image"),
}


def _issuer(request, entity_id):
    try:
        return issuer_for_user(request.user, entity_id)
    except ApplicationError:
        raise Http404("Issuer not found.") from None


def _template(issuer, template_id) -> BadgeTemplate:
    template = (
        BadgeTemplate.objects.filter(issuer=issuer, entity_id=template_id)
        .select_related("current_version", "issuer")
        .first()
    )
    if template is None:
        raise Http404("Badge template not found.")
    return template


def _forbidden(request, issuer):
    return render(request, "403.html", {"issuer": issuer}, status=403)


def _thumbnail(template) -> str:
    version = template.current_version
    return badge_image_urls(version)["image_thumbnail_path"] if version else ""


@login_required
@require_GET
def template_list(request, entity_id: str):
    issuer = _issuer(request, entity_id)
    form = TemplateListForm(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    archived = bool(data.get("archived"))
    templates = list(
        templates_of_issuer(
            issuer, q=data.get("q", ""), kind=data.get("kind", ""), archived=archived
        )[: PAGE_SIZE + 1]
    )
    return render(
        request,
        "workspace/templates.html",
        {
            "issuer": issuer,
            "form": form,
            "archived": archived,
            "rows": [
                {"template": t, "thumbnail": _thumbnail(t), "kind": KIND_LABELS.get(t.kind, t.kind)}
                for t in templates[:PAGE_SIZE]
            ],
            "more": len(templates) > PAGE_SIZE,
            "filtered": bool(data.get("q") or data.get("kind")),
            "may_edit": has_role(request.user, issuer, MANAGE_TEMPLATES),
        },
    )


def _data_uri(image) -> str:
    return f"data:{image.content_type};base64,{base64.b64encode(image.data).decode()}"


def _badge_image(form: TemplateForm, template) -> tuple:
    """(the image the form stands for, accepted by the upload gate: the designed SVG, the
    uploaded file, or None to keep the template's; and, for a design, the services'
    `design` and `design_picture`). ApplicationError under the field at fault otherwise.
    A new picture passes the gate once, here: the SVG and the services take it accepted."""
    data = form.cleaned_data
    source = data.get("image_source")
    if source == "upload":
        return image_accept(data["image"]), {}
    if source == "design":
        design = design_clean(form.design())
        picture = form.design_picture()
        if isinstance(picture, FieldFile):  # the template's own, kept
            drawn = stored_bytes(picture, field="picture")
        else:
            drawn = picture = None if picture is None else picture_accept(picture)
        image = image_accept(design_svg(design, picture=drawn))
        return image, {"design": design.as_dict(), "design_picture": picture}
    if template is None:
        raise ApplicationError(
            _("Choose the badge's image."), field_errors={"image_source": [_("Choose one.")]}
        )
    return None, {}


def _preview(form: TemplateForm, template, issuer) -> dict:
    """What the live preview shows, from a valid form; on errors, none of it."""
    try:
        image, _design = _badge_image(form, template)
    except ApplicationError as exc:
        add_application_error(form, exc)
        return {}
    data = form.cleaned_data
    if image is not None:
        src = _data_uri(image)
    elif template is not None and template.current_version is not None:
        src = badge_image_urls(template.current_version)["image_path"]
    else:
        src = ""
    unit = data.get("validity_unit")
    return {
        "image_src": src,
        "fields": form.template_fields(),
        "kind_label": KIND_LABELS.get(data.get("kind"), ""),
        "unit_label": UNIT_LABELS.get(unit, "") if unit else "",
        "issuer": issuer,
    }


def _save(request, form: TemplateForm, issuer, template):
    """Create or update through the services; the saved template, or None with the
    service's errors put under the form's fields."""
    try:
        image, design = _badge_image(form, template)
        fields = form.template_fields()
        if image is not None:
            fields.update(image=image, **design)
        if template is None:
            return template_create(issuer=issuer, actor=request.user, **fields)
        return template_update(template=template, actor=request.user, **fields)
    except ApplicationError as exc:
        add_application_error(form, exc)
        return None


def _form_page(request, issuer, template, form, *, preview=None, status=200):
    may_edit = has_role(request.user, issuer, MANAGE_TEMPLATES)
    if not may_edit:
        for field in form.fields.values():
            field.disabled = True
    preview_url = reverse("workspace-template-preview", args=[issuer.entity_id])
    if template is not None:
        preview_url += f"?template={template.entity_id}"
    context = {
        "issuer": issuer,
        "template": template,
        "form": form,
        "alignment_rows": form.alignment_rows(),
        "preview": preview,
        "preview_url": preview_url,
        "may_edit": may_edit,
        "design_fields": [form[name] for name in TemplateForm.DESIGN_FIELDS],
        "export_sizes": EXPORT_SIZES,
        "thumbnail": _thumbnail(template) if template else "",
    }
    return render(request, "workspace/template_form.html", context, status=status)


def _edit(request, issuer, template):
    editing = template is not None
    # (on a POST too: they give the picture field the template's picture, kept unless
    # another is chosen or it is cleared)
    initial = template_initial(template) if editing else {}
    if request.method == "GET":
        form = TemplateForm(initial=initial, editing=editing)
        preview = None
        if editing:
            preview = {
                "image_src": badge_image_urls(template.current_version)["image_path"]
                if template.current_version
                else "",
                "fields": {**initial, "tags": template.tags, "alignments": template.alignments},
                "kind_label": KIND_LABELS.get(template.kind, ""),
                "unit_label": UNIT_LABELS.get(template.validity_unit, ""),
                "issuer": issuer,
            }
        return _form_page(request, issuer, template, form, preview=preview)
    if not has_role(request.user, issuer, MANAGE_TEMPLATES):
        return _forbidden(request, issuer)
    form = TemplateForm(request.POST, request.FILES, initial=initial, editing=editing)
    if not form.is_valid():
        return _form_page(request, issuer, template, form, status=400)
    if "preview" in request.POST:  # the preview button, for browsers without JavaScript
        preview = _preview(form, template, issuer)
        return _form_page(request, issuer, template, form, preview=preview or None)
    saved = _save(request, form, issuer, template)
    if saved is None:
        return _form_page(request, issuer, template, form, status=400)
    messages.success(
        request,
        _("The template “%(name)s” is saved.") % {"name": saved.name},
    )
    return redirect("workspace-template", entity_id=issuer.entity_id, template_id=saved.entity_id)


@login_required
@require_http_methods(["GET", "POST"])
def template_new(request, entity_id: str):
    issuer = _issuer(request, entity_id)
    if not has_role(request.user, issuer, MANAGE_TEMPLATES):
        return _forbidden(request, issuer)
    return _edit(request, issuer, None)


@login_required
@require_http_methods(["GET", "POST"])
def template_edit(request, entity_id: str, template_id: str):
    issuer = _issuer(request, entity_id)
    return _edit(request, issuer, _template(issuer, template_id))


@login_required
@require_POST
def template_preview(request, entity_id: str):
    """The live preview (fetched by static/js/template-form.js as the form changes): the
    badge and its public page as the form stands, or the form's errors."""
    issuer = _issuer(request, entity_id)
    template_id = request.GET.get("template")
    template = _template(issuer, template_id) if template_id else None
    initial = template_initial(template) if template else {}
    form = TemplateForm(request.POST, request.FILES, initial=initial, editing=template is not None)
    preview = _preview(form, template, issuer) if form.is_valid() else {}
    return render(
        request,
        "workspace/_template_preview.html",
        {"preview": preview, "form": form, "issuer": issuer},
        status=200 if preview else 400,
    )


def _editor_action(view):
    """A POST that changes one template: for its issuer's owners and editors (403 for
    staff, 404 for everyone else); a service's refusal comes back as a message."""

    @wraps(view)
    def action(request, entity_id: str, template_id: str):
        issuer = _issuer(request, entity_id)
        template = _template(issuer, template_id)
        if not has_role(request.user, issuer, MANAGE_TEMPLATES):
            return _forbidden(request, issuer)
        try:
            return view(request, issuer, template)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("workspace-templates", entity_id=issuer.entity_id)

    return login_required(require_POST(action))


@_editor_action
def template_duplicate_view(request, issuer, template):
    copy = template_duplicate(template=template, actor=request.user)
    messages.success(request, _("“%(name)s” is a copy: change what differs.") % {"name": copy.name})
    return redirect("workspace-template", entity_id=issuer.entity_id, template_id=copy.entity_id)


@_editor_action
def template_archive_view(request, issuer, template):
    archived = request.POST.get("archived") != "0"
    template_archive(template=template, actor=request.user, archived=archived)
    if archived:
        message = _("“%(name)s” is archived: it can no longer be assigned.")
    else:
        message = _("“%(name)s” is back: it can be assigned again.")
    messages.success(request, message % {"name": template.name})
    return redirect("workspace-templates", entity_id=issuer.entity_id)


@login_required
@require_GET
def template_versions(request, entity_id: str, template_id: str):
    issuer = _issuer(request, entity_id)
    template = _template(issuer, template_id)
    entries = [
        {
            "version": entry.version,
            "image": badge_image_urls(entry.version)["image_thumbnail_path"],
            "changes": [
                {
                    "field": change.field,
                    "label": FIELD_LABELS.get(change.field, change.field),
                    "before": KIND_LABELS.get(change.before, change.before)
                    if change.field == "kind"
                    else change.before,
                    "after": KIND_LABELS.get(change.after, change.after)
                    if change.field == "kind"
                    else change.after,
                }
                for change in entry.changes
            ],
        }
        for entry in template_history(template)
    ]
    return render(
        request,
        "workspace/template_versions.html",
        {"issuer": issuer, "template": template, "entries": entries},
    )


@login_required
@require_GET
def template_png(request, entity_id: str, template_id: str, size: int):
    """The current badge image as a PNG of one of EXPORT_SIZES, drawn here."""
    issuer = _issuer(request, entity_id)
    template = _template(issuer, template_id)
    if size not in EXPORT_SIZES or template.current_version is None:
        raise Http404("No such size.")
    try:
        png = version_png(template.current_version, size)
    except (OSError, ApplicationError):  # its stored file is missing or unreadable
        log.exception("The image of badge template %s cannot be drawn", template.entity_id)
        messages.error(
            request,
            _("The stored image of this badge cannot be read; upload the image again."),
        )
        return redirect("workspace-template", entity_id=issuer.entity_id, template_id=template_id)
    response = HttpResponse(png, content_type="image/png")
    name = f"{template.entity_id}-{size}.png"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
