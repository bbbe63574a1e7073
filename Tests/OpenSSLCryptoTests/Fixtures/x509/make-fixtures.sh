#!/usr/bin/env bash
# Generates the X.509 test PKI used by Tests/OpenSSLCryptoTests/X509*.swift.
#
# The generated files are committed, so the tests never need the openssl
# command at run time. Run this script again only to change the PKI; every
# test pins its validation time (2030-01-01), so the fixtures never rot.
#
# Needs: OpenSSL 3.0 or later (`openssl ca -crl_lastupdate` is 3.0+; Debian 12
# ships 3.0, whose `x509`/`req` have no -not_before, so every certificate is
# issued with `openssl ca -startdate/-enddate`), od, sed.
#
# Usage: Tests/OpenSSLCryptoTests/Fixtures/x509/make-fixtures.sh
set -euo pipefail

OUT="$(cd "$(dirname "$0")" && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

# Fixed validity windows (UTC).
START=20200101000000Z            # everything ordinary: 2020-01-01 ..
END=20400101000000Z              # .. 2040-01-01
EXPIRED_START=20200101000000Z    # expired leaf: 2020-01-01 .. 2021-01-01
EXPIRED_END=20210101000000Z
FUTURE_START=20350101000000Z     # not-yet-valid leaf: 2035-01-01 .. 2040-01-01
FUTURE_END=20400101000000Z
CRL_LAST=20250101000000Z         # CRLs: issued 2025-01-01, next update 2039-12-31
CRL_NEXT=20391231000000Z

# One CA database per issuer, as `openssl ca` wants.
new_ca_db() {
    mkdir -p "db-$1/new"
    : >"db-$1/index.txt"
    echo "unique_subject = no" >"db-$1/index.txt.attr"
    # Distinct serial ranges per issuer make mix-ups visible in failures.
    echo "$2" >"db-$1/serial"
    echo "1000" >"db-$1/crlnumber"
}

cat >ca.cnf <<'EOF'
[ ca ]
default_ca = issuer

[ issuer ]
dir              = ./db-$ENV::CA_NAME
database         = $dir/index.txt
new_certs_dir    = $dir/new
serial           = $dir/serial
crlnumber        = $dir/crlnumber
default_md       = sha256
policy           = policy_anything
email_in_dn      = yes
copy_extensions  = none
unique_subject   = no
default_crl_days = 30

[ policy_anything ]
# Every field optional: `-preserveDN` keeps the request's DN exactly as written.
countryName            = optional
stateOrProvinceName    = optional
localityName           = optional
organizationName       = optional
organizationalUnitName = optional
commonName             = optional
emailAddress           = optional

[ req ]
distinguished_name = req_dn
[ req_dn ]

