"""End-to-end tests of the token, introspection and revocation endpoints (docs/protocol.md).

Clients are created with the real CLI (`credence clients create`) for every
authentication method; tokens are requested with curl through nginx and Apache
(certificate methods on the mTLS alias host with --cert/--key), verified with an
independent JOSE implementation (joserfc) against the published JWKS, and
introspected and revoked as a client and as a resource server would. Also: the
replay table shared by two responder processes behind one nginx upstream,
client keys fetched from a jwks_uri on a local HTTPS nginx (slow, oversized,
off the allowlist), and the README's "Resource servers" example, run as written.
"""

import base64
import concurrent.futures
import hashlib
import json
import os
import re
import secrets
import ssl
import subprocess
import threading
import time
import unittest
import urllib.parse

from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, OctKey, RSAKey

from client import CurlError, certificate_thumbprint, parse_logfmt, url_encoded_pem
from stack import (JWKS_FETCH_TIMEOUT, REPO, RESOURCE_SERVER_CLIENT_ID, RESPONDER_CLOCK_SKEW,
                   SetupError, free_ports)
from test_webservers import StackTestCase

FORM = "Content-Type: application/x-www-form-urlencoded"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
SCOPES = ["accounts", "payments"]
# The shortest lifetime a client may have (--token-lifetime): its tokens are checked
# again, expired, by ExpiredTokenTests at the end.
SHORT_LIFETIME = 30
SERVER_ALGORITHMS = ["ES256", "PS256"]
# A client id that RFC 6749 §2.3.1's form-encoding changes inside HTTP Basic.
ODD_CLIENT_ID = "e2e:odd+id/1"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def basic(client_id, secret):
    """RFC 6749 §2.3.1: id and secret form-encoded, then joined and base64-encoded."""
    joined = urllib.parse.quote_plus(client_id) + ":" + urllib.parse.quote_plus(secret)
    return base64.b64encode(joined.encode()).decode()


def other_secret(secret):
    """SECRET with its first character changed (to another one whatever it was)."""
    return ("B" if secret[0] == "A" else "A") + secret[1:]


