"""End-to-end tests of dynamic client registration and management (docs/protocol.md
"Registration" and "Client management"), the seed document's flow through nginx and Apache.

The responder's configuration trusts four directories (stack.py): the README's demo
directory (its `registration:` block taken from the README), the E2E directory by a JWK Set
file made in the setup, the OB directory by the demo directory CA and its named SSA signer
(x5c statements, no initial access token, registration over mTLS bound to the certificate),
and a sandbox directory with the same binding but another transport CA (the OB directory's
TPP certificate must not register under it). The registrar client is created with the CLI, its initial access token comes
from POST /token, every statement and signed request is signed here with joserfc (an
independent JOSE implementation), and the registered clients get tokens with the method they
registered, verified against /jwks. The README's "Register a TPP in five minutes" is run as
written.
"""

import base64
import concurrent.futures
import json
import os
import re
import secrets
import subprocess
import tempfile
import time
import unittest

from joserfc import jws, jwt
from joserfc.jwk import ECKey, RSAKey

from stack import (DEMO_DIRECTORY, E2E_DIRECTORY, E2E_DIRECTORY_KID, JWKS_FETCH_TIMEOUT, OB_DIRECTORY, REPO,
                   RESPONDER_CLOCK_SKEW, SANDBOX_DIRECTORY)
from test_tokens import (JWT_BEARER, TokenTestCase, b64url, basic, readme_section, shell_blocks)

README_SECTION = "Register a TPP in five minutes"
REGISTRATION_SCOPE = "DynamicClientRegistration"
# The scopes the configuration's scopes_by_role gives AISP and PISP.
ROLE_SCOPES = {"AISP": ["accounts"], "PISP": ["payments"]}
REDIRECT_URI = "https://tpp.e2e.example/callback"
# The OB directory's software: the subject of scripts/pki.sh's tpp.pem (CN, OU).
OB_SOFTWARE_ID = "DemoSoftware0000000001"
OB_ORG_ID = "0015800001041REAAY"
# The registrar whose initial access token has expired by the end of the run.
SHORT_LIFETIME = 30


def readme_trust_block():
    """The README's `registration:` YAML block (stack.py configures it, paths replaced)."""
    blocks = re.findall(r"(?ms)^```yaml\n(.*?)^```", readme_section(README_SECTION))
    if len(blocks) != 1:
        raise AssertionError(f"README '{README_SECTION}': expected one yaml block, found {len(blocks)}")
    return blocks[0]


def x5c_of(chain_path):
    with open(chain_path, encoding="ascii") as handle:
        text = handle.read()
    import ssl
    return [base64.b64encode(ssl.PEM_cert_to_DER_cert(block)).decode()
            for block in re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", text, re.S)]


def compact(header, claims, key):
    alg = "ES256" if isinstance(key, ECKey) else "PS256"
    return jws.serialize_compact(dict(header, alg=alg), json.dumps(claims).encode(), key, algorithms=[alg])


def claims_of(token):
    return json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))


