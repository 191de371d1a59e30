/* Internal: HTTPS requests over libcurl, with connection reuse across calls and threads. */
#ifndef KUSTO_HTTP_H
#define KUSTO_HTTP_H

#include <stdint.h>

#include "buf.h"
#include "kusto.h"

typedef struct kusto_http kusto_http;

/* `ca_file` (may be NULL: the system's CAs) verifies every peer; verification is never off. A ca_file that
   cannot be read is KUSTO_E_ARGUMENT. */
kusto_status kusto_http_new(kusto_http **out, const char *ca_file, kusto_error **err);
void kusto_http_free(kusto_http *http);
/* Client options that apply to every call (token and query): `proxy` (URL; NULL: libcurl's
   https_proxy/no_proxy environment), `max_retries` (decimal, default 3, 0 disables) and
   `max_response_bytes` (decimal, default 0 = unlimited). Text as given; NULL = default. */
kusto_status kusto_http_configure(kusto_http *http, const char *proxy, const char *max_retries,
                                  const char *max_response_bytes, kusto_error **err);
int kusto_http_max_retries(const kusto_http *http);
unsigned long long kusto_http_max_response_bytes(const kusto_http *http);

/* Receives a 2xx body as it arrives; returns KUSTO_OK to go on, anything else stops the transfer
   and becomes kusto_http_send's result (the sink has set *err itself). */
typedef kusto_status (*kusto_http_sink)(void *ud, const char *data, size_t len, kusto_error **err);

typedef struct kusto_http_request {
    const char *method; /* "GET" or "POST" */
    const char *url;
    const char *const *headers; /* "Name: value", NULL-terminated; may be NULL */
    const char *body;           /* POST body */
    size_t body_len;
    int64_t deadline_ms;  /* kusto_now_ms() by which it must be answered (clock.h); 0 = none */
    kusto_http_sink sink; /* NULL: collect the body into the response */
    void *sink_ud;
    /* Asked about every 100 ms (and while waiting to retry); non-zero stops with KUSTO_E_CANCELLED. */
    int (*cancelled)(void *ud);
    void *cancel_ud;
} kusto_http_request;

typedef struct kusto_http_response {
    long status;
    kusto_buf body;       /* the body when not streamed to a sink (error bodies always, bounded) */
    char activity_id[80]; /* x-ms-activity-id, or "" */
    char location[512];   /* Location of a redirect (not followed), or "" */
    char retry_after[32]; /* Retry-After, or "" */
    size_t delivered;     /* bytes of a 2xx body handed to the sink: once any were, never retry */
    int transient;        /* the transport failed in a way worth retrying (reset, refused, DNS...) */
} kusto_http_response;

/* Sends the request. KUSTO_OK whatever the HTTP status (see response->status); KUSTO_E_NETWORK,
   KUSTO_E_TIMEOUT on transport failure or when the deadline passes (before sending: nothing is sent),
   or the sink's status. */
kusto_status kusto_http_send(kusto_http *http, const kusto_http_request *req, kusto_http_response *resp,
                             kusto_error **err);
void kusto_http_response_clear(kusto_http_response *resp);

/* The answer's bytes as they arrive, resp->status set: a 2xx body to req->sink when there is one (at most
   `max_bytes` in all, 0 = unlimited; KUSTO_E_PROTOCOL past it), any other body into resp->body (bounded:
   KUSTO_E_PROTOCOL past 8 MiB). Else the sink's status. For libcurl's transfer and kusto_op alike. */
kusto_status kusto_http_take_body(const kusto_http_request *req, kusto_http_response *resp,
                                  unsigned long long max_bytes, const char *data, size_t len, kusto_error **err);
/* Keeps what resp holds of a header line ("Name: value", CRLF or not): activity id, Location, Retry-After. */
void kusto_http_take_header(kusto_http_response *resp, const char *line, size_t len);
/* KUSTO_E_TIMEOUT for a request whose call's deadline passed before it was sent. */
kusto_status kusto_http_not_sent(const char *url, kusto_error **err);

/* KUSTO_E_SERVICE, naming `url` and where it pointed, for a redirect (3xx): never followed, by any request
   (the cluster's, Azure AD's, the metadata's), since a token or secret must not go to another host. KUSTO_OK
   for any other status. */
kusto_status kusto_http_refuse_redirect(const kusto_http_response *resp, const char *url, kusto_error **err);

#endif
