/* Queries and control commands: the request to the cluster and the streamed parse of its answer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "builder.h"
#include "client.h"
#include "clock.h"
#include "platform.h"
#include "connstr.h"
#include "error.h"
#include "parse_thread.h"
#include "query.h"
#include "request.h"
#include "parser.h"
#include "retry.h"
#include "uuid.h"

#define CLIENT_GRACE_MS 30000L

struct kusto_query_endpoint {
    const char *path;
    const char *default_servertimeout;
    const char *const *default_options; /* name, JSON text pairs */
};
typedef kusto_query_endpoint endpoint;
typedef kusto_query_call call;

/* One frame per line and the primary table in fragments: the parser then holds one small frame at
   a time, and errors come at the end of the table they concern. */
/* clang-format off */
static const char *const v2_options[] = {
    "results_v2_newlines_between_frames", "true", "results_v2_fragment_primary_tables", "true",
    "results_error_reporting_placement", "\"end_of_table\"", NULL,
};
/* clang-format on */
static const endpoint query_endpoint = {"/v2/rest/query", "\"00:04:00\"", v2_options};
static const endpoint mgmt_endpoint = {"/v1/rest/mgmt", "\"00:10:00\"", NULL};

/* The call's deadline, else the server's and ours a little after it. */
static kusto_status call_timeout(call *c, kusto_error **err) {
    const char *json = kusto_request_option(c->req, "servertimeout");
    if (!json) json = c->ep->default_servertimeout;
    size_t len = strlen(json);
    int64_t ticks = 0;
    if (len < 2 || json[0] != '"' || kusto_timespan_parse(json + 1, len - 2, &ticks) != KUSTO_OK || ticks <= 0)
        return kusto_fail(err, KUSTO_E_ARGUMENT,
                          "request option 'servertimeout' must be a timespan such as "
                          "\"00:04:00\", not %s",
                          json);
    long server_ms = (long)(ticks / 10000);
    c->timeout_ms = server_ms + CLIENT_GRACE_MS;
    c->deadline = kusto_client_deadline(c->client);
    return KUSTO_OK;
}

static kusto_status build_body(call *c, const char *db, const char *csl, kusto_error **err) {
    const char *defaults[16] = {"servertimeout", c->ep->default_servertimeout};
    size_t n = 2;
    for (size_t i = 0; c->ep->default_options && c->ep->default_options[i]; i++)
        defaults[n++] = c->ep->default_options[i];
    defaults[n] = NULL;
    kusto_buf text = {0};
    kusto_status status = kusto_request_write_query_text(c->req, c->ep == &mgmt_endpoint, csl, &text, err);
    if (status != KUSTO_OK) {
        kusto_buf_free(&text);
        return status;
    }
    int failed = kusto_buf_puts(&c->body, "{\"db\":") || kusto_buf_json_string(&c->body, db, strlen(db)) ||
                 kusto_buf_puts(&c->body, ",\"csl\":") || kusto_buf_json_string(&c->body, text.data, text.len) ||
                 kusto_buf_puts(&c->body, ",\"properties\":") ||
                 kusto_request_write_properties(c->req, defaults, &c->body) || kusto_buf_puts(&c->body, "}");
    kusto_buf_free(&text);
    failed = failed || kusto_buf_printf(&c->url, "%s%s", c->client->cluster, c->ep->path);
    return failed ? kusto_fail(err, KUSTO_E_NOMEM, "out of memory") : KUSTO_OK;
}

/* Tracing values go into headers: anything but printable ASCII becomes '?', so no value can break
   the header or inject another. */
static int add_header(kusto_buf *block, const char *name, const char *value) {
    int failed = kusto_buf_printf(block, "%s: ", name);
    for (const char *p = value; *p && !failed; p++) {
        char ch = (*p >= 0x20 && *p < 0x7f) ? *p : '?';
        failed = kusto_buf_append(block, &ch, 1);
    }
    return failed || kusto_buf_append(block, "", 1);
}

static const char *first_of(const char *a, const char *b, const char *fallback) { return a ? a : b ? b : fallback; }

static kusto_status build_headers(call *c, kusto_error **err) {
    const kusto_connstr *cs = c->client->cs;
    kusto_buf *block = &c->header_block;
    const char *app = first_of(kusto_request_application(c->req),
                               kusto_connstr_value(cs, KW_APPLICATION_NAME_FOR_TRACING), kusto_program_name());
    const char *user = first_of(kusto_request_user(c->req), kusto_connstr_value(cs, KW_USER_NAME_FOR_TRACING),
                                "[none]");
    int failed = add_header(block, "x-ms-client-request-id", c->request_id) || add_header(block, "x-ms-app", app) ||
                 add_header(block, "x-ms-user", user);
    if (failed) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    const char *p = block->data;
    c->headers[0] = p;
    c->headers[1] = p += strlen(p) + 1;
    c->headers[2] = p += strlen(p) + 1;
    c->headers[3] = "Accept: application/json";
    c->headers[4] = "Content-Type: application/json; charset=utf-8";
    c->headers[5] = "x-ms-version: 2024-12-12";
    c->headers[6] = "x-ms-client-version: libkusto:{" KUSTO_VERSION "}";
    c->headers[7] = NULL; /* the Authorization, once signed in */
    return KUSTO_OK;
}

