/* kusto_op: a query whose HTTP exchanges the caller performs (kusto.h, "Without I/O"). Nothing here decides
   what to send or how to read it: the sign-in is client.c's, run as kusto_client_query runs it with its
   requests diverted through the seam (seam.h); the query is query.c's phases; retries are retry.c's decision. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "client.h"
#include "clock.h"
#include "endpoints.h"
#include "error.h"
#include "http1.h"
#include "op.h"
#include "query.h"
#include "retry.h"
#include "seam.h"
#include "url.h"

/* Each answer the sign-in used is kept while it runs again; a sign-in asking for more is at fault. */
#define MAX_SIGN_IN_ANSWERS 32
/* While another op of the client signs in, an op waits for its token (a thousand ops starting at once ask the
   authority once, not a thousand times), looking again at this pace, and signs in itself after the longest
   wait (the other op's caller may have stopped driving it). */
#define SIGN_IN_LOOK_MS 20
#define SIGN_IN_WAIT_MAX_MS 10000

/* An answer the sign-in asked for, given again each time the sign-in runs from the start. */
typedef struct held {
    char *method, *url;
    kusto_status status; /* as kusto_http_send returned it, with `err` */
    kusto_error *err;
    kusto_http_response resp;
    int used; /* given in this run already */
    struct held *next;
} held;

/* The request going out, attempt after attempt. Its headers and body may hold secrets: wiped when freed. */
typedef struct exchange {
    char *method, *url;
    char **headers; /* NULL-terminated */
    kusto_buf body;
    int has_body;
    int64_t deadline; /* 0: none */
    int retrying;     /* repeated as kusto_http_send_retrying repeats */
    int query;        /* the query's own: a 2xx body goes into the parser */
    int retries;      /* attempts made before the current one */
    kusto_url target; /* host and port to connect to */
} exchange;

/* OP_WAITING: a retry's pause, then OP_READY; OP_SIGN_IN_WAIT: another op's sign-in, then OP_START. */
typedef enum { OP_START, OP_READY, OP_IN_FLIGHT, OP_WAITING, OP_SIGN_IN_WAIT, OP_FINISHED } op_state;

struct kusto_op {
    kusto_client *client;
    char *db, *csl;
    kusto_query_call call;
    op_state state;
    exchange ex;
    held *answers;
    size_t answer_count;
    kusto_http_response resp; /* the answer coming in */
    int head_seen;
    int64_t wait_until;
    kusto_http1_parser *http1;
    kusto_buf bytes; /* the request as HTTP/1.1, made when asked for */
    kusto_status result;
    kusto_error *error;
    int result_taken;
    int deferred;           /* this run of the sign-in stopped for another op's */
    int64_t deferred_since; /* 0, or when it first did */
};

/* The op running the sign-in on this thread, for kusto_http_send to find: the sign-in code between
   kusto_op_next and kusto_http_send (client.c, metadata.c, the flows) is the blocking path's own and knows
   nothing of ops, so the op cannot be passed down to it. Thread-local, not the client's: ops of one client
   interleave, each on its caller's thread; set and cleared around the one call in run_sign_in. */
static _Thread_local kusto_op *running;

/* ---- the exchange -------------------------------------------------------------------------------- */

static void headers_free(char **headers) {
    for (size_t i = 0; headers && headers[i]; i++) kusto_secret_free(headers[i]);
    free(headers);
}

static char **headers_copy(const char *const *headers) {
    size_t n = 0;
    while (headers && headers[n]) n++;
    char **copy = calloc(n + 1, sizeof *copy);
    for (size_t i = 0; copy && i < n; i++) {
        if ((copy[i] = kusto_strdup(headers[i]))) continue;
        headers_free(copy);
        return NULL;
    }
    return copy;
}

static void exchange_clear(exchange *ex) {
    free(ex->method);
    free(ex->url);
    headers_free(ex->headers);
    kusto_buf_wipe(&ex->body);
    kusto_url_clear(&ex->target);
    memset(ex, 0, sizeof *ex);
}