class RegistrationFixture:
    """Keys, the registrar clients and their initial access tokens, made once per run."""

    _instance = None

    @classmethod
    def get(cls, test):
        if cls._instance is None or cls._instance.stack is not test.stack:
            cls._instance = RegistrationFixture(test)
        return cls._instance

    def __init__(self, test):
        self.stack = test.stack
        tokens = test.fixture
        self.dir = self.stack.path("registration")
        os.makedirs(self.dir, exist_ok=True)
        with open(os.path.join(self.stack.pki, "e2e-directory.key"), "rb") as handle:
            self.directory_key = ECKey.import_key(handle.read(), parameters={"kid": E2E_DIRECTORY_KID})
        # The same kid, another key: a statement the directory never signed.
        self.rogue_directory_key = ECKey.generate_key("P-256", parameters={"kid": E2E_DIRECTORY_KID})
        with open(os.path.join(self.stack.pki, "ssa-signer.key"), "rb") as handle:
            self.ca_signer_key = RSAKey.import_key(handle.read())
        self.ca_chain = x5c_of(os.path.join(self.stack.pki, "ssa-signer-chain.pem"))
        # A TPP's own certificate and key, from the same CA: not a statement signer.
        with open(os.path.join(self.stack.pki, "tpp.key"), "rb") as handle:
            self.tpp_transport_key = ECKey.import_key(handle.read())
        self.tpp_transport_chain = x5c_of(os.path.join(self.stack.pki, "tpp.pem")) + [self.ca_chain[1]]
        self.tpp_keys = {
            "inline": ECKey.generate_key("P-256", parameters={"kid": "tpp-inline"}),
            "endpoint": ECKey.generate_key("P-256", parameters={"kid": "tpp-endpoint"}),
            "stray": ECKey.generate_key("P-256", parameters={"kid": "tpp-inline"}),
        }
        # software_jwks_endpoint: the token tests' JWKS host serves the TPP's set.
        www = tokens.file("www")
        os.makedirs(os.path.join(www, "tpp"), exist_ok=True)
        os.chmod(os.path.join(www, "tpp"), 0o755)
        path = os.path.join(www, "tpp", "jwks.json")
        with open(path, "w", encoding="utf-8") as out:
            json.dump(self.public_set("endpoint"), out)
        os.chmod(path, 0o644)
        self.software_jwks_endpoint = tokens.jwks_host + "/tpp/jwks.json"
        self.software_jwks_endpoint_off_list = tokens.jwks_host_off_list + "/tpp/jwks.json"
        # The same set where the JWKS host answers slowly (50 bytes/s: 2 KiB take 40 s, past
        # jwks_fetch.timeout_seconds) and over jwks_fetch.max_bytes (100 KiB > 64 KiB).
        for folder, padding in (("slow", 2048), ("big", tokens.big_document_size)):
            path = os.path.join(www, folder, "tpp-jwks.json")
            with open(path, "w", encoding="utf-8") as out:
                json.dump(dict(self.public_set("endpoint"), padding="x" * padding), out)
            os.chmod(path, 0o644)
        self.software_jwks_endpoint_slow = tokens.jwks_host + "/slow/tpp-jwks.json"
        self.software_jwks_endpoint_big = tokens.jwks_host + "/big/tpp-jwks.json"
        # The registrars: as the README creates one, and one whose tokens live 30 s.
        self.registrar = tokens.create("registrar", "client_secret_basic", scopes=[REGISTRATION_SCOPE])
        self.short_registrar = tokens.create("registrar-short", "client_secret_basic", "--token-lifetime",
                                             str(SHORT_LIFETIME), scopes=[REGISTRATION_SCOPE])
        self.short_iat = test.initial_access_token("registrar-short")
        self.short_iat_issued = time.time()

    def public_set(self, name):
        return {"keys": [self.tpp_keys[name].as_dict(private=False)]}


