#!/usr/bin/env python3
"""A directory's and a TPP's side of dynamic client registration, with joserfc.

The README's "Register a TPP in five minutes" runs these commands (and
Tests/e2e/test_registration.py runs the README), so that the flow can be tried
without a real directory. Every output is printed on standard output.

    tpp.py jwks PEM [--kid KID]
        the public JWK Set of a private key or certificate PEM (for a trusted
        issuer's jwks_file, or a TPP's software_jwks)
    tpp.py ssa --key PEM (--kid KID | --x5c CHAIN.pem) --iss ISS --software-id ID
               [--org-id ID] [--client-name NAME] [--redirect-uri URI]... [--role ROLE]...
               [--software-jwks FILE | --software-jwks-endpoint URL] [--lifetime S] [--claim NAME=JSON]...
        a software statement (RFC 7591 §2.3, Open Banking UK claims) signed by the
        directory's key: the key named by kid in the directory's JWK Set, or with
        its certificate chain in x5c (leaf first)
    tpp.py request --key PEM --kid KID --ssa FILE --aud ISSUER [--metadata JSON]
        a signed registration request (Open Banking UK DCR): the metadata and the
        statement as claims, iss = the statement's software_id, signed by the TPP
    tpp.py assertion --key PEM --kid KID --client-id ID --aud URL
        a private_key_jwt client assertion (RFC 7523 §2.2) for POST /token

Keys: EC P-256 keys sign ES256, RSA keys PS256. Needs joserfc (pip install joserfc).
"""

import argparse
import base64
import json
import re
import secrets
import sys
import time

from joserfc import jws, jwt
from joserfc.jwk import ECKey, RSAKey


def load_key(path, kid=None):
    """A joserfc key from a PEM private key, public key or certificate."""
    with open(path, "rb") as handle:
        data = handle.read()
    if b"BEGIN CERTIFICATE" in data:
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization
        public = x509.load_pem_x509_certificate(data).public_key()
        data = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    parameters = {"kid": kid} if kid else None
    for kind in (ECKey, RSAKey):
        try:
            return kind.import_key(data, parameters=parameters)
        except Exception:  # noqa: BLE001 - try the other key type
            continue
    raise SystemExit(f"tpp.py: {path}: not an EC or RSA key or certificate")


def algorithm(key):
    return "ES256" if isinstance(key, ECKey) else "PS256"


def x5c(chain_path):
    """The x5c header value of a PEM chain: each certificate's DER in standard base64."""
    import ssl
    with open(chain_path, encoding="ascii") as handle:
        text = handle.read()
    blocks = re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", text, re.S)
    return [base64.b64encode(ssl.PEM_cert_to_DER_cert(block)).decode() for block in blocks]


def sign(header, claims, key):
    header = dict(header, alg=algorithm(key))
    payload = json.dumps(claims, separators=(",", ":")).encode()
    return jws.serialize_compact(header, payload, key, algorithms=[header["alg"]])


def command_jwks(arguments):
    key = load_key(arguments.pem, arguments.kid)
    public = key.as_dict(private=False)
    public.setdefault("kid", key.thumbprint())
    public["use"], public["alg"] = "sig", algorithm(key)
    print(json.dumps({"keys": [public]}, indent=2))


def command_ssa(arguments):
    if bool(arguments.kid) == bool(arguments.x5c):
        raise SystemExit("tpp.py ssa: give exactly one of --kid and --x5c")
    key = load_key(arguments.key)
    now = int(time.time())
    claims = {"iss": arguments.iss, "iat": now, "exp": now + arguments.lifetime,
              "jti": secrets.token_urlsafe(16), "software_id": arguments.software_id}
    if arguments.org_id:
        claims["org_id"] = arguments.org_id
        claims["org_status"] = "Active"
    if arguments.client_name:
        claims["software_client_name"] = arguments.client_name
    if arguments.redirect_uri:
        claims["software_redirect_uris"] = arguments.redirect_uri
    if arguments.role:
        claims["software_roles"] = arguments.role
    if arguments.software_jwks:
        with open(arguments.software_jwks, encoding="utf-8") as handle:
            claims["software_jwks"] = json.load(handle)
    if arguments.software_jwks_endpoint:
        claims["software_jwks_endpoint"] = arguments.software_jwks_endpoint
    for item in arguments.claim:
        name, _, value = item.partition("=")
        claims[name] = json.loads(value)
    header = {"typ": "JWT"}
    if arguments.kid:
        header["kid"] = arguments.kid
    else:
        header["x5c"] = x5c(arguments.x5c)
    print(sign(header, claims, key))