static kusto_status exchange_set(exchange *ex, const kusto_http_request *req, int retrying, int query,
                                 kusto_error **err) {
    memset(ex, 0, sizeof *ex);
    kusto_status status = kusto_url_parse(&ex->target, req->url, "request URL", err);
    if (status != KUSTO_OK) return status;
    ex->method = kusto_strdup(req->method);
    ex->url = kusto_strdup(req->url);
    ex->headers = headers_copy(req->headers);
    ex->has_body = req->body != NULL;
    ex->deadline = req->deadline_ms;
    ex->retrying = retrying;
    ex->query = query;
    if (!ex->method || !ex->url || !ex->headers ||
        (req->body && kusto_buf_append(&ex->body, req->body, req->body_len))) {
        exchange_clear(ex);
        return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    }
    return KUSTO_OK;
}

/* As the blocking path's request: the query's with the parser as its sink, the sign-in's without. */
static kusto_http_request request_of(kusto_op *op) {
    kusto_http_request req = {op->ex.method,
                              op->ex.url,
                              (const char *const *)op->ex.headers,
                              op->ex.has_body ? op->ex.body.data ? op->ex.body.data : "" : NULL,
                              op->ex.body.len,
                              op->ex.deadline,
                              op->ex.query ? kusto_query_feed : NULL,
                              &op->call,
                              NULL,
                              NULL};
    return req;
}

static void answer_reset(kusto_op *op) {
    kusto_http_response_clear(&op->resp);
    memset(&op->resp, 0, sizeof op->resp);
    op->head_seen = 0;
}

/* ---- answers held for the sign-in ------------------------------------------------------------------ */

static void held_free_all(kusto_op *op) {
    for (held *h = op->answers, *next; h; h = next) {
        next = h->next;
        free(h->method);
        free(h->url);
        kusto_error_free(h->err);
        kusto_buf_wipe(&h->resp.body); /* a token answer */
        free(h);
    }
    op->answers = NULL;
    op->answer_count = 0;
}

/* Keeps the exchange's final outcome (the answer moves into it) for the sign-in's next run. */
static kusto_status hold(kusto_op *op, kusto_status status, kusto_error *e, kusto_error **err) {
    held *h = calloc(1, sizeof *h);
    if (!h || !(h->method = kusto_strdup(op->ex.method)) || !(h->url = kusto_strdup(op->ex.url))) {
        if (h) free(h->method);
        free(h);
        kusto_error_free(e);
        return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    }
    h->status = status;
    h->err = e;
    h->resp = op->resp;
    memset(&op->resp, 0, sizeof op->resp);
    held **tail = &op->answers;
    while (*tail) tail = &(*tail)->next;
    *tail = h;
    op->answer_count++;
    return KUSTO_OK;
}

static held *unused_answer(kusto_op *op, const kusto_http_request *req) {
    for (held *h = op->answers; h; h = h->next)
        if (!h->used && strcmp(h->method, req->method) == 0 && strcmp(h->url, req->url) == 0) return h;
    return NULL;
}

static kusto_status give_answer(held *h, kusto_http_response *resp, kusto_error **err) {
    h->used = 1;
    *resp = h->resp;
    memset(&resp->body, 0, sizeof resp->body);
    if (h->resp.body.len && kusto_buf_append(&resp->body, h->resp.body.data, h->resp.body.len))
        return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    if (h->status == KUSTO_OK) return KUSTO_OK;
    kusto_error *copy = kusto_error_copy(h->err);
    return copy ? kusto_error_give(err, copy) : kusto_fail(err, h->status, "%s", "request failed");
}

/* ---- the seam (seam.h) ------------------------------------------------------------------------------ */

int kusto_op_seam_active(void) { return running != NULL; }

void *kusto_op_seam_suspend(void) {
    kusto_op *op = running;
    running = NULL;
    return op;
}

