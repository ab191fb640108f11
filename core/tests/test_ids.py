import base64
import uuid

from core.ids import ENTITY_ID_LENGTH, is_entity_id, new_entity_id


def test_entity_id_is_22_url_safe_characters_of_a_uuid4():
    # when ids are generated
    ids = {new_entity_id() for _ in range(5000)}
    # then each is 22 url-safe base64 characters decoding to a version-4 uuid, all distinct
    assert len(ids) == 5000
    for value in ids:
        assert len(value) == ENTITY_ID_LENGTH
        assert is_entity_id(value)
        assert not value.startswith("-")
        decoded = uuid.UUID(bytes=base64.urlsafe_b64decode(value + "=="))
        assert decoded.version == 4


def test_is_entity_id_rejects_other_shapes():
    assert not is_entity_id("")
    assert not is_entity_id("a" * 21)
    assert not is_entity_id("a" * 23)
    assert not is_entity_id("abc/def+ghi=jklmnopqrs")
    assert not is_entity_id(12345)
    assert not is_entity_id(None)
