/* kusto_builder.parse_in_background against the emulator: the same events, statuses and messages as the
   parse on the calling thread, through the network paths (truncated bodies, retries, partial errors,
   a stop from a callback, a cancel while the answer is awaited). */
#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "e2e.h"
#include "first_builder.h"
#include "kusto.h"

typedef struct log {
    char *text;
    size_t len, cap;
    int rows, stop_at_row, cancel_after, cancel_calls;
} log_t;

static void note(log_t *l, const char *fmt, ...) {
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (l->len + (size_t)n + 2 > l->cap) {
        l->cap = (l->cap + (size_t)n + 2) * 2;
        l->text = realloc(l->text, l->cap);
    }
    memcpy(l->text + l->len, line, (size_t)n);
    l->len += (size_t)n;
    l->text[l->len++] = '\n';
    l->text[l->len] = '\0';
}

static int on_begin_table(void *ud, const kusto_table_info *t) {
    note(ud, "table %s %zu", t->kind, t->column_count);
    return 0;
}
static int on_end_row(void *ud) {
    log_t *l = ud;
    note(l, "end row");
    return ++l->rows == l->stop_at_row;
}
static int on_value(void *ud, const kusto_value *v) {
    if (v->kind == KUSTO_VALUE_INT) note(ud, "int %lld", (long long)v->u.i);
    else if (v->kind == KUSTO_VALUE_STRING || v->kind == KUSTO_VALUE_GUID)
        note(ud, "text %d", (int)v->u.text.len); /* ids and times differ between calls */
    else note(ud, "kind %d", (int)v->kind);
    return 0;
}
static int on_partial_error(void *ud, const kusto_error *e) {
    note(ud, "partial %s %s", kusto_error_code(e) ? kusto_error_code(e) : "-", kusto_error_message(e));
    return 0;
}
static int on_cancelled(void *ud) {
    log_t *l = ud;
    return l->cancel_after && ++l->cancel_calls >= l->cancel_after;
}

typedef struct outcome {
    kusto_status status;
    char *log, *message;
    int http_status, has_request_id;
    double seconds;
} outcome;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static outcome query(kusto_client *client, const char *csl, const kusto_request *req, int background, log_t l) {
    kusto_builder b = {.size = sizeof b,
                       .begin_table = on_begin_table,
                       .end_row = on_end_row,
                       .value = on_value,
                       .partial_error = on_partial_error,
                       .cancelled = on_cancelled,
                       .parse_in_background = background};
    kusto_error *err = NULL;
    outcome o = {0};
    double start = now_s();
    o.status = kusto_client_query(client, NULL, csl, req, &b, &l, &err);
    o.seconds = now_s() - start;
    o.log = l.text ? l.text : strdup("");
    o.message = strdup(err ? kusto_error_message(err) : "");
    o.http_status = err ? kusto_error_http_status(err) : 0;
    o.has_request_id = err && kusto_error_request_id(err);
    kusto_error_free(err);
    return o;
}

static void outcome_free(outcome *o) {
    free(o->log);
    free(o->message);
}

static kusto_client *client_new(void) {
    kusto_options *opts = NULL;
    kusto_client *client = NULL;
    kusto_options_new(&opts);
    kusto_options_set(opts, "ca_file", cfg("ca_file"));
    kusto_client_new(&client, cfg("connection_string"), opts, NULL);
    kusto_options_free(opts);
    return client;
}

/* Runs the query without then with the relay, arming `fault` (JSON, may be NULL) before each. */
static void check_same(kusto_client *client, const char *csl, const kusto_request *req, const char *fault, log_t l,
                       kusto_status expected, const char *what) {
    outcome o[2];
    for (int background = 0; background < 2; background++) {
        if (fault) CHECK_INT(control("POST", "/faults", fault), 200);
        o[background] = query(client, csl, req, background, l);
        control("DELETE", "/faults", NULL);
    }
    int same = o[0].status == o[1].status && strcmp(o[0].log, o[1].log) == 0 &&
               strcmp(o[0].message, o[1].message) == 0 && o[0].http_status == o[1].http_status &&
               o[0].has_request_id == o[1].has_request_id;
    if (!same || o[1].status != expected)
        fprintf(stderr, "%s: direct %s \"%s\" (%zu), relayed %s \"%s\" (%zu)\n", what, kusto_status_name(o[0].status),
                o[0].message, strlen(o[0].log), kusto_status_name(o[1].status), o[1].message, strlen(o[1].log));
    CHECK(same);
    CHECK_INT(o[1].status, expected);
    outcome_free(&o[0]);
    outcome_free(&o[1]);
}

