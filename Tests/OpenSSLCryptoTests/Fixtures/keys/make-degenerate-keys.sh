#!/bin/sh
# Regenerates the degenerate RSA public keys that PublicKeyValidationTests expect to be refused:
# each is 2048 bits (so the size policy alone would pass it) and each gives away its private
# exponent (phi(n) is computable from n), so any signature for it can be forged.
#
#   rsa-prime-modulus-public.pem     n = p, a 2048-bit prime
#   rsa-prime-square-public.pem      n = q^2, q a 1024-bit prime
#   rsa-small-factor-public.pem      n = 3 * r, r a 2047-bit prime
#   rsa-exponent-one-public.pem      a real 2048-bit modulus with e = 1 (the "signature" is the message)
#   rsa-moduli.txt                   the three moduli in hex, one "name hex" per line, for the
#                                    tests that build the same keys from JWK-style components
#
# Run from this folder with OpenSSL 3 and python3: sh make-degenerate-keys.sh
set -eu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# DER SubjectPublicKeyInfo (RFC 8017 A.1.1 inside RFC 5280 §4.1.2.7) for n, e given in hex.
spki() {
    cat >"$work/spki.cnf" <<CNF
asn1=SEQUENCE:spki
[spki]
algorithm=SEQUENCE:alg
key=BITWRAP,SEQUENCE:rsakey
[alg]
oid=OID:rsaEncryption
parameters=NULL
[rsakey]
n=INTEGER:0x$1
e=INTEGER:0x$2
CNF
    openssl asn1parse -genconf "$work/spki.cnf" -noout -out "$work/spki.der"
    {
        echo "-----BEGIN PUBLIC KEY-----"
        openssl base64 -in "$work/spki.der"
        echo "-----END PUBLIC KEY-----"
    } >"$3"
}

p=$(openssl prime -generate -bits 2048 -hex)
q=$(openssl prime -generate -bits 1024 -hex)
r=$(openssl prime -generate -bits 2047 -hex)
square=$(python3 -c "print(format(int('$q', 16) ** 2, 'X'))")
small=$(python3 -c "print(format(3 * int('$r', 16), 'X'))")
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/real.pem" 2>/dev/null
real=$(openssl pkey -in "$work/real.pem" -noout -text_pub | python3 -c "
import sys, re
text = sys.stdin.read()
block = re.search(r'Modulus:\s*\n((?:\s+[0-9a-f:]+\n)+)', text).group(1)
print(re.sub(r'[^0-9a-f]', '', block).upper().lstrip('0'))")

spki "$p" 010001 rsa-prime-modulus-public.pem
spki "$square" 010001 rsa-prime-square-public.pem
spki "$small" 010001 rsa-small-factor-public.pem
spki "$real" 01 rsa-exponent-one-public.pem
# Even-length hex (whole bytes) for the tests' reader.
python3 -c "
for name, value in (('prime', '$p'), ('prime-square', '$square'), ('small-factor', '$small')):
    text = format(int(value, 16), 'x')
    print(name, text.rjust(len(text) + len(text) % 2, '0'))" >rsa-moduli.txt
