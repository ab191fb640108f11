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
JS_CATALOGUE = CATALOGUE.with_name("djangojs.po")  # static/js, served by /jsi18n/
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


def _makemessages(copy_root, domain: str) -> set[str]:
    """The msgids a fresh `makemessages -l it -d <domain>` finds in a copy of the code."""
    made = subprocess.run(
        [
            sys.executable, "manage.py", "makemessages", "-l", "it", "-d", domain,
            "--no-location", "--ignore=tests/*", "--ignore=*/tests/*", "--ignore=bench/*",
        ],
        cwd=copy_root,
        check=False,
        capture_output=True,
        text=True,
        env={"DJANGO_SETTINGS_MODULE": "badges_project.settings.test", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    text = (copy_root / "locale" / "it" / "LC_MESSAGES" / f"{domain}.po").read_text("utf-8")
    return set(_entries(text))


@pytest.fixture(scope="module")
def source_copy(tmp_path_factory):
    """The code as it is now, without its catalogues, for makemessages to read."""
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
    return copy


@pytest.fixture(scope="module")
def fresh_msgids(source_copy) -> set[str]:
    """The msgids of Python and templates (the `django` domain)."""
    return _makemessages(source_copy, "django")


def _assert_translated(fresh: set[str], catalogue_path: Path) -> None:
    catalogue = _entries(catalogue_path.read_text("utf-8")) if catalogue_path.exists() else {}
    missing = sorted(m for m in fresh if m not in catalogue)
    empty = sorted(m for m in fresh if m in catalogue and not all(catalogue[m][0]))
    fuzzy = sorted(m for m in fresh if m in catalogue and catalogue[m][1])
    name = catalogue_path.name
    assert not missing, f"Not in locale/it/{name} (run makemessages and translate): {missing}"
    assert not empty, f"No Italian translation yet in {name}: {empty}"
    assert not fuzzy, f"Fuzzy in {name} (check and unmark): {fuzzy}"


def test_every_marked_string_has_an_italian_translation(fresh_msgids):
    _assert_translated(fresh_msgids, CATALOGUE)


def test_every_marked_string_of_the_javascript_has_an_italian_translation(source_copy):
    fresh = _makemessages(source_copy, "djangojs")
    assert "Link copied." in fresh  # the scripts' words are marked (static/js)
    _assert_translated(fresh, JS_CATALOGUE)


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


# --- strings in the code -------------------------------------------------------------------
# What a person reads that Python writes: the errors services, forms and APIs raise (their
# message and field errors), messages.*() on pages, form labels and help, email subjects,
# the labels of model choices, permissions' refusals and fields' error messages.
# Each such literal must be inside gettext (`_`, `gettext`, `gettext_lazy`, …) or makemessages
# never sees it and Italian readers get English.
GETTEXT_NAMES = {
    "_",
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
}
USER_ERRORS = {"ApplicationError", "ValidationError"}  # and every subclass found in the code
# Errors whose text is for developers and operators, not for the person at the page or API.
INTERNAL_ERRORS = {
    "ValueError", "TypeError", "RuntimeError", "KeyError", "IndexError", "AssertionError",
    "NotImplementedError", "ImproperlyConfigured", "OSError", "LookupError", "CommandError",
    "SystemExit", "AttributeError", "Exception", "Http404",  # Http404's text shows in DEBUG only
}  # fmt: skip
# Diagnostics for operators (addresses, key files) and test plumbing.
DIAGNOSTIC_FILES = {"core/http.py", "core/testing.py", "credentials/crypto.py"}
CODE_SKIP = SKIP | {"tests", "migrations", "bench", "scripts", "locale", "deploy", "management"}


def _name(func) -> str:
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def _literal_text(node) -> str | None:
    """The text of a string written in place (constant, f-string, `"…" % x`, `+`)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        return _literal_text(node.left) or _literal_text(node.right)
    if isinstance(node, ast.Call) and _name(node.func) == "format":
        return _literal_text(node.func.value)
    return None


def _is_text(text: str | None, *, label: bool = False) -> bool:
    """Words for people: a label, or a sentence (not a code like "client_secret_basic")."""
    if not text or not re.search(r"[A-Za-z]{3,}", text):
        return False
    return label or " " in text.strip() or text.rstrip().endswith((".", "?", "!"))


def _unmarked_in(node, *, label: bool = False):
    """Literal texts in `node` (through lists, dicts and calls other than gettext's)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, ast.Call) and _name(item.func) in GETTEXT_NAMES:
            continue
        text = _literal_text(item)
        if text is not None:
            if _is_text(text, label=label):
                yield item.lineno, text
        elif isinstance(item, ast.List | ast.Tuple | ast.Set):
            stack += item.elts
        elif isinstance(item, ast.Dict):
            stack += item.values
        elif isinstance(item, ast.DictComp | ast.ListComp):
            stack.append(item.value if isinstance(item, ast.DictComp) else item.elt)
        elif isinstance(item, ast.Call):
            stack += item.args + [k.value for k in item.keywords if k.arg != "code"]


def _code_files():
    for path in sorted(REPO.rglob("*.py")):
        parts = path.relative_to(REPO).parts
        if not any(part in CODE_SKIP or part.startswith(".") for part in parts[:-1]):
            yield "/".join(parts), ast.parse(path.read_text("utf-8"))


def unmarked_code_strings(files) -> list[str]:
    files = list(files)
    errors = set(USER_ERRORS)
    grew = True
    while grew:  # every subclass of a user-facing error, wherever it is defined
        grew = False
        for _path, tree in files:
            for node in ast.walk(tree):
                new = isinstance(node, ast.ClassDef) and node.name not in errors
                if new and any(_name(base) in errors for base in node.bases):
                    errors.add(node.name)
                    grew = True
    found = []
    for path, tree in files:
        for node in ast.walk(tree):
            places = []
            if isinstance(node, ast.Call):
                name = _name(node.func)
                if name in errors:
                    places += node.args[:1]
                    places += [
                        k.value for k in node.keywords if k.arg in ("message", "field_errors")
                    ]
                elif name in ("success", "error", "info", "warning") and (
                    _name(getattr(node.func, "value", None)) == "messages"
                ):
                    places += node.args[1:2]
                elif name.endswith("Field") and _name(getattr(node.func, "value", None)) == "forms":
                    for keyword in node.keywords:
                        if keyword.arg in ("label", "help_text"):
                            found += [
                                f"{path}:{line}: {text!r}"
                                for line, text in _unmarked_in(keyword.value, label=True)
                            ]
                if name != "extend_schema":
                    places += [k.value for k in node.keywords if k.arg == "subject"]
            elif isinstance(node, ast.ClassDef) and any(
                _name(base).endswith("Choices") for base in node.bases
            ):  # the labels pages and emails show (get_FOO_display)
                for member in node.body:
                    value = getattr(member, "value", None)
                    if isinstance(value, ast.Tuple) and len(value.elts) == 2:
                        found += [
                            f"{path}:{line}: {text!r}"
                            for line, text in _unmarked_in(value.elts[1], label=True)
                        ]
            elif isinstance(node, ast.Assign) and any(
                _name(target) in ("message", "default_error_messages") for target in node.targets
            ):  # DRF permissions' refusals, fields' error messages (not model fields)
                if not isinstance(node.value, ast.Call):
                    places.append(node.value)
            elif isinstance(node, ast.Raise) and node.exc is not None:
                internal = (
                    isinstance(node.exc, ast.Call) and _name(node.exc.func) in INTERNAL_ERRORS
                )
                if not internal and path not in DIAGNOSTIC_FILES:
                    places.append(node.exc)
            for place in places:
                found += [f"{path}:{line}: {text!r}" for line, text in _unmarked_in(place)]
    return sorted(set(found))


def test_the_messages_the_code_writes_for_people_are_marked_for_translation():
    unmarked = unmarked_code_strings(_code_files())
    assert not unmarked, "Wrap these in gettext (`_`) and translate them:\n" + "\n".join(unmarked)


@pytest.mark.parametrize(
    ("source", "caught"),
    [
        ('raise ApplicationError("Nothing was saved.")', True),
        ('raise ApplicationError(_("Nothing was saved."))', False),
        ('raise NotFoundError(f"No badge {x}.")', True),
        ('raise ApplicationError(_("Bad."), field_errors={"x": ["Give a list."]})', True),
        ('raise ApplicationError(_("Bad."), field_errors={"x": ["client_secret_basic"]})', False),
        ('raise _refuse("The file has no rows.")', True),
        ('raise ValueError("not for people")', False),
        ('messages.success(request, "Saved.")', True),
        ('name = forms.CharField(label="First name")', True),
        ('email_queue(subject="Your badge")', True),
        ('class Role(models.TextChoices):\n    OWNER = "owner", "Owner"', True),
        ('class Role(models.TextChoices):\n    OWNER = "owner", _("Owner")', False),
        ('class P(BasePermission):\n    message = "Your token may not."', True),
        ('class F(Field):\n    default_error_messages = {"invalid": "Give an id."}', True),
    ],
)
def test_the_code_check_catches_each_kind_of_unmarked_string(source, caught):
    tree = ast.parse("class NotFoundError(ApplicationError): pass\n" + source)
    assert bool(unmarked_code_strings([("example.py", tree)])) is caught


@pytest.mark.django_db
def test_the_scripts_words_are_served_in_the_visitors_language(client):
    # the pages that run static/js load the JavaScript catalogue first
    italian = client.get("/jsi18n/", HTTP_ACCEPT_LANGUAGE="it").content.decode()
    english = client.get("/jsi18n/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Link copiato." in italian
    assert "Link copiato." not in english