def sign_es256(header, claims, key):
    """A compact JWS signed with an EC P-256 joserfc KEY, whatever HEADER says (joserfc
    refuses to write some of the headers the tests need, such as an unknown `crit`)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
    signing_input = (b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())).encode()
    r, s = decode_dss_signature(key.private_key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
    return signing_input.decode() + "." + b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def sha256_thumbprint_of_der(der):
    return b64url(hashlib.sha256(der).digest())


# ---- the shared fixture ----------------------------------------------------


class TokenFixture:
    """Certificates, keys, the JWKS host and the clients every token test uses, made once
    per run (the first token test builds it), with the real CLI and openssl."""

    _instance = None

    @classmethod
    def get(cls, stack):
        if cls._instance is None or cls._instance.stack is not stack:
            cls._instance = TokenFixture(stack)
        return cls._instance

    def __init__(self, stack):
        self.stack = stack
        self.dir = stack.path("tokens")
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o755)
        self.make_certificates()
        self.make_keys()
        self.start_jwks_host()
        self.clients = {}
        self.create_clients()
        self.issue_short_lived_tokens()

    # -- files

    def file(self, name):
        return os.path.join(self.dir, name)

    def pki(self, name):
        return os.path.join(self.stack.pki, name)

    def openssl(self, *arguments):
        return self.stack.run_checked(["openssl", *arguments], "openssl " + arguments[0])

    def make_certificates(self):
        """Beside scripts/pki.sh's tpp.pem (directory CA) and selfsigned.pem: a certificate of
        the directory CA with another subject, one with a dNSName SAN, one with tpp.pem's own
        subject from a CA the responder does not trust, and a self-signed one with another key."""
        ca = (self.pki("client-ca.pem"), self.pki("client-ca.key"))
        tpp_subject_slash = self.openssl("x509", "-in", self.pki("tpp.pem"), "-noout", "-subject",
                                         "-nameopt", "compat").strip().split("=", 1)[1].strip()
        self.issue("other-dn", "/C=GB/O=Demo TPP/OU=0015800001041REAAY/CN=OtherSoftware0000000002", ca)
        self.issue("tpp-san", "/C=GB/O=Demo TPP/CN=SAN client", ca,
                   "subjectAltName=DNS:tpp-san.e2e.example")
        self.key("rogue-ca")
        self.openssl("req", "-x509", "-new", "-key", self.file("rogue-ca.key"), "-out", self.file("rogue-ca.pem"),
                     "-subj", "/C=GB/O=Demo Directory/CN=Demo Directory CA", "-days", "30",
                     "-addext", "basicConstraints=critical,CA:TRUE",
                     "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        self.issue("rogue-tpp", tpp_subject_slash, (self.file("rogue-ca.pem"), self.file("rogue-ca.key")))
        self.key("selfsigned-other")
        self.openssl("req", "-x509", "-new", "-key", self.file("selfsigned-other.key"),
                     "-out", self.file("selfsigned-other.pem"),
                     "-subj", "/C=GB/O=Demo Self-Signed TPP/CN=Demo Self-Signed Client", "-days", "30",
                     "-addext", "extendedKeyUsage=clientAuth")
        with open(self.pki("tpp.subject"), encoding="utf-8") as handle:
            self.tpp_subject = handle.read().strip()
        # tpp.pem's subject and key, from the trusted CA, outside their validity period.
        self.issue_with_dates("tpp-expired", self.pki("tpp.pem"), self.pki("tpp.key"), days=(-400, -30))
        self.issue_with_dates("tpp-not-yet-valid", self.pki("tpp.pem"), self.pki("tpp.key"), days=(30, 400))
        # Sanity: the rogue certificate has tpp.pem's subject and does not chain to the trusted CA.
        rogue_subject = self.openssl("x509", "-in", self.file("rogue-tpp.pem"), "-noout", "-subject",
                                     "-nameopt", "RFC2253").strip().split("=", 1)[1]
        if rogue_subject != self.tpp_subject:
            raise SetupError(f"rogue certificate subject {rogue_subject!r} != {self.tpp_subject!r}")

    def issue_with_dates(self, name, template_pem, key_file, days):
        """A copy of TEMPLATE_PEM (subject, key) re-issued by the directory CA for the window
        DAYS = (first, last) days from now (openssl 3.0 cannot back-date: cryptography can)."""
        import datetime
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization

        def load(path):
            with open(path, "rb") as handle:
                return handle.read()
        template = x509.load_pem_x509_certificate(load(template_pem))
        ca = x509.load_pem_x509_certificate(load(self.pki("client-ca.pem")))
        ca_key = serialization.load_pem_private_key(load(self.pki("client-ca.key")), password=None)
        now = datetime.datetime.now(datetime.timezone.utc)
        certificate = (x509.CertificateBuilder()
                       .subject_name(template.subject).issuer_name(ca.subject)
                       .public_key(template.public_key()).serial_number(x509.random_serial_number())
                       .not_valid_before(now + datetime.timedelta(days=days[0]))
                       .not_valid_after(now + datetime.timedelta(days=days[1]))
                       .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                       .sign(ca_key, hashes.SHA256()))
        with open(self.file(name + ".pem"), "wb") as out:
            out.write(certificate.public_bytes(serialization.Encoding.PEM))
        with open(self.file(name + ".key"), "wb") as out:
            out.write(load(key_file))
        os.chmod(self.file(name + ".key"), 0o600)

    def key(self, name):
        self.openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                     "-out", self.file(name + ".key"))

    def issue(self, name, subject, ca, *extensions):
        self.key(name)
        command = ["req", "-x509", "-new", "-key", self.file(name + ".key"), "-out", self.file(name + ".pem"),
                   "-subj", subject, "-days", "30", "-CA", ca[0], "-CAkey", ca[1],
                   "-addext", "basicConstraints=critical,CA:FALSE", "-addext", "extendedKeyUsage=clientAuth"]
        for extension in extensions:
            command += ["-addext", extension]
        self.openssl(*command)

    def cert(self, name):
        """(certificate, key) for curl: a pki.sh file or one made here."""
        if os.path.exists(self.pki(name + ".pem")):
            return (self.pki(name + ".pem"), self.pki(name + ".key"))
        return (self.file(name + ".pem"), self.file(name + ".key"))

    def write_json(self, name, document):
        path = self.file(name)
        with open(path, "w", encoding="utf-8") as out:
            json.dump(document, out)
        os.chmod(path, 0o644)
        return path

    def make_keys(self):
        self.keys = {
            "pkj-ec": ECKey.generate_key("P-256", parameters={"kid": "pkj-ec"}),
            "pkj-rsa": RSAKey.generate_key(2048, parameters={"kid": "pkj-rsa"}),
            "other-ec": ECKey.generate_key("P-256", parameters={"kid": "other-ec"}),
            # Never registered anywhere.
            "stray-ec": ECKey.generate_key("P-256", parameters={"kid": "stray-ec"}),
            "uri-ec": ECKey.generate_key("P-256", parameters={"kid": "uri-ec"}),
        }

        def public_set(*names):
            return {"keys": [self.keys[n].as_dict(private=False) for n in names]}

        self.jwks_files = {
            "pkj": self.write_json("pkj-jwks.json", public_set("pkj-ec", "pkj-rsa")),
            "other": self.write_json("other-jwks.json", public_set("other-ec")),
        }
        # self_signed_tls_client_auth: the public key of selfsigned.pem as a JWK.
        public_pem = self.openssl("x509", "-in", self.pki("selfsigned.pem"), "-noout", "-pubkey")
        selfsigned = ECKey.import_key(public_pem, parameters={"kid": "selfsigned"}).as_dict(private=False)
        self.jwks_files["selfsigned"] = self.write_json("selfsigned-jwks.json", {"keys": [selfsigned]})
        self.selfsigned_jwk = selfsigned

    # -- the HTTPS host that serves client JWK Sets (jwks_uri)

    def start_jwks_host(self):
        root = self.file("www")
        os.makedirs(os.path.join(root, "slow"), exist_ok=True)
        os.makedirs(os.path.join(root, "big"), exist_ok=True)
        for folder in (root, os.path.join(root, "slow"), os.path.join(root, "big")):
            os.chmod(folder, 0o755)
        document = {"keys": [self.keys["uri-ec"].as_dict(private=False)]}
        os.makedirs(os.path.join(root, "selfsigned"), exist_ok=True)
        os.chmod(os.path.join(root, "selfsigned"), 0o755)
        with open(os.path.join(root, "selfsigned", "jwks.json"), "w", encoding="utf-8") as out:
            json.dump({"keys": [self.selfsigned_jwk]}, out)
        os.chmod(os.path.join(root, "selfsigned", "jwks.json"), 0o644)
        for name in ("jwks.json", "slow/jwks.json"):
            path = os.path.join(root, name)
            with open(path, "w", encoding="utf-8") as out:
                # The slow copy is padded to 2 KiB so that, at 50 bytes/s, it takes 40 s.
                json.dump(dict(document, padding="x" * 2048) if name.startswith("slow") else document, out)
            os.chmod(path, 0o644)
        # Over jwks_fetch.max_bytes (default 64 KiB), a valid set all the same.
        self.big_document_size = 100 * 1024
        with open(os.path.join(root, "big", "jwks.json"), "w", encoding="utf-8") as out:
            json.dump(dict(document, padding="x" * self.big_document_size), out)
        os.chmod(os.path.join(root, "big", "jwks.json"), 0o644)
        port = self.stack.jwks_host_port
        self.jwks_host = f"https://localhost:{port}"
        # The same server by IP address: not on jwks_fetch.allowed_hosts.
        self.jwks_host_off_list = f"https://127.0.0.1:{port}"
        self.stack.start_private_nginx("jwks-host", f"""
    types {{ application/json json; }}
    server {{
        listen 127.0.0.1:{port} ssl;
        server_name localhost;
        ssl_certificate     {self.pki('server-chain.pem')};
        ssl_certificate_key {self.pki('server.key')};
        root {root};
        location /slow/ {{ limit_rate 50; }}
        location = /redirect/jwks.json {{ return 302 /jwks.json; }}
        location = /html/jwks.json {{ default_type text/html; return 200 "<html>keys</html>"; }}
    }}""")
        deadline = time.monotonic() + 10
        while True:
            try:
                if self.stack.curl.request(self.jwks_host + "/jwks.json", timeout=3).status == 200:
                    return
            except Exception:  # noqa: BLE001 - retried until the deadline
                pass
            if time.monotonic() > deadline:
                raise SetupError("the JWKS host never answered")
            time.sleep(0.2)

    # -- clients

    def cli(self, *arguments):
        """Runs `credence ARGUMENTS --config …`; the JSON it printed (None if nothing)."""
        output = self.stack.run_credence([*arguments, "--config", self.stack.config_file],
                                         "credence " + " ".join(arguments[:2]))
        text = output.strip()
        return json.loads(text) if text.startswith("{") else text

    def create(self, label, method, *options, scopes=SCOPES):
        arguments = ["clients", "create", "--auth-method", method, "--name", f"e2e {label}"]
        for scope in scopes:
            arguments += ["--scope", scope]
        client = self.cli(*arguments, *options)
        client["label"] = label
        self.clients[label] = client
        return client

    def create_resource_server_as_documented(self):
        """The bank API's client, created by the README's command (the `credence clients
        create` block of "Resource servers") run as written, with CREDENCE_CONFIG set."""
        blocks = [b for b in shell_blocks(readme_section("Resource servers")) if "credence clients create" in b]
        if len(blocks) != 1:
            raise SetupError(f"README: expected one `credence clients create` block, found {blocks}")
        env = dict(self.stack.child_env(), CREDENCE_CONFIG=self.stack.config_file,
                   PATH=os.path.dirname(self.stack.credence) + os.pathsep + os.environ.get("PATH", ""))
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", blocks[0]], capture_output=True, text=True,
                              env=env, timeout=60, cwd=REPO)
        if done.returncode != 0:
            raise SetupError(f"README's clients create: exit {done.returncode}: {done.stderr}")
        client = json.loads(done.stdout)
        if client.get("client_id") != RESOURCE_SERVER_CLIENT_ID:
            raise SetupError(f"README's client is {client.get('client_id')!r}, the e2e configuration names "
                             f"{RESOURCE_SERVER_CLIENT_ID!r} in tokens.resource_servers")
        client["label"] = "api"
        self.clients["api"] = client

    def create_clients(self):
        self.create("basic", "client_secret_basic")
        self.create("post", "client_secret_post")
        self.create("pkj", "private_key_jwt", "--jwks-file", self.jwks_files["pkj"])
        self.create("pkj-other", "private_key_jwt", "--jwks-file", self.jwks_files["other"])
        self.create("tls-dn", "tls_client_auth", "--subject-dn", self.tpp_subject, "--bound-tokens")
        self.create("tls-san", "tls_client_auth", "--san-dns", "tpp-san.e2e.example")
        self.create("selfsigned", "self_signed_tls_client_auth", "--jwks-file", self.jwks_files["selfsigned"],
                    "--bound-tokens")
        self.create("bound", "client_secret_basic", "--bound-tokens")
        self.create("short", "client_secret_basic", "--token-lifetime", str(SHORT_LIFETIME))
        self.create_resource_server_as_documented()
        self.create("odd-id", "client_secret_basic", "--client-id", ODD_CLIENT_ID)
        self.create("uri", "private_key_jwt", "--jwks-uri", self.jwks_host + "/jwks.json")
        self.create("uri-slow", "private_key_jwt", "--jwks-uri", self.jwks_host + "/slow/jwks.json")
        self.create("uri-big", "private_key_jwt", "--jwks-uri", self.jwks_host + "/big/jwks.json")
        self.create("uri-off-list", "private_key_jwt", "--jwks-uri", self.jwks_host_off_list + "/jwks.json")
        for name in ("redirect", "html", "missing"):
            self.create(f"uri-{name}", "private_key_jwt", "--jwks-uri", f"{self.jwks_host}/{name}/jwks.json")
        self.create("selfsigned-uri", "self_signed_tls_client_auth", "--jwks-uri",
                    self.jwks_host + "/selfsigned/jwks.json")

    def issue_short_lived_tokens(self):
        """Tokens of SHORT_LIFETIME s, from POST /token and from `credence tokens mint`,
        introspected active now and expired by ExpiredTokenTests at the end of the run."""
        server = next(iter(self.stack.servers.values()))
        client = self.clients["short"]
        response = self.stack.curl.request(
            server.main_url + "/token", method="POST", body=b"grant_type=client_credentials",
            headers=[FORM, "Authorization: Basic " + basic(client["client_id"], client["client_secret"])])
        if response.status != 200:
            raise SetupError(f"short-lived token: {response.describe()}")
        minted = self.cli("tokens", "mint", "--client", client["client_id"], "--scope", "accounts",
                          "--expires-in", str(SHORT_LIFETIME))
        token = minted["access_token"] if isinstance(minted, dict) else minted
        self.short_tokens = {"endpoint": response.json()["access_token"], "minted": token}
        self.short_tokens_issued = time.time()
        # Introspected at once (later tests may come too late): (server, source, asker) -> answer.
        self.short_tokens_seen = {}
        for name, server in self.stack.servers.items():
            for source, token in self.short_tokens.items():
                for asker in ("short", "api"):
                    asking = self.clients[asker]
                    answer = self.stack.curl.request(
                        server.main_url + "/introspect", method="POST",
                        body=urllib.parse.urlencode({"token": token}).encode(),
                        headers=[FORM, "Authorization: Basic " + basic(asking["client_id"], asking["client_secret"])])
                    self.short_tokens_seen[(name, source, asker)] = (answer.status, answer.json())


# ---- test base ---------------------------------------------------------------


class TokenTestCase(StackTestCase):
    """Helpers to authenticate as each fixture client and to check token answers."""

    # The web server to go through; None: the first one started.
    server_name = None

    @classmethod
    def setUpClass(cls):
        if cls.server_name is not None and cls.server_name not in cls.stack.servers:
            raise unittest.SkipTest(f"{cls.server_name} not started")
        cls.fixture = TokenFixture.get(cls.stack)

    def setUp(self):
        # After a database outage test: until every responder worker reconnects.
        self.stack.wait_for_database_reconnects()

    @property
    def server(self):
        return self.stack.servers[self.server_name or next(iter(self.stack.servers))]

    @property
    def issuer(self):
        return self.stack.issuer

    def client(self, label):
        return self.fixture.clients[label]

    def post(self, path, form, mtls=False, cert=None, headers=(), timeout=20):
        base = self.server.mtls_url if mtls else self.server.main_url
        body = form if isinstance(form, bytes) else urllib.parse.urlencode(form).encode()
        typed = any(h.lower().startswith("content-type:") for h in headers)
        return self.stack.curl.request(base + path, method="POST", body=body,
                                       headers=[*([] if typed else [FORM]), *headers],
                                       cert=cert, timeout=timeout)

    def assertion(self, client_id, key, alg=None, aud=None, exp_in=60, jti=None, kid="key",
                  iss=None, sub=None, omit=()):
        """A client assertion (RFC 7523 §2.2) signed by KEY (a joserfc key)."""
        now = int(time.time())
        claims = {"iss": iss or client_id, "sub": sub or client_id, "aud": aud or self.issuer,
                  "iat": now, "exp": now + exp_in, "jti": jti or secrets.token_urlsafe(16)}
        for name in omit:
            claims.pop(name)
        alg = alg or ("PS256" if isinstance(key, RSAKey) else "ES256")
        header = {"alg": alg}
        if kid == "key":
            header["kid"] = key.kid
        elif kid is not None:
            header["kid"] = kid
        return jwt.encode(header, claims, key, algorithms=[alg])

    def assertion_form(self, assertion, client_id=None):
        form = {"client_assertion_type": JWT_BEARER, "client_assertion": assertion}
        if client_id:
            form["client_id"] = client_id
        return form

    def credentials(self, label, cert=None):
        """(form members, headers, cert, mtls) that authenticate client LABEL by its method."""
        client = self.client(label)
        method = client["token_endpoint_auth_method"]
        if method == "client_secret_basic":
            return {}, ["Authorization: Basic " + basic(client["client_id"], client["client_secret"])], cert, cert is not None
        if method == "client_secret_post":
            return {"client_id": client["client_id"], "client_secret": client["client_secret"]}, [], cert, cert is not None
        if method == "private_key_jwt":
            key = {"pkj": "pkj-ec", "pkj-other": "other-ec"}.get(label, "uri-ec")
            return (self.assertion_form(self.assertion(client["client_id"], self.fixture.keys[key])), [], cert,
                    cert is not None)
        if method == "tls_client_auth":
            default = "tpp" if label == "tls-dn" else "tpp-san"
            return {"client_id": client["client_id"]}, [], cert or self.fixture.cert(default), True
        if method == "self_signed_tls_client_auth":
            return {"client_id": client["client_id"]}, [], cert or self.fixture.cert("selfsigned"), True
        raise AssertionError(f"no credentials for {method}")

    def authenticated(self, path, label, form, cert=None):
        extra, headers, cert, mtls = self.credentials(label, cert)
        return self.post(path, {**form, **extra}, mtls=mtls, cert=cert, headers=headers)

    def token(self, label, cert=None, **form):
        """A token for LABEL (asserted 200); returns (response document, the certificate used)."""
        extra, headers, cert, mtls = self.credentials(label, cert)
        response = self.post("/token", {"grant_type": "client_credentials", **form, **extra}, mtls=mtls,
                             cert=cert, headers=headers)
        document = self.assert_token_answer(response)
        return document, cert

    def assert_token_answer(self, response):
        document = self.assert_json(response, 200)
        self.assertIn("no-store", (response.header("cache-control") or "").lower(), response.describe())
        self.assertEqual((response.header("pragma") or "").lower(), "no-cache", response.describe())
        self.assertEqual(document.get("token_type"), "Bearer", document)
        self.assertIsInstance(document.get("access_token"), str, document)
        self.assertIsInstance(document.get("expires_in"), int, document)
        return document

    def assert_invalid_client(self, response, basic_challenge=False):
        document = self.assert_oauth_error(response, 401, "invalid_client")
        challenge = response.header("www-authenticate")
        if basic_challenge:
            self.assertIsNotNone(challenge, response.describe())
            # RFC 7617 §2: the realm parameter is required.
            self.assertRegex(challenge, r'^Basic realm="[^"]*"$', response.describe())
        else:
            self.assertIsNone(challenge, response.describe())
        self.assertIn("no-store", (response.header("cache-control") or "").lower(), response.describe())
        return document

    def published_keys(self):
        response = self.stack.curl.request(self.server.main_url + "/jwks")
        self.assertEqual(response.status, 200, response.describe())
        return response.json()

    def verify_token(self, document, label, scope=SCOPES, certificate=None, lifetime=None):
        """Checks the access token with joserfc against the JWKS this web server publishes:
        signature by the kid-selected key, typ at+jwt, iss, aud, sub, client_id, scope, exp,
        and cnf.x5t#S256 = base64url(SHA-256(DER of CERTIFICATE)) when one is given."""
        jwks = self.published_keys()
        token = document["access_token"]
        decoded = jwt.decode(token, KeySet.import_key_set(jwks), algorithms=SERVER_ALGORITHMS)
        header, claims = decoded.header, decoded.claims
        self.assertEqual(header.get("typ", "").lower(), "at+jwt", header)
        self.assertIn(header.get("kid"), [k.get("kid") for k in jwks["keys"]], header)
        self.assertIn(header.get("alg"), SERVER_ALGORITHMS, header)
        client_id = self.client(label)["client_id"]
        registry = jwt.JWTClaimsRegistry(
            leeway=RESPONDER_CLOCK_SKEW,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.issuer},
            sub={"essential": True, "value": client_id},
            client_id={"essential": True, "value": client_id},
            exp={"essential": True}, iat={"essential": True}, jti={"essential": True})
        registry.validate(claims)
        granted = claims.get("scope", "").split()
        self.assertEqual(sorted(granted), sorted(scope), claims)
        self.assertEqual(sorted(document.get("scope", "").split()), sorted(scope), document)
        self.assertEqual(claims["exp"] - claims["iat"], lifetime or document["expires_in"], claims)
        self.assertLessEqual(abs(claims["iat"] - time.time()), 30, claims)
        if certificate is None:
            self.assertNotIn("cnf", claims)
        else:
            expected = certificate_thumbprint(certificate[0])
            self.assertEqual(claims.get("cnf"), {"x5t#S256": expected}, claims)
            # The same thing computed from the certificate's DER by hand.
            with open(certificate[0], encoding="ascii") as handle:
                der = ssl.PEM_cert_to_DER_cert(handle.read())
            self.assertEqual(claims["cnf"]["x5t#S256"], sha256_thumbprint_of_der(der))
        return claims

    def introspect(self, token, as_label, cert=None):
        response = self.authenticated("/introspect", as_label, {"token": token}, cert=cert)
        document = self.assert_json(response, 200)
        self.assertIn("no-store", (response.header("cache-control") or "").lower(), response.describe())
        return document

    def revoke(self, token, as_label):
        response = self.authenticated("/revoke", as_label, {"token": token})
        self.assert_json(response, 200)
        return response


