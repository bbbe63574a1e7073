"""End-to-end tests: the HTTP contract (docs: PROTOCOL.md) through real nginx and Apache.

Every test talks to the web servers with curl; what reached the responder is
read back from its access log (one logfmt line per request on stderr).
"""

import concurrent.futures
import json
import os
import secrets
import time
import unittest

from client import CurlError, certificate_thumbprint, der_base64, url_encoded_pem
from stack import RESPONDER_MAX_BODY, RESPONDER_WORKERS, WEB_SERVER_MAX_BODY

# JWK members that only private (or symmetric) keys have (RFC 7518 §6.2.2, §6.3.2, §6.4.1).
PRIVATE_JWK_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}
JSON_TYPES = {"application/json"}
JWKS_TYPES = {"application/json", "application/jwk-set+json"}


class StackTestCase(unittest.TestCase):
    """Gives tests the running stack (set once by run.py)."""

    stack = None

    def pki(self, name):
        return os.path.join(self.stack.pki, name)

    def cert(self, name):
        return (self.pki(f"{name}.pem"), self.pki(f"{name}.key"))

    def assert_json(self, response, status, types=JSON_TYPES):
        self.assertEqual(response.status, status, response.describe())
        self.assertIn(response.media_type(), types, response.describe())
        return response.json()

    def assert_oauth_error(self, response, status, error=None):
        document = self.assert_json(response, status)
        self.assertIsInstance(document, dict, response.describe())
        self.assertIsInstance(document.get("error"), str, response.describe())
        if error is not None:
            self.assertEqual(document["error"], error, response.describe())
        return document


