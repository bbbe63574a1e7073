/*
 * Gives wrk a TLS client certificate, which it has no option for.
 *
 *   BENCH_CLIENT_CERT=tpp.pem BENCH_CLIENT_KEY=tpp.key \
 *       LD_PRELOAD=/tmp/…/wrk-client-cert.so wrk … https://…/token
 *
 * wrk (Debian's, linked against libssl.so.3) creates one SSL_CTX at start and
 * one SSL per connection from it. This preloaded SSL_CTX_new calls the real
 * one and loads the certificate chain and key into the new context, so every
 * connection presents them when the server asks (the mTLS alias host's
 * `ssl_verify_client optional_no_ca`). It exits when they cannot be loaded:
 * a run must never quietly go without a certificate.
 *
 * Why not another load generator: h2load (nghttp2 1.52) has no client
 * certificate option; siege has one (`ssl-cert` in its rc file) and keeps
 * connections alive, but costs about ten times wrk's CPU per request, and on a
 * machine where the load generator shares the cores with nginx, the responder
 * and PostgreSQL that would lower the very figure being measured. With this
 * shim the certificate-bound token rows come from the same wrk as every other
 * row. bench/http.py compiles it (`cc -O2 -shared -fPIC … -ldl`) into its temp
 * dir; it is never installed.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>

SSL_CTX *SSL_CTX_new(const SSL_METHOD *method) {
    static SSL_CTX *(*real)(const SSL_METHOD *);
    if (real == NULL) {
        real = (SSL_CTX * (*)(const SSL_METHOD *)) dlsym(RTLD_NEXT, "SSL_CTX_new");
        if (real == NULL) {
            fprintf(stderr, "wrk-client-cert: no SSL_CTX_new in the loaded libssl\n");
            exit(2);
        }
    }
    SSL_CTX *context = real(method);
    const char *certificate = getenv("BENCH_CLIENT_CERT");
    const char *key = getenv("BENCH_CLIENT_KEY");
    if (context == NULL || certificate == NULL || key == NULL) {
        return context;
    }
    if (SSL_CTX_use_certificate_chain_file(context, certificate) != 1 ||
        SSL_CTX_use_PrivateKey_file(context, key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(context) != 1) {
        fprintf(stderr, "wrk-client-cert: cannot load %s with %s\n", certificate, key);
        exit(2);
    }
    return context;
}