def command_request(arguments):
    key = load_key(arguments.key)
    with open(arguments.ssa, encoding="ascii") as handle:
        statement = handle.read().strip()
    unverified = json.loads(base64.urlsafe_b64decode(statement.split(".")[1] + "=="))
    now = int(time.time())
    claims = dict(json.loads(arguments.metadata))
    claims.update({"iss": unverified["software_id"], "aud": arguments.aud, "iat": now, "exp": now + 300,
                   "jti": secrets.token_urlsafe(16), "software_statement": statement})
    print(sign({"typ": "JWT", "kid": arguments.kid}, claims, key))


def command_assertion(arguments):
    key = load_key(arguments.key)
    now = int(time.time())
    claims = {"iss": arguments.client_id, "sub": arguments.client_id, "aud": arguments.aud, "iat": now,
              "exp": now + 60, "jti": secrets.token_urlsafe(16)}
    print(jwt.encode({"alg": algorithm(key), "kid": arguments.kid}, claims, key, algorithms=[algorithm(key)]))


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("jwks", help="the public JWK Set of a key or certificate PEM")
    p.add_argument("pem")
    p.add_argument("--kid", help="default: the key's RFC 7638 thumbprint")
    p.set_defaults(run=command_jwks)

    p = commands.add_parser("ssa", help="a software statement signed by a directory key")
    p.add_argument("--key", required=True, help="the directory's signing key (PEM)")
    p.add_argument("--kid", help="the key's kid in the directory's JWK Set")
    p.add_argument("--x5c", help="the signing certificate's chain (PEM, leaf first) to put in x5c")
    p.add_argument("--iss", required=True, help="the directory's issuer name")
    p.add_argument("--software-id", required=True)
    p.add_argument("--org-id")
    p.add_argument("--client-name")
    p.add_argument("--redirect-uri", action="append", default=[])
    p.add_argument("--role", action="append", default=[], help="a software_roles value (AISP, PISP...)")
    p.add_argument("--software-jwks", help="the TPP's public JWK Set file (software_jwks)")
    p.add_argument("--software-jwks-endpoint", help="the TPP's JWK Set URL (software_jwks_endpoint)")
    p.add_argument("--lifetime", type=int, default=600, help="seconds until exp (default 600)")
    p.add_argument("--claim", action="append", default=[], help="NAME=JSON, any other claim")
    p.set_defaults(run=command_ssa)

    p = commands.add_parser("request", help="a signed registration request")
    p.add_argument("--key", required=True, help="the TPP's signing key (PEM)")
    p.add_argument("--kid", required=True, help="its kid in the statement's software_jwks")
    p.add_argument("--ssa", required=True, help="the software statement file")
    p.add_argument("--aud", required=True, help="the authorization server's issuer")
    p.add_argument("--metadata", default="{}", help="client metadata as a JSON object")
    p.set_defaults(run=command_request)

    p = commands.add_parser("assertion", help="a private_key_jwt client assertion")
    p.add_argument("--key", required=True)
    p.add_argument("--kid", required=True)
    p.add_argument("--client-id", required=True)
    p.add_argument("--aud", required=True, help="the issuer or the token endpoint URL")
    p.set_defaults(run=command_assertion)

    arguments = parser.parse_args(argv)
    arguments.run(arguments)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
