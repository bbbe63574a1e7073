#ifndef CFASTCGI_SHIM_H
#define CFASTCGI_SHIM_H
/* libfcgi's reentrant API (FCGX_*). fcgiapp.h needs stdio for FILE. */
#include <stdio.h>
#include <fcgiapp.h>
/* epoll(7), which Swift's Glibc module does not export: the responder's idle web-server
   connections wait in one epoll set (ConnectionPoller), not in a worker each. */
#include <sys/epoll.h>
#endif
