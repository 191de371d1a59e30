/* Internal: the phases of a query or control command, shared by the blocking call (query.c's execute, over
   libcurl) and kusto_op (op.c, whose caller moves the bytes): one copy of the request and of the reading of
   its answer. */
#ifndef KUSTO_QUERY_H
#define KUSTO_QUERY_H

#include <stdint.h>

#include "buf.h"
#include "client.h"
#include "http.h"
#include "kusto.h"
#include "parser.h"

typedef struct kusto_query_endpoint kusto_query_endpoint;

typedef struct kusto_query_call {
    kusto_client *client;
    const kusto_query_endpoint *ep;
    const kusto_request *req;     /* read by kusto_query_begin only */
    kusto_builder given;          /* the caller's builder, in this version's layout */
    const kusto_builder *builder; /* &given, or the relay's recording builder on its worker thread */
    void *ud;
    kusto_parser *parser;
    const char *csl;
    long http_status; /* of the answer, once it came */
    char request_id[96];
    kusto_buf url, body;
    char *authorization;
    long timeout_ms;        /* without a call deadline: the query's own, from when it is sent */
    int64_t deadline;       /* the call's (the client's timeout option), shared with the sign-in; 0 = none */
    kusto_buf header_block; /* the tracing headers' text, which `headers` points into */
    const char *headers[9]; /* NULL-terminated; [7] is the Authorization, once authorized */
} kusto_query_call;

/* Everything the request needs but a token: request id, timeout and deadline, body, URL, headers. `mgmt`: to
   /v1/rest/mgmt; else routed by the text as kusto_client_query. `db` and `req` are read here only, `csl` is
   kept. kusto_query_end frees what it made, whatever it returned. */
kusto_status kusto_query_begin(kusto_query_call *c, kusto_client *client, int mgmt, const char *db, const char *csl,
                               const kusto_request *req, const kusto_builder *builder, void *ud, kusto_error **err);
/* Signs in (kusto_client_authorization, by the call's deadline) for the Authorization header. */
kusto_status kusto_query_authorize(kusto_query_call *c, kusto_error **err);
/* The push parser into c->builder (with the client's "strict"). */
kusto_status kusto_query_parser(kusto_query_call *c, kusto_error **err);
/* The HTTP request: the body's bytes go to kusto_query_feed (2xx), all attempts by `deadline`. */
kusto_http_request kusto_query_http_request(kusto_query_call *c, int64_t deadline);
/* The deadline of the request: the call's, else the query's own timeout from now. */
int64_t kusto_query_request_deadline(const kusto_query_call *c);
/* A sink (kusto_http_sink): answer bytes into the parser, inside the builder's enter/leave. */
kusto_status kusto_query_feed(void *ud, const char *data, size_t len, kusto_error **err);
/* The outcome once the answer is in: `sent` as kusto_http_send(_retrying) returned it; on KUSTO_OK the
   parse finished (200) or the error the answer says. Notes where an error came from. */
kusto_status kusto_query_answer(kusto_query_call *c, kusto_status sent, const kusto_http_response *resp,
                                kusto_error **err);
/* Reads may be repeated; of control commands only ".show" ones, which change nothing. */
int kusto_query_safe_to_repeat(const kusto_query_call *c);
void kusto_query_end(kusto_query_call *c);

#endif
