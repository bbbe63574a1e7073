#!/usr/bin/env python3
"""End-to-end tests of the operator CLI: `credence clients …`, `tokens mint`, `maintenance`.

    python3 Tests/e2e/cli.py --credence .build/debug/credence [--database-url URL] [-k TEXT] [-v]

Runs the real binary against a real PostgreSQL with a temporary configuration:
without --database-url it starts a throwaway cluster (scripts/postgres-cluster.sh);
with one (or $CREDENCE_TEST_DATABASE_URL) it creates a database of its own on that
server and drops it afterwards. Reads the database back with psql, so that "never
printed" and "nothing written" are checked against what is really stored.

Standard library only; needs psql and openssl on the PATH. Exit status: 0 all
passed, 1 a test failed, 2 the set-up failed. Last line: `cli: N passed, N failed`.
"""

import argparse
import base64
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.parse

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# RFC 7515 Appendix A.3's P-256 key: the public half, and the same key with its private member.
PUBLIC_JWK = {
    "kty": "EC", "crv": "P-256", "kid": "tpp-key-1", "use": "sig",
    "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
    "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
}
PRIVATE_JWK = dict(PUBLIC_JWK, d="jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI")

EX_USAGE = 64
SUBJECT_DN = "CN=tpp.example,OU=0015800001041RACAR,O=Example TPP,C=GB"


