"""The translation check of `make test`: every string marked for translation has an
Italian translation (a fresh `makemessages` over a copy of the code compared with the
catalogue, and the compiled catalogue read back), and the pages and emails people see
carry no unmarked text."""

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

REPO = Path(__file__).resolve().parent.parent
CATALOGUE = REPO / "locale" / "it" / "LC_MESSAGES" / "django.po"
SKIP = {".venv", ".venv-ob-validator", "node_modules", "media", "var", "staticfiles", ".git"}
# Templates whose text people read; each must be fully marked. (Django admin templates
# are the operators', in English like the rest of the admin's own pages.)
MARKED_TEMPLATE_DIRS = [
    "templates",
    "accounts/templates",
    "backpack/templates",
    "public_pages/templates",
    "assign/templates",
    "workspace/templates",
    "imports/templates",
    "credentials/templates",
]
# Words that are names, not text: the platform's and standards' names.
NAMES = {"Badges", "BadgeClass", "Assertion", "Issuer", "Open", "LinkedIn", "Badgr", "JSON"}


def _entries(po_text: str) -> dict[str, tuple[list[str], bool]]:
    """msgid -> (its msgstr values, fuzzy) of a .po file's text."""
    entries = {}
    for block in po_text.split("\n\n"):
        fuzzy = "#, fuzzy" in block or ", fuzzy" in block
        fields: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            if line.startswith("#"):
                continue
            match = re.match(r'^(msgid_plural|msgid|msgstr(?:\[\d\])?) (".*")$', line)
            if match:
                key = match[1]
                fields[key] = _unquote(match[2])
            elif line.startswith('"') and key:
                fields[key] += _unquote(line)
        if fields.get("msgid"):
            strs = [v for k, v in fields.items() if k.startswith("msgstr")]
            entries[fields["msgid"]] = (strs, fuzzy)
    return entries


def _unquote(text: str) -> str:
    return ast.literal_eval(text)  # a .po string's escapes are C's, which Python reads


@pytest.fixture(scope="module")
def fresh_msgids(tmp_path_factory) -> set[str]:
    """The msgids a fresh `makemessages -l it` finds in the code now."""
    if shutil.which("xgettext") is None:
        pytest.fail("xgettext is missing: scripts/system-deps.sh installs gettext.")
    copy = tmp_path_factory.mktemp("source")
    for entry in REPO.iterdir():
        if entry.name in SKIP or entry.name == "locale" or entry.name.startswith("."):
            continue
        if entry.is_dir():
            shutil.copytree(
                entry, copy / entry.name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
        else:
            shutil.copy2(entry, copy / entry.name)
    (copy / "locale" / "it" / "LC_MESSAGES").mkdir(parents=True)
    made = subprocess.run(
        [
            sys.executable, "manage.py", "makemessages", "-l", "it", "--no-location",
            "--ignore=tests/*", "--ignore=*/tests/*", "--ignore=bench/*",
        ],
        cwd=copy,
        check=False,
        capture_output=True,
        text=True,
        env={"DJANGO_SETTINGS_MODULE": "badges_project.settings.test", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    text = (copy / "locale" / "it" / "LC_MESSAGES" / "django.po").read_text("utf-8")
    return set(_entries(text))


def test_every_marked_string_has_an_italian_translation(fresh_msgids):
    catalogue = _entries(CATALOGUE.read_text("utf-8"))
    missing = sorted(m for m in fresh_msgids if m not in catalogue)
    empty = sorted(m for m in fresh_msgids if m in catalogue and not all(catalogue[m][0]))
    fuzzy = sorted(m for m in fresh_msgids if m in catalogue and catalogue[m][1])
    assert not missing, f"Not in locale/it (run makemessages -l it and translate): {missing}"
    assert not empty, f"No Italian translation yet: {empty}"
    assert not fuzzy, f"Fuzzy (check and unmark): {fuzzy}"


def test_the_compiled_catalogue_says_what_the_catalogue_says():
    catalogue = _entries(CATALOGUE.read_text("utf-8"))
    assert (CATALOGUE.with_suffix(".mo")).exists(), "run scripts/compile-messages.sh"
    with translation.override("it"):
        for msgid, (strs, _fuzzy) in catalogue.items():
            if len(strs) == 1:
                assert translation.gettext(msgid) == strs[0], msgid


_TRANSLATED = re.compile(
    r"{%\s*blocktranslate.*?%}.*?{%\s*endblocktranslate\s*%}|{%\s*translate\s.*?%}", re.S
)
_NOT_TEXT = re.compile(
    r"<script.*?</script>|<style.*?</style>|{#.*?#}|{%\s*comment\s*%}.*?{%\s*endcomment\s*%}"
    r"|{{.*?}}|{%.*?%}|<[^>]*>|&\w+;|https?://\S+",
    re.S,
)
_ATTRIBUTES = re.compile(r'\b(?:alt|title|placeholder|aria-label|content)="([^"{]*[A-Za-z][^"]*)"')


def _unmarked(source: str) -> list[str]:
    source = _TRANSLATED.sub(" ", source)
    words = []
    texts = [
        value
        for value in _ATTRIBUTES.findall(source)
        if value not in ("website", "summary", "noindex", "no-referrer")
    ]
    texts.append(_NOT_TEXT.sub(" ", source))
    words = []
    for text in texts:
        for token in text.split():
            if not any(mark in token for mark in "/@.=_"):  # paths, addresses, code
                words += re.findall(r"[A-Za-z]{2,}", token)
    return [w for w in words if w not in NAMES]


def test_the_pages_and_emails_people_read_carry_no_unmarked_text():
    found = {}
    for folder in MARKED_TEMPLATE_DIRS:
        for path in sorted((REPO / folder).rglob("*.html")) + sorted(
            (REPO / folder).rglob("*.txt")
        ):
            words = _unmarked(path.read_text("utf-8"))
            if words:
                found[str(path.relative_to(REPO))] = words[:8]
    assert not found, f"Text not marked for translation: {found}"


def test_the_platform_speaks_english_and_italian():
    assert [code for code, _name in settings.LANGUAGES] == ["en", "it"]
    assert "core.i18n.LocaleMiddleware" in settings.MIDDLEWARE