void kusto_op_seam_restore(void *op) { running = op; }

/* Whether this op may send its sign-in requests: no other op of the client has its own out (this one then
   marks its own), or it has waited the longest already. */
static int may_sign_in(kusto_op *op) {
    const void *none = NULL;
    if (atomic_compare_exchange_strong(&op->client->op_signing_in, &none, op) || none == op) return 1;
    int64_t now = kusto_now_ms();
    if (!op->deferred_since) op->deferred_since = now;
    return now - op->deferred_since >= SIGN_IN_WAIT_MAX_MS;
}

/* The op's sign-in ended (a token, a failure, or the op freed): the next op to need one may ask. */
static void signed_in(kusto_op *op) {
    const void *self = op;
    atomic_compare_exchange_strong(&op->client->op_signing_in, &self, NULL);
    op->deferred_since = 0;
}

static kusto_status take_request(kusto_op *op, const kusto_http_request *req, int retrying, kusto_error **err) {
    if (!op->ex.method && !may_sign_in(op)) {
        op->deferred = 1;
        return kusto_fail(err, KUSTO_E_WOULDBLOCK, "waiting for another op's sign-in");
    }
    if (!op->ex.method) {
        if (op->answer_count >= MAX_SIGN_IN_ANSWERS)
            return kusto_fail(err, KUSTO_E_PROTOCOL, "the sign-in asked for more than %d requests",
                              MAX_SIGN_IN_ANSWERS);
        kusto_status status = exchange_set(&op->ex, req, retrying, 0, err);
        if (status != KUSTO_OK) return status;
    }
    return kusto_fail(err, KUSTO_E_WOULDBLOCK, "request to %s handed to the kusto_op", req->url);
}

int kusto_op_seam_send(const kusto_http_request *req, int retrying, kusto_http_response *resp, kusto_status *status,
                       kusto_error **err) {
    kusto_op *op = running;
    if (!op) return 0;
    memset(resp, 0, sizeof *resp);
    held *h = unused_answer(op, req);
    if (h) *status = give_answer(h, resp, err);
    else if (req->deadline_ms && req->deadline_ms <= kusto_now_ms()) *status = kusto_http_not_sent(req->url, err);
    else *status = take_request(op, req, retrying, err);
    return 1;
}

/* ---- the steps ------------------------------------------------------------------------------------- */

static void finish(kusto_op *op, kusto_status status, kusto_error *e) {
    signed_in(op);
    op->state = OP_FINISHED;
    op->result = status;
    op->error = e;
    exchange_clear(&op->ex);
    held_free_all(op);
}

static void start_query(kusto_op *op) {
    kusto_error *e = NULL;
    kusto_status status = kusto_query_parser(&op->call, &e);
    kusto_http_request req = kusto_query_http_request(&op->call, kusto_query_request_deadline(&op->call));
    if (status == KUSTO_OK) status = exchange_set(&op->ex, &req, kusto_query_safe_to_repeat(&op->call), 1, &e);
    if (status != KUSTO_OK) return finish(op, status, e);
    op->state = OP_READY;
}

/* The sign-in from the start (kusto_client_authorization): the answers held so far are found again, in the
   process's and the client's caches or here, until it needs a request sent or has the token. */
static void run_sign_in(kusto_op *op) {
    kusto_error *e = NULL;
    for (held *h = op->answers; h; h = h->next) h->used = 0;
    exchange_clear(&op->ex);
    op->deferred = 0;
    kusto_op *outer = running; /* a token callback may run an op of its own */
    running = op;
    kusto_status status = kusto_query_authorize(&op->call, &e);
    running = outer;
    if (status == KUSTO_E_WOULDBLOCK && op->deferred) { /* to run again once the other op may have the token */
        kusto_error_free(e);
        op->wait_until = kusto_now_ms() + SIGN_IN_LOOK_MS;
        op->state = OP_SIGN_IN_WAIT;
        return;
    }
    if (status == KUSTO_E_WOULDBLOCK && op->ex.method) {
        kusto_error_free(e);
        op->state = OP_READY;
        return;
    }
    if (status == KUSTO_E_WOULDBLOCK) /* cannot be: the seam took a request whenever it said so */
        status = kusto_fail(&e, KUSTO_E_PROTOCOL, "the sign-in stopped without a request to send");
    exchange_clear(&op->ex); /* taken but not waited for (a renewal whose fallback answered) */
    held_free_all(op);
    if (status != KUSTO_OK) return finish(op, status, e); /* which ends the sign-in too */
    signed_in(op);
    kusto_error_free(e);
    start_query(op);
}