class SetupError(Exception):
    pass


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Environment:
    """The database, configuration and binary every test uses."""

    def __init__(self, credence, database_url, verbose):
        self.credence = os.path.abspath(credence)
        self.given_url = database_url
        self.verbose = verbose
        self.dir = None
        self.cluster_dir = None
        self.admin_url = None
        self.database = None

    def start(self):
        if not os.access(self.credence, os.X_OK):
            raise SetupError(f"credence binary not found: {self.credence}")
        for tool in ("psql", "openssl"):
            if not shutil.which(tool):
                raise SetupError(f"{tool} is not on the PATH")
        self.dir = tempfile.mkdtemp(prefix="credence-cli-")
        os.chmod(self.dir, 0o755)
        if self.given_url:
            self.admin_url = self.given_url
        else:
            self.cluster_dir = os.path.join(self.dir, "pg")
            output = self.run_checked(
                ["bash", os.path.join(REPO, "scripts", "postgres-cluster.sh"), "start", self.cluster_dir],
                env=dict(os.environ, POSTGRES_CLUSTER_FAST="1"))
            match = re.search(r"\bport=(\d+)", output)
            if not match:
                raise SetupError(f"postgres-cluster.sh printed no port: {output!r}")
            self.admin_url = f"postgresql://credence@127.0.0.1:{match.group(1)}/credence"
        self.database = "credence_cli_" + secrets.token_hex(6)
        self.psql(f"CREATE DATABASE {self.database}", url=self.admin_url)
        self.url = with_database(self.admin_url, self.database)

        self.kek = os.path.join(self.dir, "kek.b64")
        with open(self.kek, "w", encoding="ascii") as out:
            out.write(base64.b64encode(os.urandom(32)).decode() + "\n")
        os.chmod(self.kek, 0o600)
        self.config = os.path.join(self.dir, "credence.yaml")
        with open(self.config, "w", encoding="utf-8") as out:
            out.write("\n".join([
                "# Written by Tests/e2e/cli.py; deleted with its folder.",
                'issuer: "https://as.bank.example"',
                "database:",
                f"  url: {json.dumps(self.url)}",
                "keys:",
                f"  encryption_key_file: {json.dumps(self.kek)}",
                "tokens:",
                "  access_token_lifetime_seconds: 300",
                '  audience: ["https://api.bank.example"]',
                "clock_skew_seconds: 60",
                "",
            ]))
        for command in (["migrate"], ["keys", "generate", "--alg", "ES256"]):
            result = self.credence_run(*command)
            if result.returncode != 0:
                raise SetupError(f"credence {' '.join(command)} failed: {result.stderr}")

    def stop(self):
        if self.database and self.admin_url:
            try:
                self.psql(f"DROP DATABASE IF EXISTS {self.database}", url=self.admin_url)
            except Exception as error:  # noqa: BLE001 - teardown goes on
                print(f"cli: dropping {self.database}: {error}", file=sys.stderr)
        if self.cluster_dir:
            subprocess.run(["bash", os.path.join(REPO, "scripts", "postgres-cluster.sh"), "stop", self.cluster_dir],
                           capture_output=True, check=False)
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def run_checked(self, command, env=None):
        result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        if result.returncode != 0:
            raise SetupError(f"{' '.join(command)} failed ({result.returncode}): {result.stderr.strip()}")
        return result.stdout

    def psql(self, sql, url=None):
        """Runs SQL; returns the rows as lists of text fields."""
        result = subprocess.run(
            ["psql", "-X", "-v", "ON_ERROR_STOP=1", "-At", "-F", "\t", "-d", url or self.url, "-c", sql],
            capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise AssertionError(f"psql failed: {result.stderr.strip()} ({sql})")
        return [line.split("\t") for line in result.stdout.splitlines() if line != ""]

    def credence_run(self, *arguments):
        env = {k: v for k, v in os.environ.items()
               if k not in ("CREDENCE_DATABASE_URL", "CREDENCE_KEY_ENCRYPTION_KEY", "CREDENCE_CONFIG")}
        command = [self.credence, *arguments[:2], "--config", self.config, *arguments[2:]] \
            if arguments and arguments[0] in ("clients", "tokens", "keys") else \
            [self.credence, *arguments[:1], "--config", self.config, *arguments[1:]]
        result = subprocess.run(command, capture_output=True, text=True, env=env, check=False, timeout=60)
        if self.verbose:
            print(f"$ {' '.join(command)} -> {result.returncode}\n{result.stdout}{result.stderr}", file=sys.stderr)
        return result


def with_database(url, name):
    """`url` (a libpq URI or key=value conninfo) pointing at database `name`."""
    if url.startswith(("postgres://", "postgresql://")):
        parts = urllib.parse.urlsplit(url)
        return urllib.parse.urlunsplit(parts._replace(path="/" + name))
    # In a key=value conninfo the last value of a key wins.
    return f"{url} dbname={name}"


class CLITestCase(unittest.TestCase):
    env = None  # set by main()

    def credence(self, *arguments):
        return self.env.credence_run(*arguments)

    def create(self, *arguments):
        result = self.credence("clients", "create", *arguments)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.count("\n"), 1, "create prints exactly one line")
        return json.loads(result.stdout)

    def stored(self, client_id):
        rows = self.env.psql(
            "SELECT client_secret_hash, token_endpoint_auth_method, tls_client_auth_subject_dn, "
            f"access_token_lifetime_seconds, metadata::text FROM clients WHERE client_id = '{client_id}'")
        return rows[0] if rows else None

    def client_count(self):
        return int(self.env.psql("SELECT count(*) FROM clients")[0][0])

    def jwks_file(self, jwk_or_set, name):
        path = os.path.join(self.env.dir, name)
        with open(path, "w", encoding="utf-8") as out:
            json.dump(jwk_or_set, out)
        return path