kusto_status kusto_query_feed(void *ud, const char *data, size_t len, kusto_error **err) {
    call *c = ud;
    if (c->builder->enter) c->builder->enter(c->ud);
    kusto_status status = kusto_parser_feed(c->parser, data, len, err);
    if (c->builder->leave) c->builder->leave(c->ud);
    return status;
}

static kusto_status finish(call *c, kusto_error **err) {
    if (c->builder->enter) c->builder->enter(c->ud);
    kusto_status status = kusto_parser_finish(c->parser, err);
    if (c->builder->leave) c->builder->leave(c->ud);
    return status;
}

static kusto_status failed_response(call *c, const kusto_http_response *resp, kusto_error **err) {
    if (resp->status >= 300 && resp->status < 400) return kusto_http_refuse_redirect(resp, c->url.data, err);
    kusto_error *e = kusto_error_from_service_body((int)resp->status, resp->body.data, resp->body.len);
    if (!e) return KUSTO_E_NOMEM;
    if (resp->status == 401 || resp->status == 403) e->status = KUSTO_E_AUTH;
    else if (resp->status == 429) e->status = KUSTO_E_THROTTLED;
    e->http_status = (int)resp->status;
    if (!e->request_id) kusto_error_set_request_id(e, c->request_id);
    return kusto_error_give(err, e);
}

static int cancelled(void *ud) {
    const call *c = ud;
    return c->builder->cancelled(c->ud);
}

int kusto_query_safe_to_repeat(const call *c) {
    if (c->ep == &query_endpoint) return 1;
    const char *csl = c->csl;
    while (*csl == ' ' || *csl == '\t' || *csl == '\r' || *csl == '\n') csl++;
    return strncasecmp(csl, ".show", 5) == 0 && (csl[5] == ' ' || csl[5] == '\t' || csl[5] == '\n' || csl[5] == '\r');
}

/* An error inside a 200 answer (an error body, a partial failure, a stop): say where it came from. */
static void note_origin(const call *c, kusto_status status, kusto_error **err) {
    if (status == KUSTO_OK || c->http_status != 200 || !err || !*err) return;
    if (!(*err)->http_status) (*err)->http_status = 200;
    if (!(*err)->request_id) kusto_error_set_request_id(*err, c->request_id);
}

int64_t kusto_query_request_deadline(const call *c) {
    return c->deadline ? c->deadline : kusto_deadline_in(c->timeout_ms);
}

kusto_http_request kusto_query_http_request(call *c, int64_t deadline) {
    kusto_http_request hreq = {"POST",
                               c->url.data,
                               c->headers,
                               c->body.data,
                               c->body.len,
                               deadline,
                               kusto_query_feed,
                               c,
                               c->builder->cancelled ? cancelled : NULL,
                               c};
    return hreq;
}

kusto_status kusto_query_answer(call *c, kusto_status sent, const kusto_http_response *resp, kusto_error **err) {
    kusto_status status = sent;
    if (status == KUSTO_OK) status = resp->status == 200 ? finish(c, err) : failed_response(c, resp, err);
    c->http_status = resp->status;
    note_origin(c, status, err);
    return status;
}

static kusto_status send_call(call *c, kusto_error **err) {
    kusto_http_response resp = {0};
    kusto_http_request hreq = kusto_query_http_request(c, kusto_query_request_deadline(c));
    kusto_status status = kusto_query_safe_to_repeat(c) ? kusto_http_send_retrying(c->client->http, &hreq, &resp, err)
                                                        : kusto_http_send(c->client->http, &hreq, &resp, err);
    status = kusto_query_answer(c, status, &resp, err);
    kusto_http_response_clear(&resp);
    return status;
}

/* The client option "strict" makes every call strict; a builder's `strict` makes its own. */
static int strict(const call *c) {
    const char *value = kusto_client_option(c->client, "strict");
    return c->builder->strict || (value && (kusto_strcasecmp(value, "true") == 0 || strcmp(value, "1") == 0));
}

kusto_status kusto_query_parser(call *c, kusto_error **err) {
    kusto_status status = kusto_parser_new(&c->parser, c->builder, c->ud);
    if (status == KUSTO_OK) kusto_parser_set_strict(c->parser, strict(c));
    return status == KUSTO_OK ? KUSTO_OK : kusto_fail(err, status, "out of memory");
}

static kusto_status parse_and_send(call *c, kusto_error **err) {
    kusto_status status = kusto_query_parser(c, err);
    return status == KUSTO_OK ? send_call(c, err) : status;
}

/* The worker thread's part of a call in the background: the same, into the relay's recording builder. */
static kusto_status send_in_background(void *ud, const kusto_builder *builder, void *builder_ud, kusto_error **err) {
    call *c = ud;
    c->builder = builder;
    c->ud = builder_ud;
    kusto_status status = parse_and_send(c, err);
    kusto_parser_free(c->parser); /* its builder lives only as long as the relay */
    c->parser = NULL;
    return status;
}

