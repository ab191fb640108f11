"""A DRF Serializer whose fields cost less to make, for the API's hot paths.

DRF gives every serializer instance its own fields by deep-copying the declared ones,
and a field's deep copy calls its `__init__` again with deep copies of its arguments.
For the award's input (24 declared fields, two of them nested) that was a tenth of the
gunicorn worker's CPU per award under load (py-spy, `make bench`), more than the
award's own statements cost it. A plain field needs no new `__init__`: `bind` sets what
differs between instances (name, parent, source) on the copy. So plain fields are
copied attribute for attribute, with lists and dicts of their own, and the field a
list's or dict's items are read by (`child`) copied the same way, the copy its parent:
no two serializers share a bound field. A nested serializer whose fields were already
made is deep-copied as DRF does.
"""

import copy

from rest_framework import serializers

_OWN = ("_validators", "error_messages", "style")
_INNER = ("child", "child_relation")  # the field a list's or dict's fields are copies of


def field_copy(field):
    """A copy of a declared `field` for one serializer instance, as DRF's deep copy
    would make it (`bind` then gives it its name and parent)."""
    if "fields" in field.__dict__:  # a nested serializer whose fields were made: new ones
        return copy.deepcopy(field)
    made = object.__new__(type(field))
    attributes = made.__dict__
    attributes.update(field.__dict__)
    # its own lists and dicts, should code add a validator or a message to one copy
    for name in _OWN:
        if name in attributes:
            attributes[name] = copy.copy(attributes[name])
    for name in _INNER:
        if name in attributes:
            # bound to the declared field, as it was made: only its parent differs
            attributes[name] = inner = field_copy(attributes[name])
            inner.parent = made
    return made


class Serializer(serializers.Serializer):
    """`serializers.Serializer`, its declared fields copied by `field_copy`."""

    def get_fields(self):
        return {name: field_copy(field) for name, field in self._declared_fields.items()}
