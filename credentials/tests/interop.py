"""Checks by tools this project did not write: 1EdTech's official AchievementCredential
JSON Schema (vendored in spec/), and npm libraries under Node.js (js/, installed from
its lock file by scripts/js-deps.sh, which `make test` runs: nothing is downloaded here).
"""

import json
import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest
from jsonschema import Draft201909Validator

HERE = Path(__file__).resolve().parent
JS = HERE / "js"
SCHEMA = HERE / "spec" / "ob_v3p0_achievementcredential_schema.json"


@cache
def _validator() -> Draft201909Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    return Draft201909Validator(schema, format_checker=Draft201909Validator.FORMAT_CHECKER)


def schema_errors(credential: dict) -> list[str]:
    """What 1EdTech's AchievementCredential schema says is wrong with `credential`."""
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
        for error in _validator().iter_errors(credential)
    ]


def node(script: str, payload) -> dict:
    """Run js/<script> with `payload` as JSON on stdin; its JSON answer."""
    if shutil.which("node") is None or not (JS / "node_modules").is_dir():
        pytest.fail("Node.js and the npm packages are missing: run scripts/js-deps.sh.")
    result = subprocess.run(  # noqa: S603 - our own script, no shell
        ["node", str(JS / script)],  # noqa: S607
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def jose_verify(token: str, did_document: dict, *, now: int | None = None) -> dict:
    """npm `jose` verifying a VC-JWT with the key its kid names in `did_document`."""
    return node("verify-jwt.mjs", {"token": token, "didDocument": did_document, "now": now})


def digitalbazaar_verify(
    credential: dict, dids: dict, *, status_lists: dict | None = None, now: str | None = None
) -> dict:
    """Digital Bazaar's vc + data-integrity + eddsa-rdfc-2022 verifying `credential`, with a
    document loader over this site's vendored contexts and the given DID documents."""
    from credentials import contexts

    payload = {
        "credential": credential,
        "contexts": {url: contexts.document(url) for url in contexts.FILES},
        "dids": dids,
        "statusLists": status_lists or {},
        "now": now,
    }
    return node("verify-di.mjs", payload)
