"""Markdown that people type (criteria, narratives, evidence) rendered as safe HTML.

markdown-it (CommonMark) with raw HTML turned off, then nh3 as a second line of defence:
only formatting tags survive, links get rel="noopener noreferrer nofollow".
"""

from functools import lru_cache

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

TAGS = {
    "p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def render_markdown(text: str) -> SafeString:
    html = _parser().render(text or "")
    return mark_safe(  # noqa: S308 - nh3 removed everything but TAGS and safe links
        nh3.clean(
            html,
            tags=TAGS,
            attributes={"a": {"href", "title"}},
            url_schemes={"http", "https", "mailto"},
            link_rel="noopener noreferrer nofollow",
        )
    )