class ClientsTests(CLITestCase):
    def test_create_for_each_method(self):
        jwks = self.jwks_file({"keys": [PUBLIC_JWK]}, "jwks.json")
        single = self.jwks_file(PUBLIC_JWK, "jwk.json")
        cases = {
            "client_secret_basic": ["--scope", "accounts payments", "--name", "Basic client"],
            "client_secret_post": ["--scope", "accounts", "--scope", "payments", "--token-lifetime", "120"],
            "private_key_jwt": ["--jwks-file", jwks, "--scope", "accounts"],
            "self_signed_tls_client_auth": ["--jwks-file", single, "--bound-tokens"],
            "tls_client_auth": ["--subject-dn", "cn=tpp.example, OU=0015800001041RACAR,O=Example TPP,c=GB",
                                "--scope", "DynamicClientRegistration", "--bound-tokens"],
        }
        for method, arguments in cases.items():
            with self.subTest(method=method):
                registration = self.create("--auth-method", method, *arguments)
                client_id = registration["client_id"]
                # Generated ids: 16 random bytes, base64url.
                self.assertRegex(client_id, r"^[A-Za-z0-9_-]{22}$")
                self.assertEqual(len(b64url_decode(client_id)), 16)
                self.assertEqual(registration["token_endpoint_auth_method"], method)
                self.assertEqual(registration["grant_types"], ["client_credentials"])
                stored_hash, stored_method, stored_dn, lifetime, metadata = self.stored(client_id)
                self.assertEqual(stored_method, method)
                self.assertEqual(json.loads(metadata)["token_endpoint_auth_method"], method)
                if method.startswith("client_secret_"):
                    secret = registration["client_secret"]
                    self.assertRegex(secret, r"^[A-Za-z0-9_-]{43}$")
                    self.assertEqual(registration["client_secret_expires_at"], 0)
                    self.assertTrue(stored_hash.startswith("hmac-sha256:"))
                    self.assertNotIn(secret, stored_hash)
                    self.assertNotIn(secret, metadata)
                else:
                    self.assertNotIn("client_secret", registration)
                    self.assertEqual(stored_hash, "")
        basic = self.find_by_name("Basic client")
        self.assertEqual(json.loads(basic[5])["scope"], "accounts payments")
        rows = self.env.psql(
            "SELECT tls_client_auth_subject_dn, metadata->>'tls_client_certificate_bound_access_tokens' "
            "FROM clients WHERE token_endpoint_auth_method = 'tls_client_auth'")
        # Stored in RFC 4514 form, as parsed.
        self.assertIn([SUBJECT_DN, "true"], rows)
        rows = self.env.psql("SELECT access_token_lifetime_seconds FROM clients "
                             "WHERE token_endpoint_auth_method = 'client_secret_post'")
        self.assertIn(["120"], rows)
        rows = self.env.psql("SELECT metadata->'jwks' FROM clients WHERE token_endpoint_auth_method = "
                             "'self_signed_tls_client_auth'")
        self.assertIn({"keys": [PUBLIC_JWK]}, [json.loads(row[0]) for row in rows])

    def find_by_name(self, name):
        rows = self.env.psql("SELECT client_id FROM clients WHERE metadata->>'client_name' = "
                             f"'{name}'")
        self.assertEqual(len(rows), 1)
        return [rows[0][0], *self.stored(rows[0][0])]

    def test_create_with_chosen_id_san_and_jwks_uri(self):
        registration = self.create("--auth-method", "tls_client_auth", "--client-id", "registrar-1",
                                   "--san-ip", "::FFFF:10.0.0.1")
        self.assertEqual(registration["client_id"], "registrar-1")
        # Stored in the canonical form the certificate's SAN is compared in.
        self.assertEqual(registration["tls_client_auth_san_ip"], "::ffff:10.0.0.1")
        registration = self.create("--auth-method", "private_key_jwt", "--jwks-uri", "https://tpp.example/jwks")
        self.assertEqual(registration["jwks_uri"], "https://tpp.example/jwks")
        for option, value in (("--san-dns", "tpp.example.com"), ("--san-uri", "spiffe://bank.example/tpp"),
                              ("--san-email", "ops@tpp.example")):
            registration = self.create("--auth-method", "tls_client_auth", option, value)
            self.assertEqual(registration["tls_client_auth_san_" + option[6:]], value)

    def test_duplicate_id_is_refused_and_keeps_the_first(self):
        self.create("--auth-method", "client_secret_basic", "--client-id", "dup-1", "--scope", "first")
        before = self.stored("dup-1")
        result = self.credence("clients", "create", "--auth-method", "client_secret_post", "--client-id", "dup-1")
        self.assertEqual(result.returncode, 1)
        self.assertIn("dup-1", result.stderr)
        self.assertEqual(result.stdout, "")
        self.assertEqual(self.stored("dup-1"), before)

    def test_list_and_show_never_print_a_secret_or_hash(self):
        registration = self.create("--auth-method", "client_secret_basic", "--name", "Secretive",
                                   "--scope", "accounts")
        client_id, secret = registration["client_id"], registration["client_secret"]
        stored_hash = self.stored(client_id)[0]
        tag = stored_hash.split(":", 1)[1]
        outputs = [self.credence("clients", "list"), self.credence("clients", "list", "--json"),
                   self.credence("clients", "show", client_id)]
        for result in outputs:
            self.assertEqual(result.returncode, 0, result.stderr)
            for text in (result.stdout, result.stderr):
                self.assertNotIn(secret, text)
                self.assertNotIn(tag, text)
                self.assertNotIn("hmac-sha256", text)
                self.assertNotIn("client_secret\"", text)
        self.assertIn(client_id, outputs[0].stdout)
        self.assertIn("Secretive", outputs[0].stdout)
        listed = json.loads(outputs[1].stdout)
        self.assertIn(client_id, [entry["client_id"] for entry in listed])
        shown = json.loads(outputs[2].stdout)
        self.assertEqual(shown["client_id"], client_id)
        self.assertEqual(shown["client_name"], "Secretive")
        self.assertEqual(shown["scope"], "accounts")
        self.assertNotIn("client_secret", shown)

    def test_list_shows_control_characters_escaped(self):
        registration = self.create("--auth-method", "client_secret_post", "--name", "evil\x1b[2Jname\u202e")
        listing = self.credence("clients", "list").stdout
        line = next(line for line in listing.splitlines() if registration["client_id"] in line)
        self.assertNotIn("\x1b", line)
        self.assertNotIn("\u202e", line)
        self.assertIn("\\u{1b}", line)

    def test_rotate_secret_changes_the_hash_and_prints_the_secret_once(self):
        registration = self.create("--auth-method", "client_secret_post")
        client_id = registration["client_id"]
        old_hash = self.stored(client_id)[0]
        result = self.credence("clients", "rotate-secret", client_id)
        self.assertEqual(result.returncode, 0, result.stderr)
        rotated = json.loads(result.stdout)
        self.assertEqual(rotated["client_id"], client_id)
        self.assertRegex(rotated["client_secret"], r"^[A-Za-z0-9_-]{43}$")
        self.assertNotEqual(rotated["client_secret"], registration["client_secret"])
        new_hash = self.stored(client_id)[0]
        self.assertNotEqual(new_hash, old_hash)
        self.assertTrue(new_hash.startswith("hmac-sha256:"))
        self.assertNotIn(rotated["client_secret"], new_hash)
        show = self.credence("clients", "show", client_id)
        self.assertNotIn(rotated["client_secret"], show.stdout)

    def test_rotate_secret_refuses_unknown_and_secretless_clients(self):
        jwks = self.jwks_file({"keys": [PUBLIC_JWK]}, "jwks-rotate.json")
        client_id = self.create("--auth-method", "private_key_jwt", "--jwks-file", jwks)["client_id"]
        for target in (client_id, "no-such-client"):
            with self.subTest(target=target):
                result = self.credence("clients", "rotate-secret", target)
                self.assertEqual(result.returncode, 1)
                self.assertEqual(result.stdout, "")
                self.assertTrue(result.stderr.startswith("credence: "))
        self.assertEqual(self.stored(client_id)[0], "")

    def test_delete(self):
        client_id = self.create("--auth-method", "client_secret_basic")["client_id"]
        result = self.credence("clients", "delete", client_id)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIsNone(self.stored(client_id))
        self.assertEqual(self.credence("clients", "show", client_id).returncode, 1)
        self.assertEqual(self.credence("clients", "delete", client_id).returncode, 1)

    def test_bad_input_exits_64_with_a_message_and_writes_nothing(self):
        private = self.jwks_file({"keys": [PRIVATE_JWK]}, "private.json")
        public = self.jwks_file({"keys": [PUBLIC_JWK]}, "public.json")
        garbage = self.jwks_file({"keys": [{"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"}]}, "bad.json")
        cases = [
            (["--auth-method", "client_secret_jwt"], "--auth-method"),
            (["--auth-method", "none"], "--auth-method"),
            (["--auth-method", "client_secret_basic", "--jwks-file", public], "--jwks-file"),
            (["--auth-method", "client_secret_post", "--subject-dn", SUBJECT_DN], "--subject-dn"),
            (["--auth-method", "tls_client_auth"], "--subject-dn"),
            (["--auth-method", "tls_client_auth", "--subject-dn", "CN=a,,O=b"], "--subject-dn"),
            (["--auth-method", "tls_client_auth", "--subject-dn", "not a dn"], "--subject-dn"),
            (["--auth-method", "tls_client_auth", "--subject-dn", SUBJECT_DN, "--san-dns", "a.example"], "--san"),
            (["--auth-method", "tls_client_auth", "--san-dns", "a.example", "--san-ip", "10.0.0.1"], "--san"),
            (["--auth-method", "tls_client_auth", "--san-ip", "300.1.2.3"], "--san-ip"),
            (["--auth-method", "tls_client_auth", "--san-dns", "bad name.example"], "--san-dns"),
            (["--auth-method", "tls_client_auth", "--subject-dn", SUBJECT_DN, "--jwks-file", public], "--jwks"),
            (["--auth-method", "private_key_jwt"], "--jwks-file"),
            (["--auth-method", "private_key_jwt", "--jwks-file", private], "--jwks-file"),
            (["--auth-method", "private_key_jwt", "--jwks-file", garbage], "--jwks-file"),
            (["--auth-method", "private_key_jwt", "--jwks-file", os.path.join(self.env.dir, "missing")],
             "--jwks-file"),
            (["--auth-method", "private_key_jwt", "--jwks-file", public, "--jwks-uri", "https://a.example/j"],
             "--jwks-uri"),
            (["--auth-method", "private_key_jwt", "--jwks-uri", "http://tpp.example/jwks"], "--jwks-uri"),
            (["--auth-method", "private_key_jwt", "--jwks-uri", "https://user:pw@tpp.example/jwks"], "--jwks-uri"),
            (["--auth-method", "client_secret_basic", "--scope", 'a"b'], "scope"),
            (["--auth-method", "client_secret_basic", "--scope", "a\\b"], "scope"),
            (["--auth-method", "client_secret_basic", "--scope", "caf\u00e9"], "scope"),
            (["--auth-method", "client_secret_basic", "--scope", "tab\there"], "scope"),
            (["--auth-method", "client_secret_basic", "--grant-type", "authorization_code"], "--grant-type"),
            (["--auth-method", "client_secret_basic", "--client-id", "has space"], "--client-id"),
            (["--auth-method", "client_secret_basic", "--client-id", "x" * 257], "--client-id"),
            (["--auth-method", "client_secret_basic", "--token-lifetime", "29"], "--token-lifetime"),
            (["--auth-method", "client_secret_basic", "--token-lifetime", "86401"], "--token-lifetime"),
            (["--auth-method", "client_secret_basic", "--name", ""], "--name"),
        ]
        before = self.env.psql("SELECT client_id, client_secret_hash, metadata::text FROM clients ORDER BY 1")
        for arguments, named in cases:
            with self.subTest(arguments=arguments):
                result = self.credence("clients", "create", *arguments)
                self.assertEqual(result.returncode, EX_USAGE, result.stderr)
                self.assertEqual(result.stdout, "")
                self.assertTrue(result.stderr.startswith("credence: "), result.stderr)
                self.assertIn(named, result.stderr)
        self.assertEqual(self.env.psql("SELECT client_id, client_secret_hash, metadata::text FROM clients ORDER BY 1"),
                         before)

    def test_help_documents_every_option_with_its_default(self):
        result = self.credence("clients", "create", "--help")
        self.assertEqual(result.returncode, 0)
        for option in ("--auth-method", "--client-id", "--name", "--scope", "--grant-type", "--jwks-file",
                       "--jwks-uri", "--subject-dn", "--san-dns", "--san-uri", "--san-ip", "--san-email",
                       "--bound-tokens", "--token-lifetime"):
            self.assertIn(option, result.stdout)
        for command in (["clients", "list"], ["clients", "show"], ["clients", "delete"],
                        ["clients", "rotate-secret"], ["tokens", "mint"], ["maintenance"]):
            with self.subTest(command=command):
                result = subprocess.run([self.env.credence, *command, "--help"], capture_output=True, text=True,
                                        check=False)
                self.assertEqual(result.returncode, 0)
                self.assertIn("--config", result.stdout)