class WebServerTests(StackTestCase):
    """The contract through one web server; subclassed once per server below."""

    server_name = None

    @classmethod
    def setUpClass(cls):
        if cls.server_name not in cls.stack.servers:
            raise unittest.SkipTest(f"{cls.server_name} not started")

    @property
    def server(self):
        return self.stack.servers[self.server_name]

    def request(self, path, mtls=False, **options):
        base = self.server.mtls_url if mtls else self.server.main_url
        return self.stack.curl.request(base + path, **options)

    # ---- discovery and keys -----------------------------------------

    def test_jwks_lists_public_signing_keys_only(self):
        for mtls in (False, True):
            with self.subTest(mtls=mtls):
                response = self.request("/jwks", mtls=mtls)
                document = self.assert_json(response, 200, JWKS_TYPES)
                keys = document.get("keys")
                self.assertIsInstance(keys, list, response.describe())
                self.assertGreater(len(keys), 0, "keys generate + rotate left no published key")
                for key in keys:
                    self.assertIsInstance(key, dict)
                    leaked = PRIVATE_JWK_MEMBERS & set(key)
                    self.assertFalse(leaked, f"private members {leaked} in published key {key.get('kid')}")
                    self.assertIsInstance(key.get("kid"), str)
                    self.assertEqual(key.get("use"), "sig")
                    self.assertIn(key.get("alg"), {"ES256", "PS256"})
                    self.assertIn(key.get("kty"), {"EC", "RSA"})

    def test_metadata_built_from_configured_issuer_not_host_header(self):
        issuer, alias = self.stack.issuer, self.stack.alias_issuer
        documents = {}
        for path in ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"):
            for mtls in (False, True):
                with self.subTest(path=path, mtls=mtls):
                    response = self.request(path, mtls=mtls, headers=["Host: attacker.example:4443"])
                    document = self.assert_json(response, 200)
                    self.assertEqual(document.get("issuer"), issuer)
                    self.assertEqual(document.get("jwks_uri"), issuer + "/jwks")
                    # Every endpoint the document lists (more arrive with later
                    # features) is under the configured issuer.
                    for name, value in document.items():
                        if name.endswith("_endpoint") or name.endswith("_uri"):
                            self.assertTrue(str(value).startswith(issuer + "/"), f"{name} = {value!r} is not under {issuer}")
                    for name, url in (document.get("mtls_endpoint_aliases") or {}).items():
                        self.assertTrue(str(url).startswith(alias + "/"), f"alias {name} = {url!r}")
                    self.assertNotIn("attacker.example", json.dumps(document))
                    documents[(path, mtls)] = document
        first = documents.get(("/.well-known/oauth-authorization-server", False))
        second = documents.get(("/.well-known/openid-configuration", False))
        if first is not None and second is not None:
            self.assertEqual(first, second, "the two discovery documents differ")

    def test_healthz(self):
        self.assert_json(self.request("/healthz"), 200)

    def test_head_answers_with_the_get_content_length(self):
        # RFC 9110 §9.3.2: GET's header fields; Content-Length is GET's or absent, never 0.
        for path in ("/jwks", "/.well-known/openid-configuration", "/no-such-endpoint"):
            with self.subTest(path=path):
                get = self.request(path)
                head = self.request(path, method="HEAD")
                self.assertEqual(head.status, get.status, head.describe())
                self.assertTrue(get.body, get.describe())
                length = head.header("content-length")
                if length is not None:
                    self.assertEqual(int(length), len(get.body), head.describe())

    # ---- errors -----------------------------------------------------

    def test_unknown_path_is_404_json(self):
        for path in ("/no-such-endpoint", "/.well-known/nothing", "/jwks/extra"):
            with self.subTest(path=path):
                document = self.assert_json(self.request(path), 404)
                self.assertIsInstance(document, dict)
                self.assertIn("error", document)

    def test_wrong_method_is_405_with_allow(self):
        cases = [("POST", "/jwks", "GET"), ("DELETE", "/.well-known/openid-configuration", "GET"),
                 ("PUT", "/healthz", "GET"), ("PATCH", "/.well-known/oauth-authorization-server", "GET")]
        for method, path, allowed in cases:
            with self.subTest(method=method, path=path):
                response = self.request(path, method=method)
                self.assert_json(response, 405)
                allow = response.header("allow") or ""
                self.assertIn(allowed, [m.strip() for m in allow.split(",")], response.describe())

    def test_body_over_web_server_limit_is_413_json(self):
        body = b"grant_type=client_credentials&pad=" + b"a" * (WEB_SERVER_MAX_BODY + 100)
        for mtls in (False, True):
            for chunked in (False, True):
                with self.subTest(mtls=mtls, chunked=chunked):
                    response = self.request("/token", mtls=mtls, method="POST", body=body, chunked=chunked,
                                            headers=["Content-Type: application/x-www-form-urlencoded"])
                    self.assert_oauth_error(response, 413, "invalid_request")

    def test_body_over_responder_limit_is_413_json(self):
        # Under the web servers' 64 KiB, over the responder's limit: the
        # responder answers. Chunked through Apache arrives without
        # CONTENT_LENGTH, so the responder must count what it reads.
        body = b"grant_type=client_credentials&pad=" + b"a" * (RESPONDER_MAX_BODY + 100)
        self.assertLess(len(body), WEB_SERVER_MAX_BODY)
        for chunked in (False, True):
            with self.subTest(chunked=chunked):
                response = self.request("/token", method="POST", body=body, chunked=chunked,
                                        headers=["Content-Type: application/x-www-form-urlencoded"])
                self.assert_oauth_error(response, 413, "invalid_request")

    def test_chunked_body_reaches_responder_like_a_sized_one(self):
        # Under the limit, a chunked body (no CONTENT_LENGTH through Apache)
        # and a sized one get the same answer, and neither wedges a worker.
        # 80 bytes is spooled by Apache (sent with CONTENT_LENGTH); 20 KiB is streamed without.
        for size in (80, 20 * 1024):
            body = b"grant_type=client_credentials&pad=" + b"a" * (size - 34)
            answers = {}
            for chunked in (False, True):
                with self.subTest(size=size, chunked=chunked):
                    response = self.request("/jwks", method="POST", body=body, chunked=chunked,
                                            headers=["Content-Type: application/x-www-form-urlencoded"])
                    document = self.assert_oauth_error(response, response.status)
                    answers[chunked] = (response.status, document["error"])
            self.assertEqual(answers.get(False), answers.get(True), f"a chunked body of {size} bytes was read differently")
            self.assertEqual(answers.get(False), (405, "method_not_allowed"))
        self.assert_json(self.request("/healthz"), 200)

    def test_repeated_request_headers_are_accepted(self):
        # nginx 1.22 passes repeated headers as repeated parameters; proxies add X-Forwarded-For.
        response = self.request("/.well-known/openid-configuration",
                                headers=["X-Forwarded-For: 192.0.2.1", "X-Forwarded-For: 192.0.2.2"])
        self.assert_json(response, 200)

    def test_error_and_health_answers_are_not_cached(self):
        # RFC 6749 §5.2: error answers carry Cache-Control: no-store, as does
        # anything that may carry a secret or token.
        for method, path in (("GET", "/no-such-endpoint"), ("POST", "/jwks"), ("GET", "/healthz")):
            with self.subTest(method=method, path=path):
                response = self.request(path, method=method)
                self.assertIn("no-store", (response.header("cache-control") or "").lower(), response.describe())

    # ---- client certificate -----------------------------------------

    def test_client_certificate_reaches_responder_on_mtls_host(self):
        for name in ("tpp", "selfsigned"):
            with self.subTest(certificate=name):
                offset = self.stack.log_offset()
                response = self.request("/jwks", mtls=True, cert=self.cert(name))
                self.assert_json(response, 200, JWKS_TYPES)
                line = self.stack.access_line(offset, "/jwks")
                self.assertEqual(line.get("tls.client_cert_sha256"),
                                 certificate_thumbprint(self.pki(f"{name}.pem")),
                                 f"access line: {line}")

    def test_issuer_host_does_not_ask_for_certificates(self):
        offset = self.stack.log_offset()
        response = self.request("/jwks", cert=self.cert("tpp"))
        self.assert_json(response, 200, JWKS_TYPES)
        line = self.stack.access_line(offset, "/jwks")
        self.assertNotIn("tls.client_cert_sha256", line)

    def forged_certificate_headers(self):
        tpp = self.pki("tpp.pem")
        escaped = url_encoded_pem(tpp)
        return [f"SSL-Client-Cert: {escaped}", "SSL-Client-Verify: SUCCESS",
                f"SSL_CLIENT_CERT: {escaped}", f"X-SSL-Client-Cert: {escaped}",
                f"X-Client-Cert: {escaped}", f"Client-Cert: :{der_base64(tpp)}:",
                f"X-ARR-ClientCert: {der_base64(tpp)}"]

    def test_forged_certificate_headers_are_ignored(self):
        for mtls in (False, True):
            with self.subTest(mtls=mtls):
                offset = self.stack.log_offset()
                response = self.request("/jwks", mtls=mtls, headers=self.forged_certificate_headers())
                self.assert_json(response, 200, JWKS_TYPES)
                line = self.stack.access_line(offset, "/jwks")
                self.assertNotIn("tls.client_cert_sha256", line, f"a header became a certificate: {line}")

    def test_forged_header_does_not_replace_tls_certificate(self):
        offset = self.stack.log_offset()
        response = self.request("/jwks", mtls=True, cert=self.cert("selfsigned"),
                                headers=self.forged_certificate_headers())
        self.assert_json(response, 200, JWKS_TYPES)
        line = self.stack.access_line(offset, "/jwks")
        self.assertEqual(line.get("tls.client_cert_sha256"), certificate_thumbprint(self.pki("selfsigned.pem")))

    # ---- Authorization header ---------------------------------------

    def test_bearer_authorization_reaches_responder(self):
        token = "e2e-" + secrets.token_urlsafe(24)
        for mtls in (False, True):
            with self.subTest(mtls=mtls):
                offset = self.stack.log_offset()
                response = self.request("/jwks", mtls=mtls, headers=[f"Authorization: Bearer {token}"])
                self.assert_json(response, 200, JWKS_TYPES)
                line = self.stack.access_line(offset, "/jwks")
                self.assertEqual(line.get("http.auth_scheme"), "Bearer", f"access line: {line}")
        with open(self.stack.responder_log, "rb") as handle:
            self.assertNotIn(token.encode(), handle.read(), "the bearer token was logged")

    def test_basic_authorization_reaches_responder(self):
        secret = "e2e-" + secrets.token_urlsafe(24)
        for mtls in (False, True):
            with self.subTest(mtls=mtls):
                offset = self.stack.log_offset()
                response = self.request("/jwks", mtls=mtls,
                                        headers=[f"Authorization: Basic {_basic('e2e-no-such-client', secret)}"])
                self.assert_json(response, 200, JWKS_TYPES)
                line = self.stack.access_line(offset, "/jwks")
                self.assertEqual(line.get("http.auth_scheme"), "Basic", f"access line: {line}")
        with open(self.stack.responder_log, "rb") as handle:
            log = handle.read()
        self.assertNotIn(secret.encode(), log, "the client secret was logged")
        self.assertNotIn(_basic("e2e-no-such-client", secret).encode(), log, "the credentials were logged")

    def test_no_authorization_is_logged_as_none(self):
        offset = self.stack.log_offset()
        self.assert_json(self.request("/jwks"), 200, JWKS_TYPES)
        self.assertEqual(self.stack.access_line(offset, "/jwks").get("http.auth_scheme"), "none")

    # ---- capacity ---------------------------------------------------

    def test_more_concurrent_clients_than_responder_threads(self):
        # 50 clients, each sending 20 requests on one kept-alive connection,
        # against 4 responder threads: with nginx's keepalive sized by the
        # rule (or Apache without reuse) every request is answered; with
        # idle kept connections adding up to the threads, some hang.
        clients, requests_each, rounds = 50, 20, 3
        self.assertGreater(clients, RESPONDER_WORKERS * 4)
        urls = [self.server.main_url + "/.well-known/openid-configuration"] * requests_each

        def one(_):
            started = time.monotonic()
            codes = self.stack.curl.statuses(urls, timeout=10, total=60)
            return codes, time.monotonic() - started

        for round_number in range(rounds):
            with concurrent.futures.ThreadPoolExecutor(max_workers=clients) as pool:
                results = list(pool.map(one, range(clients)))
            codes = [code for client_codes, _ in results for code in client_codes]
            failures = [code for code in codes if code != 200]
            slowest = max(seconds for _, seconds in results)
            self.stack.log(f"e2e: {self.server_name} round {round_number + 1}: {clients} clients × "
                           f"{requests_each} requests, {RESPONDER_WORKERS} responder threads: "
                           f"{len(codes) - len(failures)} of {len(codes)} answered 200, "
                           f"slowest client {slowest:.2f} s")
            self.assertEqual(failures, [], f"round {round_number + 1}: {len(failures)} of {len(codes)} "
                                           f"requests failed (0 = no answer within 10 s)")


    def test_slow_uploads_do_not_starve_the_responder(self):
        # More clients than responder threads trickle a body at 100 bytes/s.
        # nginx reads whole bodies before it contacts the responder; Apache
        # streams them, and its RequestReadTimeout (5 s at under 1000 B/s)
        # frees the threads. A normal request must get through meanwhile.
        body = b"grant_type=client_credentials&pad=" + b"a" * 4000
        uploads = [self.stack.curl.slow_upload(self.server.main_url + "/token", body, rate=100)
                   for _ in range(RESPONDER_WORKERS + 2)]
        try:
            time.sleep(1.5)
            started = time.monotonic()
            response = self.request("/healthz", timeout=15)
            elapsed = time.monotonic() - started
            self.assert_json(response, 200)
            self.stack.log(f"e2e: {self.server_name}: {len(uploads)} slow uploads, "
                           f"a normal request answered in {elapsed:.2f} s")
        finally:
            for upload in uploads:
                upload.kill()
                upload.wait()


