"""The private storage: files that hold people's data and are never served.

Queued assignment rows, uploaded import documents and the assign wizard's drafts carry
earners' names and email addresses. They go to `STORAGES["private"]`, apart from the
default storage of badge images, which is public (served under /media/, or a bucket
that anyone may read): a local directory outside MEDIA_ROOT (`PRIVATE_MEDIA_ROOT`), or
in production a bucket or prefix of its own with private objects (docs/deployment.md).

`private_storage` is that storage, resolved when first used (so tests and settings
changes see the configured one); `get_private_storage` is the callable a
`FileField(storage=...)` names, so migrations record a reference, not a path.
"""

from pathlib import Path

from django.conf import settings
from django.core import checks
from django.core.files.storage import FileSystemStorage, default_storage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, cached_property, empty

PRIVATE = "private"


class PrivateFileSystemStorage(FileSystemStorage):
    """A directory of files that have no URL: `PRIVATE_MEDIA_ROOT` unless given a
    `location` (FileSystemStorage would take MEDIA_ROOT and lend them MEDIA_URL, which is
    where the public images are served)."""

    @cached_property
    def base_location(self):
        return self._value_or_setting(self._location, settings.PRIVATE_MEDIA_ROOT)

    def _clear_cached_properties(self, setting, **kwargs):
        super()._clear_cached_properties(setting, **kwargs)
        if setting == "PRIVATE_MEDIA_ROOT":
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)

    def url(self, name):
        raise ValueError("A private file has no URL; read it through the storage.")


class _PrivateStorage(LazyObject):
    def _setup(self):
        self._wrapped = storages[PRIVATE]


private_storage = _PrivateStorage()


def get_private_storage():
    return private_storage


def private_open(name: str):
    """A private file, opened for reading. One that a release before the private storage
    queued in the default storage (a batch or import not yet run at the upgrade) is read
    from there."""
    if not private_storage.exists(name) and default_storage.exists(name):
        return default_storage.open(name, "rb")
    return private_storage.open(name, "rb")


def private_delete(name: str) -> None:
    """Delete a private file, wherever `private_open` found it."""
    private_storage.delete(name)
    default_storage.delete(name)


@receiver(setting_changed)
def _storages_changed(*, setting, **kwargs):
    # Django resets its own storages when a test overrides STORAGES; this one follows.
    if setting == "STORAGES":
        private_storage._wrapped = empty


@checks.register(checks.Tags.security)
def check_private_storage(app_configs=None, **kwargs):
    """The private storage exists, and on disk it is not inside MEDIA_ROOT (whatever
    serves /media/ would serve it too)."""
    if PRIVATE not in settings.STORAGES:
        return [checks.Error(f'STORAGES has no "{PRIVATE}" storage.', id="core.E010")]
    storage = storages.create_storage(settings.STORAGES[PRIVATE])
    if not isinstance(storage, FileSystemStorage):
        return []
    private = Path(storage.location).resolve()
    media = Path(settings.MEDIA_ROOT).resolve()
    if private == media or media in private.parents:
        return [
            checks.Error(
                f"The private storage ({private}) is inside MEDIA_ROOT ({media}), "
                "where its files would be served as media.",
                hint="Set PRIVATE_MEDIA_ROOT to a directory outside MEDIA_ROOT.",
                id="core.E011",
            )
        ]
    return []
