"""core.api.serializers.Serializer: fields copied cheaply, never shared between requests."""

import pytest
from rest_framework import serializers

from assertions.api.v2.serializers import AssertionSerializer, BatchIssueSerializer
from core.api.serializers import Serializer


class _Context(serializers.Field):
    """Reads the root serializer's context, as zone-aware time fields do."""

    def to_internal_value(self, data):
        return f"{data}@{self.context.get('zone', 'none')}"


class _Inner(Serializer):
    at = _Context()
    tags = serializers.ListField(child=serializers.CharField(max_length=3), required=False)


class _Outer(Serializer):
    name = serializers.CharField(max_length=5)
    inner = _Inner()
    items = _Inner(many=True, required=False)
    extra = serializers.DictField(child=serializers.IntegerField(), required=False)


def _all_fields(serializer):
    """Every field of `serializer`, nested ones and list items' included."""
    for field in serializer.fields.values():
        yield field
        inner = getattr(field, "child", None)
        if inner is not None:
            yield inner
            if isinstance(inner, serializers.Serializer):
                yield from _all_fields(inner)
        if isinstance(field, serializers.Serializer):
            yield from _all_fields(field)


def test_two_serializers_share_no_field_and_each_field_belongs_to_its_own():
    first, second = _Outer(data={}), _Outer(data={})
    mine, theirs = list(_all_fields(first)), list(_all_fields(second))
    assert len(mine) == len(theirs) == 12
    assert not {id(f) for f in mine} & {id(f) for f in theirs}
    declared = list(_Outer._declared_fields.values())
    assert not {id(f) for f in mine} & {id(f) for f in declared}
    for field in mine:
        assert field.root is first
    assert (
        first.fields["items"].child.fields["tags"].child.parent
        is (first.fields["items"].child.fields["tags"])
    )


def test_a_change_to_one_serializers_field_stays_with_it():
    def refuse(value):
        raise serializers.ValidationError("refused")

    declared = list(_Outer._declared_fields["name"].validators)
    first = _Outer(data={"name": "abcdef", "inner": {"at": "x"}})
    first.fields["name"].validators.append(refuse)
    first.fields["name"].error_messages["max_length"] = "changed"
    second = _Outer(data={"name": "abc", "inner": {"at": "x"}})
    assert not first.is_valid()
    assert first.errors["name"] == ["Ensure this field has no more than 5 characters.", "refused"]
    assert second.is_valid(), second.errors
    assert second.fields["name"].error_messages["max_length"] != "changed"
    assert _Outer._declared_fields["name"].validators == declared
    third = _Outer(data={"name": "abcdef", "inner": {"at": "x"}})
    assert not third.is_valid()
    assert third.errors["name"] == ["Ensure this field has no more than 5 characters."]


def test_nested_and_listed_fields_read_their_own_requests_context():
    data = {"name": "a", "inner": {"at": "x", "tags": ["ab"]}, "items": [{"at": "y"}]}
    rome, utc = _Outer(data=data, context={"zone": "Rome"}), _Outer(data=data)
    assert rome.is_valid(), rome.errors
    assert utc.is_valid(), utc.errors
    assert rome.validated_data["inner"]["at"] == "x@Rome"
    assert rome.validated_data["items"][0]["at"] == "y@Rome"
    assert utc.validated_data["inner"]["at"] == "x@none"


class _DeepCopied(AssertionSerializer):
    get_fields = serializers.Serializer.get_fields  # DRF's own: deep copies


class _BatchDeepCopied(BatchIssueSerializer):
    get_fields = serializers.Serializer.get_fields


@pytest.mark.parametrize(
    "data",
    [
        {"recipient": {"identity": "ada@learners.example"}},
        {
            "recipient": {"identity": "ada@learners.example", "type": "email"},
            "issuedOn": "2026-05-01T09:30:00Z",
            "narrative": "Did it",
            "evidence": [{"url": "https://evidence.example/1"}, {"narrative": "seen"}],
            "extensions": {"extensions:recipientProfile": {"name": "Ada L"}},
            "notify": True,
            "language": "it",
        },
        {"recipient": {"identity": "x" * 300, "type": "telephone"}},
        {"recipient": {}, "evidence": [{}], "issuedOn": "yesterday", "extensions": [1]},
        {"recipient": "ada", "evidence": "none", "notify": "perhaps"},
        {},
    ],
)
def test_the_award_reads_every_body_as_drf_deep_copies_would(data):
    ours, drfs = AssertionSerializer(data=data), _DeepCopied(data=data)
    assert ours.is_valid() == drfs.is_valid()
    assert ours.errors == drfs.errors
    if not ours.errors:
        assert ours.validated_data == drfs.validated_data
    batch = {"assertions": [data, data], "notify": True}
    ours, drfs = BatchIssueSerializer(data=batch), _BatchDeepCopied(data=batch)
    assert ours.is_valid() == drfs.is_valid()
    assert ours.errors == drfs.errors
