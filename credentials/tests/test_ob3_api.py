"""The Open Badges 3.0 API, driven by a client written from the spec (ob_v3p0.lines,
RFC 7591, RFC 6749 + RFC 7636) with nothing but HTTP: it reads the discovery document,
registers, gets the earner's consent with PKCE, lists credentials with paging, upserts
one, reads and updates the profile. Every response is checked against the shapes the
spec defines (1EdTech's AchievementCredential JSON Schema and its Profile definition;
Imsx_StatusInfo and GetOpenBadgeCredentialsResponse as ob_v3p0.lines gives them)."""

import base64
import copy
import hashlib
import json
import secrets
from urllib.parse import parse_qs, urlparse

import pytest
import responses
from django.test import Client
from joserfc import jwt
from joserfc.jwk import OctKey
from jsonschema import Draft201909Validator

from accounts.tests.factories import UserFactory
from core.testing import PUBLIC_ADDRESS, fake_dns
from credentials import documents, signing
from credentials.models import HeldCredential
from credentials.tests.interop import SCHEMA, schema_errors
from credentials.tests.test_verify_who import did_key_signer, foreign_credential
from earners.models import Earner

pytestmark = pytest.mark.django_db
SCOPE = "https://purl.imsglobal.org/spec/ob/v3p0/scope/"
ALL_SCOPES = [
    SCOPE + s
    for s in ("credential.readonly", "credential.upsert", "profile.readonly", "profile.update")
]
REDIRECT = "https://wallet.example/callback"

# Imsx_StatusInfo, as 1EdTech's common data model defines it.
IMSX_STATUS_INFO = {
    "type": "object",
    "required": ["imsx_codeMajor", "imsx_severity"],
    "properties": {
        "imsx_codeMajor": {"enum": ["failure", "processing", "success", "unsupported"]},
        "imsx_severity": {"enum": ["error", "status", "warning"]},
        "imsx_description": {"type": "string"},
        "imsx_codeMinor": {
            "type": "object",
            "required": ["imsx_codeMinorField"],
            "properties": {
                "imsx_codeMinorField": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["imsx_codeMinorFieldName", "imsx_codeMinorFieldValue"],
                        "properties": {
                            "imsx_codeMinorFieldName": {"type": "string"},
                            "imsx_codeMinorFieldValue": {
                                "enum": [
                                    "forbidden",
                                    "fullsuccess",
                                    "internal_server_error",
                                    "invalid_data",
                                    "invalid_query_parameter",
                                    "misdirected_request",
                                    "not_acceptable",
                                    "not_allowed",
                                    "not_found",
                                    "not_modified",
                                    "server_busy",
                                    "unauthorizedrequest",
                                    "unknown",
                                    "unknownobject",
                                ]
                            },
                        },
                    },
                }
            },
        },
    },
    "additionalProperties": False,
}
JWS_PATTERN = r"^[-A-Za-z0-9_]+\.[-A-Za-z0-9_]+\.[-A-Za-z0-9_]*$"
# GetOpenBadgeCredentialsResponse (ob_v3p0.lines, ApiDataModels): two optional arrays.
GET_CREDENTIALS_RESPONSE = {
    "type": "object",
    "properties": {
        "credential": {"type": "array", "items": {"type": "object"}},
        "compactJwsString": {
            "type": "array",
            "items": {
                "type": "string",
                "pattern": r"^[-A-Za-z0-9_]+\.[-A-Za-z0-9_]+\.[-A-Za-z0-9_]*$",
            },
        },
    },
    "additionalProperties": False,
}


def shape_errors(schema: dict, value) -> list[str]:
    return [e.message for e in Draft201909Validator(schema).iter_errors(value)]


def profile_errors(value) -> list[str]:
    """1EdTech's Profile definition, from the official AchievementCredential schema."""
    official = json.loads(SCHEMA.read_text(encoding="utf-8"))
    schema = {"$schema": official["$schema"], "$ref": "#/$defs/Profile", "$defs": official["$defs"]}
    return shape_errors(schema, value)