class MintTests(CLITestCase):
    def active_public_jwk(self):
        rows = self.env.psql("SELECT public_jwk::text FROM signing_keys WHERE state = 'active'")
        self.assertEqual(len(rows), 1)
        return json.loads(rows[0][0])

    def verify_es256(self, token, jwk):
        """Checks the JWS signature with openssl, independently of Credence's own code."""
        header, payload, signature = token.split(".")
        raw = b64url_decode(signature)
        self.assertEqual(len(raw), 64)

        def der_integer(value):
            value = value.lstrip(b"\x00") or b"\x00"
            if value[0] & 0x80:
                value = b"\x00" + value
            return b"\x02" + bytes([len(value)]) + value
        body = der_integer(raw[:32]) + der_integer(raw[32:])
        der_signature = b"\x30" + bytes([len(body)]) + body
        spki = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d030107034200") + b"\x04" + \
            b64url_decode(jwk["x"]) + b64url_decode(jwk["y"])
        pem = "-----BEGIN PUBLIC KEY-----\n" + base64.encodebytes(spki).decode() + "-----END PUBLIC KEY-----\n"
        paths = {name: os.path.join(self.env.dir, f"verify-{name}") for name in ("key", "sig", "data")}
        with open(paths["key"], "w", encoding="ascii") as out:
            out.write(pem)
        with open(paths["sig"], "wb") as out:
            out.write(der_signature)
        with open(paths["data"], "wb") as out:
            out.write(f"{header}.{payload}".encode())
        result = subprocess.run(["openssl", "dgst", "-sha256", "-verify", paths["key"], "-signature", paths["sig"],
                                 paths["data"]], capture_output=True, text=True, check=False)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_mint_issues_a_token_the_server_would(self):
        client_id = self.create("--auth-method", "client_secret_basic", "--scope", "accounts payments")["client_id"]
        result = self.credence("tokens", "mint", "--client", client_id, "--scope", "accounts", "--expires-in", "120")
        self.assertEqual(result.returncode, 0, result.stderr)
        answer = json.loads(result.stdout)
        self.assertEqual(answer["token_type"], "Bearer")
        self.assertEqual(answer["expires_in"], 120)
        self.assertEqual(answer["scope"], "accounts")
        token = answer["access_token"]
        header = json.loads(b64url_decode(token.split(".")[0]))
        claims = json.loads(b64url_decode(token.split(".")[1]))
        jwk = self.active_public_jwk()
        self.assertEqual(header["typ"], "at+jwt")
        self.assertEqual(header["alg"], "ES256")
        self.assertEqual(header["kid"], jwk["kid"])
        self.assertEqual(claims["iss"], "https://as.bank.example")
        self.assertIn(claims["aud"], ("https://api.bank.example", ["https://api.bank.example"]))
        self.assertEqual(claims["sub"], client_id)
        self.assertEqual(claims["client_id"], client_id)
        self.assertEqual(claims["scope"], "accounts")
        self.assertEqual(claims["exp"] - claims["iat"], 120)
        self.assertNotIn("cnf", claims)
        self.assertTrue(claims["jti"])
        self.verify_es256(token, jwk)
        # Two scopes, the client's own lifetime by default.
        result = self.credence("tokens", "mint", "--client", client_id, "--scope", "payments accounts")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(json.loads(result.stdout)["expires_in"], 300)

    def test_mint_uses_the_clients_lifetime(self):
        client_id = self.create("--auth-method", "client_secret_post", "--scope", "a",
                                "--token-lifetime", "90")["client_id"]
        result = self.credence("tokens", "mint", "--client", client_id, "--scope", "a")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(json.loads(result.stdout)["expires_in"], 90)

    def test_mint_refusals(self):
        secret_client = self.create("--auth-method", "client_secret_basic", "--scope", "accounts")["client_id"]
        bound_client = self.create("--auth-method", "tls_client_auth", "--subject-dn", SUBJECT_DN,
                                   "--scope", "DynamicClientRegistration", "--bound-tokens")["client_id"]
        cases = [
            (["--client", secret_client, "--scope", "payments"], EX_USAGE),
            (["--client", secret_client, "--scope", "accounts payments"], EX_USAGE),
            (["--client", secret_client, "--scope", 'bad"scope'], EX_USAGE),
            (["--client", secret_client], EX_USAGE),
            (["--client", secret_client, "--scope", "accounts", "--expires-in", "29"], EX_USAGE),
            (["--client", bound_client, "--scope", "DynamicClientRegistration"], EX_USAGE),
            (["--client", "no-such-client", "--scope", "accounts"], 1),
        ]
        for arguments, status in cases:
            with self.subTest(arguments=arguments):
                result = self.credence("tokens", "mint", *arguments)
                self.assertEqual(result.returncode, status, result.stderr)
                self.assertEqual(result.stdout, "")
                self.assertNotEqual(result.stderr.strip(), "")
        # --unbound mints for the bound client, without a cnf claim.
        result = self.credence("tokens", "mint", "--client", bound_client, "--scope", "DynamicClientRegistration",
                               "--unbound")
        self.assertEqual(result.returncode, 0, result.stderr)
        claims = json.loads(b64url_decode(json.loads(result.stdout)["access_token"].split(".")[1]))
        self.assertEqual(claims["scope"], "DynamicClientRegistration")
        self.assertNotIn("cnf", claims)


