"""Legacy ids: what an old platform's issuers, badge classes and badges became here
(LegacyObject), so that a second import finds what the first one made; and an old
platform's data made storable."""

from imports.models import LegacyKind, LegacyObject


def strip_nul(value):
    """The value with NUL characters removed from every string in it: PostgreSQL cannot
    store them (in text or JSON), and an old server's data is not ours to trust."""
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, list):
        return [strip_nul(v) for v in value]
    if isinstance(value, dict):
        return {strip_nul(k): strip_nul(v) for k, v in value.items()}
    return value


def legacy_target(*, source: str, kind: str, legacy_id: str):
    """The issuer, template or assertion an old object became, or None."""
    row = (
        LegacyObject.objects.filter(source=source, kind=kind, legacy_id=legacy_id)
        .select_related("issuer", "template", "template__current_version", "assertion")
        .first()
    )
    if row is None:
        return None
    return {
        LegacyKind.ISSUER: row.issuer,
        LegacyKind.BADGECLASS: row.template,
        LegacyKind.ASSERTION: row.assertion,
    }[kind]


def legacy_record(*, source: str, kind: str, legacy_id: str, target) -> None:
    """Remember what an old object became (once; a second record is ignored)."""
    LegacyObject.objects.bulk_create(
        [LegacyObject(source=source, kind=kind, legacy_id=legacy_id, **{_fk(kind): target})],
        ignore_conflicts=True,
    )


def legacy_record_assertions(*, source: str, assertions) -> None:
    LegacyObject.objects.bulk_create(
        [
            LegacyObject(
                source=source,
                kind=LegacyKind.ASSERTION,
                legacy_id=a.imp_legacy_id,
                assertion=a,
            )
            for a in assertions
            if a.imp_legacy_id
        ],
        ignore_conflicts=True,
        batch_size=500,
    )


def _fk(kind: str) -> str:
    return {
        LegacyKind.ISSUER: "issuer",
        LegacyKind.BADGECLASS: "template",
        LegacyKind.ASSERTION: "assertion",
    }[kind]
