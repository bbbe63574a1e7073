#!/bin/sh
# Regenerates the hostile key fixtures of OpenSSLCryptoTests (keys the policy must refuse).
# Run from this folder with OpenSSL 3: sh make-keys.sh
set -eu
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa1024-private.pem
openssl pkey -in rsa1024-private.pem -pubout -out rsa1024-public.pem
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
  | openssl pkey -aes256 -passout pass:secret -out p256-encrypted-private.pem
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1 | openssl pkey -pubout -out secp256k1-public.pem
openssl genpkey -algorithm ED448 | openssl pkey -pubout -out ed448-public.pem
openssl genpkey -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:2048 | openssl pkey -pubout -out rsa-pss-only-public.pem