# ---- per web server --------------------------------------------------------


class TokenEndpointTests(TokenTestCase):
    """The token, introspection and revocation endpoints through one web server."""

    # -- success with each method

    def test_each_method_gets_a_token_that_verifies_with_the_published_jwks(self):
        cases = [("basic", None), ("post", None), ("pkj", None), ("tls-dn", "tpp"), ("tls-san", None),
                 ("selfsigned", "selfsigned"), ("uri", None)]
        for label, bound_to in cases:
            with self.subTest(client=label):
                document, cert = self.token(label)
                self.verify_token(document, label, certificate=self.fixture.cert(bound_to) if bound_to else None)

    def test_private_key_jwt_variants_that_are_accepted(self):
        client_id = self.client("pkj")["client_id"]
        keys = self.fixture.keys
        token_endpoint = self.issuer + "/token"
        cases = {
            "PS256 with the RSA key": self.assertion(client_id, keys["pkj-rsa"]),
            "aud = the token endpoint": self.assertion(client_id, keys["pkj-ec"], aud=token_endpoint),
            "aud = the mTLS alias token endpoint": self.assertion(client_id, keys["pkj-ec"],
                                                                  aud=self.stack.alias_issuer + "/token"),
            "aud a list with the issuer": self.assertion(client_id, keys["pkj-ec"],
                                                         aud=["https://other.example", self.issuer]),
            "aud = the introspection endpoint": self.assertion(client_id, keys["pkj-ec"],
                                                               aud=self.issuer + "/introspect"),
            "no kid": self.assertion(client_id, keys["pkj-ec"], kid=None),
        }
        for name, assertion in cases.items():
            with self.subTest(case=name):
                response = self.post("/token", {"grant_type": "client_credentials",
                                                **self.assertion_form(assertion, client_id)})
                self.verify_token(self.assert_token_answer(response), "pkj")

    # -- certificate binding

    def test_bound_tokens_carry_the_thumbprint_of_the_certificate_curl_presented(self):
        # A bound secret client may present any certificate (transport, not a method).
        for cert_name in ("tpp", "selfsigned", "other-dn"):
            with self.subTest(client="bound", certificate=cert_name):
                cert = self.fixture.cert(cert_name)
                document, _ = self.token("bound", cert=cert)
                self.verify_token(document, "bound", certificate=cert)
        # An unbound client's token carries no cnf, certificate or not.
        with self.subTest(client="basic", certificate="tpp"):
            document, _ = self.token("basic", cert=self.fixture.cert("tpp"))
            self.verify_token(document, "basic")

    def test_bound_client_without_certificate_is_invalid_request(self):
        for mtls in (False, True):
            with self.subTest(mtls=mtls):
                extra, headers, _, _ = self.credentials("bound")
                response = self.post("/token", {"grant_type": "client_credentials", **extra}, mtls=mtls,
                                     headers=headers)
                self.assert_oauth_error(response, 400, "invalid_request")

    # -- secrets

    def test_secret_failures(self):
        basic_client, post_client = self.client("basic"), self.client("post")
        grant = {"grant_type": "client_credentials"}
        wrong = other_secret(basic_client["client_secret"])
        with self.subTest(case="Basic, wrong secret"):
            response = self.post("/token", grant, headers=["Authorization: Basic " + basic(basic_client["client_id"], wrong)])
            self.assert_invalid_client(response, basic_challenge=True)
        with self.subTest(case="Basic, unknown client"):
            response = self.post("/token", grant, headers=["Authorization: Basic " + basic("e2e-no-such-client", wrong)])
            self.assert_invalid_client(response, basic_challenge=True)
        for name, header in [("not base64", "Basic !!!not-base64!!!"),
                             ("no colon", "Basic " + base64.b64encode(basic_client["client_id"].encode()).decode()),
                             ("bad percent-encoding", "Basic " + base64.b64encode(
                                 f"{basic_client['client_id']}:%zz".encode()).decode()),
                             ("Bearer instead of Basic", "Bearer " + basic_client["client_secret"])]:
            with self.subTest(case=f"Basic with a bad encoding: {name}"):
                self.assert_invalid_client(self.post("/token", grant, headers=["Authorization: " + header]),
                                           basic_challenge=True)
        with self.subTest(case="post, wrong secret"):
            response = self.post("/token", {**grant, "client_id": post_client["client_id"],
                                            "client_secret": other_secret(post_client["client_secret"])})
            self.assert_invalid_client(response)
        with self.subTest(case="post, unknown client"):
            response = self.post("/token", {**grant, "client_id": "e2e-no-such-client", "client_secret": wrong})
            self.assert_invalid_client(response)
        with self.subTest(case="a client_secret_post client using Basic"):
            response = self.post("/token", grant, headers=[
                "Authorization: Basic " + basic(post_client["client_id"], post_client["client_secret"])])
            self.assert_invalid_client(response, basic_challenge=True)
        with self.subTest(case="a client_secret_basic client using the form"):
            response = self.post("/token", {**grant, "client_id": basic_client["client_id"],
                                            "client_secret": basic_client["client_secret"]})
            self.assert_invalid_client(response)
        with self.subTest(case="Basic and client_secret together"):
            response = self.post("/token", {**grant, "client_secret": basic_client["client_secret"]}, headers=[
                "Authorization: Basic " + basic(basic_client["client_id"], basic_client["client_secret"])])
            self.assert_oauth_error(response, 400, "invalid_request")
        with self.subTest(case="Basic and a client_id naming another client"):
            response = self.post("/token", {**grant, "client_id": post_client["client_id"]}, headers=[
                "Authorization: Basic " + basic(basic_client["client_id"], basic_client["client_secret"])])
            self.assert_oauth_error(response, 400, "invalid_request")
        with self.subTest(case="Basic and the same client_id in the form"):
            response = self.post("/token", {**grant, "client_id": basic_client["client_id"]}, headers=[
                "Authorization: Basic " + basic(basic_client["client_id"], basic_client["client_secret"])])
            self.assert_token_answer(response)
        with self.subTest(case="no authentication at all"):
            self.assert_invalid_client(self.post("/token", grant))
        with self.subTest(case="only a client_id of a secret client"):
            self.assert_invalid_client(self.post("/token", {**grant, "client_id": basic_client["client_id"]}))

    # -- private_key_jwt

    def test_assertion_failures(self):
        client_id = self.client("pkj")["client_id"]
        keys = self.fixture.keys
        now = int(time.time())
        header = b64url(json.dumps({"alg": "none", "kid": "pkj-ec"}).encode())
        payload = b64url(json.dumps({"iss": client_id, "sub": client_id, "aud": self.issuer, "exp": now + 60,
                                     "jti": secrets.token_urlsafe(8)}).encode())
        hmac_key = OctKey.import_key(secrets.token_bytes(32), parameters={"kid": "pkj-ec"})

        def fresh_claims():
            return {"iss": client_id, "sub": client_id, "aud": self.issuer, "exp": now + 60,
                    "jti": secrets.token_urlsafe(8)}
        refused = {
            "wrong aud": self.assertion(client_id, keys["pkj-ec"], aud="https://other.example"),
            "aud of another server's token endpoint": self.assertion(client_id, keys["pkj-ec"],
                                                                     aud="https://other.example/token"),
            "expired": self.assertion(client_id, keys["pkj-ec"], exp_in=-120),
            "exp too far ahead": self.assertion(client_id, keys["pkj-ec"], exp_in=3600),
            "no jti": self.assertion(client_id, keys["pkj-ec"], omit=("jti",)),
            "no exp": self.assertion(client_id, keys["pkj-ec"], omit=("exp",)),
            "nbf in the future": jwt.encode({"alg": "ES256", "kid": "pkj-ec"}, {
                "iss": client_id, "sub": client_id, "aud": self.issuer, "exp": now + 300, "nbf": now + 120,
                "jti": secrets.token_urlsafe(8)}, keys["pkj-ec"], algorithms=["ES256"]),
            "iss is not the client": self.assertion(client_id, keys["pkj-ec"], iss="someone-else"),
            "sub is not the client": self.assertion(client_id, keys["pkj-ec"], sub="someone-else"),
            "unregistered key under a registered kid": self.assertion(client_id, keys["stray-ec"], kid="pkj-ec"),
            "unregistered key under its own kid": self.assertion(client_id, keys["stray-ec"]),
            "unregistered key, no kid": self.assertion(client_id, keys["stray-ec"], kid=None),
            "HS256": jwt.encode({"alg": "HS256", "kid": "pkj-ec"}, {
                "iss": client_id, "sub": client_id, "aud": self.issuer, "exp": now + 60,
                "jti": secrets.token_urlsafe(8)}, hmac_key, algorithms=["HS256"]),
            "none": f"{header}.{payload}.",
            "another client's key": self.assertion(client_id, keys["other-ec"]),
            "an unregistered key embedded in the header (jwk)": sign_es256(
                {"alg": "ES256", "jwk": keys["stray-ec"].as_dict(private=False)}, fresh_claims(), keys["stray-ec"]),
            "an unregistered key by URL (jku)": sign_es256(
                {"alg": "ES256", "jku": self.fixture.jwks_host + "/jwks.json", "kid": "uri-ec"}, fresh_claims(),
                keys["uri-ec"]),
            "an EC signature under the RSA key's kid": sign_es256({"alg": "ES256", "kid": "pkj-rsa"}, fresh_claims(),
                                                                 keys["pkj-ec"]),
            "ES256 header, PS256 key": sign_es256({"alg": "PS256", "kid": "pkj-rsa"}, fresh_claims(), keys["pkj-ec"]),
            "an unknown critical header": sign_es256({"alg": "ES256", "kid": "pkj-ec", "crit": ["x-e2e"], "x-e2e": 1},
                                                     fresh_claims(), keys["pkj-ec"]),
            "a valid signature, then a second one appended": self.assertion(client_id, keys["pkj-ec"]) + ".AAAA",
            "another client's key, no kid": self.assertion(client_id, keys["other-ec"], kid=None),
            "not a JWT": "not.a.jwt",
        }
        for name, assertion in refused.items():
            with self.subTest(case=name):
                response = self.post("/token", {"grant_type": "client_credentials",
                                                **self.assertion_form(assertion)})
                self.assert_invalid_client(response)
        with self.subTest(case="a valid assertion of client A naming client B in client_id"):
            response = self.post("/token", {"grant_type": "client_credentials", **self.assertion_form(
                self.assertion(client_id, keys["pkj-ec"]), self.client("pkj-other")["client_id"])})
            self.assert_invalid_client(response)
        with self.subTest(case="an assertion for a secret client"):
            response = self.post("/token", {"grant_type": "client_credentials", **self.assertion_form(
                self.assertion(self.client("basic")["client_id"], keys["pkj-ec"]))})
            self.assert_invalid_client(response)
        with self.subTest(case="wrong client_assertion_type"):
            response = self.post("/token", {"grant_type": "client_credentials",
                                            "client_assertion_type": "urn:example:other",
                                            "client_assertion": self.assertion(client_id, keys["pkj-ec"])})
            self.assert_oauth_error(response, 400, "invalid_request")
        with self.subTest(case="assertion and Basic together"):
            basic_client = self.client("basic")
            response = self.post("/token", {"grant_type": "client_credentials", **self.assertion_form(
                self.assertion(client_id, keys["pkj-ec"]))}, headers=[
                "Authorization: Basic " + basic(basic_client["client_id"], basic_client["client_secret"])])
            self.assert_oauth_error(response, 400, "invalid_request")

    def test_replayed_jti_is_refused(self):
        client_id = self.client("pkj")["client_id"]
        assertion = self.assertion(client_id, self.fixture.keys["pkj-ec"])
        form = {"grant_type": "client_credentials", **self.assertion_form(assertion)}
        self.assert_token_answer(self.post("/token", form))
        self.assert_invalid_client(self.post("/token", form))
        # Through the other host (mTLS alias) of the same web server too.
        self.assert_invalid_client(self.post("/token", form, mtls=True, cert=self.fixture.cert("tpp")))
        # And the same jti in a new assertion (another exp, same client).
        jti = json.loads(base64.urlsafe_b64decode(assertion.split(".")[1] + "=="))["jti"]
        again = self.assertion(client_id, self.fixture.keys["pkj-ec"], jti=jti, exp_in=90)
        self.assert_invalid_client(self.post("/token", {"grant_type": "client_credentials",
                                                        **self.assertion_form(again)}))
        # A jti is unique per issuer (RFC 7519 §4.1.7): another client may use the same value.
        other = self.assertion(self.client("pkj-other")["client_id"], self.fixture.keys["other-ec"], jti=jti)
        self.assert_token_answer(self.post("/token", {"grant_type": "client_credentials",
                                                      **self.assertion_form(other)}))

    # -- certificates

    def test_certificate_failures(self):
        tls_dn, tls_san, selfsigned = self.client("tls-dn"), self.client("tls-san"), self.client("selfsigned")
        fixture = self.fixture
        cases = [
            ("tls_client_auth (DN), a certificate with another DN", tls_dn, fixture.cert("other-dn"), True),
            ("tls_client_auth (DN), its DN from an untrusted CA", tls_dn, fixture.cert("rogue-tpp"), True),
            ("tls_client_auth (DN), a self-signed certificate", tls_dn, fixture.cert("selfsigned"), True),
            ("tls_client_auth (DN), no certificate on the mTLS host", tls_dn, None, True),
            ("tls_client_auth (DN), on the issuer host (no certificate asked)", tls_dn, fixture.cert("tpp"), False),
            ("tls_client_auth (SAN), a certificate without that SAN", tls_san, fixture.cert("tpp"), True),
            ("tls_client_auth (SAN), no certificate", tls_san, None, True),
            ("self-signed, another key", selfsigned, fixture.cert("selfsigned-other"), True),
            ("self-signed, a CA-issued certificate", selfsigned, fixture.cert("tpp"), True),
            ("self-signed, no certificate", selfsigned, None, True),
        ]
        for name, client, cert, mtls in cases:
            with self.subTest(case=name):
                response = self.post("/token", {"grant_type": "client_credentials", "client_id": client["client_id"]},
                                     mtls=mtls, cert=cert)
                self.assert_invalid_client(response)
        with self.subTest(case="a certificate and no client_id"):
            response = self.post("/token", {"grant_type": "client_credentials"}, mtls=True, cert=fixture.cert("tpp"))
            self.assert_invalid_client(response)
        # Outside its validity period the web server itself refuses the certificate, even with
        # optional_no_ca (which waives only the chain): nginx answers its certificate-error
        # 400 JSON, Apache ends the handshake with an alert. The responder sees nothing.
        for name in ("tpp-expired", "tpp-not-yet-valid"):
            with self.subTest(case=f"tls_client_auth (DN), {name}"):
                offset = self.stack.log_offset()
                try:
                    response = self.post("/token", {"grant_type": "client_credentials",
                                                    "client_id": tls_dn["client_id"]}, mtls=True, cert=fixture.cert(name))
                except CurlError as error:
                    self.assertEqual(self.server_name, "apache", str(error))
                    self.assertIn("alert", str(error))
                else:
                    self.assertEqual(self.server_name, "nginx", response.describe())
                    self.assert_web_server_error(response, 400)
                self.assert_json(self.stack.curl.request(self.server.main_url + "/healthz"), 200)
                self.assertEqual([line for line in self.stack.access_lines(offset)
                                  if line.get("http.path") == "/token"], [])

    # -- grant and scope

    def test_scope_handling(self):
        # RFC 6749 §3.1: a parameter without a value is as if omitted.
        for requested, granted in [(None, SCOPES), ("", SCOPES), ("accounts", ["accounts"]),
                                   ("payments accounts", SCOPES), ("accounts accounts", ["accounts"])]:
            with self.subTest(scope=requested):
                form = {} if requested is None else {"scope": requested}
                document, _ = self.token("basic", **form)
                self.verify_token(document, "basic", scope=granted)
        extra, headers, _, _ = self.credentials("basic")
        for requested in ("accounts admin", "openid", "ACCOUNTS"):
            with self.subTest(scope=requested):
                response = self.post("/token", {"grant_type": "client_credentials", "scope": requested, **extra},
                                     headers=headers)
                self.assert_oauth_error(response, 400, "invalid_scope")
        with self.subTest(case="scope twice"):
            response = self.post("/token", b"grant_type=client_credentials&scope=accounts&scope=payments",
                                 headers=headers)
            self.assert_oauth_error(response, 400, "invalid_request")

    def test_request_encodings(self):
        # A chunked body (Apache passes it without CONTENT_LENGTH), a charset parameter and
        # another case in the media type (RFC 9110 §8.3.1: case-insensitive) are all forms.
        extra, headers, _, _ = self.credentials("basic")
        body = urllib.parse.urlencode({"grant_type": "client_credentials", "scope": "accounts", **extra}).encode()
        for name, content_type, chunked in [
                ("chunked", FORM, True),
                ("charset", "Content-Type: application/x-www-form-urlencoded; charset=UTF-8", False),
                ("upper case", "Content-Type: Application/X-WWW-Form-URLEncoded", False)]:
            with self.subTest(case=name):
                response = self.stack.curl.request(self.server.main_url + "/token", method="POST", body=body,
                                                   chunked=chunked, headers=[content_type, *headers])
                self.verify_token(self.assert_token_answer(response), "basic", scope=["accounts"])

    def test_grant_errors(self):
        extra, headers, _, _ = self.credentials("basic")
        for grant in ("password", "authorization_code", "urn:ietf:params:oauth:grant-type:jwt-bearer"):
            with self.subTest(grant=grant):
                response = self.post("/token", {"grant_type": grant, **extra}, headers=headers)
                self.assert_oauth_error(response, 400, "unsupported_grant_type")
                self.assertIn("no-store", (response.header("cache-control") or "").lower())
        with self.subTest(case="a JSON body"):
            response = self.post("/token", b'{"grant_type":"client_credentials"}', headers=[
                "Content-Type: application/json", *headers])
            self.assert_oauth_error(response, 400, "invalid_request")
        for method in ("GET", "PUT"):
            with self.subTest(method=method):
                response = self.stack.curl.request(self.server.main_url + "/token", method=method)
                self.assert_oauth_error(response, 405)
                self.assertIn("POST", response.header("allow") or "", response.describe())
        with self.subTest(case="no grant_type"):
            self.assert_oauth_error(self.post("/token", {"scope": "accounts"}, headers=headers), 400,
                                    "invalid_request")
        with self.subTest(case="grant_type twice"):
            response = self.post("/token", b"grant_type=client_credentials&grant_type=client_credentials",
                                 headers=headers)
            self.assert_oauth_error(response, 400, "invalid_request")

    # -- introspection and revocation

    def test_introspection(self):
        bound, cert = self.token("tls-dn")
        thumbprint = certificate_thumbprint(cert[0])
        own = self.introspect(bound["access_token"], "tls-dn")
        claims = jwt.decode(bound["access_token"], KeySet.import_key_set(self.published_keys()),
                            algorithms=SERVER_ALGORITHMS).claims
        with self.subTest(case="active, by its client"):
            self.assertEqual(own.get("active"), True, own)
            self.assertEqual(own.get("client_id"), self.client("tls-dn")["client_id"], own)
            self.assertEqual(own.get("token_type"), "Bearer", own)
            self.assertEqual(own.get("cnf"), {"x5t#S256": thumbprint}, own)
            for name in ("scope", "exp", "iat", "sub", "aud", "iss", "jti"):
                self.assertEqual(own.get(name), claims.get(name), name)
        with self.subTest(case="another client's token, asked by a client"):
            for asker in ("basic", "pkj", "selfsigned"):
                self.assertEqual(self.introspect(bound["access_token"], asker), {"active": False}, asker)
        with self.subTest(case="another client's token, asked by a resource server"):
            seen = self.introspect(bound["access_token"], "api")
            self.assertEqual(seen, own)
        with self.subTest(case="garbage"):
            token = bound["access_token"]
            header, payload, signature = token.split(".")
            tampered_payload = b64url(json.dumps(dict(claims, scope="admin")).encode())
            for garbage in ("garbage", "a.b.c", f"{header}.{tampered_payload}.{signature}",
                            f"{header}.{payload}.{signature[:-4]}AAAA", token + "x", "é" * 50):
                self.assertEqual(self.introspect(garbage, "api"), {"active": False}, garbage)
        with self.subTest(case="an empty token (RFC 6749 §3.1: the same as none)"):
            extra, headers, _, _ = self.credentials("api")
            self.assert_oauth_error(self.post("/introspect", {"token": "", **extra}, headers=headers), 400,
                                    "invalid_request")
        with self.subTest(case="a client assertion is not an access token"):
            assertion = self.assertion(self.client("pkj")["client_id"], self.fixture.keys["pkj-ec"])
            self.assertEqual(self.introspect(assertion, "api"), {"active": False})
        with self.subTest(case="no token parameter"):
            extra, headers, _, _ = self.credentials("api")
            self.assert_oauth_error(self.post("/introspect", extra, headers=headers), 400, "invalid_request")
        with self.subTest(case="an unauthenticated caller"):
            response = self.post("/introspect", {"token": bound["access_token"]})
            self.assert_invalid_client(response)
            response = self.post("/introspect", {"token": bound["access_token"]}, headers=[
                "Authorization: Basic " + basic(self.client("api")["client_id"], "wrong")])
            self.assert_invalid_client(response, basic_challenge=True)

    def test_revocation(self):
        issued, _ = self.token("basic")
        token = issued["access_token"]
        with self.subTest(case="revoked by another client: no effect"):
            for other in ("post", "api"):
                self.revoke(token, other)
            self.assertEqual(self.introspect(token, "basic").get("active"), True)
        with self.subTest(case="revoked by its client"):
            self.revoke(token, "basic")
            self.assertEqual(self.introspect(token, "basic"), {"active": False})
            self.assertEqual(self.introspect(token, "api"), {"active": False})
            # Again: still 200.
            self.revoke(token, "basic")
        with self.subTest(case="unknown and malformed tokens"):
            for garbage in ("garbage", "a.b.c", "é" * 50):
                self.revoke(garbage, "basic")
            extra, headers, _, _ = self.credentials("basic")
            self.assert_oauth_error(self.post("/revoke", {"token": "", **extra}, headers=headers), 400,
                                    "invalid_request")
        with self.subTest(case="another token of the same client stays active"):
            other, _ = self.token("basic")
            self.assertEqual(self.introspect(other["access_token"], "basic").get("active"), True)
        with self.subTest(case="a certificate client revokes its own"):
            bound, _ = self.token("selfsigned")
            self.revoke(bound["access_token"], "selfsigned")
            self.assertEqual(self.introspect(bound["access_token"], "api"), {"active": False})
        with self.subTest(case="unauthenticated"):
            self.assert_invalid_client(self.post("/revoke", {"token": token}))

    def test_token_of_a_deleted_client_is_inactive(self):
        client = self.fixture.create(f"deleted-{self.server_name}", "client_secret_post")
        document, _ = self.token(client["label"])
        self.assertEqual(self.introspect(document["access_token"], "api").get("active"), True)
        self.fixture.cli("clients", "delete", client["client_id"])
        self.assertEqual(self.introspect(document["access_token"], "api"), {"active": False})
        response = self.post("/token", {"grant_type": "client_credentials", "client_id": client["client_id"],
                                        "client_secret": client["client_secret"]})
        self.assert_invalid_client(response)

    def test_token_of_a_deleted_client_stays_inactive_when_its_id_is_reused(self):
        # An operator deletes a client and creates another under the same --client-id: the
        # old client's tokens must not come back to life as the new client's.
        client_id = f"e2e-reused-{self.server_name}"
        old = self.fixture.create(f"reused-old-{self.server_name}", "client_secret_post", "--client-id", client_id)
        old_token, _ = self.token(old["label"])
        self.fixture.cli("clients", "delete", client_id)
        time.sleep(1.1)  # iat has whole seconds: the new client is created in a later second
        new = self.fixture.create(f"reused-new-{self.server_name}", "client_secret_post", "--client-id", client_id)
        new_token, _ = self.token(new["label"])
        self.assertEqual(self.introspect(new_token["access_token"], "api").get("active"), True)
        self.assertEqual(self.introspect(old_token["access_token"], "api"), {"active": False})
        self.assertEqual(self.introspect(old_token["access_token"], new["label"]), {"active": False})

    def test_basic_credentials_are_form_encoded(self):
        # RFC 6749 §2.3.1: id and secret are form-encoded before base64, so a ':' or '+' in the
        # id travels as %3A and %2B; sent raw, the id ends at its first ':'.
        client = self.client("odd-id")
        self.assertEqual(client["client_id"], ODD_CLIENT_ID)
        encoded = basic(client["client_id"], client["client_secret"])
        document = self.assert_token_answer(self.post("/token", {"grant_type": "client_credentials"},
                                                      headers=["Authorization: Basic " + encoded]))
        self.verify_token(document, "odd-id")
        raw = base64.b64encode(f"{client['client_id']}:{client['client_secret']}".encode()).decode()
        self.assert_invalid_client(self.post("/token", {"grant_type": "client_credentials"},
                                             headers=["Authorization: Basic " + raw]), basic_challenge=True)

    def test_metadata_endpoints_and_mtls_aliases_work(self):
        metadata = self.assert_json(self.stack.curl.request(self.server.main_url
                                                            + "/.well-known/oauth-authorization-server"), 200)
        self.assertEqual(metadata.get("token_endpoint"), self.issuer + "/token")
        self.assertEqual(metadata.get("introspection_endpoint"), self.issuer + "/introspect")
        self.assertEqual(metadata.get("revocation_endpoint"), self.issuer + "/revoke")
        self.assertEqual(metadata.get("tls_client_certificate_bound_access_tokens"), True)
        self.assertIn("client_credentials", metadata.get("grant_types_supported", []))
        self.assertEqual(set(metadata.get("token_endpoint_auth_methods_supported", [])), {
            "client_secret_basic", "client_secret_post", "private_key_jwt", "tls_client_auth",
            "self_signed_tls_client_auth"})
        self.assertEqual(set(metadata.get("token_endpoint_auth_signing_alg_values_supported", [])),
                         {"PS256", "ES256"})
        aliases = metadata.get("mtls_endpoint_aliases", {})
        self.assertEqual(aliases.get("token_endpoint"), self.stack.alias_issuer + "/token")
        self.assertEqual(aliases.get("introspection_endpoint"), self.stack.alias_issuer + "/introspect")
        self.assertEqual(aliases.get("revocation_endpoint"), self.stack.alias_issuer + "/revoke")
        # The alias host of this web server answers what the metadata's aliases name.
        path = urllib.parse.urlsplit(aliases["token_endpoint"]).path
        cert = self.fixture.cert("tpp")
        response = self.stack.curl.request(self.server.mtls_url + path, method="POST", headers=[FORM],
                                           cert=cert, body=urllib.parse.urlencode({
                                               "grant_type": "client_credentials",
                                               "client_id": self.client("tls-dn")["client_id"]}).encode())
        self.verify_token(self.assert_token_answer(response), "tls-dn", certificate=cert)

    def test_per_client_lifetime_and_minted_tokens(self):
        document, _ = self.token("short")
        self.assertEqual(document["expires_in"], SHORT_LIFETIME)
        self.verify_token(document, "short", lifetime=SHORT_LIFETIME)
        # `credence tokens mint`: the same kind of token, verified the same way.
        minted = self.fixture.cli("tokens", "mint", "--client", self.client("basic")["client_id"],
                                  "--scope", "payments", "--expires-in", "120")
        self.verify_token(minted, "basic", scope=["payments"], lifetime=120)
        self.assertEqual(self.introspect(minted["access_token"], "basic").get("active"), True)

    def test_short_lived_tokens_are_active_before_they_expire(self):
        # Introspected when the fixture issued them; ExpiredTokenTests checks them again
        # once they have expired.
        for source in self.fixture.short_tokens:
            for asker in ("short", "api"):
                with self.subTest(source=source, asker=asker):
                    status, answer = self.fixture.short_tokens_seen[(self.server_name, source, asker)]
                    self.assertEqual(status, 200, answer)
                    self.assertEqual(answer.get("active"), True, answer)
                    self.assertEqual(answer.get("client_id"), self.client("short")["client_id"], answer)

    # -- jwks_uri

    def test_jwks_uri_clients(self):
        with self.subTest(case="fetched from an allowed host"):
            document, _ = self.token("uri")
            self.verify_token(document, "uri")
        with self.subTest(case="self_signed_tls_client_auth, its key fetched"):
            document, _ = self.token("selfsigned-uri")
            self.verify_token(document, "selfsigned-uri")
        with self.subTest(case="self_signed_tls_client_auth, another key than the fetched one"):
            response = self.post("/token", {"grant_type": "client_credentials",
                                            "client_id": self.client("selfsigned-uri")["client_id"]},
                                 mtls=True, cert=self.fixture.cert("selfsigned-other"))
            self.assert_invalid_client(response)
        with self.subTest(case="a host off the allowlist"):
            # The very same document, by IP address instead of name.
            self.assertEqual(self.stack.curl.request(self.fixture.jwks_host_off_list + "/jwks.json").status, 200)
            extra, _, _, _ = self.credentials("uri-off-list")
            self.assert_invalid_client(self.post("/token", {"grant_type": "client_credentials", **extra}))
        for name, status in (("redirect", 302), ("html", 200), ("missing", 404)):
            with self.subTest(case=f"the jwks_uri answers {name}"):
                self.assertEqual(self.stack.curl.request(f"{self.fixture.jwks_host}/{name}/jwks.json").status, status)
                extra, _, _, _ = self.credentials(f"uri-{name}")
                self.assert_invalid_client(self.post("/token", {"grant_type": "client_credentials", **extra}))
        with self.subTest(case="an oversized document"):
            response = self.stack.curl.request(self.fixture.jwks_host + "/big/jwks.json")
            self.assertGreater(len(response.body), 65536)
            self.assertIn(self.fixture.keys["uri-ec"].kid, [k["kid"] for k in response.json()["keys"]])
            extra, _, _, _ = self.credentials("uri-big")
            self.assert_invalid_client(self.post("/token", {"grant_type": "client_credentials", **extra}))

    def test_jwks_uri_slow_answer(self):
        # Sanity: the document really is slow (50 bytes/s for 2 KiB).
        with self.assertRaises(Exception):
            self.stack.curl.request(self.fixture.jwks_host + "/slow/jwks.json", timeout=JWKS_FETCH_TIMEOUT + 1)
        extra, _, _, _ = self.credentials("uri-slow")
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            started = time.monotonic()
            slow = pool.submit(self.post, "/token", {"grant_type": "client_credentials", **extra})
            time.sleep(0.3)
            # Other requests are answered meanwhile (the other workers are free).
            quick_started = time.monotonic()
            self.assert_json(self.stack.curl.request(self.server.main_url + "/healthz"), 200)
            quick = time.monotonic() - quick_started
            response = slow.result()
            elapsed = time.monotonic() - started
        self.assert_invalid_client(response)
        self.stack.log(f"e2e: {self.server_name}: slow jwks_uri answered invalid_client in {elapsed:.2f} s "
                       f"(timeout {JWKS_FETCH_TIMEOUT} s); /healthz meanwhile in {quick:.2f} s")
        self.assertLess(elapsed, JWKS_FETCH_TIMEOUT + 2.5, "the worker waited past jwks_fetch.timeout_seconds")
        self.assertLess(quick, 2)


