#ifndef CCURL_SHIM_H
#define CCURL_SHIM_H
/* libcurl (the OpenSSL flavour, libcurl4-openssl-dev). Only CurlHTTP imports this module.
 * Shims exist only for what Swift cannot call directly: curl_easy_setopt and
 * curl_easy_getinfo are C variadic functions, and CURL_GLOBAL_DEFAULT is a macro
 * expression. Each is named CCurl_<original>_<argument type>. */
#include <curl/curl.h>

/* curl_global_init's flags: CURL_GLOBAL_DEFAULT is an OR of macros Swift does not import. */
static inline CURLcode CCurl_curl_global_init_default(void) { return curl_global_init(CURL_GLOBAL_DEFAULT); }

/* curl_easy_setopt is variadic: one typed entry point per kind of argument. */
static inline CURLcode CCurl_curl_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode CCurl_curl_easy_setopt_offset(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode CCurl_curl_easy_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode CCurl_curl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode CCurl_curl_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}
typedef size_t (*CCurl_write_callback)(char *data, size_t size, size_t count, void *context);
static inline CURLcode CCurl_curl_easy_setopt_write_callback(CURL *handle, CCurl_write_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback);
}

/* curl_easy_getinfo is variadic too. */
static inline CURLcode CCurl_curl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}
static inline CURLcode CCurl_curl_easy_getinfo_string(CURL *handle, CURLINFO info, const char **value) {
    return curl_easy_getinfo(handle, info, value);
}

#endif
