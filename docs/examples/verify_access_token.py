#!/usr/bin/env python3
"""Validate a Credence access token the way a bank API (a resource server) should.

    verify_access_token.py --issuer URL --audience AUD --jwks-url URL
                           [--client-cert ESCAPED_PEM] [--require-bound] TOKEN

Prints the token's claims as JSON and exits 0 when the token is acceptable;
prints why not on stderr and exits 1 otherwise. The checks (RFC 9068 §4,
RFC 8705 §3):

- the JWS header: `typ` is `at+jwt`, `alg` is ES256 or PS256 (never `none` or
  HMAC), `kid` names a key of the issuer's JWKS (fetched again, at most once a
  minute, when an unknown kid shows up: that is how a key rotation arrives);
- the signature, with that one key;
- `iss` is the issuer, `aud` contains this API's audience, `exp` has not
  passed (60 s leeway for clock differences), `nbf`/`iat` not in the future;
- a token with `cnf.x5t#S256` is certificate-bound: it is accepted only with
  the client certificate whose SHA-256 thumbprint it names, and that
  certificate must be the one the API's own TLS termination saw in this
  connection (nginx: `$ssl_client_escaped_cert`, URL-encoded PEM, passed over
  the internal hop in a header nginx sets itself, never one from the client).
  `--require-bound` also refuses tokens that are not bound.

Local validation cannot see a revocation; introspection (POST /introspect as a
client listed in tokens.resource_servers) can, at one request to the
authorization server per check.

As a library: `JWKSCache(url)` and `verify(token, issuer=…, audience=…,
jwks=cache, client_cert=…)`. Needs `joserfc` (pip install joserfc).
Trust: the system CA store, or the bundle named by SSL_CERT_FILE.
"""

import argparse
import base64
import hashlib
import hmac
import json
import ssl
import sys
import threading
import time
import urllib.parse
import urllib.request

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import JWKRegistry

ALGORITHMS = ["ES256", "PS256"]
LEEWAY_SECONDS = 60


class InvalidToken(Exception):
    """The token must be refused (answer 401 with `WWW-Authenticate: Bearer error="invalid_token"`)."""


class JWKSCache:
    """The issuer's JWK Set, fetched over HTTPS, kept for `ttl` seconds, and fetched again
    for an unknown kid at most once every `refetch_interval` seconds."""

    def __init__(self, url, ttl=300, refetch_interval=60, timeout=5, context=None):
        self.url, self.ttl, self.refetch_interval, self.timeout = url, ttl, refetch_interval, timeout
        # TLS trust: the system store (or SSL_CERT_FILE) unless an ssl.SSLContext is given.
        self.context = context or ssl.create_default_context()
        self.lock = threading.Lock()
        self.keys, self.fetched_at = None, 0.0

    def fetch(self):
        with urllib.request.urlopen(self.url, timeout=self.timeout, context=self.context) as answer:
            document = json.load(answer)
        self.keys = {key["kid"]: key for key in document.get("keys", []) if "kid" in key}
        self.fetched_at = time.monotonic()

    def key(self, kid):
        """The public JWK with this kid, or None."""
        with self.lock:
            age = time.monotonic() - self.fetched_at
            if self.keys is None or age > self.ttl or (kid not in self.keys and age > self.refetch_interval):
                self.fetch()
            return self.keys.get(kid)


def certificate_thumbprint(escaped_pem):
    """base64url(SHA-256(DER)) of the certificate nginx passed as $ssl_client_escaped_cert."""
    pem = urllib.parse.unquote(escaped_pem)
    der = ssl.PEM_cert_to_DER_cert(pem)
    return base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode("ascii")


def verify(token, *, issuer, audience, jwks, client_cert=None, require_bound=False, now=None):
    """The token's claims if it is acceptable; raises InvalidToken otherwise."""
    try:
        header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    except (ValueError, IndexError):
        raise InvalidToken("not a JWS") from None
    if not isinstance(header, dict) or str(header.get("typ", "")).lower() not in ("at+jwt", "application/at+jwt"):
        raise InvalidToken("typ is not at+jwt")
    if header.get("alg") not in ALGORITHMS:
        raise InvalidToken(f"alg {header.get('alg')!r} is not allowed")
    if not isinstance(header.get("kid"), str):
        raise InvalidToken("no kid")
    key = jwks.key(header["kid"])
    if key is None:
        raise InvalidToken("kid is not a key of the issuer")
    try:
        verified = jws.deserialize_compact(token, JWKRegistry.import_key(key), algorithms=ALGORITHMS)
        claims = json.loads(verified.payload)
    except (JoseError, ValueError) as error:
        raise InvalidToken(f"signature: {error}") from None
    if not isinstance(claims, dict):
        raise InvalidToken("claims are not a JSON object")

    now = time.time() if now is None else now
    if claims.get("iss") != issuer:
        raise InvalidToken("wrong iss")
    audiences = claims.get("aud")
    if audience not in (audiences if isinstance(audiences, list) else [audiences]):
        raise InvalidToken("not for this audience")
    if not isinstance(claims.get("exp"), int) or claims["exp"] + LEEWAY_SECONDS <= now:
        raise InvalidToken("expired")
    for name in ("nbf", "iat"):
        if name in claims and (not isinstance(claims[name], int) or claims[name] - LEEWAY_SECONDS > now):
            raise InvalidToken(f"{name} in the future")

    if "cnf" in claims or require_bound:
        confirmation = claims.get("cnf")
        bound_to = confirmation.get("x5t#S256") if isinstance(confirmation, dict) else None
        if not client_cert:
            raise InvalidToken("certificate-bound token without a client certificate")
        try:
            presented = certificate_thumbprint(client_cert)
        except ValueError:
            raise InvalidToken("the client certificate does not parse") from None
        if not isinstance(bound_to, str) or not hmac.compare_digest(presented, bound_to):
            raise InvalidToken("the token is bound to another certificate")
    return claims


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--issuer", required=True, help="the authorization server's issuer URL")
    parser.add_argument("--audience", required=True, help="this API's identifier (tokens.audience)")
    parser.add_argument("--jwks-url", required=True, help="the issuer's jwks_uri, e.g. ISSUER/jwks")
    parser.add_argument("--client-cert", default="",
                        help="the client certificate of this request as nginx's $ssl_client_escaped_cert")
    parser.add_argument("--require-bound", action="store_true", help="refuse tokens without cnf.x5t#S256")
    parser.add_argument("token")
    arguments = parser.parse_args(argv)
    try:
        claims = verify(arguments.token, issuer=arguments.issuer, audience=arguments.audience,
                        jwks=JWKSCache(arguments.jwks_url), client_cert=arguments.client_cert,
                        require_bound=arguments.require_bound)
    except InvalidToken as error:
        print(f"invalid_token: {error}", file=sys.stderr)
        return 1
    except OSError as error:  # the JWKS could not be fetched: not the token's fault
        print(f"cannot fetch {arguments.jwks_url}: {error}", file=sys.stderr)
        return 2
    print(json.dumps(claims, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
