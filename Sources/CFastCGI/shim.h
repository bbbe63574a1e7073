#ifndef CFASTCGI_SHIM_H
#define CFASTCGI_SHIM_H
/* libfcgi's reentrant API (FCGX_*). fcgiapp.h needs stdio for FILE. */
#include <stdio.h>
#include <fcgiapp.h>
/* epoll(7): Swift's Glibc module leaves out Linux-only headers; the FastCGI workers wait
 * for the listening socket with EPOLLEXCLUSIVE so a connection wakes one idle worker. */
#include <sys/epoll.h>
#endif