/* The attempt's outcome: another attempt after a pause, or the exchange's end (the query's result, or an
   answer for the sign-in, which then runs again). */
static void settle(kusto_op *op, kusto_status status, kusto_error *e) {
    kusto_http_request req = request_of(op);
    int max_retries = op->ex.retrying ? kusto_http_max_retries(op->client->http) : 0;
    long delay = 0;
    if (kusto_retry_decide(&req, op->ex.retries, max_retries, status, &op->resp, e, &delay)) {
        kusto_error_free(e);
        answer_reset(op);
        op->ex.retries++;
        op->wait_until = kusto_now_ms() + delay;
        op->state = OP_WAITING;
        return;
    }
    if (op->ex.query) {
        status = kusto_query_answer(&op->call, status, &op->resp, &e);
        answer_reset(op);
        return finish(op, status, e);
    }
    kusto_error *held_err = NULL;
    status = hold(op, status, e, &held_err);
    if (status != KUSTO_OK) return finish(op, status, held_err);
    run_sign_in(op);
}

/* Fills `out` for the exchange and puts it in flight; 0 when its deadline passed first (settled so). */
static int send_exchange(kusto_op *op, kusto_op_request *out) {
    int64_t now = kusto_now_ms();
    answer_reset(op);
    kusto_buf_wipe(&op->bytes);
    kusto_http1_parser_free(op->http1);
    op->http1 = NULL;
    if (op->ex.deadline && op->ex.deadline <= now) {
        kusto_error *e = NULL;
        kusto_status status = kusto_http_not_sent(op->ex.url, &e);
        settle(op, status, e);
        return 0;
    }
    kusto_http_request req = request_of(op);
    out->method = req.method;
    out->url = req.url;
    out->host = op->ex.target.host;
    out->port = op->ex.target.port ? op->ex.target.port : strcmp(op->ex.target.scheme, "https") == 0 ? 443 : 80;
    out->tls_name = strcmp(op->ex.target.scheme, "https") == 0 ? kusto_op_tls_name(op->ex.target.host) : NULL;
    out->headers = req.headers;
    out->body = req.body;
    out->body_len = req.body_len;
    out->timeout_ms = op->ex.deadline ? (long)(op->ex.deadline - now) : -1;
    op->state = OP_IN_FLIGHT;
    return 1;
}

kusto_op_step kusto_op_next(kusto_op *op, kusto_op_request *out) {
    memset(out, 0, sizeof *out);
    for (;;) {
        switch (op->state) {
        case OP_START: run_sign_in(op); break;
        case OP_READY:
            if (send_exchange(op, out)) return KUSTO_OP_SEND;
            break;
        case OP_IN_FLIGHT: /* asked again before the answer was whole: that attempt is abandoned */
            kusto_op_failed(op, 0, "the answer was not read to its end");
            break;
        case OP_WAITING:
        case OP_SIGN_IN_WAIT: {
            int64_t left = op->wait_until - kusto_now_ms();
            if (left <= 0) {
                op->state = op->state == OP_WAITING ? OP_READY : OP_START;
                break;
            }
            out->wait_ms = (long)left;
            return KUSTO_OP_WAIT;
        }
        case OP_FINISHED: return KUSTO_OP_DONE;
        }
    }
}

/* ---- the answer ------------------------------------------------------------------------------------- */

