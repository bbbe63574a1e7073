"""End-to-end tests: the HTTP contract (docs: PROTOCOL.md) through real nginx and Apache.

Every test talks to the web servers with curl; what reached the responder is
read back from its access log (one logfmt line per request on stderr).
"""

import concurrent.futures
import json
import os
import re
import secrets
import socket
import time
import unittest

from client import CurlError, certificate_thumbprint, der_base64, url_encoded_pem
from stack import RESPONDER_MAX_BODY, RESPONDER_WORKERS, WEB_SERVER_MAX_BODY

# JWK members that only private (or symmetric) keys have (RFC 7518 §6.2.2, §6.3.2, §6.4.1).
PRIVATE_JWK_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}
JSON_TYPES = {"application/json"}
JWKS_TYPES = {"application/json", "application/jwk-set+json"}

# The OAuth error code each status the web servers answer themselves carries
# (the responder uses the same codes for the same statuses).
ERROR_CODE_FOR_STATUS = {
    400: "invalid_request", 403: "invalid_request", 404: "not_found", 405: "method_not_allowed",
    408: "invalid_request", 411: "invalid_request", 413: "invalid_request", 414: "invalid_request",
    417: "invalid_request", 421: "invalid_request", 431: "invalid_request", 500: "server_error",
    501: "invalid_request", 502: "temporarily_unavailable", 503: "temporarily_unavailable",
    504: "temporarily_unavailable", 505: "invalid_request",
}
# Every status each web server can produce itself, and so must answer as JSON
# (nginx: 494 = headers too large, 495-497 = TLS certificate errors and plain
# HTTP on the TLS port, which the sample turns into 431 and 400).
NGINX_OWN_STATUSES = {400, 404, 405, 408, 413, 414, 494, 495, 496, 497, 500, 501, 502, 503, 504, 505}
APACHE_OWN_STATUSES = {400, 403, 404, 405, 408, 411, 413, 414, 417, 421, 431, 500, 501, 502, 503, 504, 505}


def raw_request(request_line, headers=(b"Host: localhost",), body=b""):
    """One HTTP/1.1 request as bytes, ending the connection after the answer."""
    lines = [request_line, *headers, b"Connection: close"]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