def _basic(user, password):
    import base64
    return base64.b64encode(f"{user}:{password}".encode()).decode()


class NginxTests(WebServerTests):
    server_name = "nginx"


class ApacheTests(WebServerTests):
    server_name = "apache"


class ResponderDownTests(StackTestCase):
    """The web servers' own answer while the responder is gone: 503 JSON with Retry-After."""

    def test_web_servers_answer_503_json_while_responder_is_down(self):
        status = self.stack.stop_responder()
        self.assertEqual(status, 0, "credence serve must exit 0 on SIGTERM, within the grace period")
        try:
            for server in self.stack.servers.values():
                for base in (server.main_url, server.mtls_url):
                    with self.subTest(server=server.name, url=base):
                        response = self.stack.curl.request(base + "/token", method="POST",
                                                           body=b"grant_type=client_credentials")
                        self.assert_oauth_error(response, 503, "temporarily_unavailable")
                        self.assertIsNotNone(response.header("retry-after"), response.describe())
        finally:
            self.stack.start_responder()
            for server in self.stack.servers.values():
                self.stack.wait_healthy(server)


class DatabaseOutageTests(StackTestCase):
    """PostgreSQL stops: endpoints that need it answer 503 + Retry-After; it returns: normal answers."""

    def test_database_outage_and_recovery(self):
        if not self.stack.can_stop_database:
            self.skipTest("the database was given by URL without --postgres-dir: cannot stop it")
        self.stack.stop_database()
        try:
            for server in self.stack.servers.values():
                with self.subTest(server=server.name, phase="down"):
                    response = self.poll(server.main_url + "/healthz", lambda r: r.status != 200, 20)
                    self.assert_json(response, 503)
                    self.assertIsNotNone(response.header("retry-after"), response.describe())
                    jwks = self.stack.curl.request(server.main_url + "/jwks")
                    if jwks.status == 503:
                        self.assert_json(jwks, 503)
                        self.assertIsNotNone(jwks.header("retry-after"), jwks.describe())
                    else:
                        self.assert_json(jwks, 200, JWKS_TYPES)
        finally:
            self.stack.start_database()
        for server in self.stack.servers.values():
            with self.subTest(server=server.name, phase="back"):
                response = self.poll(server.main_url + "/healthz", lambda r: r.status == 200, 30)
                self.assert_json(response, 200)
                self.assert_json(self.stack.curl.request(server.main_url + "/jwks"), 200, JWKS_TYPES)

    def poll(self, url, done, seconds):
        deadline = time.monotonic() + seconds
        while True:
            response = self.stack.curl.request(url, timeout=10)
            if done(response) or time.monotonic() > deadline:
                return response
            time.sleep(0.5)


# Order matters: the disruptive tests run last (run.py builds the suite in this order).
ORDERED_CASES = [NginxTests, ApacheTests, ResponderDownTests, DatabaseOutageTests]
