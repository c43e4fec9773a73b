#ifndef TASKPOD_CCURL_SHIM_H
#define TASKPOD_CCURL_SHIM_H
#include <curl/curl.h>

/* curl_easy_setopt and friends are variadic; Swift cannot call them. One typed wrapper per argument kind. */

static inline CURLcode taskpod_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode taskpod_easy_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode taskpod_easy_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode taskpod_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode taskpod_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

typedef size_t (*taskpod_data_callback)(char *ptr, size_t size, size_t nmemb, void *userdata);

static inline CURLcode taskpod_easy_setopt_data_callback(CURL *handle, CURLoption option, taskpod_data_callback cb) {
    return curl_easy_setopt(handle, option, cb);
}

/* Copies the blob: the bytes need not outlive the call (CURL_BLOB_COPY). */
static inline CURLcode taskpod_easy_setopt_blob(CURL *handle, CURLoption option, void *data, size_t len) {
    struct curl_blob blob;
    blob.data = data;
    blob.len = len;
    blob.flags = CURL_BLOB_COPY;
    return curl_easy_setopt(handle, option, &blob);
}

static inline CURLcode taskpod_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode taskpod_easy_getinfo_pointer(CURL *handle, CURLINFO info, void **value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLMcode taskpod_multi_setopt_long(CURLM *handle, CURLMoption option, long value) {
    return curl_multi_setopt(handle, option, value);
}

static inline size_t taskpod_writefunc_pause(void) { return CURL_WRITEFUNC_PAUSE; }

#endif