# Requests the web servers refuse themselves, or pass to the responder:
# (name, bytes, {server: expected status}). Sent as bytes on a TLS socket,
# since curl cannot send most of them.
MALFORMED_REQUESTS = [
    ("NUL escaped in the path", raw_request(b"GET /jwks%00 HTTP/1.1"), {"nginx": 400, "apache": 404}),
    ("invalid escape in the path", raw_request(b"GET /jwks%zz HTTP/1.1"), {"nginx": 400, "apache": 400}),
    ("raw NUL in the path", raw_request(b"GET /jw\x00ks HTTP/1.1"), {"nginx": 400, "apache": 400}),
    ("space in the path", raw_request(b"GET /jw ks HTTP/1.1"), {"nginx": 400, "apache": 400}),
    ("method G@T", raw_request(b"G@T /jwks HTTP/1.1"), {"nginx": 400, "apache": 400}),
    ("dot-dot above the root", raw_request(b"GET /../jwks HTTP/1.1"), {"nginx": 400, "apache": 400}),
    ("URI of 9000 bytes", raw_request(b"GET /" + b"a" * 9000 + b" HTTP/1.1"), {"nginx": 414, "apache": 414}),
    ("Transfer-Encoding gzip, chunked",
     raw_request(b"POST /no-such-endpoint HTTP/1.1", (b"Host: localhost", b"Transfer-Encoding: gzip, chunked"),
                 b"0\r\n\r\n"),
     # Apache streams it to the responder and waits for the body's end until
     # its body timeout (10 s): not worth the wait here.
     {"nginx": 501, "apache": None}),
    ("Transfer-Encoding gzip", raw_request(b"POST /token HTTP/1.1", (b"Host: localhost", b"Transfer-Encoding: gzip")),
     {"nginx": 501, "apache": 400}),
    ("HTTP/9.9", raw_request(b"GET /no-such-endpoint HTTP/9.9"), {"nginx": 505, "apache": 404}),
    ("header of 20 KB", raw_request(b"GET /jwks HTTP/1.1", (b"Host: localhost", b"X-Big: " + b"a" * 20000)),
     {"nginx": 431, "apache": 400}),
    ("TRACE", raw_request(b"TRACE /jwks HTTP/1.1"), {"nginx": 405, "apache": 405}),
    ("no Host", raw_request(b"GET /jwks HTTP/1.1", ()), {"nginx": 400, "apache": 400}),
    ("two Host headers", raw_request(b"GET /jwks HTTP/1.1", (b"Host: localhost", b"Host: other.example")),
     {"nginx": 400, "apache": 400}),
    ("two Content-Length headers",
     raw_request(b"POST /token HTTP/1.1", (b"Host: localhost", b"Content-Length: 3", b"Content-Length: 4"), b"abcd"),
     {"nginx": 400, "apache": 400}),
    ("invalid chunk size",
     raw_request(b"POST /token HTTP/1.1", (b"Host: localhost", b"Transfer-Encoding: chunked"), b"zz\r\nabc\r\n0\r\n\r\n"),
     {"nginx": 400, "apache": 400}),
    ("control character in a header",
     raw_request(b"GET /jwks HTTP/1.1", (b"Host: localhost", b"X-A: a\x01b")), {"nginx": 200, "apache": 400}),
    ("Expect: something", raw_request(b"POST /no-such-endpoint HTTP/1.1", (b"Host: localhost", b"Expect: something",
                                                            b"Content-Length: 3"), b"abc"),
     {"nginx": 404, "apache": 417}),
    ("the error location itself", raw_request(b"GET /.credence-error HTTP/1.1"), {"nginx": 404, "apache": 404}),
]


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

    def assert_web_server_error(self, response, status):
        """An error answer as the samples make every one: the status, OAuth
        error JSON with the code for that status, no HTML, not cacheable."""
        self.assertIsNotNone(response, f"no answer where {status} was expected")
        self.assertEqual(response.status, status, response.describe())
        self.assertNotRegex(response.body, rb"(?i)<html|<!doctype|<body|<title", response.describe())
        self.assertEqual(response.media_type(), "application/json", response.describe())
        document = response.json()
        self.assertIsInstance(document, dict, response.describe())
        self.assertEqual(document.get("error"), ERROR_CODE_FOR_STATUS.get(status), response.describe())
        self.assertIsInstance(document.get("error_description"), str, response.describe())
        self.assertIn("no-store", (response.header("cache-control") or "").lower(), response.describe())
        if status in (502, 503, 504):
            self.assertIsNotNone(response.header("retry-after"), response.describe())
        return document

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

    # ---- the web server's own errors ---------------------------------

    def test_malformed_requests_answer_json_not_html(self):
        # Each request on both hosts; answers 2xx (the responder's, through
        # a server that passes the request on) only need to be JSON.
        for name, raw, expected in MALFORMED_REQUESTS:
            status = expected[self.server_name]
            if status is None:
                continue
            for mtls in (False, True):
                with self.subTest(request=name, mtls=mtls):
                    base = self.server.mtls_url if mtls else self.server.main_url
                    response, _ = self.stack.raw.exchange(base, raw)
                    if status < 400:
                        self.assertIsNotNone(response, name)
                        self.assertEqual(response.status, status, response.describe())
                        self.assertIn(response.media_type(), JWKS_TYPES, response.describe())
                    else:
                        self.assert_web_server_error(response, status)

    def test_dot_dot_path_from_curl_is_400_json(self):
        # The report's command: curl -sk --path-as-is https://HOST/../jwks.
        for mtls in (False, True):
            with self.subTest(mtls=mtls):
                self.assert_web_server_error(self.request("/../jwks", mtls=mtls, path_as_is=True), 400)

    def test_plain_http_on_the_tls_port_is_400_json(self):
        for base in (self.server.main_url, self.server.mtls_url):
            with self.subTest(url=base):
                response, _ = self.stack.raw.exchange(base, raw_request(b"GET /jwks HTTP/1.1"), tls=False)
                self.assert_web_server_error(response, 400)

    def test_stalled_request_headers_get_408_json_or_nothing(self):
        # A client that stops half-way through its headers: Apache answers 408
        # (mod_reqtimeout, 10 s); nginx closes the connection without an
        # answer after client_header_timeout (10 s): never an HTML page.
        response, seconds = self.stack.raw.exchange(self.server.main_url,
                                                    b"GET /jwks HTTP/1.1\r\nHost: loc", timeout=40)
        self.assertLess(seconds, 30, "the stalled request was not dropped")
        if self.server_name == "nginx":
            self.assertIsNone(response, response and response.describe())
        else:
            self.assert_web_server_error(response, 408)

    def test_sample_answers_every_own_status_with_json(self):
        # The statuses no request can provoke here (500, 502, 504, 421...)
        # are checked in the configuration as rendered from the sample.
        with open(os.path.join(self.server.rundir, "credence.conf"), encoding="utf-8") as handle:
            text = re.sub(r"(?m)^\s*#.*$", "", handle.read())
        blocks = (re.split(r"(?m)^server \{", text)[1:] if self.server_name == "nginx"
                  else re.findall(r"(?s)<VirtualHost .*?</VirtualHost>", text))
        self.assertEqual(len(blocks), 2, "expected the issuer's host and the mTLS alias host")
        if self.server_name == "nginx":
            # map $status $credence_error_body: a body per status, `default` for the rest (500).
            bodies = dict(re.findall(r"(?m)^\s+(\d{3}|default) '(.*)\\n';$", text))
            for block in blocks:
                mapped = {}
                for codes, overwrite, uri in re.findall(r"error_page ((?:\d{3} )+)(?:=(\d{3}) )?(\S+);", block):
                    self.assertEqual(uri, "/.credence-error")
                    for code in codes.split():
                        mapped[int(code)] = int(overwrite or code)
                self.assertEqual(set(mapped), NGINX_OWN_STATUSES)
                for original, sent in mapped.items():
                    with self.subTest(status=original, sent=sent):
                        document = json.loads(bodies.get(str(sent), bodies["default"]))
                        self.assertEqual(document["error"], ERROR_CODE_FOR_STATUS[sent])
                self.assertIn("location = /.credence-error", block)
        else:
            for block in blocks:
                documents = {int(code): json.loads(body)
                             for code, body in re.findall(r"ErrorDocument (\d{3}) '(.*)'", block)}
                self.assertEqual(set(documents), APACHE_OWN_STATUSES)
                for code, document in documents.items():
                    with self.subTest(status=code):
                        self.assertEqual(document["error"], ERROR_CODE_FOR_STATUS[code])
                typed = re.search(r'Header always set Content-Type "application/json" "expr=%\{REQUEST_STATUS\} in \{(.*?)\}"',
                                  block)
                self.assertIsNotNone(typed, "no Content-Type for the ErrorDocuments")
                self.assertEqual({int(c) for c in re.findall(r"\d{3}", typed.group(1))}, APACHE_OWN_STATUSES)

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
        # against 4 responder threads, through the samples as shipped (nginx
        # keepalive 64 per worker, Apache enablereuse=on): the web servers'
        # idle upstream connections far outnumber the threads, and wait in
        # the responder's epoll set, so every request is answered.
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