class RegistrationTestCase(TokenTestCase):
    """Helpers: statements, signed requests, registration and management requests."""

    def setUp(self):
        super().setUp()
        self.registration = RegistrationFixture.get(self)

    # -- tokens

    def initial_access_token(self, label="registrar"):
        document, _ = self.token(label, scope=REGISTRATION_SCOPE)
        return document["access_token"]

    # -- statements and requests

    def software_id(self):
        return f"e2e-{self.server_name or 'x'}-{secrets.token_hex(6)}"

    def statement(self, software_id, iss=E2E_DIRECTORY, key=None, roles=("AISP", "PISP"),
                  redirect_uris=(REDIRECT_URI,), jwks="inline", endpoint=None, exp_in=600, org_id="e2e-org",
                  header=None, **extra):
        """An SSA with Open Banking UK claims, signed by the E2E directory (by kid) unless
        KEY says otherwise; `header` replaces the kid header (x5c statements); exp_in None:
        no exp (as Open Banking UK's directory signs them)."""
        now = int(time.time())
        claims = {"iss": iss, "iat": now, "jti": secrets.token_urlsafe(12),
                  "software_id": software_id, "org_id": org_id, "org_status": "Active",
                  "software_client_name": f"E2E {software_id}", "software_roles": list(roles),
                  "software_redirect_uris": list(redirect_uris)}
        if exp_in is not None:
            claims["exp"] = now + exp_in
        if endpoint:
            claims["software_jwks_endpoint"] = endpoint
        elif jwks:
            claims["software_jwks"] = self.registration.public_set(jwks)
        claims.update(extra)
        key = key or self.registration.directory_key
        return compact(header or {"typ": "JWT", "kid": key.kid}, claims, key)

    def ob_statement(self, software_id=OB_SOFTWARE_ID, key=None, chain=None, **extra):
        """An SSA of the OB directory: PS256 with the demo SSA signer's chain in x5c."""
        fixture = self.registration
        return self.statement(software_id, iss=OB_DIRECTORY, key=key or fixture.ca_signer_key,
                              org_id=OB_ORG_ID, header={"typ": "JWT", "x5c": chain or fixture.ca_chain}, **extra)

    def signed_request(self, statement, metadata, key="inline", aud=None, jti=None, header=None, iss=None):
        tpp = self.registration.tpp_keys[key]
        now = int(time.time())
        claims = dict(metadata, iss=iss or claims_of(statement)["software_id"], aud=aud or self.issuer, iat=now,
                      exp=now + 300, jti=jti or secrets.token_urlsafe(12), software_statement=statement)
        return compact(header or {"typ": "JWT", "kid": tpp.kid}, claims, tpp)

    # -- requests

    def register(self, body, content_type="application/json", token=None, mtls=False, cert=None):
        if isinstance(body, dict):
            body = json.dumps(body)
        headers = [f"Content-Type: {content_type}"]
        if token:
            headers.append(f"Authorization: Bearer {token}")
        return self.post("/register", body.encode(), mtls=mtls, cert=cert, headers=headers)

    def manage(self, method, client_id, token=None, body=None, content_type="application/json", mtls=False,
               cert=None):
        base = self.server.mtls_url if mtls else self.server.main_url
        headers = [f"Authorization: Bearer {token}"] if token else []
        if body is not None:
            headers.append(f"Content-Type: {content_type}")
            body = (json.dumps(body) if isinstance(body, dict) else body).encode()
        return self.stack.curl.request(f"{base}/register/{client_id}", method=method, headers=headers, body=body,
                                       cert=cert)

    def assert_registered(self, response, software_id, method):
        document = self.assert_json(response, 201)
        self.assertIn("no-store", (response.header("cache-control") or "").lower(), response.describe())
        self.assertEqual(document.get("software_id"), software_id, document)
        self.assertEqual(document.get("token_endpoint_auth_method"), method, document)
        self.assertIsInstance(document.get("client_id"), str, document)
        self.assertGreaterEqual(len(document.get("registration_access_token", "")), 22, document)
        self.assertEqual(document.get("registration_client_uri"), f"{self.issuer}/register/{document['client_id']}")
        self.assertEqual(document.get("client_name"), f"E2E {software_id}", document)
        self.assertIsInstance(document.get("software_statement"), str, document)
        if method.startswith("client_secret"):
            self.assertIsInstance(document.get("client_secret"), str, document)
        else:
            self.assertNotIn("client_secret", document)
        return document

    def remember(self, label, document):
        """Makes a registered client usable with the token helpers under LABEL."""
        client = dict(document, label=label)
        self.fixture.clients[label] = client
        return client

    def pkj_token(self, client_id, key="inline"):
        tpp = self.registration.tpp_keys[key]
        return self.post("/token", {"grant_type": "client_credentials",
                                    **self.assertion_form(self.assertion(client_id, tpp))})

    def assert_invalid_token(self, response, token_sent=True):
        """RFC 6750 §3: 401 invalid_token with a Bearer challenge, which names the error
        only when a token was sent (§3.1)."""
        self.assert_oauth_error(response, 401, "invalid_token")
        challenge = response.header("www-authenticate") or ""
        self.assertRegex(challenge, r"^Bearer( |$)", response.describe())
        if token_sent:
            self.assertIn('error="invalid_token"', challenge, response.describe())
        else:
            self.assertNotIn("error=", challenge, response.describe())

    def assert_unauthorised(self, response):
        """RFC 7592 §2: 401 for a management request that is not authorised."""
        self.assertEqual(response.status, 401, response.describe())
        self.assert_oauth_error(response, 401)

    def sql(self, query):
        """Rows of QUERY on the responder's database (psql, tab-separated)."""
        done = subprocess.run(["psql", "-X", "-v", "ON_ERROR_STOP=1", "-At", "-F", "\t", "-d",
                               self.stack.database_url, "-c", query], capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=30)
        if done.returncode != 0:
            raise AssertionError(f"psql failed: {done.stderr.strip()} ({query})")
        return [line.split("\t") for line in done.stdout.splitlines()]

    @staticmethod
    def literal(text):
        return "'" + text.replace("'", "''") + "'"

    def last_audit_id(self):
        return int(self.sql("SELECT coalesce(max(id), 0) FROM audit_events")[0][0])

    def assert_nothing_written(self, since, software_id, jtis, rule, error, issuer=E2E_DIRECTORY):
        """A refused registration wrote no client and no jti, only its audit row (docs/protocol.md:
        one transaction writes the jti, the client and the audit row; a refusal its audit row)."""
        self.assertEqual(self.sql(f"SELECT count(*) FROM clients WHERE software_id = {self.literal(software_id)} "
                                  f"AND software_statement_issuer = {self.literal(issuer)}"), [["0"]])
        listed = ", ".join(self.literal(jti) for jti in jtis)
        self.assertEqual(self.sql(f"SELECT issuer, jti FROM used_jtis WHERE jti IN ({listed})"), [])
        self.assertEqual(self.sql(f"SELECT event_type, client_id IS NULL, details->>'decision', details->>'rule', "
                                  f"details->>'error' FROM audit_events WHERE id > {since} ORDER BY id"),
                         [["registration.refused", "t", "refused", rule, error]])

    def delete_registration(self, document):
        response = self.manage("DELETE", document["client_id"], document["registration_access_token"])
        self.assertEqual(response.status, 204, response.describe())


# ---- per web server ------------------------------------------------------------