def path_of(url: str) -> str:
    parts = urlparse(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class SpecClient:
    """An OB 3.0 API client from the spec: discovery → registration → consent with PKCE
    → token → the API, over HTTP only."""

    def __init__(self, browser: Client):
        self.http = Client()
        self.browser = browser  # the earner, signed in, who consents
        self.token = ""

    def discover(self) -> dict:
        response = self.http.get("/ims/ob/v3p0/discovery")
        assert response.status_code == 200
        self.sdd = response.json()
        scheme = self.sdd["components"]["securitySchemes"]["OAuth2ACG"]
        self.flow = scheme["flows"]["authorizationCode"]
        self.registration_url = scheme["x-imssf-registrationUrl"]
        self.api = self.sdd["servers"][0]["url"]
        return self.sdd

    def register(self, scopes=ALL_SCOPES) -> dict:
        metadata = {
            "client_name": "Spec Wallet",
            "client_uri": "https://wallet.example/",
            "logo_uri": "https://wallet.example/logo.png",
            "tos_uri": "https://wallet.example/tos",
            "policy_uri": "https://wallet.example/privacy",
            "software_id": "c88b6ed8-269e-448e-99be-7e2ff47167d1",
            "software_version": "1.0",
            "redirect_uris": [REDIRECT],
            "token_endpoint_auth_method": "client_secret_basic",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "scope": " ".join(scopes),
        }
        response = self.http.post(
            path_of(self.registration_url), json.dumps(metadata), content_type="application/json"
        )
        assert response.status_code == 201, response.content
        self.client_id = response.json()["client_id"]
        self.client_secret = response.json()["client_secret"]
        return response.json()

    def authorize(self, scopes=ALL_SCOPES) -> None:
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        state = secrets.token_urlsafe(8)
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": REDIRECT,
            "scope": " ".join(scopes),
            "state": state,
            "code_challenge": challenge.decode().rstrip("="),
            "code_challenge_method": "S256",
        }
        page = self.browser.get(path_of(self.flow["authorizationUrl"]), params)
        assert page.status_code == 200, page.content  # the consent page
        consent = self.browser.post(
            path_of(self.flow["authorizationUrl"]), {**params, "allow": "Authorize"}
        )
        assert consent.status_code == 302, consent.content
        location = urlparse(consent["Location"])
        assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
        query = parse_qs(location.query)
        assert query["state"] == [state]
        basic = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        token = self.http.post(
            path_of(self.flow["tokenUrl"]),
            {
                "grant_type": "authorization_code",
                "code": query["code"][0],
                "redirect_uri": REDIRECT,
                "code_verifier": verifier,
            },
            HTTP_AUTHORIZATION=f"Basic {basic}",
        )
        assert token.status_code == 200, token.content
        self.token = token.json()["access_token"]
        self.refresh = token.json()["refresh_token"]

    def call(self, method: str, path: str, body=None, content_type="application/json", **extra):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {self.token}", **extra}
        url = path_of(self.api + path)
        if method == "get":
            return self.http.get(url, **headers)
        data = body if isinstance(body, str) else json.dumps(body)
        return getattr(self.http, method)(url, data, content_type=content_type, **headers)


@pytest.fixture
def earner(make_badge):
    """A signed-in earner with three badges here."""
    user = UserFactory(email="ada@learners.example", first_name="Ada", last_name="Lovelace")
    badges = [make_badge(recipient_email=user.email) for _ in range(3)]
    Earner.objects.filter(pk=badges[0].earner_id).update(user=user)
    browser = Client()
    browser.force_login(user)
    return user, browser, badges


@pytest.fixture
def wallet(earner):
    _, browser, _ = earner
    client = SpecClient(browser)
    client.discover()
    client.register()
    client.authorize()
    return client


def assert_status_info(response, status: int, minor: str):
    assert response.status_code == status, response.content
    body = response.json()
    assert shape_errors(IMSX_STATUS_INFO, body) == []
    assert body["imsx_codeMajor"] == "failure"
    assert body["imsx_codeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"] == minor
    return body


# --- discovery and registration -------------------------------------------------------------


