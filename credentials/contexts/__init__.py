"""The JSON-LD context documents this platform names, as local copies (LICENSES.md).

Nothing fetches a context over the network: `document(url)` is the only loader."""

import json
from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent

FILES = {
    "https://www.w3.org/ns/credentials/v2": "credentials-v2.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "ob-v3p0-context-3.0.3.json",
    "https://w3id.org/security/multikey/v1": "multikey-v1.json",
}


@cache
def document(url: str) -> dict:
    """The context document of `url`; KeyError for one not shipped here."""
    return json.loads((HERE / FILES[url]).read_text(encoding="utf-8"))


def defined_terms(urls) -> set[str]:
    """Every term the contexts of `urls` define, those of scoped contexts included."""
    terms: set[str] = set()

    def collect(context):
        if not isinstance(context, dict):
            return
        for term, definition in context.items():
            if term.startswith("@"):
                continue
            terms.add(term)
            if isinstance(definition, dict) and isinstance(definition.get("@context"), dict):
                collect(definition["@context"])

    for url in [urls] if isinstance(urls, str) else urls:
        collect(document(url)["@context"])
    return terms