class NginxTokenTests(TokenEndpointTests):
    server_name = "nginx"


class ApacheTokenTests(TokenEndpointTests):
    server_name = "apache"


# ---- two responders, one replay table ---------------------------------------


def sample_nginx(test, name, sockets):
    """Another nginx with the shipped sample as the stack's nginx rendered it, on new ports,
    its upstream listing SOCKETS; (issuer host URL, run dir)."""
    with open(os.path.join(test.stack.servers["nginx"].rundir, "credence.conf"), encoding="utf-8") as handle:
        conf = handle.read()
    upstream_line = f"server unix:{test.stack.socket_path};"
    test.assertIn(upstream_line, conf)
    conf = conf.replace(upstream_line, "\n    ".join(f"server unix:{path};" for path in sockets))
    ports = iter(free_ports(2))
    conf, replaced = re.subn(r"(?m)^(\s*listen )\S+( ssl;)$",
                             lambda m: f"{m.group(1)}127.0.0.1:{next(ports)}{m.group(2)}", conf)
    test.assertEqual(replaced, 2)
    rundir = test.stack.start_private_nginx(name, conf)
    port = re.search(r"listen 127\.0\.0\.1:(\d+) ssl;", conf).group(1)
    base = f"https://localhost:{port}"
    deadline = time.monotonic() + 10
    while test.stack.curl.request(base + "/healthz", timeout=3).status != 200:
        test.assertLess(time.monotonic(), deadline, f"{name} never answered /healthz")
        time.sleep(0.2)
    return base, rundir