def test_the_discovery_document_names_the_oauth_endpoints_and_scopes(client):
    sdd = client.get("/ims/ob/v3p0/discovery").json()
    assert sdd["openapi"].startswith("3.0")
    for field in ("title", "version", "termsOfService", "x-imssf-privacyPolicyUrl"):
        assert sdd["info"][field]
    scheme = sdd["components"]["securitySchemes"]["OAuth2ACG"]
    assert scheme["type"] == "oauth2"
    flow = scheme["flows"]["authorizationCode"]
    assert set(flow["scopes"]) == set(ALL_SCOPES)
    for url in (flow["authorizationUrl"], flow["tokenUrl"], flow["refreshUrl"]):
        assert url.startswith("https://badges.example/o/")
    assert scheme["x-imssf-registrationUrl"] == "https://badges.example/ims/ob/v3p0/register"
    assert sdd["servers"][0]["url"] == "https://badges.example/ims/ob/v3p0"
    ops = {op["operationId"] for item in sdd["paths"].values() for op in item.values()}
    assert {"getCredentials", "upsertCredential", "getProfile", "putProfile"} <= ops


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"redirect_uris": []}, "invalid_redirect_uri"),
        ({"redirect_uris": ["http://wallet.example/cb"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["https://wallet.example/cb#x"]}, "invalid_redirect_uri"),
        ({"client_name": ""}, "invalid_client_metadata"),
        ({"scope": "r:backpack"}, "invalid_client_metadata"),
        ({"grant_types": ["password"]}, "invalid_client_metadata"),
        ({"client_uri": "javascript:alert(1)"}, "invalid_client_metadata"),
    ],
)
def test_bad_registration_metadata_is_a_400_naming_the_problem(client, change, error):
    metadata = {"client_name": "W", "redirect_uris": [REDIRECT], "scope": ALL_SCOPES[0], **change}
    response = client.post("/ims/ob/v3p0/register", metadata, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == error
    assert response.json()["error_description"]


def test_registration_answers_the_rfc7591_fields(earner):
    client = SpecClient(earner[1])
    client.discover()
    body = client.register()
    assert body["client_secret_expires_at"] == 0
    assert isinstance(body["client_id_issued_at"], int)
    assert body["redirect_uris"] == [REDIRECT]
    assert body["scope"].split() == ALL_SCOPES


# --- the whole flow -------------------------------------------------------------------------


def test_a_wallet_lists_the_earners_credentials_with_paging(wallet, earner):
    # when the wallet lists the earner's credentials two at a time
    first = wallet.call("get", "/credentials?limit=2&offset=0")
    # then it gets a page of 2 of 3, with the total and the links to the others
    assert first.status_code == 200
    assert first["X-Total-Count"] == "3"
    body = first.json()
    assert shape_errors(GET_CREDENTIALS_RESPONSE, body) == []
    assert len(body["compactJwsString"]) == 2
    assert 'rel="next"' in first["Link"]
    assert "offset=2" in first["Link"].split('rel="next"')[0].rsplit("<", 1)[1]
    # every credential is an OB 3.0 VC-JWT whose payload 1EdTech's schema accepts
    for token in body["compactJwsString"]:
        header, claims = signing.unverified_parts(token)
        assert header["typ"] == "JWT"
        assert schema_errors(claims) == []
    # and the last page has the third one, and no next link
    last = wallet.call("get", "/credentials?limit=2&offset=2")
    assert len(last.json()["compactJwsString"]) == 1
    assert 'rel="next"' not in last["Link"]
    assert 'rel="prev"' in last["Link"]


def test_a_wallet_upserts_a_verified_credential_and_lists_it(wallet, earner):
    user = earner[0]
    did_key, _, sign = did_key_signer()
    token = sign(foreign_credential(did_key))
    # when the wallet pushes a VC-JWT signed by its issuer
    created = wallet.call("post", "/credentials", token, content_type="text/plain")
    # then it is kept (201, the credential echoed), and pushing it again replaces it (200)
    assert created.status_code == 201, created.content
    assert created["Content-Type"].startswith("text/plain")
    assert created.content.decode() == token
    again = wallet.call("post", "/credentials", token, content_type="text/plain")
    assert again.status_code == 200
    assert HeldCredential.objects.filter(user=user).count() == 1
    # and it is listed after the badges of this site
    listed = wallet.call("get", "/credentials?limit=10").json()
    assert token in listed["compactJwsString"]
    assert len(listed["compactJwsString"]) == 4


def test_a_data_integrity_credential_is_upserted_as_json(wallet, earner, client, make_badge):
    # given one of this site's credentials with a Data Integrity proof
    badge = make_badge()
    ldp = client.get(f"/public/assertions/{badge.entity_id}/credential?format=ldp").json()
    response = wallet.call("post", "/credentials", ldp)
    assert response.status_code == 201, response.content
    assert response.json() == ldp
    listed = wallet.call("get", "/credentials?limit=10").json()
    assert listed["credential"] == [ldp]
    assert schema_errors(listed["credential"][0]) == []


def test_a_tampered_credential_is_refused_and_not_kept(wallet, earner):
    did_key, _, sign = did_key_signer()
    token = sign(foreign_credential(did_key))
    header, payload, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["name"] = "Something else"
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    response = wallet.call(
        "post", "/credentials", f"{header}.{body}.{sig}", content_type="text/plain"
    )
    info = assert_status_info(response, 400, "invalid_data")
    assert "not kept" in info["imsx_description"]
    assert not HeldCredential.objects.exists()


def test_the_profile_is_read_and_updated(wallet, earner):
    user = earner[0]
    profile = wallet.call("get", "/profile")
    assert profile.status_code == 200
    doc = profile.json()
    assert profile_errors(doc) == []
    assert doc["email"] == user.email
    assert doc["givenName"] == "Ada"
    # when the wallet puts the whole profile back with other names
    changed = {**doc, "givenName": "Augusta", "familyName": "King"}
    updated = wallet.call("put", "/profile", changed)
    # then the account has them
    assert updated.status_code == 200, updated.content
    assert updated.json()["givenName"] == "Augusta"
    assert profile_errors(updated.json()) == []
    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("Augusta", "King")
    # and an email change or another person's id is refused, saying why
    other_email = wallet.call("put", "/profile", {**doc, "email": "eve@example.org"})
    assert "email" in assert_status_info(other_email, 400, "invalid_data")["imsx_description"]
    other_id = wallet.call(
        "put", "/profile", {**doc, "id": "urn:uuid:00000000-0000-0000-0000-000000000000"}
    )
    assert_status_info(other_id, 400, "invalid_data")


# --- errors ---------------------------------------------------------------------------------


def test_no_token_is_401_and_a_token_without_the_scope_is_403(earner):
    client = SpecClient(earner[1])
    client.discover()
    assert_status_info(client.http.get("/ims/ob/v3p0/credentials"), 401, "unauthorizedrequest")
    assert_status_info(
        client.http.get("/ims/ob/v3p0/profile", HTTP_AUTHORIZATION="Bearer nope"),
        401,
        "unauthorizedrequest",
    )
    # a client registered for reading credentials only
    client.register(scopes=[SCOPE + "credential.readonly"])
    client.authorize(scopes=[SCOPE + "credential.readonly"])
    assert client.call("get", "/credentials").status_code == 200
    assert_status_info(client.call("get", "/profile"), 403, "forbidden")
    assert_status_info(client.call("post", "/credentials", "a.b.c", "text/plain"), 403, "forbidden")


def test_a_client_cannot_get_tokens_beyond_the_scopes_it_registered(earner):
    # a client registered for reading only asks the earner for more: its token is no key
    client = SpecClient(earner[1])
    client.discover()
    client.register(scopes=[SCOPE + "credential.readonly"])
    client.authorize(scopes=ALL_SCOPES)
    assert_status_info(client.call("get", "/profile"), 403, "forbidden")


@pytest.mark.parametrize("query", ["limit=0", "limit=x", "offset=-1", "since=yesterday"])
def test_bad_paging_parameters_are_400(wallet, query):
    response = wallet.call("get", f"/credentials?{query}")
    assert_status_info(response, 400, "invalid_data")


def test_a_body_of_the_wrong_type_is_400_and_a_wrong_method_405(wallet):
    assert_status_info(
        wallet.call("post", "/credentials", "x", "application/xml"), 400, "invalid_data"
    )
    assert_status_info(
        wallet.call("post", "/credentials", "{nope", "application/json"), 400, "invalid_data"
    )
    assert_status_info(wallet.call("delete", "/credentials", ""), 405, "not_allowed")


def test_the_earners_badges_of_another_user_are_not_listed(wallet, make_badge, earner):
    make_badge(recipient_email="someone@else.example")
    assert wallet.call("get", "/credentials").json()["compactJwsString"].__len__() == 3


def test_an_unsigned_or_expired_credential_is_refused(wallet):
    did_key, kid, sign = did_key_signer()
    doc = foreign_credential(did_key)
    doc["validUntil"] = "2025-06-01T00:00:00Z"
    response = wallet.call("post", "/credentials", sign(doc), content_type="text/plain")
    assert "expired" in assert_status_info(response, 400, "invalid_data")["imsx_description"]
    unsigned = copy.deepcopy(doc)
    response = wallet.call("post", "/credentials", unsigned)
    assert "no proof" in assert_status_info(response, 400, "invalid_data")["imsx_description"]
    # a token whose header claims an algorithm its key does not have
    secret = OctKey.import_key("k" * 32)
    forged = jwt.encode({"alg": "HS256", "kid": kid}, signing.claims_for(doc), secret)
    response = wallet.call("post", "/credentials", forged, content_type="text/plain")
    assert_status_info(response, 400, "invalid_data")


# --- another site's did:web issuer ----------------------------------------------------------

ELSEWHERE = "did:web:issuer.elsewhere.example"
ELSEWHERE_LIST = "https://issuer.elsewhere.example/status/1"


@pytest.fixture
def elsewhere(monkeypatch):
    """Another platform: its did:web document and its status list, played by `responses`
    behind the guarded client (a public address, no network)."""
    fake_dns(monkeypatch, {".example": PUBLIC_ADDRESS})
    key = signing.generate_key("RS256")
    kid = f"{ELSEWHERE}#key-1"
    did_doc = {
        "id": ELSEWHERE,
        "verificationMethod": [
            {
                "id": kid,
                "type": "JsonWebKey2020",
                "controller": ELSEWHERE,
                "publicKeyJwk": key.as_dict(private=False),
            }
        ],
        "assertionMethod": [kid],
    }
    mock = responses.RequestsMock(assert_all_requests_are_fired=False)
    mock.start()
    mock.add(responses.GET, "https://issuer.elsewhere.example/.well-known/did.json", json=did_doc)

    def publish_list(revoked=()):
        status = {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": ELSEWHERE_LIST,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": ELSEWHERE,
            "validFrom": "2025-01-01T00:00:00Z",
            "credentialSubject": {
                "id": f"{ELSEWHERE_LIST}#list",
                "type": "BitstringStatusList",
                "statusPurpose": "revocation",
                "encodedList": documents.encode_bitstring(131_072, revoked),
            },
        }
        mock.upsert(responses.GET, ELSEWHERE_LIST, body=signing.sign(status, key, kid, "RS256"))

    def credential(index: int) -> str:
        doc = foreign_credential(ELSEWHERE)
        doc["credentialStatus"] = {
            "id": f"{ELSEWHERE_LIST}#{index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(index),
            "statusListCredential": ELSEWHERE_LIST,
        }
        return signing.sign(doc, key, kid, "RS256")

    yield publish_list, credential
    mock.stop()
    mock.reset()


def test_a_credential_of_another_sites_did_web_is_resolved_and_kept(wallet, earner, elsewhere):
    # given another platform's credential, its issuer's did:web and status list online
    publish_list, credential = elsewhere
    publish_list()
    token = credential(42)
    # when the wallet pushes it
    response = wallet.call("post", "/credentials", token, content_type="text/plain")
    # then the DID document and the status list were fetched, and it was kept
    assert response.status_code == 201, response.content
    held = HeldCredential.objects.get(user=earner[0])
    assert held.issuer_did == ELSEWHERE


def test_a_revoked_credential_of_another_site_is_refused(wallet, elsewhere):
    publish_list, credential = elsewhere
    publish_list(revoked=[42])
    response = wallet.call("post", "/credentials", credential(42), content_type="text/plain")
    info = assert_status_info(response, 400, "invalid_data")
    assert "revoked by its issuer" in info["imsx_description"]
    assert not HeldCredential.objects.exists()


def test_the_public_verifier_still_fetches_nothing(elsewhere, client):
    publish_list, credential = elsewhere
    publish_list()
    page = client.post("/verify/", {"credential": credential(7)}).content.decode()
    assert "does not fetch documents from other servers" in page
