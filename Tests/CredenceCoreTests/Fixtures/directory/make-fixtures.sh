#!/usr/bin/env bash
# Generates the software-statement directory PKI used by Tests/CredenceCoreTests/TrustRegistry*.
#
# A directory CA issues both the certificate that signs software statements (SSA signer) and
# the TPPs' own certificates (a transport certificate, with its key): a statement signed by the
# TPP's certificate chains to the same CA and must still be refused. A second, unrelated CA
# issues a signer with the very same subject, so that a subject match alone never suffices.
#
# The generated files are committed; the tests never run openssl. Every certificate is valid
# 2020-01-01 .. 2040-01-01 and every test pins its time inside that window, so nothing rots.
# The keys are throwaway test keys, used nowhere else.
#
# Needs: OpenSSL 3.0 or later.
# Usage: Tests/CredenceCoreTests/Fixtures/directory/make-fixtures.sh
set -euo pipefail

OUT="$(cd "$(dirname "$0")" && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

START=20200101000000Z
END=20400101000000Z

cat >ca.cnf <<'CNF'
[ ca ]
default_ca = issuer

[ issuer ]
dir              = ./db-$ENV::CA_NAME
database         = $dir/index.txt
new_certs_dir    = $dir/new
serial           = $dir/serial
default_md       = sha256
policy           = policy_anything
copy_extensions  = none
unique_subject   = no

[ policy_anything ]
countryName            = optional
organizationName       = optional
organizationalUnitName = optional
commonName             = optional

[ req ]
distinguished_name = req_dn
[ req_dn ]

[ root_ext ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid

[ ssa_signing_ext ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid

[ transport_ext ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = clientAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
CNF
export OPENSSL_CONF="$WORK/ca.cnf"
export CA_NAME=directory  # `openssl req` reads the file too; each `openssl ca` call sets its own

new_ca_db() {
    mkdir -p "db-$1/new"
    : >"db-$1/index.txt"
    echo "unique_subject = no" >"db-$1/index.txt.attr"
    echo "$2" >"db-$1/serial"
}
ec_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
rsa_key() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null; }
csr() { openssl req -new -key "$1" -subj "$2" -out "$3"; }
self_sign() { # CA_NAME KEY SUBJECT OUT
    csr "$2" "$3" "$1.csr"
    CA_NAME="$1" openssl ca -batch -notext -preserveDN -selfsign -config ca.cnf -in "$1.csr" -keyfile "$2" \
        -extensions root_ext -extfile ca.cnf -startdate "$START" -enddate "$END" -out "$4" 2>/dev/null
}
issue() { # CA_NAME CA_CERT CA_KEY KEY SUBJECT EXT OUT
    csr "$4" "$5" "$7.csr"
    CA_NAME="$1" openssl ca -batch -notext -preserveDN -config ca.cnf -in "$7.csr" -cert "$2" -keyfile "$3" \
        -extensions "$6" -extfile ca.cnf -startdate "$START" -enddate "$END" -out "$7" 2>/dev/null
}

new_ca_db directory 7001
new_ca_db other 8001

rsa_key directory-ca.key
self_sign directory directory-ca.key "/C=GB/O=Credence Test Directory/CN=Credence Test Directory CA" directory-ca.pem
rsa_key ssa-signer.key
issue directory directory-ca.pem directory-ca.key ssa-signer.key \
    "/C=GB/O=Credence Test Directory/OU=Software Statements/CN=SSA Signer" ssa_signing_ext ssa-signer.pem
ec_key tpp-transport.key
issue directory directory-ca.pem directory-ca.key tpp-transport.key \
    "/C=GB/O=Credence Test Directory/OU=0015800001HQQrZAAX/CN=software-42" transport_ext tpp-transport.pem

ec_key other-ca.key
self_sign other other-ca.key "/C=GB/O=Somebody Else/CN=Unrelated CA" other-ca.pem
rsa_key other-signer.key
issue other other-ca.pem other-ca.key other-signer.key \
    "/C=GB/O=Credence Test Directory/OU=Software Statements/CN=SSA Signer" ssa_signing_ext other-signer.pem

for f in directory-ca ssa-signer tpp-transport other-ca other-signer; do
    openssl x509 -in "$f.pem" -out "$OUT/$f.pem"
done
for f in ssa-signer tpp-transport other-signer; do
    openssl pkey -in "$f.key" -out "$OUT/$f.key"
done

hex() { od -An -v -tx1 | tr -d ' \n'; }
# Facts computed by openssl, for the tests: the signer's subject (RFC 4514) and SPKI SHA-256.
openssl x509 -in ssa-signer.pem -noout -subject -nameopt RFC2253 | sed 's/^subject=//' >"$OUT/ssa-signer.subject-rfc4514.txt"
openssl x509 -in ssa-signer.pem -noout -pubkey | openssl pkey -pubin -outform DER | openssl dgst -sha256 -binary | hex \
    >"$OUT/ssa-signer.spki-sha256.hex"

echo "fixtures written to $OUT"
