#!/usr/bin/env python3
"""Interoperability driver for CredenceJOSE, using joserfc as the independent implementation.

Run by InteropTests.swift; needs Python 3 and joserfc (CI: pip install joserfc==1.6.5).

    joserfc_interop.py check              exit 0 if joserfc imports
    joserfc_interop.py sign  < spec.json  sign one JWT per algorithm with fresh joserfc keys
    joserfc_interop.py verify < cases.json verify tokens signed by CredenceJOSE

`sign` reads {"algorithms": [...], "claims": {...}} and writes a JSON array of
{"alg", "jwk" (public), "token", "thumbprint"}. `verify` reads an array of
{"alg", "jwk", "token"} and writes an array of {"alg", "ok", "claims" | "error", "thumbprint"}.
"""
import json
import sys
import warnings

warnings.simplefilter("ignore")  # joserfc warns that EdDSA is deprecated by RFC 9864

try:
    from joserfc import jwt
    from joserfc.jwk import ECKey, OKPKey, RSAKey, import_key
except ImportError as error:  # reported by the Swift test as a skip reason
    print(f"joserfc is not importable: {error}", file=sys.stderr)
    sys.exit(3)


def new_key(alg):
    if alg.startswith(("RS", "PS")):
        return RSAKey.generate_key(2048)
    if alg == "ES256":
        return ECKey.generate_key("P-256")
    if alg == "ES384":
        return ECKey.generate_key("P-384")
    if alg == "ES512":
        return ECKey.generate_key("P-521")
    if alg == "EdDSA":
        return OKPKey.generate_key("Ed25519")
    raise ValueError(alg)


def sign(spec):
    out = []
    for alg in spec["algorithms"]:
        key = new_key(alg)
        kid = f"joserfc-{alg}"
        token = jwt.encode({"alg": alg, "kid": kid, "typ": "JWT"}, spec["claims"], key, algorithms=[alg])
        public = key.as_dict(private=False)
        public["kid"] = kid
        if alg.startswith("RS"):
            # An RSA JWK without "alg" serves PS256/384/512 only in CredenceJOSE (RFC 8725 §3.1).
            public["alg"] = alg
        out.append({"alg": alg, "jwk": public, "token": token, "thumbprint": key.thumbprint()})
    return out


def verify(cases):
    out = []
    for case in cases:
        key = import_key(case["jwk"])
        result = {"alg": case["alg"], "thumbprint": key.thumbprint()}
        try:
            decoded = jwt.decode(case["token"], key, algorithms=[case["alg"]])
            result["ok"] = decoded.header.get("alg") == case["alg"]
            result["claims"] = decoded.claims
        except Exception as error:  # noqa: BLE001 - any failure is a refusal to report
            result["ok"] = False
            result["error"] = f"{type(error).__name__}: {error}"
        out.append(result)
    return out


def main():
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "check":
        return 0
    data = json.load(sys.stdin)
    if command == "sign":
        json.dump(sign(data), sys.stdout)
    elif command == "verify":
        json.dump(verify(data), sys.stdout)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
