"""On PostgreSQL the statements a connection sends again and again are prepared: parsed
and planned once (settings `DB_PREPARED_STATEMENTS`, docs/deployment.md). Planning was
most of PostgreSQL's time per API request. (The settings' switch: tests/test_project.py.)"""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def _prepared(table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s",
            [f'%FROM "{table}"%'],
        )
        return [row[0] for row in cursor.fetchall()]


def test_an_award_s_statements_are_prepared_once_sent_a_few_times(api, template):
    url = f"/v2/badgeclasses/{template.entity_id}/assertions"
    # When a few badges are awarded through the API (each request reads its token)
    for i in range(7):
        email = f"learner{i}@learners.example"
        response = api.post(url, {"recipient": {"identity": email}}, format="json")
        assert response.status_code == 201, response.content
    # Then the token's and the earner's lookups are prepared statements of the connection
    # that ran them, their values sent apart ($1, not the token itself)
    tokens = _prepared("oauth2_provider_accesstoken")
    assert any("$1" in statement for statement in tokens), tokens
    assert _prepared("earners_earner"), "the earner's lookup was not prepared"
