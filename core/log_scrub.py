"""No credential in any log line.

Badgr clients may send their bearer token as `?access_token=`; OAuth2 carries codes and
refresh tokens; set-password and email-confirmation links carry theirs in the path. A
request line, a Django "Unauthorized: ..." line (whose `request` the JSON log prints
with its query string), a traceback or a Referer would otherwise write them whole into
logs that many more people and systems read than may use the tokens.

`scrub(text)` replaces each secret value with `[scrubbed]`, keeping the name, so a line
still says what was sent. `ScrubSecrets` is the logging filter that applies it to every
record a handler writes (the Django LOGGING config puts it on every handler);
`GunicornLogger` puts it on gunicorn's access and error logs (gunicorn.conf.py), and
badges_project/celery.py on the handlers a Celery worker sets up for itself;
`scrub_event` does the same to what goes to Sentry.
"""

import functools
import logging
import re

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from gunicorn.glogging import Logger as BaseGunicornLogger

SCRUBBED = "[scrubbed]"
# Query-string (and form-body) parameters whose value is a credential.
SECRET_PARAMETERS = (
    "access_token",
    "refresh_token",
    "id_token",
    "token",
    "code",
    "code_verifier",
    "password",
    "new_password1",
    "new_password2",
    "client_secret",
    "secret",
    "api_key",
    "apikey",
)

# Where a parameter starts: after ? & ; a space, quote or bracket, or their %-forms.
_SEPARATOR = r"(?P<sep>^|(?<=[?&;\s\"'(])|%3[Ff]|%26)"
_PARAMETERS = re.compile(
    _SEPARATOR
    + r"(?P<name>"
    + "|".join(SECRET_PARAMETERS)
    + r")(?P<equals>=|%3[Dd])(?P<value>(?:(?!%26)[^&\s\"'#;,)<>])+)",
    re.IGNORECASE,
)
# An Authorization header's credentials, wherever the header is printed.
_AUTHORIZATION = re.compile(r"\b(?P<scheme>Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE)


@functools.cache
def _path_patterns(prefixes: tuple[str, ...]):
    # The path segment right after each prefix is a secret (LOG_SECRET_PATHS).
    return tuple(re.compile(f"(?P<prefix>{prefix})[^/?#\\s\"']+") for prefix in prefixes)


def _secret_paths() -> tuple[str, ...]:
    try:
        return tuple(settings.LOG_SECRET_PATHS)
    except (ImproperlyConfigured, AttributeError):  # gunicorn before Django is set up
        return ()


def scrub(text: str) -> str:
    if not text:
        return text
    text = _PARAMETERS.sub(lambda m: f"{m['sep']}{m['name']}{m['equals']}{SCRUBBED}", text)
    text = _AUTHORIZATION.sub(lambda m: f"{m['scheme']} {SCRUBBED}", text)
    for pattern in _path_patterns(_secret_paths()):
        text = pattern.sub(lambda m: f"{m['prefix']}{SCRUBBED}", text)
    return text


_FORMATTER = logging.Formatter()
# What every LogRecord has; anything else on a record came in `extra=` (Django's
# `request`, `status_code`...), and a JSON formatter prints it.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class ScrubSecrets(logging.Filter):
    """Scrubs the message, its traceback and the extras of every record it sees. It
    changes the record in place, so it belongs on the handlers (which run after the
    loggers' own), and it never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info:
            # Formatters print exc_text when there is no exc_info; the JSON one too.
            record.exc_text = scrub(_FORMATTER.formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        for name, value in list(vars(record).items()):
            if name in _STANDARD or value is None or isinstance(value, int | float | bool):
                continue
            # A request (Django's "Unauthorized: /path" lines) prints as its full path.
            text = value if isinstance(value, str) else str(value)
            cleaned = scrub(text)
            if cleaned != text:
                setattr(record, name, cleaned)
        return True


def scrub_event(event, hint=None):
    """Sentry's `before_send`: every text of an error report scrubbed (its request URL
    and query string, its message, the log lines it carries as breadcrumbs)."""
    if isinstance(event, str):
        return scrub(event)
    if isinstance(event, dict):
        return {key: scrub_event(value) for key, value in event.items()}
    if isinstance(event, list | tuple):
        return [scrub_event(value) for value in event]
    return event


def scrub_handlers(*loggers: logging.Logger) -> None:
    """Put ScrubSecrets on the handlers of loggers that were set up outside Django's
    LOGGING (gunicorn's, a Celery worker's)."""
    for logger in loggers:
        for handler in logger.handlers:
            if not any(isinstance(f, ScrubSecrets) for f in handler.filters):
                handler.addFilter(ScrubSecrets())


class GunicornLogger(BaseGunicornLogger):
    """gunicorn's logger, with ScrubSecrets on its access and error logs: the access line
    holds the request line (query string included) and the Referer; the error log may
    quote a request it could not parse."""

    def setup(self, cfg):
        super().setup(cfg)
        scrub_handlers(self.access_log, self.error_log)