class SharedReplayTableTests(TokenTestCase):
    """Two `credence serve` processes behind one nginx upstream (the shipped sample with
    both sockets listed): a jti used through one responder is refused by the other."""

    server_name = "nginx"

    def sample_nginx(self, name, sockets):
        return sample_nginx(self, name, sockets)

    def test_jti_used_on_one_responder_is_refused_on_the_other(self):
        stack = self.stack
        second_socket = stack.start_extra_responder("responder-2")
        base, rundir = self.sample_nginx("nginx-2-responders", [stack.socket_path, second_socket])
        logs = {"responder-1": stack.responder_log, "responder-2": stack.path("responder-2.log")}

        def token_lines(path, offset):
            with open(path, "rb") as handle:
                handle.seek(offset)
                text = handle.read().decode("utf-8", "replace")
            return [parse_logfmt(line) for line in text.splitlines()
                    if "logger=credence.access" in line and "http.path=/token" in line]

        def send(form):
            offsets = {name: os.path.getsize(path) for name, path in logs.items()}
            response = stack.curl.request(base + "/token", method="POST", body=urllib.parse.urlencode(form).encode(),
                                          headers=[FORM])
            deadline = time.monotonic() + 5
            while True:
                served = [name for name, path in logs.items() if token_lines(path, offsets[name])]
                if served or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            self.assertEqual(len(served), 1, f"access lines for one request: {served}")
            return response, served[0]

        client_id = self.client("pkj")["client_id"]
        crossed = 0
        for _ in range(4):
            form = {"grant_type": "client_credentials",
                    **self.assertion_form(self.assertion(client_id, self.fixture.keys["pkj-ec"]))}
            first, first_by = send(form)
            self.assert_token_answer(first)
            second, second_by = send(form)
            self.assert_invalid_client(second)
            crossed += first_by != second_by
        stack.log(f"e2e: two responders behind one upstream: {crossed} of 4 replays reached the other responder "
                  f"(nginx in {rundir})")
        self.assertGreater(crossed, 0, "nginx never sent the replay to the other responder")

        # The same assertion sent at once through this upstream, the stack's nginx and Apache
        # (both responders, all their workers): exactly one request gets a token.
        form = urllib.parse.urlencode({"grant_type": "client_credentials", **self.assertion_form(
            self.assertion(client_id, self.fixture.keys["pkj-ec"]))}).encode()
        urls = [base + "/token"] * 8 + [server.main_url + "/token" for server in stack.servers.values()] * 4
        start = threading.Barrier(len(urls))

        def one(url):
            start.wait()
            return stack.curl.request(url, method="POST", body=form, headers=[FORM])
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(urls)) as pool:
            responses = list(pool.map(one, urls))
        statuses = sorted(r.status for r in responses)
        self.assertEqual(statuses, [200] + [401] * (len(urls) - 1), statuses)
        for response in responses:
            if response.status == 401:
                self.assert_invalid_client(response)


