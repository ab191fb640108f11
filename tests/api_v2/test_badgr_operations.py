"""Every operation of Badgr's published v2 API (docs/badgr-v2-operations.txt) is routed
here and documented in our OpenAPI schema (issue 22)."""

from functools import cache
from pathlib import Path

import pytest
from django.urls import resolve
from drf_spectacular.generators import SchemaGenerator

OPERATIONS_FILE = Path(__file__).resolve().parents[2] / "docs" / "badgr-v2-operations.txt"
ENTITY_ID = "AbCdEfGhIjKlMnOpQrStUv"  # 22 characters, like every entity id


def operations() -> list[tuple[str, str]]:
    rows = []
    for line in OPERATIONS_FILE.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            method, path, *_scopes = line.split()
            rows.append((method, path))
    return rows


def cases():
    return [pytest.param(method, path, id=f"{method} {path}") for method, path in operations()]


@cache
def schema_paths() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)["paths"]


def test_the_list_is_badgrs_41_operations_over_20_paths():
    rows = operations()
    assert len(rows) == 41
    assert len(set(rows)) == 41
    assert len({path for _method, path in rows}) == 20


@pytest.mark.parametrize(("method", "path"), cases())
def test_each_operation_is_routed_to_a_view_that_answers_the_method(method, path):
    # Given Badgr's path with an id in it
    url = path.replace("{entity_id}", ENTITY_ID)
    # When it is resolved here
    match = resolve(url)
    view = getattr(match.func, "cls", None) or getattr(match.func, "view_class", None)
    # Then a real view (not the JSON 404 for unknown /v2 paths) handles that method
    assert match.url_name, f"{url} reaches the unknown-endpoint fallback"
    assert view is not None
    assert callable(getattr(view, method.lower(), None)), f"{view.__name__} has no {method}"


@pytest.mark.parametrize(("method", "path"), cases())
def test_each_operation_is_in_our_openapi_schema(method, path):
    paths = schema_paths()
    assert path in paths, f"{path} is not in /api/schema/"
    assert method.lower() in paths[path], f"{method} {path} is not in /api/schema/"
