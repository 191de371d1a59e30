/* HTTPS over libcurl. Easy handles are pooled so connections (and TLS sessions) are reused. */
#include "http.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "platform.h"
#include "error.h"
#include "log.h"
#include "seam.h"

#define POOL_SIZE 8
#define MAX_COLLECTED_BODY (8u << 20)
#define CONNECT_TIMEOUT_MS 10000L
#define DEFAULT_MAX_RETRIES 3
#define MAX_MAX_RETRIES 20

struct kusto_http {
    char *ca_file;
    char *proxy; /* NULL: libcurl reads https_proxy / no_proxy from the environment */
    int max_retries;
    unsigned long long max_response_bytes; /* 0: unlimited */
    pthread_mutex_t lock;
    CURL *idle[POOL_SIZE];
    int idle_count;
};

typedef struct transfer {
    CURL *curl;
    const kusto_http_request *req;
    kusto_http_response *resp;
    kusto_status sink_status;
    kusto_error **err;
    unsigned long long max_bytes;
} transfer;

/* A CA file that cannot be read is the caller's mistake, said at once: not a TLS failure at the first request. */
static kusto_status check_ca_file(const char *ca_file, kusto_error **err) {
    FILE *f = ca_file ? fopen(ca_file, "r") : NULL;
    if (!ca_file || f) {
        if (f) fclose(f);
        return KUSTO_OK;
    }
    return kusto_fail(err, KUSTO_E_ARGUMENT, "cannot read CA file '%s' (option ca_file): %s", ca_file, strerror(errno));
}

kusto_status kusto_http_new(kusto_http **out, const char *ca_file, kusto_error **err) {
    *out = NULL;
    kusto_status checked = check_ca_file(ca_file, err);
    if (checked != KUSTO_OK) return checked;
    kusto_http *http = calloc(1, sizeof *http);
    if (!http || pthread_mutex_init(&http->lock, NULL) != 0) {
        free(http);
        return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    }
    if (!ca_file) ca_file = kusto_system_ca_file(curl_version_info(CURLVERSION_NOW)->cainfo);
    if (ca_file && !(http->ca_file = kusto_strdup(ca_file))) {
        kusto_http_free(http);
        return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    }
    http->max_retries = DEFAULT_MAX_RETRIES;
    *out = http;
    return KUSTO_OK;
}

static kusto_status parse_count(const char *name, const char *text, unsigned long long max, unsigned long long *out,
                                kusto_error **err) {
    if (!text) return KUSTO_OK;
    char *end = NULL;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (end == text || *end || errno || text[0] == '-' || value > max)
        return kusto_fail(err, KUSTO_E_ARGUMENT, "option '%s' must be a whole number from 0 to %llu, not '%s'", name,
                          max, text);
    *out = value;
    return KUSTO_OK;
}

kusto_status kusto_http_configure(kusto_http *http, const char *proxy, const char *max_retries,
                                  const char *max_response_bytes, kusto_error **err) {
    unsigned long long retries = DEFAULT_MAX_RETRIES, max_bytes = 0;
    kusto_status status = parse_count("max_retries", max_retries, MAX_MAX_RETRIES, &retries, err);
    if (status == KUSTO_OK) status = parse_count("max_response_bytes", max_response_bytes, ~0ull, &max_bytes, err);
    if (status != KUSTO_OK) return status;
    if (proxy && !(http->proxy = kusto_strdup(proxy))) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    http->max_retries = (int)retries;
    http->max_response_bytes = max_bytes;
    return KUSTO_OK;
}

int kusto_http_max_retries(const kusto_http *http) { return http->max_retries; }

unsigned long long kusto_http_max_response_bytes(const kusto_http *http) { return http->max_response_bytes; }

void kusto_http_free(kusto_http *http) {
    if (!http) return;
    for (int i = 0; i < http->idle_count; i++) curl_easy_cleanup(http->idle[i]);
    pthread_mutex_destroy(&http->lock);
    free(http->ca_file);
    free(http->proxy);
    free(http);
}

static CURL *take_handle(kusto_http *http) {
    CURL *curl = NULL;
    pthread_mutex_lock(&http->lock);
    if (http->idle_count > 0) curl = http->idle[--http->idle_count];
    pthread_mutex_unlock(&http->lock);
    if (curl) {
        curl_easy_reset(curl);
        return curl;
    }
    return curl_easy_init();
}

static void return_handle(kusto_http *http, CURL *curl) {
    pthread_mutex_lock(&http->lock);
    if (http->idle_count < POOL_SIZE) {
        http->idle[http->idle_count++] = curl;
        curl = NULL;
    }
    pthread_mutex_unlock(&http->lock);
    if (curl) curl_easy_cleanup(curl);
}

