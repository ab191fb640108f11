import pytest

pytestmark = pytest.mark.django_db


def test_award_list_get_revoke(api, template, owner):
    response = api.post(
        f"/v2/badgeclasses/{template.entity_id}/assertions",
        {
            "recipient": {"identity": "ann@example.org"},
            "narrative": "Well done",
            "evidence": [{"url": "https://example.org/proof"}],
            "issuedOn": "2024-05-01 10:00:00Z",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == {"success": True, "description": "ok"}
    badge = body["result"][0]
    print(badge)
    listed = api.get(f"/v2/issuers/{owner.issuer.entity_id}/assertions").json()
    assert [a["entityId"] for a in listed["result"]] == [badge["entityId"]]
