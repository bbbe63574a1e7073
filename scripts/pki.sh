#!/usr/bin/env bash
# Demo PKI for running Credence locally and for the end-to-end tests.
#
#   scripts/pki.sh DIR
#
# Creates, in DIR (kept if already there: the script only fills in what is
# missing, and re-issues a certificate whose issuer was re-created):
#
#   server-ca.pem  server-ca.key     "Credence Demo Server CA" (trust anchor for curl)
#   server.pem     server.key        TLS server certificate: localhost, 127.0.0.1, ::1
#   server-chain.pem                 server.pem + server-ca.pem (what nginx/Apache send)
#   client-ca.pem  client-ca.key     "Demo Directory CA": the CA that issues TPP transport
#                                    and signing certificates (the responder's
#                                    mtls.trusted_ca_file for tls_client_auth, RFC 8705 §2.1)
#   tpp.pem        tpp.key           TPP transport certificate, Open Banking style subject
#                                    CN=<software id>, OU=<organisation id>, O=Demo TPP, C=GB,
#                                    EKU clientAuth, issued by the directory CA
#   tpp.subject                      its subject DN as RFC 4514 text (tls_client_auth_subject_dn)
#   selfsigned.pem selfsigned.key    self-signed client certificate
#                                    (self_signed_tls_client_auth, RFC 8705 §2.2)
#   ssa-signer.pem ssa-signer.key    software statement signing key (RSA 2048, for PS256)
#                                    and certificate issued by the directory CA,
#                                    keyUsage digitalSignature
#   ssa-signer-chain.pem             ssa-signer.pem + client-ca.pem (the x5c chain, leaf first)
#   ssa-signer.p12                   the signer's key, certificate and CA as PKCS#12, as the seed
#   ssa-signer.p12.pass              document's directory holds it (openssl pkcs12 -export, OpenSSL 3
#                                    defaults: AES-256-CBC, PBKDF2), and its random password
#   ssa-signer.subject               its subject DN as RFC 4514 text (a trusted issuer's
#                                    statement_signers)
#
# Environment: PKI_SOFTWARE_ID, PKI_ORG_ID override the TPP identifiers in the
# certificate subject (only when tpp.pem is created).
#
# Prints file names, subjects and SHA-256 fingerprints; never key material.
# Private keys are written with mode 0600.
set -euo pipefail