class ResponderLogTests(StackTestCase):
    """What the responder logs about a peer that sends garbage: a line, then a summary per minute."""

    GARBAGE_LINE = "closed a FastCGI connection that carried no valid request (garbage, abort or early close)"

    def test_garbage_connections_are_not_logged_one_line_each(self):
        offset = self.stack.log_offset()
        # HTTP instead of FastCGI, or a bad FastCGI record, then an early close.
        for index in range(50):
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as peer:
                peer.connect(self.stack.socket_path)
                peer.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" if index % 2 else b"\x01\x09garbage")
        time.sleep(1)
        # The responder still answers, and wrote at most the first of those lines
        # (the rest are counted in a summary line a minute).
        self.assert_json(self.stack.curl.request(next(iter(self.stack.servers.values())).main_url + "/healthz"), 200)
        lines = [e for e in self.stack.log_events(offset) if e.get("msg") == self.GARBAGE_LINE]
        self.assertLessEqual(len(lines), 1, f"{len(lines)} lines for 50 garbage connections")


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
                        self.assert_web_server_error(response, 503)
        finally:
            self.stack.start_responder()
            for server in self.stack.servers.values():
                self.stack.wait_healthy(server)


class DatabaseOutageTests(StackTestCase):
    """PostgreSQL stops under requests: endpoints that need it answer 503 + Retry-After,
    and the responder logs one error event for the outage, not one per request; it
    returns: normal answers, and one recovery event with the outage's figures."""

    def test_database_outage_and_recovery(self):
        if not self.stack.can_stop_database:
            self.skipTest("the database was given by URL without --postgres-dir: cannot stop it")
        offset = self.stack.log_offset()
        self.stack.stop_database()
        answered_503 = 0
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
            # Load while it is down: 8 clients × 40 kept-alive requests through each server.
            urls = [server.main_url + path for server in self.stack.servers.values()
                    for path in ("/healthz", "/jwks") for _ in range(20)]
            with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
                for codes in pool.map(lambda _: self.stack.curl.statuses(urls, timeout=10, total=60), range(8)):
                    answered_503 += codes.count(503)
            self.assertGreater(answered_503, 100, "the load got too few 503s to mean anything")
        finally:
            self.stack.start_database()
        for server in self.stack.servers.values():
            with self.subTest(server=server.name, phase="back"):
                response = self.poll(server.main_url + "/healthz", lambda r: r.status == 200, 30)
                self.assert_json(response, 200)
                self.assert_json(self.stack.curl.request(server.main_url + "/jwks"), 200, JWKS_TYPES)

        # The log: one error event, one recovery event, the 503 access lines below error.
        events = self.stack.wait_for_log_line(offset, "database reachable again", 15)
        outage = [e for e in events if e.get("logger") == "credence.database"]
        self.assertEqual([(e.get("level"), e.get("msg")) for e in outage],
                         [("error", "database unreachable"), ("notice", "database reachable again")],
                         f"outage events: {outage}")
        recovery = outage[-1]
        self.assertGreaterEqual(int(recovery.get("outage.requests_503", "0")), answered_503, recovery)
        self.assertGreater(float(recovery.get("outage.duration_s", "0")), 0, recovery)
        errors = [e for e in events if e.get("level") in ("error", "critical")]
        self.assertEqual(errors, outage[:1], "error-level lines other than the outage event")
        unavailable = [e for e in events if e.get("logger") == "credence.access" and e.get("http.status") == "503"]
        self.assertGreaterEqual(len(unavailable), answered_503)
        self.assertEqual({e.get("level") for e in unavailable}, {"notice"})
        self.stack.log(f"e2e: database outage: {answered_503} requests answered 503 under load, "
                       f"{len(unavailable)} 503 access lines at notice, events: "
                       f"{[(e.get('level'), e.get('msg')) for e in outage]}, "
                       f"outage.requests_503={recovery.get('outage.requests_503')} "
                       f"outage.duration_s={recovery.get('outage.duration_s')}")

    def poll(self, url, done, seconds):
        deadline = time.monotonic() + seconds
        while True:
            response = self.stack.curl.request(url, timeout=10)
            if done(response) or time.monotonic() > deadline:
                return response
            time.sleep(0.5)


# Order matters: the disruptive tests run last (run.py builds the suite in this order).
ORDERED_CASES = [NginxTests, ApacheTests, ResponderLogTests, ResponderDownTests, DatabaseOutageTests]