static int failed_op(const kusto_op *op) {
    return op->state == OP_FINISHED && op->result != KUSTO_OK && op->result != KUSTO_E_PARTIAL;
}

/* The attempt stopped while its answer came in: -1 tells the caller to stop reading it. */
static int stop(kusto_op *op, kusto_status status, kusto_error *e) {
    settle(op, status, e);
    return -1;
}

static int timed_out(kusto_op *op, const char *how) {
    kusto_error *e = NULL;
    kusto_status status = kusto_fail(&e, KUSTO_E_TIMEOUT, "request to %s timed out: %s", op->ex.url, how);
    return stop(op, status, e);
}

static int past_deadline(const kusto_op *op) { return op->ex.deadline && op->ex.deadline <= kusto_now_ms(); }

int kusto_op_head(kusto_op *op, long status, const char *const *headers) {
    if (op->state != OP_IN_FLIGHT) return failed_op(op) ? -1 : 0;
    if (status >= 100 && status < 200) return 0; /* an interim answer: the real one follows */
    answer_reset(op);
    op->resp.status = status;
    for (size_t i = 0; headers && headers[i]; i++) kusto_http_take_header(&op->resp, headers[i], strlen(headers[i]));
    op->head_seen = 1;
    return 0;
}

int kusto_op_body(kusto_op *op, const char *data, size_t len) {
    if (op->state != OP_IN_FLIGHT) return failed_op(op) ? -1 : 0;
    if (!op->head_seen) {
        kusto_error *e = NULL;
        return stop(
            op, kusto_fail(&e, KUSTO_E_PROTOCOL, "request to %s: body bytes before the answer's status", op->ex.url),
            e);
    }
    if (past_deadline(op)) return timed_out(op, "the call's deadline passed while the answer came in");
    kusto_http_request req = request_of(op);
    kusto_error *e = NULL;
    kusto_status status = kusto_http_take_body(&req, &op->resp, kusto_http_max_response_bytes(op->client->http), data,
                                               len, &e);
    return status == KUSTO_OK ? 0 : stop(op, status, e);
}

int kusto_op_end(kusto_op *op) {
    if (op->state != OP_IN_FLIGHT) return failed_op(op) ? -1 : 0;
    if (!op->head_seen) {
        kusto_op_failed(op, 1, "the server closed the connection without an answer");
        return failed_op(op) ? -1 : 0;
    }
    settle(op, KUSTO_OK, NULL);
    return failed_op(op) ? -1 : 0;
}

void kusto_op_failed(kusto_op *op, int transient, const char *message) {
    if (op->state != OP_IN_FLIGHT) return;
    if (!message) message = "failed";
    if (past_deadline(op)) {
        timed_out(op, message);
        return;
    }
    kusto_error *e = NULL;
    kusto_status status = kusto_fail(&e, KUSTO_E_NETWORK, "request to %s failed: %s", op->ex.url, message);
    op->resp.transient = transient;
    settle(op, status, e);
}

/* ---- HTTP/1.1 for a caller with a socket ------------------------------------------------------------- */

static int on_http1_head(void *ud, long status, const char *const *headers) {
    return kusto_op_head(ud, status, headers) != 0;
}
static int on_http1_body(void *ud, const char *data, size_t len) { return kusto_op_body(ud, data, len) != 0; }
static const kusto_http1_callbacks http1_callbacks = {on_http1_head, on_http1_body};

void kusto_op_request_bytes(kusto_op *op, const char **data, size_t *len) {
    *data = NULL;
    *len = 0;
    if (op->state != OP_IN_FLIGHT) return;
    kusto_error *e = NULL;
    if (!op->bytes.len) {
        kusto_http_request req = request_of(op);
        kusto_status status = kusto_http1_request(&op->bytes, req.method, req.url, req.headers, req.body, req.body_len,
                                                  &e);
        if (status != KUSTO_OK) {
            stop(op, status, e);
            return;
        }
    }
    *data = op->bytes.data;
    *len = op->bytes.len;
}

