#!/usr/bin/env python3
"""End-to-end tests of the operator CLI: `credence clients …`, `tokens mint`, `maintenance`, `ssa …`.

    python3 Tests/e2e/cli.py --credence .build/debug/credence [--database-url URL] [-k TEXT] [-v]

Runs the real binary against a real PostgreSQL with a temporary configuration:
without --database-url it starts a throwaway cluster (scripts/postgres-cluster.sh);
with one (or $CREDENCE_TEST_DATABASE_URL) it creates a database of its own on that
server and drops it afterwards. Reads the database back with psql, so that "never
printed" and "nothing written" are checked against what is really stored.

Standard library only, but for the `ssa` tests, which verify with joserfc (an independent JOSE
implementation; scripts/install-deps.sh installs it); needs psql and openssl on the PATH. Exit status: 0 all
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
import time
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


class SSATests(CLITestCase):
    """`credence ssa sign` (keys made by openssl, output verified by joserfc) and `ssa check`."""

    ISSUER = "Example Directory"
    EX_CONFIG = 78

    @classmethod
    def setUpClass(cls):
        try:
            from joserfc import jwk  # noqa: F401
        except ImportError:
            raise unittest.SkipTest("joserfc is not installed (scripts/install-deps.sh installs it)")
        cls.work = os.path.join(cls.env.dir, "ssa")
        os.makedirs(cls.work, exist_ok=True)
        cls.keys = {}
        commands = {
            "ec": ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
            "rsa": ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
            "other-ec": ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
            "tpp": ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
            "sec1": ["ecparam", "-name", "prime256v1", "-genkey"],
            "pkcs1": ["genrsa", "-traditional"],
        }
        for name, command in commands.items():
            path = os.path.join(cls.work, name + ".pem")
            subprocess.run(["openssl", *command, "-out", path] + (["2048"] if name == "pkcs1" else []),
                           capture_output=True, check=True)
            cls.keys[name] = path
        cls.keys["encrypted"] = os.path.join(cls.work, "encrypted.pem")
        subprocess.run(["openssl", "pkey", "-in", cls.keys["ec"], "-aes256", "-passout", "pass:secret",
                        "-out", cls.keys["encrypted"]], capture_output=True, check=True)
        cls.keys["legacy-encrypted"] = os.path.join(cls.work, "legacy-encrypted.pem")
        subprocess.run(["openssl", "ec", "-in", cls.keys["sec1"], "-aes256", "-passout", "pass:secret",
                        "-out", cls.keys["legacy-encrypted"]], capture_output=True, check=True)
        # The directory's keys: the EC key as dir-es, the RSA key as dir-ps.
        cls.jwks = os.path.join(cls.work, "directory.jwks")
        with open(cls.jwks, "w", encoding="utf-8") as out:
            json.dump({"keys": [cls.public_jwk("ec", "dir-es"), cls.public_jwk("rsa", "dir-ps")]}, out)
        with open(cls.env.config, encoding="utf-8") as base:
            text = base.read()
        cls.config = os.path.join(cls.work, "credence.yaml")
        with open(cls.config, "w", encoding="utf-8") as out:
            out.write(text + "\n".join([
                "registration:",
                "  trusted_issuers:",
                f"    - issuer: {json.dumps(cls.ISSUER)}",
                f"      jwks_file: {json.dumps(cls.jwks)}",
                "      required_claims: [software_id, iss, iat, jti, org_id]",
                "      max_age_seconds: 3600",
                "      policy:",
                "        initial_access_token: none",
                "        scopes_by_role: {AISP: [accounts]}",
                "",
            ]))

    @classmethod
    def public_jwk(cls, name, kid):
        key = cls.import_key(name)
        return dict(key.as_dict(private=False), kid=kid)

    @classmethod
    def import_key(cls, name):
        """The joserfc key of the PEM file `name` (openssl made it)."""
        from joserfc import jwk
        with open(cls.keys[name], encoding="ascii") as source:
            return jwk.import_key(source.read(), "EC" if name in ("ec", "other-ec", "sec1") else "RSA")

    def ssa(self, *arguments, stdin=None):
        env = {k: v for k, v in os.environ.items() if k != "CREDENCE_CONFIG"}
        result = subprocess.run([self.env.credence, "ssa", *arguments], capture_output=True, text=True, env=env,
                                input=stdin, check=False, timeout=60)
        if self.env.verbose:
            print(f"$ credence ssa {' '.join(arguments)} -> {result.returncode}\n{result.stdout}{result.stderr}",
                  file=sys.stderr)
        return result

    def sign(self, key, *arguments):
        result = self.ssa("sign", "--key", self.keys[key], *arguments)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.count("\n"), 1, "sign prints exactly one line")
        return result.stdout.strip()

    def write(self, name, text):
        path = os.path.join(self.work, name)
        with open(path, "w", encoding="utf-8") as out:
            out.write(text)
        return path

    def verify(self, token, key, algorithm):
        """The JWS verified by joserfc with the public half of `key`: (header, claims)."""
        from joserfc import jws, jwk
        public = jwk.import_key(self.import_key(key).as_dict(private=False))
        registry = jws.JWSRegistry(algorithms=[algorithm])
        registry.max_header_length = 8192  # an x5c header is larger than joserfc's default 512 bytes
        verified = jws.deserialize_compact(token, public, registry=registry)
        return verified.protected, json.loads(verified.payload)

    def statement(self, key="ec", kid="dir-es", *claims):
        return self.sign(key, "--kid", kid, "--claim", f"iss={self.ISSUER}", "--claim", "software_id=app-1",
                         "--claim", "org_id=org-1", *claims)

    def check(self, token, *arguments):
        return self.ssa("check", "--config", self.config, self.write("check.jwt", token + "\n"), *arguments)

    def test_sign_es256_and_ps256_keys_in_each_pem_form(self):
        claims = self.write("claims.json", json.dumps({"iss": "from-file", "software_id": "file-app", "n": 1}))
        for key, algorithm in (("ec", "ES256"), ("sec1", "ES256"), ("rsa", "PS256"), ("pkcs1", "PS256")):
            with self.subTest(key=key, algorithm=algorithm):
                before = int(time.time())
                token = self.sign(key, "--alg", algorithm, "--claims", claims, "--claim", "iss=Example Directory",
                                  "--claim", 'software_roles=["AISP","PISP"]', "--claim", "org_id=0015800001041RACAR",
                                  "--claim", "count=42", "--expires-in", "300")
                header, payload = self.verify(token, key, algorithm)
                thumbprint = self.import_key(key).thumbprint()
                self.assertEqual(header, {"alg": algorithm, "kid": thumbprint, "typ": "JWT"})
                self.assertEqual(payload["iss"], "Example Directory")  # --claim wins over --claims
                self.assertEqual(payload["software_id"], "file-app")
                self.assertEqual(payload["software_roles"], ["AISP", "PISP"])
                self.assertEqual(payload["org_id"], "0015800001041RACAR")
                self.assertEqual(payload["count"], 42)
                self.assertGreaterEqual(payload["iat"], before)
                self.assertLessEqual(payload["iat"], int(time.time()))
                self.assertEqual(payload["exp"], payload["iat"] + 300)
                self.assertGreaterEqual(len(b64url_decode(payload["jti"])), 16)
        # The algorithm follows the key by default; exp defaults to 600 s; each jti is fresh.
        first = self.verify(self.sign("rsa", "--kid", "k"), "rsa", "PS256")
        second = self.verify(self.sign("rsa", "--kid", "k"), "rsa", "PS256")
        self.assertEqual(first[0]["alg"], "PS256")
        self.assertEqual(first[0]["kid"], "k")
        self.assertEqual(first[1]["exp"] - first[1]["iat"], 600)
        self.assertNotEqual(first[1]["jti"], second[1]["jti"])
        # Given iat, exp and jti are kept.
        _, payload = self.verify(self.sign("ec", "--claim", "iat=1000", "--claim", "exp=2000", "--claim", "jti=j1"),
                                 "ec", "ES256")
        self.assertEqual((payload["iat"], payload["exp"], payload["jti"]), (1000, 2000, "j1"))

    def test_sign_with_x5c_chain(self):
        certificate = os.path.join(self.work, "ec-cert.pem")
        subprocess.run(["openssl", "req", "-x509", "-new", "-key", self.keys["ec"], "-subj", "/CN=SSA Signer",
                        "-days", "1", "-out", certificate], capture_output=True, check=True)
        der = subprocess.run(["openssl", "x509", "-in", certificate, "-outform", "DER"], capture_output=True,
                             check=True).stdout
        header, _ = self.verify(self.sign("ec", "--alg", "ES256", "--x5c", certificate), "ec", "ES256")
        self.assertEqual(header["x5c"], [base64.b64encode(der).decode()])
        # A chain whose first certificate is not the key's is refused.
        result = self.ssa("sign", "--key", self.keys["other-ec"], "--x5c", certificate)
        self.assertEqual(result.returncode, EX_USAGE)
        self.assertEqual(result.stdout, "")
        self.assertIn(certificate, result.stderr)

    def test_sign_signed_registration_request(self):
        statement = self.statement()
        path = self.write("statement.jwt", statement + "\n")
        token = self.sign("tpp", "--request", "--statement", path, "--kid", "tpp-1",
                          "--claim", "aud=https://as.bank.example")
        header, payload = self.verify(token, "tpp", "PS256")
        self.assertEqual(header["kid"], "tpp-1")
        self.assertNotIn("x5c", header)
        self.assertEqual(payload["software_statement"], statement)
        self.assertEqual(payload["iss"], "app-1")  # the statement's software_id
        self.assertEqual(payload["aud"], "https://as.bank.example")
        self.assertTrue(payload["jti"])

    def test_sign_refusals_name_the_file_and_print_nothing(self):
        garbage = self.write("garbage.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
        missing = os.path.join(self.work, "missing.pem")
        cases = [
            (["--key", self.keys["rsa"], "--alg", "ES256"], self.keys["rsa"]),
            (["--key", self.keys["ec"], "--alg", "PS256"], self.keys["ec"]),
            (["--key", self.keys["ec"], "--alg", "HS256"], "--alg"),
            (["--key", missing], missing),
            (["--key", self.keys["encrypted"]], self.keys["encrypted"]),
            (["--key", self.keys["legacy-encrypted"]], self.keys["legacy-encrypted"]),
            (["--key", garbage], garbage),
            (["--key", self.keys["ec"], "--claims", missing], missing),
            (["--key", self.keys["ec"], "--claim", "novalue"], "--claim"),
            (["--key", self.keys["ec"], "--request"], "--statement"),
            (["--key", self.keys["ec"], "--expires-in", "0"], "--expires-in"),
        ]
        for arguments, named in cases:
            with self.subTest(arguments=arguments):
                result = self.ssa("sign", *arguments)
                self.assertEqual(result.returncode, EX_USAGE, result.stderr)
                self.assertEqual(result.stdout, "")
                self.assertIn(named, result.stderr)
        # The encrypted key's message says so, and no key material is ever printed.
        result = self.ssa("sign", "--key", self.keys["encrypted"])
        self.assertIn("encrypted", result.stderr)
        for key in ("ec", "rsa"):
            with open(self.keys[key], encoding="ascii") as source:
                body = "".join(source.read().splitlines()[1:-1])
            result = self.ssa("sign", "--key", self.keys[key], "--alg", "EdDSA")
            self.assertEqual(result.returncode, EX_USAGE)
            self.assertNotIn(body[:40], result.stderr)

    def assert_refused(self, result, rule, error):
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertIn(f"result:       REFUSED by {rule}: {error}", result.stdout)
        self.assertRegex(result.stdout, rf"\n  REFUSED +{rule} ")
        self.assertNotIn("ACCEPTED", result.stdout)

    def test_check_accepts_a_statement_of_a_trusted_issuer(self):
        for key, kid in (("ec", "dir-es"), ("rsa", "dir-ps")):
            with self.subTest(key=key):
                result = self.check(self.statement(key, kid))
                self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
                self.assertIn("issuer:       Example Directory (trusted issuer)", result.stdout)
                self.assertIn("software_id:  app-1", result.stdout)
                self.assertIn("org_id:       org-1", result.stdout)
                self.assertIn("policy:       of the trusted issuer Example Directory", result.stdout)
                self.assertIn("initial_access_token:            none", result.stdout)
                self.assertIn("result:       ACCEPTED", result.stdout)
                for rule in ("trusted_issuer", "statement_algorithm", "statement_key", "statement_signature",
                             "required_claims", "statement_exp", "statement_max_age", "software_id", "org_id"):
                    self.assertRegex(result.stdout, rf"\n  ok +{rule} ")
        # From standard input too.
        result = self.ssa("check", "--config", self.config, "-", stdin=self.statement())
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_check_refusals_name_the_rule(self):
        now = int(time.time())
        cases = {
            "trusted_issuer": (self.sign("ec", "--kid", "dir-es", "--claim", "iss=Unknown Directory",
                                         "--claim", "software_id=app-1", "--claim", "org_id=org-1"),
                               "unapproved_software_statement"),
            "statement_exp": (self.statement("ec", "dir-es", "--claim", f"iat={now - 600}",
                                             "--claim", f"exp={now - 300}"), "invalid_software_statement"),
            "statement_signature": (self.statement("other-ec", "dir-es"), "invalid_software_statement"),
            "statement_key": (self.statement("ec", "no-such-kid"), "invalid_software_statement"),
            "statement_algorithm": (self.statement("rsa", "dir-ps", "--alg", "RS256"), "invalid_software_statement"),
            "statement_max_age": (self.statement("ec", "dir-es", "--claim", f"iat={now - 7200}"),
                                  "invalid_software_statement"),
            "required_claims": (self.sign("ec", "--kid", "dir-es", "--claim", f"iss={self.ISSUER}",
                                          "--claim", "software_id=app-1"), "invalid_software_statement"),
            "statement_format": ("not.a.jws", "invalid_software_statement"),
        }
        for rule, (token, error) in cases.items():
            with self.subTest(rule=rule):
                result = self.check(token)
                self.assert_refused(result, rule, error)
        # The rules before the refusing one passed, those after it were not reached.
        result = self.check(cases["statement_signature"][0])
        self.assertRegex(result.stdout, r"\n  ok +statement_key ")
        self.assertRegex(result.stdout, r"\n  not reached +statement_exp ")

    def test_check_signed_request_then_its_metadata(self):
        tpp = self.public_jwk("tpp", "tpp-1")
        statement = self.statement("ec", "dir-es", "--claim", "software_jwks=" + json.dumps({"keys": [tpp]}),
                                   "--claim", 'software_roles=["AISP"]')
        path = self.write("tpp-statement.jwt", statement)

        def request(*claims):
            return self.sign("tpp", "--request", "--statement", path, "--kid", "tpp-1",
                             "--claim", "token_endpoint_auth_method=private_key_jwt",
                             "--claim", "token_endpoint_auth_signing_alg=PS256", *claims)
        result = self.check(request("--claim", "aud=https://as.bank.example", "--claim", "scope=accounts"))
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("checking:     signed registration request", result.stdout)
        for rule in ("statement_signature", "software_keys", "request_key", "request_signature", "request_iss",
                     "request_aud", "scope", "client_metadata"):
            self.assertRegex(result.stdout, rf"\n  ok +{rule} ")
        self.assertIn("result:       ACCEPTED", result.stdout)
        self.assert_refused(self.check(request("--claim", "aud=https://other.example", "--claim", "scope=accounts")),
                            "request_aud", "invalid_client_metadata")
        self.assert_refused(self.check(request("--claim", "aud=https://as.bank.example", "--claim", "scope=payments")),
                            "scope", "invalid_client_metadata")
        # Forced with --request, a plain statement is refused as a request without one.
        self.assert_refused(self.check(statement, "--request"), "software_statement", "invalid_software_statement")

    def test_check_usage_and_configuration_failures(self):
        missing = os.path.join(self.work, "missing.jwt")
        result = self.ssa("check", "--config", self.config, missing)
        self.assertEqual(result.returncode, EX_USAGE)
        self.assertEqual(result.stdout, "")
        self.assertIn(missing, result.stderr)
        result = self.ssa("check", "--config", os.path.join(self.work, "missing.yaml"),
                          self.write("any.jwt", self.statement()))
        self.assertEqual(result.returncode, self.EX_CONFIG)
        self.assertEqual(result.stdout, "")
        # Without trusted issuers every statement is unapproved, as the endpoint answers.
        result = self.ssa("check", "--config", self.env.config, self.write("any.jwt", self.statement()))
        self.assert_refused(result, "software_statement", "unapproved_software_statement")

    def test_help_says_sign_is_a_development_helper(self):
        result = self.ssa("sign", "--help")
        self.assertEqual(result.returncode, 0)
        self.assertIn("development helper", result.stdout.lower())
        for option in ("--key", "--alg", "--kid", "--x5c", "--claims", "--claim", "--expires-in", "--request",
                       "--statement"):
            self.assertIn(option, result.stdout)
        result = self.ssa("check", "--help")
        self.assertEqual(result.returncode, 0)
        self.assertIn("--config", result.stdout)


class AuditTests(CLITestCase):
    """`credence audit list [--client ID] [--since T] [--json]` over rows written here with psql."""

    ROWS = [("2026-01-01T10:00:00Z", "client.registered", "audit-c1", '{"decision": "registered"}'),
            ("2026-01-02T10:00:00Z", "registration.refused", None,
             '{"decision": "refused", "rule": "software_keys", "error": "unapproved_software_statement"}'),
            ("2026-01-03T10:00:00Z", "client.deleted", "audit-c1", '{"decision": "deleted"}'),
            ("2026-01-03T11:00:00Z", "client.registered", "audit-c2", '{"decision": "registered"}')]

    def setUp(self):
        self.env.psql("DELETE FROM audit_events")
        for occurred, kind, client, details in self.ROWS:
            client_sql = "NULL" if client is None else f"'{client}'"
            self.env.psql("INSERT INTO audit_events (occurred_at, event_type, client_id, details) "
                          f"VALUES ('{occurred}', '{kind}', {client_sql}, '{details}'::jsonb)")

    def tearDown(self):
        self.env.psql("DELETE FROM audit_events")

    def audit(self, *arguments):
        env = {k: v for k, v in os.environ.items()
               if k not in ("CREDENCE_DATABASE_URL", "CREDENCE_KEY_ENCRYPTION_KEY", "CREDENCE_CONFIG")}
        return subprocess.run([self.env.credence, "audit", "list", "--config", self.env.config, *arguments],
                              capture_output=True, text=True, env=env, check=False, timeout=60)

    def listed(self, *arguments):
        result = self.audit("--json", *arguments)
        self.assertEqual(result.returncode, 0, result.stderr)
        return [(event["occurred_at"], event["event_type"], event["client_id"]) for event in json.loads(result.stdout)]

    def test_list_filters_by_client_and_time_oldest_first(self):
        every = [(occurred, kind, client) for occurred, kind, client, _ in self.ROWS]
        self.assertEqual(self.listed(), every)
        self.assertEqual(self.listed("--client", "audit-c1"), [every[0], every[2]])
        self.assertEqual(self.listed("--since", "2026-01-02T10:00:00Z"), every[1:])
        self.assertEqual(self.listed("--client", "audit-c1", "--since", "2026-01-02T00:00:00Z"), [every[2]])
        self.assertEqual(self.listed("--limit", "2"), every[:2])
        self.assertEqual(self.listed("--client", "nobody"), [])
        text = self.audit("--client", "audit-c2")
        self.assertEqual(text.returncode, 0, text.stderr)
        self.assertEqual(len(text.stdout.splitlines()), 1, text.stdout)
        self.assertIn("client.registered", text.stdout)
        refused = self.audit("--since", "2026-01-02T00:00:00Z").stdout
        self.assertIn('"rule":"software_keys"', refused.replace(" ", ""))

    def test_bad_input_exits_64(self):
        for arguments in (["--since", "yesterday"], ["--limit", "0"]):
            result = self.audit(*arguments)
            self.assertEqual(result.returncode, 64, (arguments, result.stdout, result.stderr))
            self.assertEqual(result.stdout, "")


def make_certificate(directory, name, key, start, end, key_usage="digitalSignature"):
    """DIRECTORY/NAME.pem: a self-signed certificate for KEY with the given UTCTime (YYMMDDHHMMSSZ)
    validity, made by `openssl ca -selfsign` (the one openssl 3.0 command that takes any dates)."""
    ca = os.path.join(directory, f"ca-{name}")
    os.makedirs(os.path.join(ca, "new"), exist_ok=True)
    open(os.path.join(ca, "index.txt"), "w").close()
    with open(os.path.join(ca, "serial"), "w") as out:
        out.write(secrets.token_hex(8) + "\n")
    config = os.path.join(ca, "ca.cnf")
    with open(config, "w", encoding="ascii") as out:
        out.write("\n".join([
            "[ca]", "default_ca = d", "[d]", f"dir = {ca}", f"database = {ca}/index.txt", f"new_certs_dir = {ca}/new",
            f"serial = {ca}/serial", "default_md = sha256", "policy = p", "unique_subject = no", "[p]",
            "commonName = optional", "[ext]", f"keyUsage = critical, {key_usage}", ""]))
    csr = os.path.join(ca, "req.csr")
    subprocess.run(["openssl", "req", "-new", "-key", key, "-subj", f"/CN=Signer {name}", "-out", csr],
                   capture_output=True, check=True)
    path = os.path.join(directory, f"{name}.pem")
    subprocess.run(["openssl", "ca", "-batch", "-selfsign", "-config", config, "-keyfile", key, "-in", csr,
                    "-startdate", start, "-enddate", end, "-extensions", "ext", "-notext", "-out", path],
                   capture_output=True, check=True)
    return path


def utc(offset_seconds):
    """UTCTime (YYMMDDHHMMSSZ) OFFSET_SECONDS from now."""
    return time.strftime("%y%m%d%H%M%SZ", time.gmtime(time.time() + offset_seconds))


PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}
DEGENERATE_KEY = os.path.join(REPO, "Tests", "OpenSSLCryptoTests", "Fixtures", "keys", "rsa-prime-modulus-public.pem")


class KeyFormTests(CLITestCase):
    """`credence jwks convert` and `credence ssa sign` with every key form an operator holds
    (openssl makes them here; PKCS#12 as OpenSSL 3 exports it), checked against joserfc."""

    PASSWORD = "seed p12 password"

    @classmethod
    def setUpClass(cls):
        try:
            from joserfc import jwk  # noqa: F401
        except ImportError:
            raise unittest.SkipTest("joserfc is not installed (scripts/install-deps.sh installs it)")
        cls.work = os.path.join(cls.env.dir, "key-forms")
        os.makedirs(cls.work, exist_ok=True)

        def openssl(*arguments):
            subprocess.run(["openssl", *arguments], capture_output=True, check=True)
        path = cls.path
        cls.password_file = path("password.txt")
        with open(cls.password_file, "w", encoding="utf-8") as out:
            out.write(cls.PASSWORD + "\n")
        openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", path("rsa.pem"))
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path("ec.pem"))
        openssl("rsa", "-in", path("rsa.pem"), "-traditional", "-out", path("rsa-pkcs1.pem"))
        openssl("ec", "-in", path("ec.pem"), "-out", path("ec-sec1.pem"))
        openssl("pkey", "-in", path("rsa.pem"), "-outform", "DER", "-out", path("rsa.der"))
        openssl("pkey", "-in", path("ec.pem"), "-aes256", "-passout", f"pass:{cls.PASSWORD}", "-out",
                path("ec-encrypted.pem"))
        openssl("pkcs8", "-topk8", "-in", path("rsa.pem"), "-v2", "aes256", "-passout", f"pass:{cls.PASSWORD}",
                "-outform", "DER", "-out", path("rsa-encrypted.der"))
        openssl("pkey", "-in", path("ec.pem"), "-pubout", "-out", path("ec-public.pem"))
        openssl("pkey", "-in", path("ec.pem"), "-pubout", "-outform", "DER", "-out", path("ec-public.der"))
        openssl("req", "-x509", "-new", "-key", path("ec.pem"), "-subj", "/CN=Seed CA", "-days", "2",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign",
                "-out", path("ca.pem"))
        openssl("req", "-x509", "-new", "-key", path("rsa.pem"), "-subj", "/CN=Seed SSA Signer", "-days", "2",
                "-CA", path("ca.pem"), "-CAkey", path("ec.pem"), "-addext", "keyUsage=critical,digitalSignature",
                "-out", path("signer.pem"))
        openssl("x509", "-in", path("signer.pem"), "-outform", "DER", "-out", path("signer.der"))
        openssl("pkcs12", "-export", "-inkey", path("rsa.pem"), "-in", path("signer.pem"), "-certfile", path("ca.pem"),
                "-passout", f"file:{cls.password_file}", "-out", path("signer.p12"))
        openssl("genrsa", "-out", path("rsa1024.pem"), "1024")
        openssl("req", "-x509", "-new", "-key", path("rsa.pem"), "-subj", "/CN=Encipherment", "-days", "2",
                "-addext", "keyUsage=critical,keyEncipherment", "-out", path("encipherment.pem"))
        openssl("pkcs12", "-export", "-inkey", path("rsa.pem"), "-in", path("encipherment.pem"),
                "-passout", f"file:{cls.password_file}", "-out", path("encipherment.p12"))
        cls.expired = make_certificate(cls.work, "expired", path("rsa.pem"), "200101000000Z", "210101000000Z")

    @classmethod
    def path(cls, name):
        return os.path.join(cls.work, name)

    def credence(self, *arguments, env=None):
        environment = {k: v for k, v in os.environ.items() if k not in ("CREDENCE_CONFIG", "SEED_PASSWORD")}
        environment.update(env or {})
        result = subprocess.run([self.env.credence, *arguments], capture_output=True, text=True, env=environment,
                                stdin=subprocess.DEVNULL, check=False, timeout=60)
        if self.env.verbose:
            print(f"$ credence {' '.join(arguments)} -> {result.returncode}\n{result.stdout}{result.stderr}",
                  file=sys.stderr)
        return result

    def public(self, name):
        """joserfc's key of the unencrypted PEM private key file NAME (openssl made it)."""
        from joserfc import jwk
        with open(self.path(name), "rb") as source:
            return jwk.import_key(source.read(), "EC" if name.startswith("ec") else "RSA")

    def convert(self, *arguments, env=None):
        result = self.credence("jwks", "convert", *arguments, env=env)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.count("\n"), 1)
        document = json.loads(result.stdout)
        for key in document["keys"]:
            self.assertFalse(PRIVATE_MEMBERS & set(key), f"a private member in {key}")
        return document["keys"]

    def on_terminal(self, arguments, answer):
        """Runs credence under a pseudo-terminal (its controlling terminal and standard streams),
        types ANSWER at the first password prompt, and returns (exit status, what the terminal
        showed after the prompt)."""
        import pty
        import select
        pid, terminal = pty.fork()
        if pid == 0:
            environment = {k: v for k, v in os.environ.items() if k not in ("CREDENCE_CONFIG", "SEED_PASSWORD")}
            os.execve(self.env.credence, [self.env.credence, *arguments], environment)
        shown, answered, deadline = b"", False, time.monotonic() + 30
        while time.monotonic() < deadline:
            ready, _, _ = select.select([terminal], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(terminal, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                shown += chunk
            if not answered and b"Password for " in shown:
                shown, answered = b"", True
                os.write(terminal, answer.encode() + b"\n")
        _, status = os.waitpid(pid, 0)
        os.close(terminal)
        self.assertTrue(answered, "no password prompt on the terminal")
        return os.waitstatus_to_exitcode(status), shown.decode("utf-8", "replace")

    def test_a_password_typed_at_the_terminal_prompt_is_not_echoed(self):
        status, shown = self.on_terminal(["jwks", "convert", self.path("signer.p12")], self.PASSWORD)
        self.assertEqual(status, 0, shown)
        self.assertNotIn(self.PASSWORD, shown)
        document = json.loads(shown[shown.index("{"):])
        self.assertEqual(document["keys"][0]["kid"], self.public("rsa.pem").thumbprint())
        status, shown = self.on_terminal(["jwks", "convert", self.path("signer.p12")], "not the password")
        self.assertEqual(status, EX_USAGE, shown)
        self.assertIn("signer.p12", shown)
        self.assertNotIn('"keys"', shown)

    def test_convert_each_key_form_to_the_same_public_jwk(self):
        from joserfc import jwk
        rsa, ec = self.public("rsa.pem"), self.public("ec.pem")
        forms = [("rsa.pem", rsa, []), ("rsa-pkcs1.pem", rsa, []), ("rsa.der", rsa, []), ("ec.pem", ec, []),
                 ("ec-sec1.pem", ec, []), ("ec-public.pem", ec, []), ("ec-public.der", ec, []),
                 ("signer.pem", rsa, []), ("signer.der", rsa, []),
                 ("signer.p12", rsa, ["--password-file", self.password_file]),
                 ("rsa-encrypted.der", rsa, ["--password-env", "SEED_PASSWORD"]),
                 ("ec-encrypted.pem", ec, ["--password-file", self.password_file])]
        for name, expected, options in forms:
            with self.subTest(form=name):
                [converted] = self.convert(*options, self.path(name), env={"SEED_PASSWORD": self.PASSWORD})
                wanted = expected.as_dict(private=False)
                for member in ("kty", "crv", "x", "y", "n", "e"):
                    self.assertEqual(converted.get(member), wanted.get(member), member)
                self.assertEqual(converted["kid"], expected.thumbprint())
                self.assertEqual(converted["use"], "sig")
                self.assertNotIn("alg", converted)
                self.assertEqual(jwk.import_key(converted).thumbprint(), expected.thumbprint())
        # Several files, one set; --kid per file, --alg checked against each key.
        keys = self.convert("--kid", "one", "--kid", "two", "--alg", "ES256", self.path("ec.pem"),
                            self.path("ec-public.der"))
        self.assertEqual([(k["kid"], k["alg"]) for k in keys], [("one", "ES256"), ("two", "ES256")])

    def test_convert_with_x5c_from_a_certificate_or_pkcs12(self):
        import hashlib
        der = {name: subprocess.run(["openssl", "x509", "-in", self.path(name), "-outform", "DER"],
                                    capture_output=True, check=True).stdout for name in ("signer.pem", "ca.pem")}
        for name, chain in (("signer.pem", ["signer.pem"]), ("signer.der", ["signer.pem"]),
                            ("signer.p12", ["signer.pem", "ca.pem"])):
            with self.subTest(form=name):
                [key] = self.convert("--x5c", "--password-file", self.password_file, self.path(name))
                self.assertEqual(key["x5c"], [base64.b64encode(der[c]).decode() for c in chain])
                self.assertEqual(key["x5t#S256"], base64.urlsafe_b64encode(
                    hashlib.sha256(der["signer.pem"]).digest()).decode().rstrip("="))
        # A key file has no certificate for --x5c.
        result = self.credence("jwks", "convert", "--x5c", self.path("ec.pem"))
        self.assertEqual((result.returncode, result.stdout), (EX_USAGE, ""))
        self.assertIn(self.path("ec.pem"), result.stderr)

    def test_bad_input_names_the_file_and_the_reason_and_writes_nothing(self):
        garbage = self.path("garbage.pem")
        with open(garbage, "w", encoding="ascii") as out:
            out.write("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
        wrong = self.path("wrong.txt")
        with open(wrong, "w", encoding="ascii") as out:
            out.write("not the password\n")
        cases = [
            (["--password-file", wrong, self.path("signer.p12")], "signer.p12", "wrong password"),
            ([self.path("signer.p12")], "signer.p12", "password"),
            ([self.path("ec-encrypted.pem")], "ec-encrypted.pem", "encrypted"),
            (["--password-env", "SEED_PASSWORD_UNSET", self.path("rsa-encrypted.der")], "SEED_PASSWORD_UNSET",
             "not set"),
            ([self.path("encipherment.pem")], "encipherment.pem", "digitalSignature"),
            (["--password-file", self.password_file, self.path("encipherment.p12")], "encipherment.p12",
             "digitalSignature"),
            ([self.path("rsa1024.pem")], "rsa1024.pem", "1024"),
            ([DEGENERATE_KEY], DEGENERATE_KEY, "RSA"),
            ([garbage], garbage, ""),
            ([self.path("missing.pem")], "missing.pem", "cannot read"),
            (["--alg", "ES256", self.path("rsa.pem")], "rsa.pem", "cannot do --alg"),
            ([self.path("ec.pem"), self.path("ec-public.pem")], "ec-public.pem", "kid"),
        ]
        for arguments, named, reason in cases:
            with self.subTest(arguments=arguments):
                result = self.credence("jwks", "convert", *arguments)
                self.assertEqual(result.returncode, EX_USAGE, result.stderr)
                self.assertEqual(result.stdout, "")
                self.assertIn(named, result.stderr)
                self.assertIn(reason, result.stderr)
                with open(self.password_file, encoding="utf-8") as source:
                    self.assertNotIn(source.read().strip(), result.stderr)
        # The same refusals for ssa sign, which also needs a private key.
        for arguments, named in (([self.path("signer.p12")], "signer.p12"),
                                 (["--password-file", wrong, self.path("signer.p12")], "signer.p12"),
                                 ([self.path("rsa1024.pem")], "rsa1024.pem"),
                                 (["--password-file", self.password_file, self.path("encipherment.p12")],
                                  "encipherment.p12"),
                                 ([self.path("ec-public.pem")], "ec-public.pem")):
            with self.subTest(sign=arguments):
                result = self.credence("ssa", "sign", "--claim", "iss=x", *arguments[:-1], "--key", arguments[-1])
                self.assertEqual(result.returncode, EX_USAGE, result.stderr)
                self.assertEqual(result.stdout, "")
                self.assertIn(named, result.stderr)
        # A password is never an argument: there is no such option.
        result = self.credence("jwks", "convert", "--password", self.PASSWORD, self.path("signer.p12"))
        self.assertEqual((result.returncode, result.stdout), (EX_USAGE, ""))

    def verify(self, token, public, algorithm):
        from joserfc import jws
        registry = jws.JWSRegistry(algorithms=[algorithm])
        registry.max_header_length = 8192
        verified = jws.deserialize_compact(token, public, registry=registry)
        return verified.protected, json.loads(verified.payload)

    def sign(self, *arguments, env=None):
        result = self.credence("ssa", "sign", *arguments, env=env)
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout.strip()

    def test_ssa_sign_with_each_private_key_form(self):
        rsa, ec = self.public("rsa.pem"), self.public("ec.pem")
        claims = self.path("claims.json")
        with open(claims, "w", encoding="utf-8") as out:
            json.dump({"iss": "Seed Directory", "software_id": "from-file", "software_roles": ["AISP"]}, out)
        forms = [("rsa.der", rsa, "PS256", []), ("rsa-pkcs1.pem", rsa, "PS256", []), ("ec-sec1.pem", ec, "ES256", []),
                 ("signer.p12", rsa, "PS256", ["--password-file", self.password_file]),
                 ("rsa-encrypted.der", rsa, "PS256", ["--password-env", "SEED_PASSWORD"]),
                 ("ec-encrypted.pem", ec, "ES256", ["--password-file", self.password_file])]
        for name, public, algorithm, options in forms:
            with self.subTest(form=name):
                token = self.sign("--key", self.path(name), *options, "--alg", algorithm, "--claims", claims,
                                  "--claim", "software_id=app-1", "--claim", 'org_id="0015800001041RACAR"',
                                  env={"SEED_PASSWORD": self.PASSWORD})
                header, payload = self.verify(token, public, algorithm)
                self.assertEqual(header, {"alg": algorithm, "kid": public.thumbprint(), "typ": "JWT"})
                self.assertEqual((payload["iss"], payload["software_id"], payload["software_roles"]),
                                 ("Seed Directory", "app-1", ["AISP"]))
                self.assertEqual(payload["org_id"], "0015800001041RACAR")
        # The PKCS#12 file's own chain as x5c; --alg the key cannot do is refused.
        header, _ = self.verify(self.sign("--key", self.path("signer.p12"), "--password-file", self.password_file,
                                          "--x5c", self.path("signer.p12"), "--kid", "signer-1"), rsa, "PS256")
        self.assertEqual(len(header["x5c"]), 2)
        self.assertEqual(header["kid"], "signer-1")
        result = self.credence("ssa", "sign", "--key", self.path("signer.p12"), "--password-file", self.password_file,
                               "--alg", "ES256")
        self.assertEqual((result.returncode, result.stdout), (EX_USAGE, ""))
        self.assertIn("signer.p12", result.stderr)

    def test_check_config_names_an_unusable_signer_certificate(self):
        for certificate, reason in ((self.expired, "expired at"), (self.path("encipherment.pem"), "digitalSignature"),
                                    (self.path("signer.p12"), "not a usable certificate")):
            with self.subTest(certificate=certificate):
                config = self.path("check.yaml")
                with open(self.env.config, encoding="utf-8") as base, open(config, "w", encoding="utf-8") as out:
                    out.write(base.read() + "\n".join([
                        "registration:", "  trusted_issuers:", '    - issuer: "Seed Directory"',
                        f"      signer_certificates: [{json.dumps(certificate)}]", ""]))
                result = self.credence("check-config", "--config", config)
                self.assertEqual(result.returncode, SSATests.EX_CONFIG, result.stdout + result.stderr)
                self.assertIn("registration.trusted_issuers[0].signer_certificates[0]", result.stderr)
                self.assertIn("[issuer Seed Directory]", result.stderr)
                self.assertIn(certificate, result.stderr)
                self.assertIn(reason, result.stderr)
        # A valid one is listed with its kid.
        with open(self.env.config, encoding="utf-8") as base, open(config, "w", encoding="utf-8") as out:
            out.write(base.read() + "\n".join([
                "registration:", "  trusted_issuers:", '    - issuer: "Seed Directory"',
                f"      signer_certificates: [{json.dumps(self.path('signer.der'))}]", ""]))
        result = self.credence("check-config", "--config", config)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(f"signer certificate {self.path('signer.der')} (kid {self.public('rsa.pem').thumbprint()}",
                      result.stdout)
        # ssa check names the rule: the certificate's key, found by the statement's kid.
        statement = self.path("statement.jwt")
        with open(statement, "w", encoding="ascii") as out:
            out.write(self.sign("--key", self.path("signer.p12"), "--password-file", self.password_file,
                                "--claim", "iss=Seed Directory", "--claim", "software_id=app-1") + "\n")
        result = self.credence("ssa", "check", "--config", config, statement)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertRegex(result.stdout, r"\n  ok +signer_certificate ")
        self.assertRegex(result.stdout, r"\n  ok +statement_signature ")


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
        for case in (ClientsTests, MintTests, MaintenanceTests, SSATests, AuditTests, KeyFormTests):
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