class RegistrationTests(RegistrationTestCase):
    """The seed flow and every refusal, through one web server."""

    def test_plain_json_registration_lifecycle(self):
        iat = self.initial_access_token()
        software_id = self.software_id()
        statement = self.statement(software_id)
        metadata = {"token_endpoint_auth_method": "private_key_jwt", "token_endpoint_auth_signing_alg": "ES256",
                    "x-e2e-unknown": "kept"}
        document = self.assert_registered(self.register(dict(metadata, software_statement=statement), token=iat),
                                          software_id, "private_key_jwt")
        self.assertEqual(sorted(document.get("scope", "").split()), ["accounts", "payments"], document)
        self.assertEqual(document.get("redirect_uris"), [REDIRECT_URI], document)
        self.assertEqual(document.get("jwks"), self.registration.public_set("inline"), document)
        self.assertEqual(document.get("x-e2e-unknown"), "kept", document)
        self.assertEqual(document.get("software_statement"), statement)
        client_id, rat = document["client_id"], document["registration_access_token"]
        label = f"dcr-plain-{self.server_name}"
        self.remember(label, document)

        token = self.assert_token_answer(self.pkj_token(client_id))
        self.verify_token(token, label, scope=["accounts", "payments"])

        with self.subTest(step="GET"):
            read = self.assert_json(self.manage("GET", client_id, rat), 200)
            self.assertEqual(read.get("client_id"), client_id)
            self.assertEqual(read.get("software_id"), software_id)
            self.assertNotIn("client_secret", read)
            self.assertNotIn("registration_access_token", read)
        with self.subTest(step="PUT: a narrower scope"):
            replacement = dict(metadata, client_id=client_id, software_statement=statement, scope="accounts")
            replaced = self.assert_json(self.manage("PUT", client_id, rat, replacement), 200)
            self.assertEqual(replaced.get("scope"), "accounts", replaced)
            self.assertEqual(self.assert_json(self.manage("GET", client_id, rat), 200).get("scope"), "accounts")
            narrowed = self.assert_token_answer(self.pkj_token(client_id))
            self.verify_token(narrowed, label, scope=["accounts"])
        with self.subTest(step="PUT: another client_id, a server-issued member"):
            for body in (dict(replacement, client_id="someone-else"), dict(replacement, registration_access_token=rat)):
                self.assert_oauth_error(self.manage("PUT", client_id, rat, body), 400, "invalid_client_metadata")
        with self.subTest(step="DELETE"):
            response = self.manage("DELETE", client_id, rat)
            self.assertEqual(response.status, 204, response.describe())
            self.assert_invalid_client(self.pkj_token(client_id))
            self.assertEqual(self.introspect(token["access_token"], "api"), {"active": False})
            self.assert_unauthorised(self.manage("GET", client_id, rat))
            self.assert_unauthorised(self.manage("DELETE", client_id, rat))

    def test_signed_requests_as_application_jwt_and_jose(self):
        iat = self.initial_access_token()
        metadata = {"token_endpoint_auth_method": "private_key_jwt", "token_endpoint_auth_signing_alg": "ES256"}
        cases = [("application/jwt", "endpoint"), ("application/jose", "inline")]
        for content_type, source in cases:
            with self.subTest(content_type=content_type, software_key=source):
                software_id = self.software_id()
                statement = self.statement(software_id, roles=("AISP",),
                                           endpoint=self.registration.software_jwks_endpoint
                                           if source == "endpoint" else None)
                request = self.signed_request(statement, metadata, key=source)
                document = self.assert_registered(self.register(request, content_type, token=iat), software_id,
                                                  "private_key_jwt")
                if source == "endpoint":
                    self.assertEqual(document.get("jwks_uri"), self.registration.software_jwks_endpoint, document)
                label = f"dcr-{content_type}-{self.server_name}"
                self.remember(label, document)
                token = self.assert_token_answer(self.pkj_token(document["client_id"], source))
                self.verify_token(token, label, scope=["accounts"])
                # PUT: the client registered signed, so it updates signed (a fresh request jti).
                update = self.signed_request(statement, dict(metadata, client_id=document["client_id"],
                                                             client_name="E2E renamed"), key=source)
                response = self.manage("PUT", document["client_id"], document["registration_access_token"],
                                       update, content_type)
                self.assertEqual(self.assert_json(response, 200).get("client_id"), document["client_id"])
                plain = dict(metadata, client_id=document["client_id"], software_statement=statement)
                self.assert_oauth_error(self.manage("PUT", document["client_id"],
                                                    document["registration_access_token"], plain), 400,
                                        "invalid_client_metadata")
                self.delete_registration(document)

    def test_open_banking_registration_over_mtls_with_tls_client_auth(self):
        # The OB directory's policy: no initial access token, the certificate bound to the SSA
        # (CN = software_id, OU = org_id), certificate-bound tokens, management by access token.
        cert = self.fixture.cert("tpp")
        metadata = {"token_endpoint_auth_method": "tls_client_auth",
                    "tls_client_auth_subject_dn": "/C=GB/O=Demo TPP/OU=0015800001041REAAY/CN=DemoSoftware0000000001"}
        request = self.signed_request(self.ob_statement(), metadata)
        response = self.register(request, "application/jose", mtls=True, cert=cert)
        document = self.assert_json(response, 201)
        self.assertEqual(document.get("tls_client_auth_subject_dn"), self.fixture.tpp_subject, document)
        self.assertEqual(document.get("tls_client_certificate_bound_access_tokens"), True, document)
        label = f"dcr-ob-{self.server_name}"
        self.remember(label, document)
        own, _ = self.token(label, cert=cert)
        self.verify_token(own, label, scope=["accounts", "payments"], certificate=cert)
        with self.subTest(case="GET with the client's own access token (OB UK)"):
            read = self.assert_json(self.manage("GET", document["client_id"], own["access_token"]), 200)
            self.assertEqual(read.get("client_id"), document["client_id"])
        with self.subTest(case="another client's access token: 401, and that token is revoked"):
            foreign, _ = self.token("basic")
            self.assertEqual(self.introspect(foreign["access_token"], "api").get("active"), True)
            self.assert_unauthorised(self.manage("GET", document["client_id"], foreign["access_token"]))
            self.assertEqual(self.introspect(foreign["access_token"], "api"), {"active": False})
            self.assertEqual(self.introspect(foreign["access_token"], "basic"), {"active": False})
        # The DN in RFC 4514 form from here on: the slash form is accepted only when, reversed,
        # it is the presented certificate's subject (invalid_client_metadata otherwise).
        metadata = dict(metadata, tls_client_auth_subject_dn=self.fixture.tpp_subject)
        with self.subTest(case="the same statement's software, another certificate"):
            other = self.signed_request(self.ob_statement(), metadata)
            self.assert_oauth_error(self.register(other, "application/jose", mtls=True,
                                                  cert=self.fixture.cert("other-dn")), 400,
                                    "unapproved_software_statement")
        with self.subTest(case="no certificate"):
            other = self.signed_request(self.ob_statement(), metadata)
            self.assert_oauth_error(self.register(other, "application/jose"), 400, "unapproved_software_statement")
        self.delete_registration(document)
        self.assert_invalid_client(self.post("/token", {"grant_type": "client_credentials",
                                                        "client_id": document["client_id"]}, mtls=True, cert=cert))

    def test_a_certificate_of_another_issuers_ca_is_refused(self):
        # tpp.pem: the OB directory's CA (which mtls.trusted_ca_file trusts too), the subject the
        # binding asks for. Under the sandbox directory, whose transport CA is another, it is refused.
        cert = self.fixture.cert("tpp")
        metadata = {"token_endpoint_auth_method": "tls_client_auth",
                    "tls_client_auth_subject_dn": self.fixture.tpp_subject}
        statement = self.statement(OB_SOFTWARE_ID, iss=SANDBOX_DIRECTORY, org_id=OB_ORG_ID)
        since = self.last_audit_id()
        response = self.register(dict(metadata, software_statement=statement), mtls=True, cert=cert)
        self.assert_oauth_error(response, 400, "unapproved_software_statement")
        self.assert_nothing_written(since, OB_SOFTWARE_ID, [claims_of(statement)["jti"]], "certificate_binding",
                                    "unapproved_software_statement", issuer=SANDBOX_DIRECTORY)

    def test_initial_access_token_refusals(self):
        body = {"software_statement": self.statement(self.software_id())}
        basic_token, _ = self.token("basic")
        cases = {
            "none": None,
            "garbage": "not-a-token",
            "wrong scope (a client without DynamicClientRegistration)": basic_token["access_token"],
            "tampered": self.initial_access_token()[:-4] + "AAAA",
        }
        for name, token in cases.items():
            with self.subTest(case=name):
                self.assert_invalid_token(self.register(body, token=token), token_sent=token is not None)
        with self.subTest(case="revoked"):
            revoked = self.initial_access_token()
            self.revoke(revoked, "registrar")
            self.assert_invalid_token(self.register(body, token=revoked))

    def test_statement_refusals(self):
        iat = self.initial_access_token()
        fixture = self.registration
        software_id = self.software_id()
        good = self.statement(software_id)
        header, payload, signature = good.split(".")
        tampered_payload = b64url(json.dumps(dict(claims_of(good), software_roles=["AISP", "PISP", "ADMIN"])).encode())
        refused = {
            "an untrusted issuer": (self.statement(software_id, iss="Rogue Directory"), "unapproved_software_statement"),
            "a trusted issuer's name, another key": (self.statement(software_id, key=fixture.rogue_directory_key),
                                                     "invalid_software_statement"),
            "tampered claims": (f"{header}.{tampered_payload}.{signature}", "invalid_software_statement"),
            "expired": (self.statement(software_id, exp_in=-120), "invalid_software_statement"),
            "a TPP certificate in x5c (not a statement signer)": (
                self.ob_statement(key=fixture.tpp_transport_key, chain=fixture.tpp_transport_chain),
                "invalid_software_statement"),
            "org_status not Active": (self.statement(software_id, org_status="Revoked"),
                                      "unapproved_software_statement"),
            "not a JWS": ("not.a.jws", "invalid_software_statement"),
        }
        for name, (statement, code) in refused.items():
            with self.subTest(case=name):
                self.assert_oauth_error(self.register({"software_statement": statement}, token=iat), 400, code)
        with self.subTest(case="a redirect URI outside the statement's"):
            response = self.register({"software_statement": good, "redirect_uris": ["https://evil.example/cb"]},
                                     token=iat)
            self.assert_oauth_error(response, 400, "invalid_redirect_uri")
        with self.subTest(case="no statement"):
            self.assert_oauth_error(self.register({"client_name": "no statement"}, token=iat), 400,
                                    "invalid_software_statement")
        with self.subTest(case="software_jwks_endpoint off the issuer's allowlist (signed request)"):
            statement = self.statement(self.software_id(), endpoint=fixture.software_jwks_endpoint_off_list)
            request = self.signed_request(statement, {}, key="endpoint")
            self.assert_oauth_error(self.register(request, "application/jwt", token=iat), 400,
                                    "unapproved_software_statement")
        with self.subTest(case="software_jwks_endpoint off the issuer's allowlist (plain request)"):
            statement = self.statement(self.software_id(), endpoint=fixture.software_jwks_endpoint_off_list)
            self.assert_oauth_error(self.register({"software_statement": statement,
                                                   "token_endpoint_auth_method": "private_key_jwt",
                                                   "token_endpoint_auth_signing_alg": "ES256"}, token=iat), 400,
                                    "unapproved_software_statement")
        with self.subTest(case="a statement used twice"):
            first = self.assert_registered(self.register({"software_statement": good}, token=iat), software_id,
                                           "client_secret_basic")
            self.delete_registration(first)
            self.assert_oauth_error(self.register({"software_statement": good}, token=iat), 400,
                                    "invalid_software_statement")
            # After the deletion the software registers again, with a fresh statement.
            again = self.assert_registered(self.register({"software_statement": self.statement(software_id)},
                                                         token=iat), software_id, "client_secret_basic")
            self.delete_registration(again)
        with self.subTest(case="a statement without exp used twice"):
            # Accepted until iat + max_age_seconds: its jti is remembered that long.
            without_exp = self.statement(software_id, exp_in=None)
            first = self.assert_registered(self.register({"software_statement": without_exp}, token=iat),
                                           software_id, "client_secret_basic")
            self.delete_registration(first)
            self.assert_oauth_error(self.register({"software_statement": without_exp}, token=iat), 400,
                                    "invalid_software_statement")

    def test_signed_request_refusals(self):
        iat = self.initial_access_token()
        statement = self.statement(self.software_id())
        replayed = self.signed_request(statement, {})
        first = self.assert_json(self.register(replayed, "application/jwt", token=iat), 201)
        self.delete_registration(first)
        tpp = self.registration.tpp_keys["inline"]
        cases = {
            # A fresh statement (a replayed statement is refused first, as a statement).
            "its jti again": self.signed_request(self.statement(claims_of(statement)["software_id"]), {},
                                                 jti=claims_of(replayed)["jti"]),
            "another key under the software key's kid": self.signed_request(statement, {}, key="stray"),
            "jku in the header": self.signed_request(statement, {}, header={
                "kid": tpp.kid, "jku": self.registration.software_jwks_endpoint}),
            "aud another server": self.signed_request(statement, {}, aud="https://other.example"),
            "iss not the software_id": self.signed_request(statement, {}, iss="someone-else"),
        }
        for name, request in cases.items():
            with self.subTest(case=name):
                self.assert_oauth_error(self.register(request, "application/jose", token=iat), 400,
                                        "invalid_client_metadata")

    def test_software_jwks_endpoint_at_registration(self):
        """software_jwks_endpoint on the local HTTPS nginx: the key that signs the request is
        fetched at registration (a signed request), within jwks_fetch's timeout and size cap and
        only from the issuer's software_jwks_hosts; a plain registration registers the endpoint
        as the client's jwks_uri, fetched at the token endpoint."""
        iat = self.initial_access_token()
        fixture = self.registration
        metadata = {"token_endpoint_auth_method": "private_key_jwt", "token_endpoint_auth_signing_alg": "ES256"}
        with self.subTest(case="plain JSON, then private_key_jwt with the endpoint's key"):
            software_id = self.software_id()
            statement = self.statement(software_id, endpoint=fixture.software_jwks_endpoint)
            document = self.assert_registered(self.register(dict(metadata, software_statement=statement), token=iat),
                                              software_id, "private_key_jwt")
            self.assertEqual(document.get("jwks_uri"), fixture.software_jwks_endpoint, document)
            self.assertNotIn("jwks", document)
            label = f"dcr-endpoint-plain-{self.server_name}"
            self.remember(label, document)
            self.verify_token(self.assert_token_answer(self.pkj_token(document["client_id"], "endpoint")), label,
                              scope=["accounts", "payments"])
            # Another key under the endpoint key's kid does not authenticate.
            self.assert_invalid_client(self.post("/token", {"grant_type": "client_credentials", **self.assertion_form(
                self.assertion(document["client_id"], ECKey.generate_key("P-256", parameters={"kid": "tpp-endpoint"})))}))
            self.delete_registration(document)
        # Sanity: the documents really are slow, oversized (and otherwise a valid set), and served.
        with self.assertRaises(Exception):
            self.stack.curl.request(fixture.software_jwks_endpoint_slow, timeout=JWKS_FETCH_TIMEOUT + 1)
        big = self.stack.curl.request(fixture.software_jwks_endpoint_big)
        self.assertGreater(len(big.body), 65536)
        self.assertEqual([k["kid"] for k in big.json()["keys"]], ["tpp-endpoint"])
        self.assertEqual(self.stack.curl.request(fixture.software_jwks_endpoint_off_list).status, 200)
        refusals = [
            # (case, endpoint, signed, error code, audit rule, the reason in the responder's log)
            ("a slow answer (past jwks_fetch.timeout_seconds)", fixture.software_jwks_endpoint_slow, True,
             "invalid_software_statement", "software_keys", "fetch_timed_out"),
            ("an oversized answer (over jwks_fetch.max_bytes)", fixture.software_jwks_endpoint_big, True,
             "invalid_software_statement", "software_keys", "document_too_large"),
            ("a host off the issuer's software_jwks_hosts (signed)", fixture.software_jwks_endpoint_off_list, True,
             "unapproved_software_statement", "software_keys", "host="),
            ("a host off the issuer's software_jwks_hosts (plain)", fixture.software_jwks_endpoint_off_list, False,
             "unapproved_software_statement", "software_keys", "host="),
        ]
        for case, endpoint, signed, code, rule, reason in refusals:
            with self.subTest(case=case):
                software_id = self.software_id()
                statement = self.statement(software_id, endpoint=endpoint)
                jtis = [claims_of(statement)["jti"]]
                if signed:
                    body = self.signed_request(statement, metadata, key="endpoint")
                    jtis.append(claims_of(body)["jti"])
                else:
                    body = dict(metadata, software_statement=statement)
                since = self.last_audit_id()
                offset = self.stack.log_offset()
                started = time.monotonic()
                response = self.register(body, "application/jwt" if signed else "application/json", token=iat)
                elapsed = time.monotonic() - started
                self.assert_oauth_error(response, 400, code)
                # The worker gave up at the fetch timeout, not when the slow host finished (40 s).
                self.assertLess(elapsed, JWKS_FETCH_TIMEOUT + 2.5, response.describe())
                logged = self.stack.access_line(offset, "/register", "POST")
                self.assertIn(reason, logged.get("error.detail", ""), logged)
                self.assert_nothing_written(since, software_id, jtis, rule, code)

    def test_management_refusals(self):
        iat = self.initial_access_token()
        a = self.assert_json(self.register({"software_statement": self.statement(self.software_id())}, token=iat), 201)
        b = self.assert_json(self.register({"software_statement": self.statement(self.software_id())}, token=iat), 201)
        for name, token in {"no token": None, "garbage": "garbage",
                            "another client's registration access token": b["registration_access_token"],
                            "the initial access token": iat}.items():
            for method in ("GET", "DELETE"):
                with self.subTest(case=name, method=method):
                    self.assert_unauthorised(self.manage(method, a["client_id"], token))
        with self.subTest(case="an unknown client id"):
            self.assert_unauthorised(self.manage("GET", "e2e-no-such-client", a["registration_access_token"]))
        with self.subTest(case="the client's own registration access token still works"):
            self.assert_json(self.manage("GET", a["client_id"], a["registration_access_token"]), 200)
        self.delete_registration(a)
        self.delete_registration(b)

    def test_two_concurrent_registrations_of_one_software_id(self):
        iat = self.initial_access_token()
        software_id = self.software_id()
        statements = [self.statement(software_id) for _ in range(2)]
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            responses = list(pool.map(lambda s: self.register({"software_statement": s}, token=iat), statements))
        statuses = sorted(r.status for r in responses)
        self.assertEqual(statuses, [201, 400], [r.describe() for r in responses])
        winner = next(r for r in responses if r.status == 201).json()
        loser = next(r for r in responses if r.status == 400)
        self.assert_oauth_error(loser, 400, "unapproved_software_statement")
        self.delete_registration(winner)


