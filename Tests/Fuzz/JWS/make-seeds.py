#!/usr/bin/env python3
"""Writes the seed corpus of the FuzzJWS target (Tests/Fuzz/JWS/corpus): valid tokens of every
algorithm (signed by joserfc), hostile tokens, JWKs and JWK Sets. Run from the repository root."""
import base64
import json
import os
import warnings

warnings.simplefilter("ignore")
from joserfc import jwt
from joserfc.jwk import ECKey, OKPKey, RSAKey

out = "Tests/Fuzz/JWS/corpus"
os.makedirs(out, exist_ok=True)


def b64(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def write(name, text):
    with open(os.path.join(out, name), "w", newline="") as f:
        f.write(text)


claims = {"iss": "https://issuer.example", "sub": "c", "aud": ["https://as.example"], "exp": 2000000000,
          "iat": 1999999000, "jti": "j", "scope": "a b"}
keys = {"ES256": ECKey.generate_key("P-256"), "ES384": ECKey.generate_key("P-384"),
        "ES512": ECKey.generate_key("P-521"), "EdDSA": OKPKey.generate_key("Ed25519")}
rsa = RSAKey.generate_key(2048)
for alg in ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]:
    keys[alg] = rsa
jwks = []
for alg, key in keys.items():
    write(f"valid-{alg}.jwt", jwt.encode({"alg": alg, "kid": "ec" if alg == "ES256" else alg}, claims, key, algorithms=[alg]))
    public = key.as_dict(private=False)
    public["kid"] = alg
    write(f"jwk-{alg}.json", json.dumps(public))
    jwks.append(public)
write("jwks.json", json.dumps({"keys": jwks}))
payload = b64(json.dumps(claims))
sig = b64(b"\x00" * 64)
write("alg-none.jwt", b64('{"alg":"none"}') + "." + payload + ".")
write("hs256.jwt", b64('{"alg":"HS256"}') + "." + payload + "." + b64(b"\x01" * 32))
write("zero-sig.jwt", b64('{"alg":"ES256","kid":"ec"}') + "." + payload + "." + sig)
write("crit.jwt", b64('{"alg":"ES256","crit":["exp"],"exp":1}') + "." + payload + "." + sig)
write("dup-header.jwt", b64('{"alg":"ES256","alg":"none"}') + "." + payload + "." + sig)
write("dup-claims.jwt", b64('{"alg":"ES256"}') + "." + b64('{"sub":"a","sub":"b"}') + "." + sig)
write("array-header.jwt", b64('["alg","ES256"]') + "." + payload + "." + sig)
write("nested.jwt", b64('{"alg":"ES256","x":' + "[" * 40 + "]" * 40 + "}") + "." + payload + "." + sig)
write("padded.jwt", b64('{"alg":"ES256"}') + "==." + payload + "." + sig)
write("unicode.jwt", b64('{"alg":"ES256","kid":"\\ud83d\\ude00\u00e9"}') + "." + b64('{"aud":"\\u0000"}') + "." + sig)
write("numbers.jwt", b64('{"alg":"ES256"}') + "." + b64('{"exp":1e400,"nbf":-0.0,"iat":12345678901234567890}') + "." + sig)
write("jwe-like.jwt", "a.b.c.d.e")
write("private-jwk.json", '{"kty":"EC","crv":"P-256","x":"AA","y":"AA","d":"AA"}')
