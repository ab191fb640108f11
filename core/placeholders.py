"""Placeholders in text people write for emails (`{{ earner.first_name }}`): checked
against a fixed list when the text is saved, filled in when the email is made.

Not Django's template language: a template may read any attribute and run tags, and
issuers' staff must not reach anything but the values offered. Here a placeholder is
looked up in a dict of plain strings, nothing else; unknown ones are refused on save.
"""

import re

PLACEHOLDER = re.compile(r"{{\s*([a-z_]+(?:\.[a-z_]+)?)\s*}}")
# Left in the text, `{%` would look like a template tag that does something; it does not.
_STRAY = re.compile(r"{{|}}|{%|%}")


def placeholders_unknown(text: str, allowed) -> list[str]:
    """The placeholders in `text` that are not in `allowed`, and any stray braces."""
    unknown = [name for name in PLACEHOLDER.findall(text or "") if name not in allowed]
    rest = PLACEHOLDER.sub("", text or "")
    if _STRAY.search(rest):
        unknown.append(_STRAY.search(rest)[0])
    return unknown


def placeholders_fill(text: str, values: dict[str, str], escape=None) -> str:
    """`text` with each known placeholder replaced by its value (passed through
    `escape` when given: Markdown's, for a body); unknown ones are left out."""

    def one(match):
        value = str(values.get(match[1], ""))
        return escape(value) if escape else value

    return PLACEHOLDER.sub(one, text or "")


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~])")


def markdown_escape(value: str) -> str:
    """A value that Markdown shows as it is (a name cannot become a link or a heading)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", value)
