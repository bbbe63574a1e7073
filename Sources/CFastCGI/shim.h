#ifndef CFASTCGI_SHIM_H
#define CFASTCGI_SHIM_H
/* libfcgi's reentrant API (FCGX_*). fcgiapp.h needs stdio for FILE. */
#include <stdio.h>
#include <fcgiapp.h>
#endif
