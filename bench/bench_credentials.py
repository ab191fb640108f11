"""Open Badges 3.0 credentials: signing 10,000 OpenBadgeCredentials must take under 5 s.

1. document + VC-JWT for 10,000 badges (their rows loaded once, one issuer key
   decrypted once): what a bulk export or re-issue of an issuer's badges costs;
2. the Ed25519 VC-JWT alone, on ready documents, and verifying those signatures;
3. the first download path from the database for 1,000 badges (`credential_sign`:
   status index allocated under row locks, key decrypted, signed), per credential;
4. the issuer's status list credential (131,072 entries, 1% revoked): encode + sign.
"""

import secrets

from accounts.models import User
from assertions.models import Assertion
from bench.bench_api import _bulk_badges
from bench.figures import Figure, median_seconds
from core.testing import png_upload
from credentials import documents, services, signing
from credentials.models import StatusEntry, StatusList
from issuers.services import issuer_create
from templates_app.services import template_create

N = 10_000
N_DB = 1_000
TARGET_SECONDS = 5.0


def _world():
    owner = User.objects.create_user(f"owner-{secrets.token_hex(4)}@bench.example")
    issuer = issuer_create(name="Bench Academy", email="b@bench.example", owner=owner)
    template = template_create(
        issuer=issuer,
        name="Bench badge",
        description="Measured.",
        criteria_url="https://bench.example/criteria",
        image=png_upload(),
    )
    _bulk_badges(issuer, template, N, prefix="vc", narrative="Did the work.")
    return issuer


def run(repeat: int) -> list[Figure]:
    issuer = _world()
    assertions = list(
        Assertion.objects.filter(organization=issuer)
        .select_related("organization", "earner", "badge_template_version__template")
        .order_by("pk")
    )
    key, private = services.signing_key(issuer)
    kid = documents.verification_method_id(issuer, key.key_id)

    def sign_all():
        profile = documents.profile(issuer)
        for index, assertion in enumerate(assertions):
            status = documents.status_entry(issuer, 1, index)
            doc = documents.credential(assertion, status=status, issuer_profile=profile)
            signing.sign(doc, private, kid, key.algorithm)

    figures = []
    total = median_seconds(sign_all, repeat=repeat)
    figures.append(
        Figure(
            f"sign {N:,} OpenBadgeCredentials (document + VC-JWT)",
            total,
            "s",
            target=f"< {TARGET_SECONDS:g} s",
            passed=total < TARGET_SECONDS,
        )
    )

    docs = [
        documents.credential(a, status=documents.status_entry(issuer, 1, i))
        for i, a in enumerate(assertions)
    ]
    sign_only = median_seconds(
        lambda: [signing.sign(d, private, kid, key.algorithm) for d in docs], repeat=repeat
    )
    figures.append(Figure(f"Ed25519 VC-JWT only x{N:,}", sign_only, "s"))
    tokens = [signing.sign(d, private, kid, key.algorithm) for d in docs]
    verify_only = median_seconds(
        lambda: [signing.verify_signature(t, key.public_jwk) for t in tokens], repeat=repeat
    )
    figures.append(Figure(f"verify VC-JWT signature x{N:,}", verify_only, "s"))

    sample = assertions[:N_DB]

    def reset():
        StatusEntry.objects.all().delete()
        StatusList.objects.all().delete()

    def first_downloads():
        keys: dict = {}
        for assertion in sample:
            services.credential_sign(assertion=assertion, keys=keys)

    from_db = median_seconds(first_downloads, repeat=repeat, setup=reset)
    figures.append(
        Figure(
            f"credential_sign from the database, first download (x{N_DB:,}), per credential",
            from_db / N_DB * 1000,
            "ms",
        )
    )

    reset()
    status_list = StatusList.objects.create(issuer=issuer, number=1)
    StatusEntry.objects.bulk_create(
        StatusEntry(assertion=a, status_list=status_list, index=i, revoked=i % 100 == 0)
        for i, a in enumerate(assertions)
    )

    def status_list_render():
        # bypass the cache: encode the 131,072-bit list and sign it
        services._status_cache_renew(issuer.pk, 1)
        services.status_list_token(issuer=issuer, number=1)

    figures.append(
        Figure(
            "status list credential (131,072 entries, 1% revoked): encode + sign",
            median_seconds(status_list_render, repeat=repeat) * 1000,
            "ms",
        )
    )
    return figures
