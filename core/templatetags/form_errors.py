"""Every form's errors, found in the page's context: the error summary at the top of
`<main>` and the "Error: " in front of the page's title (templates/base.html). A page
gets both by putting its bound form in the context; nothing per page.

A page whose error is not a form's (a choice made outside any form field) names it in
the context as `page_errors`: a list of `{"message": ..., "target": <element id>}`."""

from django import template
from django.forms import BaseForm

register = template.Library()


def _target(bound_field) -> str:
    """The id of the control a summary's link moves to: the field's own, or the first
    of its radios/checkboxes (Django gives their group no id of its own)."""
    widgets = bound_field.subwidgets
    return (widgets[0].id_for_label if widgets else "") or bound_field.auto_id or ""


def _forms(context):
    seen = set()
    for value in context.flatten().values():
        # type(), not isinstance(): isinstance would evaluate the lazy `user` (and so
        # read the session, adding `Vary: Cookie` to cached public pages).
        if issubclass(type(value), BaseForm) and id(value) not in seen:
            seen.add(id(value))
            yield value


@register.simple_tag(takes_context=True)
def page_errors(context) -> list[dict]:
    """Each problem on the page in order: `{"label", "message", "target"}`."""
    items = []
    for form in _forms(context):
        if not form.is_bound or not form.errors:
            continue
        items += [{"label": "", "message": m, "target": ""} for m in form.non_field_errors()]
        for bound_field in form:
            for message in bound_field.errors:
                items.append(
                    {
                        "label": bound_field.label,
                        "message": message,
                        "target": _target(bound_field),
                    }
                )
    for item in context.get("page_errors") or ():
        items.append({"label": "", "target": "", **item})
    return items