# ---- tls_client_auth: names as operators copy them -----------------------------


class CertificateNameTests(TokenTestCase):
    """tls_client_auth clients registered with the subject DN as openssl prints it for a
    certificate with escapes, UTF-8 and a multi-valued RDN, and by each SAN kind."""

    SUBJECT = '/C=GB/O=Café, Ltd/OU=Payments+UID=42/CN=Zoë "Q" #1'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        fixture = cls.fixture
        if not os.path.exists(fixture.file("tpp-names.pem")):
            fixture.key("tpp-names")
            fixture.openssl("req", "-x509", "-new", "-key", fixture.file("tpp-names.key"),
                            "-out", fixture.file("tpp-names.pem"), "-utf8", "-multivalue-rdn",
                            "-subj", cls.SUBJECT, "-days", "30",
                            "-CA", fixture.pki("client-ca.pem"), "-CAkey", fixture.pki("client-ca.key"),
                            "-addext", "basicConstraints=critical,CA:FALSE",
                            "-addext", "subjectAltName=DNS:names.e2e.example,URI:spiffe://bank.example/tpp/1,"
                                       "IP:192.0.2.7,IP:2001:db8::7,email:ops@tpp.example")

    def create_status(self, *options):
        """(exit status, client or None) of `credence clients create --auth-method tls_client_auth OPTIONS`."""
        done = subprocess.run([self.stack.credence, "clients", "create", "--config", self.stack.config_file,
                               "--auth-method", "tls_client_auth", "--scope", "accounts", *options],
                              capture_output=True, text=True, env=self.stack.child_env(), timeout=60)
        return done.returncode, (json.loads(done.stdout) if done.returncode == 0 else None), done.stderr

    def token_for(self, client_id, cert_name):
        return self.post("/token", {"grant_type": "client_credentials", "client_id": client_id}, mtls=True,
                         cert=self.fixture.cert(cert_name))

    def printed_subject(self, nameopt):
        printed = self.fixture.openssl("x509", "-in", self.fixture.file("tpp-names.pem"), "-noout", "-subject",
                                       "-nameopt", nameopt).strip()
        return printed.split("=", 1)[1] if printed.startswith("subject=") else printed

    def test_subject_dn_as_openssl_prints_it(self):
        rfc2253 = self.printed_subject("RFC2253")
        cases = [
            ("-nameopt RFC2253 (UTF-8 as hex escapes)", rfc2253),
            ("-nameopt RFC2253,-esc_msb (UTF-8 as is)", self.printed_subject("RFC2253,-esc_msb")),
            ("RFC 2253 text, other case (RFC 4518 caseIgnoreMatch)", rfc2253.lower()),
        ]
        for name, dn in cases:
            with self.subTest(case=name, dn=dn):
                status, client, stderr = self.create_status("--subject-dn", dn)
                self.assertEqual(status, 0, stderr)
                self.assert_token_answer(self.token_for(client["client_id"], "tpp-names"))
                self.assert_invalid_client(self.token_for(client["client_id"], "tpp"))
        # What openssl prints without -nameopt (X.500 order, spaces around '=') and the slash
        # form: the CLI may refuse them (64), but a client it creates must then work.
        for name, dn in [("openssl's default", self.printed_subject("oneline")),
                         ("-nameopt compat (slashes)", self.printed_subject("compat"))]:
            with self.subTest(case=name, dn=dn):
                status, client, stderr = self.create_status("--subject-dn", dn)
                self.assertIn(status, (0, 64), stderr)
                self.stack.log(f"e2e: --subject-dn as {name}: exit {status}"
                               + (f" ({stderr.strip().splitlines()[-1]})" if status else ""))
                if status == 0:
                    self.assert_token_answer(self.token_for(client["client_id"], "tpp-names"))

    def test_each_subject_alternative_name_kind(self):
        cases = [("--san-dns", "names.e2e.example", "NAMES.e2e.example.", "other.e2e.example"),
                 ("--san-uri", "spiffe://bank.example/tpp/1", None, "spiffe://bank.example/tpp/2"),
                 ("--san-ip", "192.0.2.7", None, "192.0.2.8"),
                 ("--san-ip", "2001:db8::7", "2001:0db8:0:0:0:0:0:7", "2001:db8::8"),
                 ("--san-email", "ops@tpp.example", None, "dev@tpp.example")]
        for option, value, equivalent, other in cases:
            for registered, matches in [(value, True), (equivalent, True), (other, False)]:
                if registered is None:
                    continue
                with self.subTest(option=option, registered=registered):
                    status, client, stderr = self.create_status(option, registered)
                    if status == 64 and registered == equivalent:
                        continue  # refusing an unusual spelling is fine; matching it wrongly is not
                    self.assertEqual(status, 0, stderr)
                    response = self.token_for(client["client_id"], "tpp-names")
                    if matches:
                        self.assert_token_answer(response)
                    else:
                        self.assert_invalid_client(response)


