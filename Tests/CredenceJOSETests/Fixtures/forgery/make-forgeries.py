#!/usr/bin/env python3
"""Forges RS256 and PS256 tokens for RSA JWKs whose modulus is a prime or a prime square.

For such a modulus the private exponent follows from public data (phi(p) = p - 1,
phi(p^2) = p(p - 1)), so anyone can sign for the key: the tokens written here verify
mathematically (checked below), and the tests expect the JWKs to be refused at import.

Needs python3 and the openssl command (for the primes). Run from anywhere:
    python3 Tests/CredenceJOSETests/Fixtures/forgery/make-forgeries.py
Writes rsa-degenerate.json next to this script.
"""
import base64
import hashlib
import json
import os
import subprocess

E = 65537
HERE = os.path.dirname(os.path.abspath(__file__))


def prime(bits):
    while True:
        out = subprocess.run(
            ["openssl", "prime", "-generate", "-bits", str(bits), "-hex"],
            check=True, capture_output=True, text=True,
        ).stdout.strip()
        p = int(out, 16)
        if (p - 1) % E != 0:  # e must be invertible modulo phi
            return p


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def int_bytes(value, length=None):
    length = length or (value.bit_length() + 7) // 8
    return value.to_bytes(length, "big")


def emsa_pkcs1_v15_sha256(message, em_len):
    # RFC 8017 §9.2 with the SHA-256 DigestInfo prefix.
    prefix = bytes.fromhex("3031300d060960864801650304020105000420")
    t = prefix + hashlib.sha256(message).digest()
    return b"\x00\x01" + b"\xff" * (em_len - len(t) - 3) + b"\x00" + t


def mgf1_sha256(seed, length):
    out = b""
    counter = 0
    while len(out) < length:
        out += hashlib.sha256(seed + counter.to_bytes(4, "big")).digest()
        counter += 1
    return out[:length]


def emsa_pss_sha256(message, em_bits):
    # RFC 8017 §9.1.1, salt length 32 (RFC 7518 §3.5).
    em_len = (em_bits + 7) // 8
    m_hash = hashlib.sha256(message).digest()
    salt = os.urandom(32)
    h = hashlib.sha256(b"\x00" * 8 + m_hash + salt).digest()
    db = b"\x00" * (em_len - 32 - 32 - 2) + b"\x01" + salt
    masked = bytes(a ^ b for a, b in zip(db, mgf1_sha256(h, em_len - 32 - 1)))
    clear_bits = 8 * em_len - em_bits
    masked = bytes([masked[0] & (0xFF >> clear_bits)]) + masked[1:]
    return masked + h + b"\xbc"


def forge(n, d, alg, kid, payload):
    header = {"alg": alg, "kid": kid}
    signing_input = (
        b64url(json.dumps(header, separators=(",", ":")).encode()) + "." + b64url(payload.encode())
    ).encode()
    k = (n.bit_length() + 7) // 8
    if alg == "RS256":
        em = emsa_pkcs1_v15_sha256(signing_input, k)
    else:
        em = emsa_pss_sha256(signing_input, n.bit_length() - 1)
    m = int.from_bytes(em, "big")
    s = pow(m, d, n)
    assert pow(s, E, n) == m, "the forgery does not verify"  # what a verifier computes
    return signing_input.decode() + "." + b64url(int_bytes(s, k))


def main():
    payload = json.dumps(
        {"iss": "forger", "sub": "victim", "aud": "https://as.example", "exp": 2000000000},
        separators=(",", ":"),
    )
    p = prime(2048)
    q = prime(1024)
    cases = {
        "prime": (p, p - 1),
        "prime-square": (q * q, q * (q - 1)),
    }
    out = {"payload": payload}
    for name, (n, phi) in cases.items():
        assert n.bit_length() == 2048
        d = pow(E, -1, phi)
        entry = {"keys": [], "tokens": {}}
        for alg in ("RS256", "PS256"):
            kid = f"{name}-{alg}"
            entry["keys"].append(
                {"kty": "RSA", "kid": kid, "alg": alg, "n": b64url(int_bytes(n)), "e": b64url(int_bytes(E))}
            )
            entry["tokens"][alg] = forge(n, d, alg, kid, payload)
        out[name] = entry
    with open(os.path.join(HERE, "rsa-degenerate.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