static int is_success(long status) { return status >= 200 && status < 300; }

kusto_status kusto_http_take_body(const kusto_http_request *req, kusto_http_response *resp,
                                  unsigned long long max_bytes, const char *data, size_t len, kusto_error **err) {
    if (req->sink && is_success(resp->status)) {
        if (max_bytes && resp->delivered + len > max_bytes)
            return kusto_fail(err, KUSTO_E_PROTOCOL,
                              "the response is larger than max_response_bytes (%llu bytes); "
                              "the rest was not read",
                              max_bytes);
        resp->delivered += len;
        return req->sink(req->sink_ud, data, len, err);
    }
    if (resp->body.len + len > MAX_COLLECTED_BODY)
        return kusto_fail(err, KUSTO_E_PROTOCOL, "response body larger than %u bytes", MAX_COLLECTED_BODY);
    if (kusto_buf_append(&resp->body, data, len)) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    return KUSTO_OK;
}

static size_t on_write(char *data, size_t size, size_t count, void *ud) {
    transfer *t = ud;
    size_t len = size * count;
    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &t->resp->status);
    t->sink_status = kusto_http_take_body(t->req, t->resp, t->max_bytes, data, len, t->err);
    return t->sink_status == KUSTO_OK ? len : 0;
}

/* Copies the value of header `name` from `line` into `dst` when it is that header. */
static void capture_header(const char *line, size_t len, const char *name, char *dst, size_t cap) {
    size_t name_len = strlen(name);
    if (len <= name_len || strncasecmp(line, name, name_len) != 0 || line[name_len] != ':') return;
    const char *value = line + name_len + 1;
    const char *end = line + len;
    while (value < end && (*value == ' ' || *value == '\t')) value++;
    while (end > value && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ')) end--;
    size_t n = (size_t)(end - value) < cap - 1 ? (size_t)(end - value) : cap - 1;
    memcpy(dst, value, n);
    dst[n] = '\0';
}

void kusto_http_take_header(kusto_http_response *resp, const char *line, size_t len) {
    capture_header(line, len, "x-ms-activity-id", resp->activity_id, sizeof resp->activity_id);
    capture_header(line, len, "location", resp->location, sizeof resp->location);
    capture_header(line, len, "retry-after", resp->retry_after, sizeof resp->retry_after);
}

static size_t on_header(char *line, size_t size, size_t count, void *ud) {
    transfer *t = ud;
    kusto_http_take_header(t->resp, line, size * count);
    return size * count;
}

/* libcurl copies headers as they are, Authorization included: wipe the copies before freeing them. */
static void free_headers(struct curl_slist *list) {
    for (struct curl_slist *item = list; item; item = item->next) OPENSSL_cleanse(item->data, strlen(item->data));
    curl_slist_free_all(list);
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow) {
    const transfer *t = ud;
    return t->req->cancelled(t->req->cancel_ud) ? 1 : 0;
}

static struct curl_slist *build_headers(const char *const *headers, int *failed) {
    struct curl_slist *list = NULL;
    for (size_t i = 0; headers && headers[i]; i++) {
        struct curl_slist *next = curl_slist_append(list, headers[i]);
        if (!next) {
            *failed = 1;
            break;
        }
        list = next;
    }
    /* libcurl would otherwise send "Expect: 100-continue" for large POSTs and wait for it. */
    struct curl_slist *next = *failed ? NULL : curl_slist_append(list, "Expect:");
    if (next) list = next;
    else *failed = 1;
    return list;
}

#define RECEIVE_BUFFER_BYTES (256L * 1024)

static void set_options(CURL *curl, const kusto_http *http, const kusto_http_request *req, transfer *t,
                        struct curl_slist *headers, long timeout_ms, char *errbuf) {
    curl_easy_setopt(curl, CURLOPT_URL, req->url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPIDLE, 30L);
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPINTVL, 30L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    /* Bigger reads mean fewer parser bursts, so a binding takes its interpreter lock less often. */
    curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, RECEIVE_BUFFER_BYTES);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, t);
    if (http->ca_file) curl_easy_setopt(curl, CURLOPT_CAINFO, http->ca_file);
    if (http->proxy) curl_easy_setopt(curl, CURLOPT_PROXY, http->proxy);
    if (http->ca_file && http->proxy) curl_easy_setopt(curl, CURLOPT_PROXY_CAINFO, http->ca_file);
    if (req->cancelled) {
        curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(curl, CURLOPT_XFERINFODATA, t);
        curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    }
    if (strcmp(req->method, "POST") == 0) {
        curl_easy_setopt(curl, CURLOPT_POST, 1L);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req->body ? req->body : "");
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    }
}