# ---- the README's resource-server example ------------------------------------


def readme_section(title):
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as handle:
        text = handle.read()
    match = re.search(rf"(?ms)^## {re.escape(title)}\n(.*?)(?=^## )", text + "\n## ")
    if not match:
        raise AssertionError(f"README.md has no section '## {title}'")
    return match.group(1)


def shell_blocks(section):
    return re.findall(r"(?ms)^```sh\n(.*?)^```", section)


class ResourceServerExampleTests(TokenTestCase):
    """The README's "Resource servers" section: its shell commands run as written (with
    the variables they name set), local validation and introspection."""

    def run_block(self, block, env):
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", block], capture_output=True, text=True,
                              env={**os.environ, **env}, cwd=REPO, timeout=60)
        return done

    def environment(self, token, cert=None):
        api = self.client("api")
        return {
            "ISSUER": self.issuer,
            "AUDIENCE": self.issuer,
            "TOKEN": token,
            # What nginx puts in X-Client-Cert from $ssl_client_escaped_cert ("" without a certificate).
            "CLIENT_CERT": url_encoded_pem(cert[0]) if cert else "",
            "API_CLIENT_ID": api["client_id"],
            "API_CLIENT_SECRET": api["client_secret"],
            # The demo CA instead of the system store, for Python and curl.
            "SSL_CERT_FILE": self.stack.pki + "/server-ca.pem",
            "CURL_CA_BUNDLE": self.stack.pki + "/server-ca.pem",
        }

    def blocks(self):
        blocks = shell_blocks(readme_section("Resource servers"))
        local = [b for b in blocks if "verify_access_token.py" in b]
        introspection = [b for b in blocks if "/introspect" in b]
        self.assertEqual((len(local), len(introspection)), (1, 1), blocks)
        return local[0], introspection[0]

    def test_local_validation_as_documented(self):
        local, _ = self.blocks()
        bound, cert = self.token("tls-dn")
        unbound, _ = self.token("basic")
        cases = [
            ("bound token, the certificate it is bound to", bound, cert, True),
            ("bound token, another certificate", bound, self.fixture.cert("other-dn"), False),
            ("bound token, no certificate", bound, None, False),
            ("unbound token, no certificate", unbound, None, True),
            ("a tampered token", {"access_token": bound["access_token"][:-6] + "AAAAAA"}, cert, False),
            ("a client assertion", {"access_token": self.assertion(self.client("pkj")["client_id"],
                                                                   self.fixture.keys["pkj-ec"])}, None, False),
        ]
        for name, document, certificate, accepted in cases:
            with self.subTest(case=name):
                done = self.run_block(local, self.environment(document["access_token"], certificate))
                if accepted:
                    self.assertEqual(done.returncode, 0, done.stderr)
                    claims = json.loads(done.stdout)
                    self.assertEqual(claims["iss"], self.issuer)
                else:
                    self.assertNotEqual(done.returncode, 0, done.stdout)
                    self.assertEqual(done.stdout, "")
        with self.subTest(case="another audience"):
            env = dict(self.environment(unbound["access_token"]), AUDIENCE="https://other-api.example")
            self.assertNotEqual(self.run_block(local, env).returncode, 0)

    def test_configuration_as_documented(self):
        blocks = re.findall(r"(?ms)^```yaml\n(.*?)^```", readme_section("Resource servers"))
        self.assertEqual(len(blocks), 1, blocks)
        listed = re.search(r"(?m)^tokens:\n\s+resource_servers:\s*\[([^\]]*)\]", blocks[0])
        self.assertIsNotNone(listed, blocks[0])
        self.assertEqual([name.strip().strip('"') for name in listed.group(1).split(",")], [RESOURCE_SERVER_CLIENT_ID])
        with open(self.stack.config_file, encoding="utf-8") as handle:
            self.assertIn(f"  resource_servers: [{json.dumps(RESOURCE_SERVER_CLIENT_ID)}]", handle.read())

    def test_introspection_as_documented(self):
        _, introspection = self.blocks()
        bound, cert = self.token("tls-dn")
        done = self.run_block(introspection, self.environment(bound["access_token"], cert))
        self.assertEqual(done.returncode, 0, done.stderr)
        answer = json.loads(done.stdout)
        self.assertEqual(answer.get("active"), True, answer)
        self.assertEqual(answer.get("cnf"), {"x5t#S256": certificate_thumbprint(cert[0])})
        self.revoke(bound["access_token"], "tls-dn")
        done = self.run_block(introspection, self.environment(bound["access_token"], cert))
        self.assertEqual(json.loads(done.stdout), {"active": False})