int kusto_op_receive(kusto_op *op, const char *data, size_t len) {
    if (op->state != OP_IN_FLIGHT) return -1;
    if (!op->http1 && !(op->http1 = kusto_http1_parser_new(op->ex.method, &http1_callbacks, op))) {
        kusto_error *e = NULL;
        return stop(op, kusto_fail(&e, KUSTO_E_NOMEM, "out of memory"), e);
    }
    kusto_error *e = NULL;
    int whole = kusto_http1_feed(op->http1, data, len, &e);
    if (op->state != OP_IN_FLIGHT) { /* a callback ended the attempt; the parser's stop says nothing more */
        kusto_error_free(e);
        return -1;
    }
    if (whole < 0 && len == 0) { /* cut off: as libcurl's receive error, a transport failure, sent again only */
        kusto_error_free(e);     /* while no byte of it reached the parser (retry.c decides) */
        kusto_op_failed(op, 1, "the connection closed before the answer was whole");
        return failed_op(op) ? -1 : 1;
    }
    if (whole < 0) return stop(op, e ? e->status : KUSTO_E_PROTOCOL, e);
    kusto_error_free(e);
    if (whole == 0) return 0;
    kusto_op_end(op);
    return 1;
}

int kusto_op_keep_alive(const kusto_op *op) {
    return op->state != OP_IN_FLIGHT && op->http1 && kusto_http1_keep_alive(op->http1);
}

/* ---- the op --------------------------------------------------------------------------------------- */

const char *kusto_op_tls_name(const char *host) { return kusto_host_is_loopback(host) ? "localhost" : host; }

static kusto_status op_new(kusto_client *client, int mgmt, const char *db, const char *csl, const kusto_request *req,
                           const kusto_builder *builder, void *ud, kusto_op **out, kusto_error **err) {
    *out = NULL;
    if (!client) return kusto_fail(err, KUSTO_E_ARGUMENT, "no client given");
    kusto_op *op = calloc(1, sizeof *op);
    if (!op) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    op->client = client;
    op->db = kusto_strdup(db);
    op->csl = kusto_strdup(csl);
    kusto_status status = (db && !op->db) || (csl && !op->csl)
                            ? kusto_fail(err, KUSTO_E_NOMEM, "out of memory")
                            : kusto_query_begin(&op->call, client, mgmt, op->db, op->csl, req, builder, ud, err);
    if (status != KUSTO_OK) {
        kusto_op_free(op);
        return status;
    }
    op->state = OP_START;
    *out = op;
    return KUSTO_OK;
}

kusto_status kusto_op_query(kusto_client *client, const char *db, const char *csl, const kusto_request *req,
                            const kusto_builder *builder, void *ud, kusto_op **out, kusto_error **err) {
    return op_new(client, 0, db, csl, req, builder, ud, out, err);
}

kusto_status kusto_op_mgmt(kusto_client *client, const char *db, const char *command, const kusto_request *req,
                           const kusto_builder *builder, void *ud, kusto_op **out, kusto_error **err) {
    return op_new(client, 1, db, command, req, builder, ud, out, err);
}

kusto_status kusto_op_result(kusto_op *op, kusto_error **err) {
    if (op->state != OP_FINISHED) return kusto_fail(err, KUSTO_E_ARGUMENT, "the op is not done: kusto_op_next first");
    if (!op->result_taken && op->error) kusto_error_give(err, op->error);
    op->error = NULL;
    op->result_taken = 1;
    return op->result;
}

void kusto_op_free(kusto_op *op) {
    if (!op) return;
    signed_in(op);
    kusto_query_end(&op->call);
    exchange_clear(&op->ex);
    held_free_all(op);
    answer_reset(op);
    kusto_http1_parser_free(op->http1);
    kusto_buf_wipe(&op->bytes);
    kusto_error_free(op->error);
    free(op->db);
    free(op->csl);
    free(op);
}
