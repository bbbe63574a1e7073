/*
 * The benchmark's baseline: the least a libfcgi responder can do per request.
 *
 *   bare-responder SOCKET_PATH [THREADS]
 *
 * THREADS (default 32, Credence's default `workers`) threads each loop in
 * FCGX_Accept_r on one shared listening unix socket, read the request's whole
 * body (POST /token carries one) and answer every path with the same small
 * JSON document. No routing, no logging, no allocation per request beyond
 * libfcgi's own: what bench/http.py prints next to each Credence figure is the
 * cost of nginx + FastCGI + libfcgi, which Credence cannot go below.
 *
 * bench/http.py compiles it (`cc -O2 -o … bare-responder.c -lfcgi -lpthread`)
 * into its temp dir and stops it with SIGTERM; it is never installed.
 */
#include <fcgiapp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static const char answer[] =
    "Status: 200 OK\r\n"
    "Content-Type: application/json\r\n"
    "Cache-Control: no-store\r\n"
    "\r\n"
    "{\"status\":\"ok\",\"responder\":\"bare libfcgi\"}\n";

static int listener;

static void *serve(void *unused) {
    (void)unused;
    FCGX_Request request;
    if (FCGX_InitRequest(&request, listener, 0) != 0) {
        return NULL;
    }
    char discard[4096];
    while (FCGX_Accept_r(&request) >= 0) {
        while (FCGX_GetStr(discard, sizeof discard, request.in) > 0) {
        }
        FCGX_PutStr(answer, (int)(sizeof answer - 1), request.out);
        FCGX_Finish_r(&request);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s SOCKET_PATH [THREADS]\n", argv[0]);
        return 2;
    }
    int threads = argc == 3 ? atoi(argv[2]) : 32;
    if (threads < 1 || threads > 1024) {
        fprintf(stderr, "bare-responder: THREADS must be 1 to 1024\n");
        return 2;
    }
    if (FCGX_Init() != 0) {
        fprintf(stderr, "bare-responder: FCGX_Init failed\n");
        return 1;
    }
    listener = FCGX_OpenSocket(argv[1], 1024);
    if (listener < 0) {
        fprintf(stderr, "bare-responder: cannot listen on %s\n", argv[1]);
        return 1;
    }
    /* The web server's workers may run as another user (www-data under root). */
    chmod(argv[1], 0666);
    pthread_t ids[1024];
    for (int i = 0; i < threads; i++) {
        if (pthread_create(&ids[i], NULL, serve, NULL) != 0) {
            fprintf(stderr, "bare-responder: pthread_create failed\n");
            return 1;
        }
    }
    for (int i = 0; i < threads; i++) {
        pthread_join(ids[i], NULL);
    }
    return 0;
}