[ root_ext ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid

[ intermediate_ext ]
basicConstraints       = critical, CA:TRUE, pathlen:1
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid

[ sub_intermediate_ext ]
basicConstraints       = critical, CA:TRUE, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid

# An "intermediate" that is not a CA: keyCertSign alone must not make it one.
[ non_ca_ext ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyCertSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid

[ client_ext ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = clientAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
subjectAltName         = @client_sans

[ client_sans ]
DNS.1   = client.tpp.example.com
DNS.2   = *.api.tpp.example.com
URI.1   = https://tpp.example.com/software/42
IP.1    = 192.0.2.10
IP.2    = 2001:db8:0:0:1:0:0:1
IP.3    = 2001:DB8::1
email.1 = ops@tpp.example.com
otherName.1 = 1.3.6.1.4.1.311.20.2.3;UTF8:upn@tpp.example.com
RID.1   = 1.2.3.4

[ plain_client_ext ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = clientAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid

[ server_only_ext ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = serverAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
subjectAltName         = DNS:server.tpp.example.com

# OpenSSL's own TLS-client purpose accepts keyAgreement; Credence wants
# digitalSignature (the client proves possession by signing).
[ key_agreement_ext ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, keyAgreement
extendedKeyUsage       = clientAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid

[ ssa_signing_ext ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid

[ self_signed_ext ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = clientAuth
subjectKeyIdentifier   = hash
subjectAltName         = DNS:self.tpp.example.com

[ crl_ext ]
authorityKeyIdentifier = keyid
EOF

export OPENSSL_CONF="$WORK/ca.cnf"
export CA_NAME=root   # overridden per `openssl ca` call below

ec_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
rsa_key() { openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$2" -out "$1" 2>/dev/null; }

# csr KEY SUBJECT OUT
csr() { openssl req -new -key "$1" -subj "$2" -out "$3"; }

# issue CA_NAME CSR ISSUER_CERT ISSUER_KEY EXT START END OUT
issue() {
    CA_NAME="$1" openssl ca -batch -notext -preserveDN -config ca.cnf \
        -in "$2" -cert "$3" -keyfile "$4" -extensions "$5" -extfile ca.cnf \
        -startdate "$6" -enddate "$7" -out "$8" 2>/dev/null
}

# self_sign CA_NAME CSR KEY EXT OUT
self_sign() {
    CA_NAME="$1" openssl ca -batch -notext -preserveDN -selfsign -config ca.cnf \
        -in "$2" -keyfile "$3" -extensions "$4" -extfile ca.cnf \
        -startdate "$START" -enddate "$END" -out "$5" 2>/dev/null
}

new_ca_db root 1001
new_ca_db intermediate 2001
new_ca_db sub 2501
new_ca_db nonca 3001
new_ca_db untrusted 4001
new_ca_db self 5001

# Trusted root (RSA 3072) and its issuing intermediate (P-256).
rsa_key root.key 3072
csr root.key "/C=GB/O=Credence Test PKI/CN=Credence Test Root CA" root.csr
self_sign root root.csr root.key root_ext root-ca.pem

ec_key intermediate.key
csr intermediate.key "/C=GB/O=Credence Test PKI/CN=Credence Test Issuing CA" intermediate.csr
issue root intermediate.csr root-ca.pem root.key intermediate_ext "$START" "$END" intermediate-ca.pem

# The client certificate: several RDNs, characters that RFC 4514 escapes,
# a multi-valued RDN, organizationIdentifier, SANs of every kind.
ec_key leaf-client.key
csr leaf-client.key \
    '/DC=com/DC=example/C=GB/ST=#Hashed County/L=London/O=Credence "Test" <TPP>; Ltd/OU=Payments, Cards \+ FX/organizationIdentifier=PSDGB-OB-0015800001HQQrZAAX/CN=0015800001HQQrZAAX+UID=tpp-42/emailAddress=ops@tpp.example.com' \
    leaf-client.csr
issue intermediate leaf-client.csr intermediate-ca.pem intermediate.key client_ext "$START" "$END" leaf-client.pem

leaf() { # leaf NAME SUBJECT ISSUER EXT START END [KEYKIND]
    if [ "${7:-ec}" = ec ]; then ec_key "$1.key"; else rsa_key "$1.key" "$7"; fi
    csr "$1.key" "$2" "$1.csr"
    case "$3" in
        intermediate) issue intermediate "$1.csr" intermediate-ca.pem intermediate.key "$4" "$5" "$6" "$1.pem" ;;
        sub) issue sub "$1.csr" sub-intermediate-ca.pem sub-intermediate.key "$4" "$5" "$6" "$1.pem" ;;
        nonca) issue nonca "$1.csr" non-ca-intermediate.pem non-ca-intermediate.key "$4" "$5" "$6" "$1.pem" ;;
        untrusted) issue untrusted "$1.csr" untrusted-root-ca.pem untrusted-root.key "$4" "$5" "$6" "$1.pem" ;;
    esac
}

leaf expired-leaf "/C=GB/O=Credence Test TPP/CN=expired" intermediate plain_client_ext "$EXPIRED_START" "$EXPIRED_END"
leaf not-yet-valid-leaf "/C=GB/O=Credence Test TPP/CN=not yet valid" intermediate plain_client_ext "$FUTURE_START" "$FUTURE_END"
leaf server-only-leaf "/C=GB/O=Credence Test TPP/CN=server only" intermediate server_only_ext "$START" "$END"
leaf key-agreement-leaf "/C=GB/O=Credence Test TPP/CN=key agreement only" intermediate key_agreement_ext "$START" "$END"
leaf ssa-signing "/C=GB/O=Credence Test Directory/OU=Software Statements/CN=SSA Signing" intermediate ssa_signing_ext "$START" "$END" 2048
leaf revoked-leaf "/C=GB/O=Credence Test TPP/CN=revoked" intermediate plain_client_ext "$START" "$END"
leaf weak-key-leaf "/C=GB/O=Credence Test TPP/CN=weak RSA-1024 key" intermediate plain_client_ext "$START" "$END" 1024

# An intermediate that is not a CA, and a leaf it "issued".
ec_key non-ca-intermediate.key
csr non-ca-intermediate.key "/C=GB/O=Credence Test TPP/CN=Not A CA" non-ca-intermediate.csr
issue intermediate non-ca-intermediate.csr intermediate-ca.pem intermediate.key non_ca_ext "$START" "$END" non-ca-intermediate.pem
leaf leaf-under-non-ca "/C=GB/O=Credence Test TPP/CN=issued by a non-CA" nonca plain_client_ext "$START" "$END"

# Path length: the intermediate (pathlen 1) issues a sub-CA (pathlen 0), which
# issues one more CA that its pathlen 0 forbids; a leaf under that last CA must
# fail with "path length constraint exceeded".
ec_key sub-intermediate.key
csr sub-intermediate.key "/C=GB/O=Credence Test PKI/CN=Credence Test Sub CA" sub-intermediate.csr
issue intermediate sub-intermediate.csr intermediate-ca.pem intermediate.key sub_intermediate_ext "$START" "$END" sub-intermediate-ca.pem
new_ca_db toodeep 6001
ec_key too-deep-ca.key
csr too-deep-ca.key "/C=GB/O=Credence Test PKI/CN=Credence Test CA Beyond Path Length" too-deep-ca.csr
issue sub too-deep-ca.csr sub-intermediate-ca.pem sub-intermediate.key sub_intermediate_ext "$START" "$END" too-deep-ca.pem
ec_key leaf-too-deep.key
csr leaf-too-deep.key "/C=GB/O=Credence Test TPP/CN=beyond path length" leaf-too-deep.csr
issue toodeep leaf-too-deep.csr too-deep-ca.pem too-deep-ca.key plain_client_ext "$START" "$END" leaf-too-deep.pem

# A root nobody trusts, and a leaf under it.
rsa_key untrusted-root.key 2048
csr untrusted-root.key "/C=GB/O=Somebody Else/CN=Untrusted Root CA" untrusted-root.csr
self_sign untrusted untrusted-root.csr untrusted-root.key root_ext untrusted-root-ca.pem
leaf untrusted-leaf "/C=GB/O=Somebody Else/CN=untrusted leaf" untrusted plain_client_ext "$START" "$END"

# A self-signed client certificate (RFC 8705 §2.2 self_signed_tls_client_auth).
ec_key self-signed-leaf.key
csr self-signed-leaf.key "/C=GB/O=Credence Test TPP/CN=self-signed client" self-signed-leaf.csr
self_sign self self-signed-leaf.csr self-signed-leaf.key self_signed_ext self-signed-leaf.pem

# Revocation: the intermediate revokes revoked-leaf; both CAs publish a CRL.
CA_NAME=intermediate openssl ca -batch -config ca.cnf -cert intermediate-ca.pem -keyfile intermediate.key \
    -revoke revoked-leaf.pem -crl_reason keyCompromise 2>/dev/null
CA_NAME=intermediate openssl ca -batch -config ca.cnf -gencrl -cert intermediate-ca.pem -keyfile intermediate.key \
    -crlexts crl_ext -crl_lastupdate "$CRL_LAST" -crl_nextupdate "$CRL_NEXT" -out intermediate.crl.pem 2>/dev/null
CA_NAME=root openssl ca -batch -config ca.cnf -gencrl -cert root-ca.pem -keyfile root.key \
    -crlexts crl_ext -crl_lastupdate "$CRL_LAST" -crl_nextupdate "$CRL_NEXT" -out root.crl.pem 2>/dev/null

# ---- Copy out what the tests read. -------------------------------------------
for f in root-ca intermediate-ca sub-intermediate-ca too-deep-ca leaf-client expired-leaf \
    not-yet-valid-leaf server-only-leaf key-agreement-leaf ssa-signing revoked-leaf weak-key-leaf \
    non-ca-intermediate leaf-under-non-ca leaf-too-deep untrusted-root-ca untrusted-leaf \
    self-signed-leaf; do
    openssl x509 -in "$f.pem" -out "$OUT/$f.pem"
done
cat intermediate.crl.pem root.crl.pem >"$OUT/crls.pem"
cp root-ca.pem "$OUT/trusted-roots.pem"

# The leaf client's private key, for end-to-end mTLS tests (curl through
# nginx/Apache). A throwaway test key, never used anywhere else.
openssl pkey -in leaf-client.key -out "$OUT/leaf-client.key"

hex() { od -An -v -tx1 | tr -d ' \n'; }

# Facts computed by the openssl command, for the tests to compare against.
openssl x509 -in leaf-client.pem -outform DER -out "$OUT/leaf-client.der"
openssl x509 -in leaf-client.pem -outform DER | openssl dgst -sha256 -binary | hex >"$OUT/leaf-client.sha256.hex"
openssl x509 -in leaf-client.pem -noout -subject -nameopt RFC2253 | sed 's/^subject=//' >"$OUT/leaf-client.subject-rfc2253.txt"
openssl x509 -in leaf-client.pem -noout -issuer -nameopt RFC2253 | sed 's/^issuer=//' >"$OUT/leaf-client.issuer-rfc2253.txt"
openssl x509 -in leaf-client.pem -noout -serial | sed 's/^serial=//' >"$OUT/leaf-client.serial.txt"
openssl x509 -in leaf-client.pem -noout -pubkey | openssl pkey -pubin -outform DER -out "$OUT/leaf-client.spki.der"
openssl x509 -in self-signed-leaf.pem -noout -pubkey | openssl pkey -pubin -outform DER -out "$OUT/self-signed-leaf.spki.der"
openssl x509 -in ssa-signing.pem -noout -subject -nameopt RFC2253 | sed 's/^subject=//' >"$OUT/ssa-signing.subject-rfc2253.txt"

echo "fixtures written to $OUT"