def load_example():
    """docs/examples/verify_access_token.py as a module."""
    import importlib.util
    path = os.path.join(REPO, "docs", "examples", "verify_access_token.py")
    spec = importlib.util.spec_from_file_location("verify_access_token", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BankAPITests(TokenTestCase):
    """A bank API behind nginx as the README shows it: nginx asks for client certificates
    and passes this connection's certificate in X-Client-Cert with the README's location
    block; the API (a Python HTTP server on loopback) calls the example's verify()."""

    def test_api_behind_nginx_checks_the_certificate_binding(self):
        example = load_example()
        blocks = re.findall(r"(?ms)^```nginx\n(.*?)^```", readme_section("Resource servers"))
        self.assertEqual(len(blocks), 1, blocks)
        context = ssl.create_default_context(cafile=self.pki("server-ca.pem"))
        jwks = example.JWKSCache(self.issuer + "/jwks", context=context)
        issuer = self.issuer
        seen = []

        import http.server

        class API(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                header = self.headers.get("Authorization", "")
                certificate = self.headers.get("X-Client-Cert")
                seen.append(certificate)
                try:
                    if not header.startswith("Bearer "):
                        raise example.InvalidToken("no Bearer token")
                    claims = example.verify(header[7:], issuer=issuer, audience=issuer, jwks=jwks,
                                            client_cert=certificate)
                    status, body, extra = 200, {"client_id": claims["client_id"], "scope": claims.get("scope")}, {}
                except example.InvalidToken as error:
                    status, body = 401, {"error": "invalid_token", "error_description": str(error)}
                    extra = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_):
                pass

        api = http.server.ThreadingHTTPServer(("127.0.0.1", 0), API)
        threading.Thread(target=api.serve_forever, daemon=True).start()
        self.addCleanup(api.server_close)
        self.addCleanup(api.shutdown)
        location = blocks[0].replace("127.0.0.1:8080", f"127.0.0.1:{api.server_address[1]}")
        self.assertNotEqual(location, blocks[0], "the README's proxy_pass changed: update this test")
        port = free_ports(1)[0]
        self.stack.start_private_nginx(f"bank-api-{port}", f"""
    server {{
        listen 127.0.0.1:{port} ssl;
        server_name localhost;
        ssl_certificate     {self.pki('server-chain.pem')};
        ssl_certificate_key {self.pki('server.key')};
        ssl_verify_client optional_no_ca;
{location}
    }}""")
        url = f"https://localhost:{port}/api/accounts"
        bound, cert = self.token("tls-dn")
        unbound, _ = self.token("basic")
        forged = "X-Client-Cert: " + url_encoded_pem(cert[0])
        cases = [
            ("bound token, the certificate it is bound to", bound, cert, [], 200, True),
            ("bound token, another certificate", bound, self.fixture.cert("other-dn"), [], 401, True),
            ("bound token, no certificate", bound, None, [], 401, False),
            ("bound token, no certificate, the right one forged in X-Client-Cert", bound, None, [forged], 401, False),
            ("bound token, another certificate, the right one forged", bound, self.fixture.cert("selfsigned"),
             [forged], 401, True),
            ("unbound token, no certificate", unbound, None, [], 200, False),
            ("no token", {"access_token": ""}, cert, [], 401, True),
        ]
        deadline = time.monotonic() + 10
        while self.stack.curl.request(url, timeout=3).status not in (200, 401) and time.monotonic() < deadline:
            time.sleep(0.2)
        for name, document, certificate, headers, status, header_expected in cases:
            with self.subTest(case=name):
                del seen[:]
                response = self.stack.curl.request(url, cert=certificate, headers=[
                    f"Authorization: Bearer {document['access_token']}", *headers])
                self.assertEqual(response.status, status, response.describe())
                self.assertEqual(len(seen), 1)
                if header_expected:
                    self.assertEqual(seen[0], url_encoded_pem(certificate[0]))
                else:
                    self.assertIsNone(seen[0], "X-Client-Cert reached the API without a client certificate")
                if status == 401:
                    self.assertEqual(response.header("www-authenticate"), 'Bearer error="invalid_token"')
        with self.subTest(case="require_bound refuses an unbound token"):
            with self.assertRaises(example.InvalidToken):
                example.verify(unbound["access_token"], issuer=issuer, audience=issuer, jwks=jwks,
                               client_cert=url_encoded_pem(cert[0]), require_bound=True)
            claims = example.verify(bound["access_token"], issuer=issuer, audience=issuer, jwks=jwks,
                                    client_cert=url_encoded_pem(cert[0]), require_bound=True)
            self.assertEqual(claims["client_id"], self.client("tls-dn")["client_id"])


# ---- last: the database stopped, housekeeping, the short-lived tokens expired ----


class TokenDatabaseOutageTests(TokenTestCase):
    """PostgreSQL stopped: every client-authenticated endpoint answers 503 with Retry-After
    (never invalid_client, never a token, never "active":false), and works again after."""

    def test_token_endpoints_answer_503_while_the_database_is_down(self):
        if not self.stack.can_stop_database:
            self.skipTest("the database was given by URL without --postgres-dir: cannot stop it")
        client_id = self.client("pkj")["client_id"]
        assertion = self.assertion(client_id, self.fixture.keys["pkj-ec"], exp_in=120)
        live, _ = self.token("basic")
        self.stack.stop_database()
        try:
            for name in self.stack.servers:
                self.server_name = name
                requests = {
                    "token, client_secret_basic": lambda: self.authenticated(
                        "/token", "basic", {"grant_type": "client_credentials"}),
                    "token, private_key_jwt": lambda: self.post("/token", {
                        "grant_type": "client_credentials", **self.assertion_form(assertion)}),
                    "token, tls_client_auth": lambda: self.authenticated(
                        "/token", "tls-dn", {"grant_type": "client_credentials"}),
                    "introspect": lambda: self.authenticated("/introspect", "api", {"token": live["access_token"]}),
                    "revoke": lambda: self.authenticated("/revoke", "basic", {"token": live["access_token"]}),
                }
                for label, send in requests.items():
                    with self.subTest(server=name, request=label):
                        response = send()
                        self.assert_oauth_error(response, 503, "temporarily_unavailable")
                        self.assertIsNotNone(response.header("retry-after"), response.describe())
        finally:
            self.stack.start_database()
        for name, server in self.stack.servers.items():
            deadline = time.monotonic() + 30
            while self.stack.curl.request(server.main_url + "/healthz").status != 200:
                self.assertLess(time.monotonic(), deadline, f"{name}: the database never came back")
                time.sleep(0.5)
        self.stack.wait_for_database_reconnects()
        self.server_name = None
        # The assertion refused with 503 was never recorded: it works once, now.
        form = {"grant_type": "client_credentials", **self.assertion_form(assertion)}
        self.verify_token(self.assert_token_answer(self.post("/token", form)), "pkj")
        self.assert_invalid_client(self.post("/token", form))
        # The revocation refused with 503 did not happen.
        self.assertEqual(self.introspect(live["access_token"], "basic").get("active"), True)


class MaintenanceTests(TokenTestCase):
    """`credence maintenance` while the responders serve deletes only expired entries: a used
    jti and a revoked token stay refused."""

    def test_maintenance_keeps_live_entries(self):
        client_id = self.client("pkj")["client_id"]
        form = {"grant_type": "client_credentials",
                **self.assertion_form(self.assertion(client_id, self.fixture.keys["pkj-ec"]))}
        self.assert_token_answer(self.post("/token", form))
        revoked, _ = self.token("basic")
        self.revoke(revoked["access_token"], "basic")
        output = self.fixture.cli("maintenance")
        counts = dict(re.findall(r"(?m)^(\w+): deleted (\d+) expired row", output))
        self.assertEqual(set(counts), {"used_jtis", "revoked_tokens"}, output)
        self.stack.log(f"e2e: credence maintenance: {'; '.join(output.strip().splitlines())}")
        # Assertions of the first token tests expired long ago (exp 60 s, kept until exp + twice
        # the 5 s clock skew); in a run that far along, some rows must have gone.
        if time.time() - self.fixture.short_tokens_issued > 120:
            self.assertGreater(int(counts["used_jtis"]), 0, output)
        self.assert_invalid_client(self.post("/token", form))
        self.assertEqual(self.introspect(revoked["access_token"], "basic"), {"active": False})


# ---- the short-lived tokens, expired ------------------------------------


class ExpiredTokenTests(TokenTestCase):
    """The tokens of SHORT_LIFETIME s issued when the fixture was made, once expired
    (waits for the rest of the lifetime when the tests before took less)."""

    def test_expired_tokens_are_inactive(self):
        fixture = self.fixture
        wait = fixture.short_tokens_issued + SHORT_LIFETIME + RESPONDER_CLOCK_SKEW + 2 - time.time()
        if wait > 0:
            self.stack.log(f"e2e: waiting {wait:.0f} s for the short-lived tokens to expire")
            time.sleep(wait)
        for name in self.stack.servers:
            for source, token in fixture.short_tokens.items():
                with self.subTest(server=name, source=source):
                    self.server_name = name
                    self.assertEqual(self.introspect(token, "short"), {"active": False})
                    self.assertEqual(self.introspect(token, "api"), {"active": False})
                    self.revoke(token, "short")
        # Still signed by the published key, only expired: joserfc agrees.
        claims = jwt.decode(fixture.short_tokens["endpoint"], KeySet.import_key_set(self.published_keys()),
                            algorithms=SERVER_ALGORITHMS).claims
        with self.assertRaises(Exception):
            jwt.JWTClaimsRegistry(exp={"essential": True}).validate(claims)


class KeyRotationTests(TokenTestCase):
    """Last of all (it changes the signing key): `credence keys generate --alg PS256` and
    `keys rotate --force`; a responder started afterwards signs PS256 tokens with the new
    kid, joserfc verifies them with the JWKS, and an ES256 token of the retired key
    still introspects active."""

    server_name = "nginx"

    def test_ps256_tokens_after_a_rotation(self):
        before, _ = self.token("basic")
        old_kid = jwt.decode(before["access_token"], KeySet.import_key_set(self.published_keys()),
                             algorithms=SERVER_ALGORITHMS).header["kid"]
        self.fixture.cli("keys", "generate", "--alg", "PS256")
        self.fixture.cli("keys", "rotate", "--force")
        # The stack's responder picks the rotation up within keys.refresh_interval_seconds;
        # one started now loads it at once.
        socket_path = self.stack.start_extra_responder("responder-rotated")
        base, _ = sample_nginx(self, "nginx-rotated", [socket_path])
        jwks = self.stack.curl.request(base + "/jwks").json()
        extra, headers, _, _ = self.credentials("basic")
        response = self.stack.curl.request(base + "/token", method="POST", headers=[FORM, *headers],
                                           body=urllib.parse.urlencode({"grant_type": "client_credentials",
                                                                        **extra}).encode())
        document = self.assert_token_answer(response)
        decoded = jwt.decode(document["access_token"], KeySet.import_key_set(jwks), algorithms=["PS256"])
        self.assertEqual(decoded.header["alg"], "PS256")
        self.assertEqual(decoded.header.get("typ", "").lower(), "at+jwt")
        self.assertNotEqual(decoded.header["kid"], old_kid)
        published = {key["kid"]: key for key in jwks["keys"]}
        self.assertEqual(published[decoded.header["kid"]]["kty"], "RSA")
        self.assertIn(old_kid, published, "the retired key left the JWKS while its tokens live")
        jwt.JWTClaimsRegistry(iss={"essential": True, "value": self.issuer},
                              client_id={"essential": True, "value": self.client("basic")["client_id"]},
                              exp={"essential": True}).validate(decoded.claims)
        for token in (document["access_token"], before["access_token"]):
            introspected = self.stack.curl.request(base + "/introspect", method="POST", headers=[FORM, *headers],
                                                   body=urllib.parse.urlencode({"token": token, **extra}).encode())
            self.assertEqual(self.assert_json(introspected, 200).get("active"), True)


# run.py runs these after test_webservers' per-server cases and before its disruptive ones.
ORDERED_CASES = [NginxTokenTests, ApacheTokenTests, SharedReplayTableTests, CertificateNameTests,
                 ResourceServerExampleTests,
                 BankAPITests]
# run.py runs these last of all, after the disruptive cases, so that the short-lived tokens
# have expired by then without a wait.
LAST_CASES = [TokenDatabaseOutageTests, MaintenanceTests, ExpiredTokenTests, KeyRotationTests]
