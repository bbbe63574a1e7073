"""Re-encodes the RFC 7520 §3.2 and §3.4 private JWKs (jwk/3_2, jwk/3_4) as PKCS#8 PEM, so the
tests can reproduce the deterministic RS256 example (§4.1) byte for byte through
PrivateKey(pkcs8PEM:). Needs Python 3 with joserfc (or cryptography). Run from this folder."""
import json
from cryptography.hazmat.primitives import serialization
from joserfc.jwk import RSAKey, ECKey

for name, cls, out in [("jwk/3_4.rsa_private_key.json", RSAKey, "3_4.rsa_private_key.pem"),
                       ("jwk/3_2.ec_private_key.json", ECKey, "3_2.ec_private_key.pem")]:
    key = cls.import_key(json.load(open(name)))
    pem = key.private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption())
    open(out, "wb").write(pem)
