#!/usr/bin/env bash
# A small PKI of its own (independent of ../make-fixtures.sh, whose CA keys are not kept) for
# the hardening tests of issue 6:
#
#   root-ca.pem                  trusted root (P-256)
#   intermediate-ca.pem          a well-formed issuing CA under it
#   control-leaf.pem/.key        a well-formed client leaf: the chain verifies (the control)
#   lax-intermediate-ca.pem      a CA whose basicConstraints is not critical (RFC 5280 §4.2.1.9
#                                says it MUST be): accepted by OpenSSL's default verification,
#                                refused with X509_V_FLAG_X509_STRICT
#   leaf-under-lax.pem           a well-formed leaf issued by it
#   identity-ed25519-leaf.pem    a leaf whose key is the Ed25519 identity point (small order: the
#                                signature R = identity, s = 0 verifies for any message)
#   prime-rsa-leaf.pem           a leaf whose RSA modulus is a 2048-bit prime
#
# The last two are made with `openssl x509 -force_pubkey` (no CSR can be made for them): a CA
# that signs whatever key it is given. Their chains verify; their keys must be refused.
#
# Validity: issued for 100 years from the run (`openssl x509 -req -days`; OpenSSL 3.0 has no
# -not_before), the tests pin 2030-01-01: regenerate before then or move the tests' time.
# The script checks the strict/lax difference with `openssl verify` before writing anything.
#
# Usage: Tests/OpenSSLCryptoTests/Fixtures/x509/hardening/make-hardening-fixtures.sh
set -euo pipefail

OUT="$(cd "$(dirname "$0")" && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

cat >ext.cnf <<'CNF'
[ root ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
[ intermediate ]
basicConstraints       = critical, CA:TRUE, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
[ lax_intermediate ]
basicConstraints       = CA:TRUE, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
[ leaf ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = clientAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
CNF

DAYS=36500
serial=100
ec_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
csr() { openssl req -new -key "$1" -subj "$2" -out "$3"; }
# issue CSR ISSUER_CERT ISSUER_KEY EXT OUT [FORCED_PUBKEY]
issue() {
    serial=$((serial + 1))
    openssl x509 -req -in "$1" -CA "$2" -CAkey "$3" -set_serial "$serial" -days "$DAYS" -sha256 \
        -extfile ext.cnf -extensions "$4" ${6:+-force_pubkey "$6"} -out "$5" 2>/dev/null
}

ec_key root.key
openssl req -new -x509 -key root.key -subj "/C=GB/O=Credence Hardening PKI/CN=Hardening Root CA" \
    -days "$DAYS" -sha256 -config ext.cnf -extensions root -set_serial 1 -out root-ca.pem 2>/dev/null

ec_key intermediate.key
csr intermediate.key "/C=GB/O=Credence Hardening PKI/CN=Hardening Issuing CA" intermediate.csr
issue intermediate.csr root-ca.pem root.key intermediate intermediate-ca.pem

ec_key lax.key
csr lax.key "/C=GB/O=Credence Hardening PKI/CN=Lax Issuing CA" lax.csr
issue lax.csr root-ca.pem root.key lax_intermediate lax-intermediate-ca.pem

ec_key control-leaf.key
csr control-leaf.key "/C=GB/O=Credence Hardening TPP/CN=control" control-leaf.csr
issue control-leaf.csr intermediate-ca.pem intermediate.key leaf control-leaf.pem

ec_key lax-leaf.key
csr lax-leaf.key "/C=GB/O=Credence Hardening TPP/CN=under a lax CA" lax-leaf.csr
issue lax-leaf.csr lax-intermediate-ca.pem lax.key leaf leaf-under-lax.pem

# The Ed25519 identity point (y = 1): SubjectPublicKeyInfo per RFC 8410 §4.
printf '302a300506032b6570032100%s' "01$(printf '0%.0s' $(seq 62))" | xxd -r -p >identity.der
openssl pkey -pubin -inform DER -in identity.der -out identity.pem
csr control-leaf.key "/C=GB/O=Credence Hardening TPP/CN=identity Ed25519 key" identity.csr
issue identity.csr intermediate-ca.pem intermediate.key leaf identity-ed25519-leaf.pem identity.pem

# A 2048-bit prime as an RSA modulus.
p=$(openssl prime -generate -bits 2048 -hex)
cat >prime.cnf <<CNF
asn1=SEQUENCE:spki
[spki]
algorithm=SEQUENCE:alg
key=BITWRAP,SEQUENCE:rsakey
[alg]
oid=OID:rsaEncryption
parameters=NULL
[rsakey]
n=INTEGER:0x$p
e=INTEGER:0x010001
CNF
openssl asn1parse -genconf prime.cnf -noout -out prime.der
openssl pkey -pubin -inform DER -in prime.der -out prime.pem
csr control-leaf.key "/C=GB/O=Credence Hardening TPP/CN=prime RSA modulus" prime.csr
issue prime.csr intermediate-ca.pem intermediate.key leaf prime-rsa-leaf.pem prime.pem

# The difference X509_STRICT makes, checked here with the openssl command.
openssl verify -CAfile root-ca.pem -untrusted lax-intermediate-ca.pem leaf-under-lax.pem >/dev/null
if openssl verify -x509_strict -CAfile root-ca.pem -untrusted lax-intermediate-ca.pem leaf-under-lax.pem \
    >/dev/null 2>&1; then
    echo "make-hardening-fixtures.sh: strict verification accepted the lax CA" >&2
    exit 1
fi
for leaf in control-leaf identity-ed25519-leaf prime-rsa-leaf; do
    openssl verify -x509_strict -CAfile root-ca.pem -untrusted intermediate-ca.pem "$leaf.pem" >/dev/null
done

for f in root-ca intermediate-ca lax-intermediate-ca control-leaf leaf-under-lax identity-ed25519-leaf \
    prime-rsa-leaf; do
    openssl x509 -in "$f.pem" -out "$OUT/$f.pem"
done
# A throwaway test key, to sign tokens with the control leaf's x5c chain.
openssl pkey -in control-leaf.key -out "$OUT/control-leaf.key"
echo "fixtures written to $OUT"