if [[ $# -ne 1 || "$1" == -* ]]; then
    echo "usage: $0 DIR" >&2
    exit 2
fi
dir=$1
mkdir -p "$dir"
cd "$dir"
umask 077

software_id=${PKI_SOFTWARE_ID:-DemoSoftware0000000001}
org_id=${PKI_ORG_ID:-0015800001041REAAY}
ca_days=3650
leaf_days=825

# Names of the pairs re-created in this run, so that dependants are re-issued.
declare -A created=()

have_pair() { [[ -s "$1.pem" && -s "$1.key" ]]; }

new_ec_key() {
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null
}

new_rsa_key() {
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1.key" 2>/dev/null
}

# self_signed NAME SUBJECT EXT...: a self-signed certificate for NAME.key.
self_signed() {
    local name=$1 subject=$2 days=$3
    shift 3
    local ext=()
    for e in "$@"; do ext+=(-addext "$e"); done
    openssl req -x509 -new -key "$name.key" -out "$name.pem" -subj "$subject" \
        -days "$days" -sha256 "${ext[@]}" 2>/dev/null
    chmod 0644 "$name.pem"
}

# issued NAME ISSUER SUBJECT DAYS EXT...: NAME.pem for NAME.key, signed by ISSUER.
issued() {
    local name=$1 issuer=$2 subject=$3 days=$4
    shift 4
    local ext=()
    for e in "$@"; do ext+=(-addext "$e"); done
    openssl req -x509 -new -key "$name.key" -out "$name.pem" -subj "$subject" \
        -days "$days" -sha256 -CA "$issuer.pem" -CAkey "$issuer.key" \
        -set_serial "0x$(openssl rand -hex 16)" "${ext[@]}" 2>/dev/null
    chmod 0644 "$name.pem"
}

# ca NAME SUBJECT: a root CA (kept when present).
ca() {
    local name=$1 subject=$2
    have_pair "$name" && return 0
    new_ec_key "$name"
    self_signed "$name" "$subject" "$ca_days" \
        "basicConstraints=critical,CA:TRUE" \
        "keyUsage=critical,keyCertSign,cRLSign"
    created[$name]=1
}

# leaf NAME ISSUER KEYTYPE SUBJECT EXT...: a certificate issued by ISSUER (kept when
# present and its issuer was not re-created in this run).
leaf() {
    local name=$1 issuer=$2 keytype=$3 subject=$4
    shift 4
    if have_pair "$name" && [[ -z "${created[$issuer]:-}" ]]; then
        return 0
    fi
    [[ -s "$name.key" ]] || "new_${keytype}_key" "$name"
    issued "$name" "$issuer" "$subject" "$leaf_days" "basicConstraints=critical,CA:FALSE" "$@"
    created[$name]=1
}

ca server-ca "/O=Credence Demo/CN=Credence Demo Server CA"
leaf server server-ca ec "/O=Credence Demo/CN=localhost" \
    "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=serverAuth" \
    "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"

ca client-ca "/C=GB/O=Demo Directory/CN=Demo Directory CA"
leaf tpp client-ca ec "/C=GB/O=Demo TPP/OU=$org_id/CN=$software_id" \
    "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=clientAuth"
leaf ssa-signer client-ca rsa "/C=GB/O=Demo Directory/CN=Demo Directory SSA Signing" \
    "keyUsage=critical,digitalSignature"

if ! have_pair selfsigned; then
    new_ec_key selfsigned
    self_signed selfsigned "/C=GB/O=Demo Self-Signed TPP/CN=Demo Self-Signed Client" "$leaf_days" \
        "basicConstraints=critical,CA:FALSE" \
        "keyUsage=critical,digitalSignature" \
        "extendedKeyUsage=clientAuth"
fi

# The signer as PKCS#12 (re-made with the signer); its password is random, kept in a file.
if [[ ! -s ssa-signer.p12 || -n "${created[ssa-signer]:-}" ]]; then
    [[ -s ssa-signer.p12.pass ]] || openssl rand -base64 18 >ssa-signer.p12.pass
    openssl pkcs12 -export -inkey ssa-signer.key -in ssa-signer.pem -certfile client-ca.pem \
        -name "Demo Directory SSA Signing" -passout file:ssa-signer.p12.pass -out ssa-signer.p12
fi
chmod 0600 ssa-signer.p12 ssa-signer.p12.pass

# Derived files: always rewritten (cheap, and never stale).
cat server.pem server-ca.pem >server-chain.pem
cat ssa-signer.pem client-ca.pem >ssa-signer-chain.pem
openssl x509 -in tpp.pem -noout -subject -nameopt RFC2253 | sed 's/^subject=//' >tpp.subject
openssl x509 -in ssa-signer.pem -noout -subject -nameopt RFC2253 | sed 's/^subject=//' >ssa-signer.subject
chmod 0644 server-chain.pem ssa-signer-chain.pem tpp.subject ssa-signer.subject
chmod 0600 ./*.key

openssl verify -CAfile server-ca.pem server.pem >/dev/null
openssl verify -CAfile client-ca.pem tpp.pem ssa-signer.pem >/dev/null

echo "demo PKI in $(pwd)"
for name in server-ca server client-ca tpp ssa-signer selfsigned; do
    subject=$(openssl x509 -in "$name.pem" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')
    fingerprint=$(openssl x509 -in "$name.pem" -noout -fingerprint -sha256 | sed 's/^.*=//')
    mark=""
    [[ -n "${created[$name]:-}" ]] && mark=" (new)"
    printf '  %-15s %s%s\n      sha256 %s\n' "$name.pem" "$subject" "$mark" "$fingerprint"
done