class NginxRegistrationTests(RegistrationTests):
    server_name = "nginx"


class ApacheRegistrationTests(RegistrationTests):
    server_name = "apache"


# ---- once: the README's five minutes ----------------------------------------


class ReadmeRegistrationTests(RegistrationTestCase):
    """README "Register a TPP in five minutes": its shell blocks run as written (the first,
    the shell setup, replaced by the same variables for this stack), its YAML is the
    configuration under test, and scripts/run.sh writes the same entry for `make run`."""

    server_name = "nginx"

    def test_run_sh_configures_the_readme_block(self):
        with open(os.path.join(REPO, "scripts", "run.sh"), encoding="utf-8") as handle:
            script = handle.read()
        match = re.search(r"(?ms)^(registration:\n.*?)^YAML$", script)
        self.assertIsNotNone(match, "scripts/run.sh writes no registration section")
        with open(os.path.join(self.stack.pki, "ssa-signer.subject"), encoding="utf-8") as handle:
            subject = handle.read().strip()
        written = match.group(1).replace('$(cat "$var/pki/ssa-signer.subject")', subject).replace("$var/", "var/")
        self.assertEqual(written, readme_trust_block())

    def test_readme_flow_runs_as_written(self):
        blocks = shell_blocks(readme_section(README_SECTION))
        self.assertGreaterEqual(len(blocks), 5, blocks)
        setup, steps = blocks[0], blocks[1:]
        for name in ("CREDENCE_CONFIG", "CURL_CA_BUNDLE", "ISSUER", "PKI", "tpp()"):
            self.assertIn(name, setup, "the README's shell setup changed: update this test")
        workdir = tempfile.mkdtemp(dir=self.registration.dir)
        env = dict(self.stack.child_env(), CREDENCE_CONFIG=self.stack.config_file,
                   CURL_CA_BUNDLE=self.pki("server-ca.pem"), ISSUER=self.issuer, PKI=self.stack.pki, REPO=REPO,
                   PATH=os.path.dirname(self.stack.credence) + os.pathsep + os.environ.get("PATH", ""))
        script = 'tpp() { python3 "$REPO/docs/examples/tpp.py" "$@"; }\n' + "\n".join(steps)
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True, env=env,
                              cwd=workdir, timeout=120)
        self.assertEqual(done.returncode, 0, f"{done.stdout}\n{done.stderr}")

        def read(name):
            with open(os.path.join(workdir, name), encoding="utf-8") as handle:
                text = handle.read()
            return text.strip() if name.endswith(".txt") else json.loads(text)
        for suffix, scope, media in (("", ["accounts", "payments"], "plain"), ("-signed", ["accounts"], "signed")):
            with self.subTest(registration=media):
                registration = read(f"registration{suffix}.json")
                self.assertEqual(registration.get("software_id"), "DemoTPP0001", registration)
                self.assertEqual(registration.get("token_endpoint_auth_method"), "private_key_jwt", registration)
                self.assertEqual(sorted(registration.get("scope", "").split()), scope, registration)
                label = f"readme{suffix}"
                self.remember(label, registration)
                self.verify_token(read(f"token{suffix}.json"), label, scope=scope)
                self.assertEqual(read(f"deleted{suffix}.txt"), "204")
                self.assertEqual(self.introspect(read(f"token{suffix}.json")["access_token"], "api"),
                                 {"active": False})
        statement = claims_of(read("registration.json")["software_statement"])
        self.assertEqual(statement["iss"], DEMO_DIRECTORY)
        read_back = read("read.json")
        self.assertEqual(read_back.get("client_id"), read("registration.json")["client_id"], read_back)
        # `credence audit list --client` of the signed registration: registered, then deleted.
        events = [line.split()[1] for line in done.stdout.splitlines() if line[:4].isdigit()]
        self.assertEqual(events, ["client.registered", "client.deleted"], done.stdout)


# ---- last: the short-lived initial access token, expired -----------------------------


class ExpiredInitialAccessTokenTests(RegistrationTestCase):
    """The registrar's 30 s token, issued when the fixture was made, once expired."""

    server_name = "nginx"

    def test_expired_initial_access_token_is_invalid_token(self):
        fixture = self.registration
        wait = fixture.short_iat_issued + SHORT_LIFETIME + RESPONDER_CLOCK_SKEW + 2 - time.time()
        if wait > 0:
            time.sleep(wait)
        body = {"software_statement": self.statement(self.software_id())}
        for name in self.stack.servers:
            with self.subTest(server=name):
                self.server_name = name
                self.assert_invalid_token(self.register(body, token=fixture.short_iat))


ORDERED_CASES = [NginxRegistrationTests, ApacheRegistrationTests, ReadmeRegistrationTests]
LAST_CASES = [ExpiredInitialAccessTokenTests]