static void test_same_as_without(kusto_client *client) {
    check_same(client, "range x from 1 to 50000 step 1", NULL, NULL, (log_t){0}, KUSTO_OK, "range");
    check_same(client, "range x from 1 to 50000 step 1", NULL,
               "{\"path\": \"/v2/rest/query\", \"truncate_after\": 300000}", (log_t){0}, KUSTO_E_NETWORK, "truncated");
    check_same(client, "range x from 1 to 50000 step 1", NULL, NULL, (log_t){.stop_at_row = 1234}, KUSTO_E_CANCELLED,
               "stop");
    kusto_request *req = NULL;
    kusto_request_new(&req);
    kusto_request_set_option_int(req, "truncationmaxrecords", 10);
    kusto_request_set_option_bool(req, "deferpartialqueryfailures", 1);
    check_same(client, "range x from 1 to 100 step 1", req, NULL, (log_t){0}, KUSTO_E_PARTIAL, "partial");
    kusto_request_free(req);
    check_same(client, "NoSuchTable | take 1", NULL, NULL, (log_t){0}, KUSTO_E_SERVICE, "semantic error");
}

static void test_retry_before_the_body(kusto_client *client) {
    int before = requests_to("/v2/rest/query");
    CHECK_INT(control("POST", "/faults", "{\"path\": \"/v2/rest/query\", \"status\": 503, \"count\": 1}"), 200);
    outcome o = query(client, "range x from 1 to 10 step 1", NULL, 1, (log_t){0});
    control("DELETE", "/faults", NULL);
    CHECK_INT(o.status, KUSTO_OK);
    CHECK(strstr(o.log, "int 10\n") != NULL);
    CHECK_INT(requests_to("/v2/rest/query") - before, 2);
    outcome_free(&o);
}

static void test_cancel_while_the_answer_is_awaited(kusto_client *client) {
    CHECK_INT(control("POST", "/faults", "{\"path\": \"/v2/rest/query\", \"delay\": 10}"), 200);
    outcome o = query(client, "print 1", NULL, 1, (log_t){.cancel_after = 3});
    control("DELETE", "/faults", NULL);
    CHECK_INT(o.status, KUSTO_E_CANCELLED);
    CHECK(strncmp(o.message, "request to https://", 19) == 0 && strstr(o.message, "/v2/rest/query cancelled"));
    CHECK(o.seconds < 3.0);
    outcome_free(&o);
}

/* A program built against the first kusto_builder layout (first_builder.h): the memory past its struct
   holds traps the library must not read. */
static int trap_warning(void *ud, const kusto_warning *w) {
    note(ud, "warning %s", w->reason);
    return 0;
}
static int trap_progress(void *ud, int table_id, double percent) {
    note(ud, "progress %.0f", percent);
    return 0;
}

static kusto_status query_misfit(kusto_client *client, const kusto_builder *builder, log_t *l) {
    cJSON *fault = cJSON_CreateObject();
    cJSON_AddStringToObject(fault, "path", "/v2/rest/query");
    cJSON_AddNumberToObject(fault, "status", 200);
    cJSON_AddStringToObject(fault, "body", MISFIT_BODY);
    cJSON_AddNumberToObject(fault, "count", 1);
    char *json = cJSON_PrintUnformatted(fault);
    CHECK_INT(control("POST", "/faults", json), 200);
    free(json);
    cJSON_Delete(fault);
    kusto_error *err = NULL;
    kusto_status status = kusto_client_query(client, NULL, "print 1", NULL, builder, l, &err);
    if (err) note(l, "error %s", kusto_error_message(err));
    kusto_error_free(err);
    control("DELETE", "/faults", NULL);
    return status;
}

static void test_first_layout(kusto_client *client) {
    for (int background = 0; background <= 1; background++) {
        kusto_builder memory = {.size = sizeof memory, .warning = trap_warning, .progress = trap_progress, .strict = 1};
        first_builder first = {
            .size = sizeof first, .end_row = on_end_row, .value = on_value, .parse_in_background = background};
        memcpy(&memory, &first, sizeof first);
        log_t l = {0};
        CHECK_INT(query_misfit(client, &memory, &l), KUSTO_OK);
        CHECK_STR(l.text, "int 1\nend row\ntext 1\nend row\n");
        free(l.text);
        /* The same memory as today's builder: the newer fields are read. */
        memory.size = sizeof memory;
        memory.strict = 0;
        l = (log_t){0};
        CHECK_INT(query_misfit(client, &memory, &l), KUSTO_OK);
        CHECK_STR(l.text, "int 1\nend row\ntext 1\nend row\nprogress 50\nwarning text that is not a valid long\n");
        free(l.text);
    }
}

int main(void) {
    if (load_config()) return 1;
    kusto_client *client = client_new();
    CHECK(client != NULL);
    if (client) {
        test_same_as_without(client);
        test_retry_before_the_body(client);
        test_cancel_while_the_answer_is_awaited(client);
        test_first_layout(client);
    }
    kusto_client_free(client);
    cJSON_Delete(config);
    CHECK_DONE();
}
