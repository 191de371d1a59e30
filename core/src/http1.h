/* Internal: HTTP/1.1 for callers that have only a socket (kusto_op): the bytes of a request, and a push
   parser of the answer (status line, headers, a body by Content-Length, chunked, or until EOF). */
#ifndef KUSTO_HTTP1_H
#define KUSTO_HTTP1_H

#include <stddef.h>

#include "buf.h"
#include "kusto.h"

/* Appends "METHOD /path?query HTTP/1.1", Host (the URL's host[:port]), the given headers ("Name: value",
   NULL-terminated, may be NULL), Content-Length when `body` is not NULL, "Connection: keep-alive", the
   blank line and the body. KUSTO_E_ARGUMENT for a URL that is not http(s)://host[:port]/..., or a header
   holding CR or LF (the error names the header, never its value); KUSTO_E_NOMEM. No Accept-Encoding:
   answers come in identity encoding. */
kusto_status kusto_http1_request(kusto_buf *out, const char *method, const char *url, const char *const *headers,
                                 const char *body, size_t body_len, kusto_error **err);

typedef struct kusto_http1_callbacks {
    /* The status and headers ("Name: value", NULL-terminated, names as sent); non-zero stops. */
    int (*head)(void *ud, long status, const char *const *headers);
    /* Body bytes, dechunked; non-zero stops. */
    int (*body)(void *ud, const char *data, size_t len);
} kusto_http1_callbacks;

typedef struct kusto_http1_parser kusto_http1_parser;

/* For the answer to a request of `method` (a HEAD answer, 1xx, 204 and 304 have no body). */
kusto_http1_parser *kusto_http1_parser_new(const char *method, const kusto_http1_callbacks *cb, void *ud);
void kusto_http1_parser_free(kusto_http1_parser *p);
/* Bytes as they arrive (len 0: the peer closed). 0: more wanted; 1: the answer is whole (bytes past it
   are an error: HTTP/1.1 without pipelining); -1: an error, set in *err, after which every feed returns -1.
   KUSTO_E_PROTOCOL for a malformed answer (its message never quotes the body): status line and headers
   over 64 KiB or 100 headers, a folded line, two different Content-Lengths, Content-Length with chunked,
   a Content-Encoding other than identity, a closed connection before the answer is whole. A callback's
   stop is KUSTO_E_CANCELLED unless *err is already set: a caller whose callback sets its own error passes
   that same slot as `err` (the op does), and the callback's error stays. Interim 1xx answers are skipped;
   a HEAD answer, 204 and 304 have no body; without Content-Length or chunked the body runs until EOF. */
int kusto_http1_feed(kusto_http1_parser *p, const char *data, size_t len, kusto_error **err);
/* After the answer is whole: the server allows the connection to be used again (HTTP/1.1 without
   "Connection: close", or HTTP/1.0 with keep-alive; never when the body ran until EOF). */
int kusto_http1_keep_alive(const kusto_http1_parser *p);

#endif
