"""The Open Badges 3.0 endpoints, the download links, the bundle, and the verifier page
and command."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from accounts.tests.factories import UserFactory
from assertions.models import Assertion
from assertions.services import assertion_revoke, assertion_set_private
from core.exceptions import ConflictError, PermissionDeniedError
from credentials import did, services, signing, verify
from credentials.models import IssuerKey
from earners.models import Earner

pytestmark = pytest.mark.django_db
JWT = "application/vc+jwt"


def owned(badge, user=None):
    user = user or UserFactory(email=badge.recipient_email)
    Earner.objects.filter(pk=badge.earner_id).update(user=user)
    return Assertion.objects.select_related("earner__user").get(pk=badge.pk), user


# --- DID document and JWKS ------------------------------------------------------------------


def test_the_did_document_publishes_every_key_of_the_issuer(client, issuer):
    services.issuer_key_rotate(issuer=issuer)
    response = client.get(f"/issuers/{issuer.entity_id}/did.json")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    doc = response.json()
    issuer_did = f"did:web:badges.example:issuers:{issuer.entity_id}"
    assert doc["id"] == issuer_did
    ids = [m["id"] for m in doc["verificationMethod"]]
    assert ids == [f"{issuer_did}#key-1", f"{issuer_did}#key-2"]
    assert doc["assertionMethod"] == ids
    for method, key in zip(doc["verificationMethod"], services.issuer_keys(issuer), strict=True):
        assert method["controller"] == issuer_did
        assert method["publicKeyJwk"] == key.public_jwk
        assert "d" not in method["publicKeyJwk"]


def test_a_port_in_the_site_is_percent_encoded_in_the_did(client, issuer, settings):
    settings.SITE_URL = "http://localhost:8000"
    doc = client.get(f"/issuers/{issuer.entity_id}/did.json").json()
    assert doc["id"] == f"did:web:localhost%3A8000:issuers:{issuer.entity_id}"
    # the did:web rules map that DID back onto this very URL (over https)
    assert (
        did.did_web_url(doc["id"]) == f"https://localhost:8000/issuers/{issuer.entity_id}/did.json"
    )


def test_the_jwks_lists_the_public_keys_by_their_did_urls(client, issuer):
    keys = client.get(f"/issuers/{issuer.entity_id}/jwks.json").json()["keys"]
    (key,) = keys
    assert key["kid"] == f"{did.issuer_did(issuer)}#key-1"
    assert key["kty"] == "RSA"
    assert key["alg"] == "RS256"
    assert "d" not in key


def test_an_unknown_issuer_is_404(client):
    assert client.get(f"/issuers/{'x' * 22}/did.json").status_code == 404
    assert client.get(f"/issuers/{'x' * 22}/status/1").status_code == 404


# --- status list ----------------------------------------------------------------------------


def test_the_status_list_is_a_signed_jwt_and_revocation_changes_it(client, make_badge, committed):
    badge = make_badge()
    services.credential_sign(assertion=badge)
    url = f"/issuers/{badge.organization.entity_id}/status/1"
    first = client.get(url)
    assert first.status_code == 200
    assert first["Content-Type"] == JWT
    assert "max-age=60" in first["Cache-Control"]
    key = IssuerKey.objects.get(issuer=badge.organization)
    signing.verify_signature(first.content.decode(), key.public_jwk)
    # cached: the same token until a bit changes
    assert client.get(url).content == first.content
    with committed():
        assertion_revoke(assertion=badge, reason="Mistake")
    assert client.get(url).content != first.content
    # JSON on request: the JWT enveloped
    enveloped = client.get(url, HTTP_ACCEPT="application/json").json()
    assert enveloped["type"] == "EnvelopedVerifiableCredential"
    assert enveloped["id"].startswith("data:application/vc+jwt,ey")


def test_a_status_list_that_does_not_exist_is_404(client, issuer):
    assert client.get(f"/issuers/{issuer.entity_id}/status/7").status_code == 404


# --- a badge's credential -------------------------------------------------------------------


def test_the_credential_is_a_jwt_when_asked_and_json_otherwise(client, make_badge):
    badge = make_badge()
    url = f"/public/assertions/{badge.entity_id}/credential"
    as_jwt = client.get(url, HTTP_ACCEPT=JWT)
    assert as_jwt.status_code == 200
    assert as_jwt["Content-Type"] == JWT
    assert as_jwt["Vary"] == "Accept"
    token = as_jwt.content.decode()
    assert verify.verify_input(token)[0].valid
    as_json = client.get(url)
    assert as_json["Content-Type"] == "application/json"
    assert as_json.json() == {
        "@context": "https://www.w3.org/ns/credentials/v2",
        "id": f"data:application/vc+jwt,{token}",
        "type": "EnvelopedVerifiableCredential",
    }
    assert verify.verify_input(as_json.content)[0].valid


def test_the_wallet_download_is_an_attachment(client, make_badge):
    badge = make_badge()
    response = client.get(f"/public/assertions/{badge.entity_id}/credential?format=jwt&download=1")
    assert response["Content-Type"] == JWT
    assert response["Content-Disposition"].startswith('attachment; filename="badge-')
    assert response["Content-Disposition"].endswith('.jwt"')


def test_a_private_badge_has_no_credential_but_for_its_earner(client, make_badge):
    badge, user = owned(make_badge())
    assertion_set_private(assertion=badge, actor=user, private=True)
    url = f"/public/assertions/{badge.entity_id}/credential"
    assert client.get(url).status_code == 404
    client.force_login(user)
    response = client.get(url, HTTP_ACCEPT=JWT)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_a_revoked_badge_has_no_credential(client, make_badge, committed):
    badge = make_badge()
    url = f"/public/assertions/{badge.entity_id}/credential"
    assert client.get(url).status_code == 200
    with committed():
        assertion_revoke(assertion=badge, reason="Mistake")
    assert client.get(url).status_code == 410


def test_an_unknown_badge_has_no_credential(client):
    assert client.get(f"/public/assertions/{'x' * 22}/credential").status_code == 404


def test_the_public_page_and_the_backpack_link_the_wallet_download(client, make_badge):
    badge, user = owned(make_badge())
    link = f"/public/assertions/{badge.entity_id}/credential?format=jwt&amp;download=1"
    page = client.get(f"/public/assertions/{badge.entity_id}", HTTP_ACCEPT="text/html")
    assert link in page.content.decode()
    assert "Download for wallet" in page.content.decode()
    client.force_login(user)
    backpack = client.get("/me/badges").content.decode()
    assert link in backpack
    assert "/me/badges/credentials.json" in backpack


def test_the_backpack_exports_every_unrevoked_credential_as_one_bundle(client, make_badge):
    first, user = owned(make_badge())
    second, _ = owned(make_badge(recipient_email=user.email), user)
    revoked, _ = owned(make_badge(recipient_email=user.email), user)
    assertion_revoke(assertion=revoked, reason="Mistake")
    someone_elses = make_badge()
    services.credential_sign(assertion=someone_elses)

    assert client.get("/me/badges/credentials.json").status_code == 302  # login first
    client.force_login(user)
    response = client.get("/me/badges/credentials.json")
    assert response.status_code == 200
    assert response["Content-Disposition"] == ('attachment; filename="my-badges-credentials.json"')
    bundle = response.json()
    assert bundle["type"] == ["VerifiablePresentation"]
    reports = verify.verify_input(response.content)
    assert len(reports) == 2
    assert all(r.valid for r in reports)
    assert {r.credential["id"] for r in reports} == {f"{b.url}/credential" for b in (first, second)}


# --- the verifier page ----------------------------------------------------------------------


def test_the_verify_page_shows_each_check_of_a_pasted_credential(client, make_badge):
    token = services.credential_sign(assertion=make_badge())
    assert client.get("/verify/").status_code == 200
    page = client.post("/verify/", {"credential": token}).content.decode()
    for name in ("format", "issuer", "signature", "dates", "status"):
        assert f'data-check="{name}"' in page
    assert "Valid: signed by its issuer" in page


def test_the_verify_page_takes_an_uploaded_file(client, make_badge, committed):
    badge = make_badge()
    token = services.credential_sign(assertion=badge)
    with committed():
        assertion_revoke(assertion=badge, reason="Mistake")
    upload = SimpleUploadedFile("badge.jwt", token.encode(), content_type=JWT)
    page = client.post("/verify/", {"file": upload}).content.decode()
    assert "Not valid: It was revoked by its issuer" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"credential": ""}, "Paste a credential or choose a file"),
        ({"credential": "hello"}, "neither a VC-JWT"),
        ({"credential": "{not json"}, "not valid JSON"),
        ({"credential": "{}"}, "It has no proof"),
        ({"credential": "eyJhbGciOiJub25lIn0.e30."}, "Its algorithm is"),
        ({"credential": "a.b.c"}, "not a readable VC-JWT"),
        (
            {"credential": '{"id": "data:text/plain,x", "type": "EnvelopedVerifiableCredential"}'},
            "not a VC-JWT data URL",
        ),
        ({"file": SimpleUploadedFile("x.bin", b"\xff\xfe\x00")}, "not text"),
    ],
)
def test_bad_input_is_a_message_on_the_form_never_a_500(client, data, message):
    response = client.post("/verify/", data)
    assert response.status_code == 200
    assert message in response.content.decode()


def test_a_bundle_resolves_each_issuer_and_status_list_once(
    make_badge, django_assert_max_num_queries
):
    # given 1 MB of one issuer's credentials (each was resolved again: 434 took 8.4 s)
    badges = [make_badge() for _ in range(3)]
    tokens = [services.credential_sign(assertion=badge) for badge in badges]
    verify.verify_input(tokens[0])  # the status list is signed and cached
    bundle = json.dumps(tokens * (1024 * 1024 // (3 * (len(tokens[0]) + 3))))

    # when it is verified, then the issuer and its status list are read once
    with django_assert_max_num_queries(10):
        reports = verify.verify_input(bundle)

    assert len(reports) == len(json.loads(bundle))
    assert all(report.valid for report in reports)


def test_the_verifier_gives_up_after_its_time_budget_saying_how_far_it_got(
    client, make_badge, monkeypatch
):
    token = services.credential_sign(assertion=make_badge())
    monkeypatch.setattr(verify, "VERIFY_SECONDS", 0)
    upload = SimpleUploadedFile("bundle.json", json.dumps([token] * 3).encode())

    response = client.post("/verify/", {"file": upload})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Verifying took longer than 0 s (0 of 3 credentials were checked); give fewer at once."
    ]


def test_a_proof_of_another_cryptosuite_is_reported_unsupported(client):
    proof = {"type": "DataIntegrityProof", "cryptosuite": "ecdsa-rdfc-2019"}
    doc = {"type": ["VerifiableCredential"], "proof": proof}
    page = client.post("/verify/", {"credential": json.dumps(doc)}).content.decode()
    assert "this verifier checks DataIntegrityProof/eddsa-rdfc-2022" in page
    assert "Invalid" in page


# --- the command ----------------------------------------------------------------------------


def test_the_command_prints_each_check_and_exits_zero_when_valid(make_badge, tmp_path, capsys):
    path = tmp_path / "badge.jwt"
    path.write_text(services.credential_sign(assertion=make_badge()))
    call_command("verify_credential", str(path))
    out = capsys.readouterr().out
    assert "[ok  ] signature: Signed with did:web:badges.example:issuers:" in out
    assert "Valid:" in out


def test_the_command_fails_with_a_sentence_for_a_revoked_credential(make_badge, tmp_path, capsys):
    badge = make_badge()
    path = tmp_path / "badge.jwt"
    path.write_text(services.credential_sign(assertion=badge))
    assertion_revoke(assertion=badge, reason="Mistake")
    with pytest.raises(CommandError, match="did not verify: Not valid: It was revoked") as exc:
        call_command("verify_credential", str(path))
    assert exc.value.returncode == 1
    assert "[FAIL] status:" in capsys.readouterr().out


def test_the_command_explains_unreadable_input(tmp_path):
    path = tmp_path / "empty.json"
    path.write_text("   ")
    with pytest.raises(CommandError, match="The input is empty") as exc:
        call_command("verify_credential", str(path))
    assert exc.value.returncode == 2
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("verify_credential", str(tmp_path / "missing.jwt"))


def test_rotate_issuer_key_command(issuer, capsys):
    call_command("rotate_issuer_key", issuer.entity_id)
    assert "now signs with key-2" in capsys.readouterr().out
    with pytest.raises(CommandError, match="No issuer"):
        call_command("rotate_issuer_key", "x" * 22)


# --- a compromised key ----------------------------------------------------------------------


def test_a_withdrawn_key_is_unpublished_and_what_it_signed_no_longer_verifies(
    client, make_badge, issuer, committed
):
    # given a badge whose credential was downloaded (and cached) with the issuer's key
    badge = make_badge()
    url = f"/public/assertions/{badge.entity_id}/credential"
    old_token = client.get(url, HTTP_ACCEPT=JWT).content.decode()
    assert verify.verify_input(old_token)[0].valid
    # when the owner withdraws that key, found compromised
    with committed():
        active = services.issuer_key_withdraw(key=IssuerKey.objects.get(issuer=issuer))
    # then it is neither in the DID document nor in the JWKS; a new key signs
    doc = client.get(f"/issuers/{issuer.entity_id}/did.json").json()
    assert [m["id"].rsplit("#")[1] for m in doc["verificationMethod"]] == ["key-2"]
    keys = client.get(f"/issuers/{issuer.entity_id}/jwks.json").json()["keys"]
    assert [k["kid"].rsplit("#")[1] for k in keys] == ["key-2"]
    assert active.key_id == "key-2"
    # and the old credential fails, naming the missing key
    (report,) = verify.verify_input(old_token)
    assert not report.valid
    assert "publishes no assertion key" in report.summary + str(report.checks)
    # and the badge's credential is signed again with the new key, not served from cache
    new_token = client.get(url, HTTP_ACCEPT=JWT).content.decode()
    assert signing.unverified_parts(new_token)[0]["kid"].endswith("#key-2")
    assert verify.verify_input(new_token)[0].valid


def test_withdrawing_a_retired_key_keeps_the_active_one_and_twice_is_refused(issuer):
    services.issuer_key_rotate(issuer=issuer)
    retired = IssuerKey.objects.get(issuer=issuer, key_id="key-1")
    active = services.issuer_key_withdraw(key=retired)
    assert active.key_id == "key-2"
    assert [k.key_id for k in services.issuer_keys(issuer)] == ["key-2"]
    with pytest.raises(ConflictError, match="withdrawn already"):
        services.issuer_key_withdraw(key=retired)


def test_only_an_owner_withdraws_a_key(issuer):
    with pytest.raises(PermissionDeniedError):
        services.issuer_key_withdraw(key=IssuerKey.objects.get(issuer=issuer), actor=UserFactory())
    assert IssuerKey.objects.get(issuer=issuer).withdrawn_at is None