/* Failures where the next attempt may well succeed, and nothing suggests a misconfiguration. */
static int is_transient(CURLcode rc) {
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM: return 1;
    default: return 0;
    }
}

static int is_tls_verification(CURLcode rc) {
    return rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CERTPROBLEM || rc == CURLE_SSL_ISSUER_ERROR ||
           rc == CURLE_SSL_PINNEDPUBKEYNOTMATCH;
}

static kusto_status transport_error(const kusto_http *http, CURLcode rc, const char *url, const char *errbuf,
                                    kusto_error **err) {
    const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    if (rc == CURLE_ABORTED_BY_CALLBACK) return kusto_fail(err, KUSTO_E_CANCELLED, "request to %s cancelled", url);
    if (rc == CURLE_SSL_CACERT_BADFILE)
        return kusto_fail(err, KUSTO_E_ARGUMENT, "cannot read CA file '%s' (option ca_file): not a PEM bundle (%s)",
                          http->ca_file ? http->ca_file : "(the system's)", detail);
    if (is_tls_verification(rc))
        return kusto_fail(err, KUSTO_E_NETWORK,
                          "request to %s failed: TLS verification of the server failed (%s); "
                          "if the server's certificate is from a private CA, give that CA's PEM bundle with the "
                          "ca_file option",
                          url, detail);
    if (rc == CURLE_OPERATION_TIMEDOUT)
        return kusto_fail(err, KUSTO_E_TIMEOUT, "request to %s timed out: %s", url, detail);
    if (rc == CURLE_OUT_OF_MEMORY) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    return kusto_fail(err, KUSTO_E_NETWORK, "request to %s failed: %s", url, detail);
}

kusto_status kusto_http_send(kusto_http *http, const kusto_http_request *req, kusto_http_response *resp,
                             kusto_error **err) {
    kusto_status diverted;
    if (kusto_op_seam_send(req, 0, resp, &diverted, err)) return diverted;
    memset(resp, 0, sizeof *resp);
    int64_t left_ms = req->deadline_ms ? req->deadline_ms - kusto_now_ms() : 0;
    if (req->deadline_ms && left_ms <= 0) return kusto_http_not_sent(req->url, err);
    int failed = 0;
    struct curl_slist *headers = build_headers(req->headers, &failed);
    CURL *curl = failed ? NULL : take_handle(http);
    if (!curl) {
        free_headers(headers);
        return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    }
    char errbuf[CURL_ERROR_SIZE] = "";
    transfer t = {curl, req, resp, KUSTO_OK, err, http->max_response_bytes};
    set_options(curl, http, req, &t, headers, (long)left_ms, errbuf);
    CURLcode rc = curl_easy_perform(curl);
    /* A failed handshake leaves errors on this thread's OpenSSL error queue, where the next user of
       OpenSSL in the process (Python's ssl module, say) would take them for its own. */
    ERR_clear_error();
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp->status);
    free_headers(headers);
    /* libcurl may keep the connection of a transfer stopped while the answer was awaited, and send the
       next request behind that answer: only a handle whose transfer ended well goes back to the pool. */
    if (rc == CURLE_OK) return_handle(http, curl);
    else curl_easy_cleanup(curl);
    if (t.sink_status != KUSTO_OK) return t.sink_status;
    if (rc != CURLE_OK) {
        resp->transient = is_transient(rc);
        return transport_error(http, rc, req->url, errbuf, err);
    }
    return KUSTO_OK;
}

kusto_status kusto_http_not_sent(const char *url, kusto_error **err) {
    return kusto_fail(err, KUSTO_E_TIMEOUT, "request to %s not sent: the call's timeout ran out before it", url);
}

kusto_status kusto_http_refuse_redirect(const kusto_http_response *resp, const char *url, kusto_error **err) {
    if (resp->status < 300 || resp->status >= 400) return KUSTO_OK;
    kusto_log(KUSTO_LOG_INFO, "HTTP %ld redirect from %.*s refused", resp->status, kusto_log_url_len(url), url);
    kusto_error *e = kusto_error_new(KUSTO_E_SERVICE,
                                     "%s answered HTTP %ld with a redirect to '%s', which is not "
                                     "followed (a token must not go to another host)",
                                     url, resp->status, resp->location);
    if (e) e->http_status = (int)resp->status;
    return kusto_error_give(err, e);
}

void kusto_http_response_clear(kusto_http_response *resp) { kusto_buf_free(&resp->body); }