static kusto_status send_relayed(call *c, kusto_error **err) {
    kusto_buf cancelled_message = {0};
    if (kusto_buf_printf(&cancelled_message, "request to %s cancelled", c->url.data))
        return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    kusto_status status = kusto_relay_run(c->builder, c->ud, send_in_background, c, cancelled_message.data, err);
    kusto_buf_free(&cancelled_message);
    note_origin(c, status, err);
    return status;
}

static const endpoint *endpoint_for(const char *csl);

kusto_status kusto_query_begin(call *c, kusto_client *client, int mgmt, const char *db, const char *csl,
                               const kusto_request *req, const kusto_builder *builder, void *ud, kusto_error **err) {
    memset(c, 0, sizeof *c);
    c->client = client;
    c->ep = mgmt ? &mgmt_endpoint : endpoint_for(csl);
    c->req = req;
    c->builder = &c->given;
    c->ud = ud;
    c->csl = csl;
    if (!csl) return kusto_fail(err, KUSTO_E_ARGUMENT, "no query text given");
    kusto_status status = kusto_builder_adopt(&c->given, builder, err);
    if (status != KUSTO_OK) return status;
    const char *crid = kusto_request_client_request_id(req);
    char uuid[KUSTO_UUID_LEN + 1] = "";
    if (!crid && kusto_uuid4(uuid) != 0) return kusto_fail(err, KUSTO_E_NOMEM, "no randomness for a request id");
    snprintf(c->request_id, sizeof c->request_id, "%s%s", crid ? crid : "KLC.execute;", crid ? "" : uuid);
    status = call_timeout(c, err);
    if (status == KUSTO_OK) status = build_body(c, db ? db : client->default_db, csl, err);
    if (status == KUSTO_OK) status = build_headers(c, err);
    c->req = NULL;
    return status;
}

kusto_status kusto_query_authorize(call *c, kusto_error **err) {
    kusto_secret_free(c->authorization);
    c->authorization = NULL;
    kusto_status status = kusto_client_authorization(c->client, c->deadline, &c->authorization, err);
    c->headers[7] = c->authorization;
    return status;
}

void kusto_query_end(call *c) {
    kusto_parser_free(c->parser);
    kusto_secret_free(c->authorization);
    kusto_buf_free(&c->url);
    kusto_buf_free(&c->body);
    kusto_buf_free(&c->header_block);
    memset(c, 0, sizeof *c);
}

static kusto_status execute(kusto_client *client, int mgmt, const char *db, const char *csl, const kusto_request *req,
                            const kusto_builder *builder, void *ud, kusto_error **err) {
    call c;
    kusto_status status = kusto_query_begin(&c, client, mgmt, db, csl, req, builder, ud, err);
    if (status == KUSTO_OK) status = kusto_query_authorize(&c, err);
    if (status == KUSTO_OK) status = c.builder->parse_in_background ? send_relayed(&c, err) : parse_and_send(&c, err);
    kusto_query_end(&c);
    return status;
}

/* Text that begins with '.' after white space and comments is a control command, which the query
   endpoint refuses ("do not support api_version=v2"): azure-kusto-data's execute() sends it to mgmt. */
static int is_control_command(const char *csl) { return *kusto_kql_skip_blank(csl) == '.'; }

static const endpoint *endpoint_for(const char *csl) {
    return csl && is_control_command(csl) ? &mgmt_endpoint : &query_endpoint;
}

kusto_status kusto_client_query(kusto_client *client, const char *db, const char *csl, const kusto_request *req,
                                const kusto_builder *builder, void *ud, kusto_error **err) {
    return execute(client, 0, db, csl, req, builder, ud, err);
}

kusto_status kusto_client_mgmt(kusto_client *client, const char *db, const char *command, const kusto_request *req,
                               const kusto_builder *builder, void *ud, kusto_error **err) {
    return execute(client, 1, db, command, req, builder, ud, err);
}

static kusto_status collect(kusto_client *client, int mgmt, const char *db, const char *csl, const kusto_request *req,
                            kusto_result **out, kusto_error **err) {
    *out = kusto_collector_new();
    if (!*out) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    kusto_status status = execute(client, mgmt, db, csl, req, kusto_collector_builder(), *out, err);
    if (status == KUSTO_E_CANCELLED) /* the collector stops only when it runs out of memory */
        status = kusto_fail(err, KUSTO_E_NOMEM, "out of memory while collecting the result");
    if (!kusto_collected_kept(status)) {
        kusto_result_free(*out);
        *out = NULL;
    }
    return status;
}

kusto_status kusto_client_query_collect(kusto_client *client, const char *db, const char *csl, const kusto_request *req,
                                        kusto_result **out, kusto_error **err) {
    return collect(client, 0, db, csl, req, out, err);
}

kusto_status kusto_client_mgmt_collect(kusto_client *client, const char *db, const char *command,
                                       const kusto_request *req, kusto_result **out, kusto_error **err) {
    return collect(client, 1, db, command, req, out, err);
}