class MaintenanceTests(CLITestCase):
    def test_maintenance_purges_expired_rows_in_batches_and_keeps_live_ones(self):
        self.env.psql("DELETE FROM used_jtis; DELETE FROM revoked_tokens;")
        self.env.psql(
            "INSERT INTO used_jtis (issuer, jti, expires_at) "
            "SELECT 'c', 'old-' || g, now() - interval '1 hour' FROM generate_series(1, 2500) g;"
            "INSERT INTO used_jtis (issuer, jti, expires_at) VALUES "
            "('c', 'live', now() + interval '1 hour'), ('c', 'within-skew', now() - interval '10 seconds');"
            "INSERT INTO revoked_tokens (jti, client_id, expires_at, revoked_at) "
            "SELECT 'old-' || g, 'c', now() - interval '1 hour', now() - interval '2 hours' "
            "FROM generate_series(1, 7) g;"
            "INSERT INTO revoked_tokens (jti, client_id, expires_at, revoked_at) VALUES "
            "('live', 'c', now() + interval '1 hour', now()), ('within-skew', 'c', now() - interval '10 seconds', now());")
        result = self.credence("maintenance", "--batch-size", "1000")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("used_jtis: deleted 2500 expired row(s) in 3 batch(es)", result.stdout)
        self.assertIn("revoked_tokens: deleted 7 expired row(s) in 1 batch(es)", result.stdout)
        # Entries within clock_skew_seconds (60) of their expiry stay: tokens are accepted that long.
        self.assertEqual(sorted(self.env.psql("SELECT jti FROM used_jtis")), [["live"], ["within-skew"]])
        self.assertEqual(sorted(self.env.psql("SELECT jti FROM revoked_tokens")), [["live"], ["within-skew"]])
        again = self.credence("maintenance")
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertIn("used_jtis: deleted 0 expired row(s) in 1 batch(es)", again.stdout)

    def test_batch_size_is_bounded(self):
        for value in ("0", "100001", "many"):
            with self.subTest(value=value):
                self.assertEqual(self.credence("maintenance", "--batch-size", value).returncode, EX_USAGE)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--credence", default=os.environ.get("CREDENCE_BIN") or os.path.join(REPO, ".build", "debug",
                                                                                             "credence"))
    parser.add_argument("--database-url", default=os.environ.get("CREDENCE_TEST_DATABASE_URL"))
    parser.add_argument("-k", dest="patterns", action="append", default=[])
    parser.add_argument("-v", "--verbose", action="store_true")
    arguments = parser.parse_args(argv)
    env = Environment(arguments.credence, arguments.database_url, arguments.verbose)
    try:
        try:
            env.start()
        except SetupError as error:
            print(f"cli: setup failed: {error}", file=sys.stderr)
            print("cli: 0 passed, 1 failed (setup)")
            return 2
        CLITestCase.env = env
        suite = unittest.TestSuite()
        for case in (ClientsTests, MintTests, MaintenanceTests):
            for test in unittest.TestLoader().loadTestsFromTestCase(case):
                if not arguments.patterns or any(p in test.id() for p in arguments.patterns):
                    suite.addTest(test)
        result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
        failed = len(result.failures) + len(result.errors)
        print(f"cli: {result.testsRun - failed} passed, {failed} failed")
        return 1 if failed or result.testsRun == 0 else 0
    finally:
        env.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
