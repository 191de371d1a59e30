/* core/src/parse_thread.c: the parse on a worker thread gives the caller's builder the same events, statuses and
   messages as the parse on the calling thread; stops, cancels and failures of the work. */
#include <dirent.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "check.h"
#include "files.h"
#include "error.h"
#include "kusto.h"
#include "parse_thread.h"
#include "parser.h"


static pthread_t main_thread;

/* ---- the caller's builder: every event as a line of text ------------------------------------------ */

typedef struct caller {
    kusto_buf log;
    int inside;          /* between enter and leave */
    int misplaced;       /* callbacks outside enter/leave or off the calling thread, unbalanced enter/leave */
    const char *stop_in; /* the callback that returns 1 ... */
    int stop_at;         /* ... on its stop_at-th call */
    int calls;
    int cancel_after; /* cancelled() says stop on this call; 0 = never */
    int cancel_calls;
} caller;

static void note(caller *c, const char *name, const char *fmt, ...) {
    if (!c->inside || !pthread_equal(pthread_self(), main_thread)) c->misplaced++;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    kusto_buf_puts(&c->log, line);
    kusto_buf_puts(&c->log, "\n");
    (void)name;
}

static int verdict(caller *c, const char *name) {
    return c->stop_in && strcmp(c->stop_in, name) == 0 && ++c->calls == c->stop_at;
}

static int on_begin_table(void *ud, const kusto_table_info *t) {
    note(ud, "", "table %d %s %s%s %zu", t->id, t->name, t->kind, t->primary ? " (primary)" : "", t->column_count);
    for (size_t i = 0; i < t->column_count; i++)
        note(ud, "", "  column %s %s %d", t->columns[i].name, t->columns[i].type_name, (int)t->columns[i].type);
    return verdict(ud, "begin_table");
}
static int on_end_table(void *ud) { return note(ud, "", "end table"), verdict(ud, "end_table"); }
static int on_begin_row(void *ud) { return note(ud, "", "row"), verdict(ud, "begin_row"); }
static int on_end_row(void *ud) { return note(ud, "", "end row"), verdict(ud, "end_row"); }
static int on_value(void *ud, const kusto_value *v) {
    switch (v->kind) {
    case KUSTO_VALUE_NULL: note(ud, "", "null"); break;
    case KUSTO_VALUE_BOOL: note(ud, "", "bool %d", v->u.b); break;
    case KUSTO_VALUE_INT: note(ud, "", "int %lld", (long long)v->u.i); break;
    case KUSTO_VALUE_REAL: note(ud, "", "real %.17g", v->u.r); break;
    case KUSTO_VALUE_DATETIME: note(ud, "", "datetime %lld", (long long)v->u.ticks); break;
    case KUSTO_VALUE_TIMESPAN: note(ud, "", "timespan %lld", (long long)v->u.ticks); break;
    default:
        /* Long strings: their length and ends, so a line stays short. */
        if (v->u.text.len > 200)
            note(ud, "", "text %d %zu %.20s...%.20s", (int)v->kind, v->u.text.len, v->u.text.ptr,
                 v->u.text.ptr + v->u.text.len - 20);
        else note(ud, "", "text %d %.*s", (int)v->kind, (int)v->u.text.len, v->u.text.ptr);
    }
    return verdict(ud, "value");
}
static int on_begin_array(void *ud) { return note(ud, "", "["), verdict(ud, "begin_array"); }
static int on_end_array(void *ud) { return note(ud, "", "]"), verdict(ud, "end_array"); }
static int on_begin_object(void *ud) { return note(ud, "", "{"), verdict(ud, "begin_object"); }
static int on_end_object(void *ud) { return note(ud, "", "}"), verdict(ud, "end_object"); }
static int on_key(void *ud, const char *ptr, size_t len) {
    return note(ud, "", "key %.*s", (int)len, ptr), verdict(ud, "key");
}
static int on_replace_rows(void *ud) { return note(ud, "", "replace rows"), verdict(ud, "replace_rows"); }
static int on_partial_error(void *ud, const kusto_error *e) {
    note(ud, "", "partial %s %d %s %ld %d %d %s", kusto_status_name(kusto_error_status(e)), kusto_error_http_status(e),
         kusto_error_code(e) ? kusto_error_code(e) : "-", kusto_error_aadsts(e), kusto_error_permanent(e),
         kusto_error_http_status(e), kusto_error_message(e));
    return verdict(ud, "partial_error");
}
static int on_warning(void *ud, const kusto_warning *w) {
    note(ud, "", "warning %d %s %zu %zu %s %s %s %zu", w->table_id, w->table, w->row, w->column, w->column_name,
         w->reason, w->excerpt, w->count);
    return verdict(ud, "warning");
}
static int on_progress(void *ud, int table_id, double percent) {
    return note(ud, "", "progress %d %g", table_id, percent), verdict(ud, "progress");
}
static void on_enter(void *ud) {
    caller *c = ud;
    if (c->inside || !pthread_equal(pthread_self(), main_thread)) c->misplaced++;
    c->inside = 1;
}
static void on_leave(void *ud) {
    caller *c = ud;
    if (!c->inside || !pthread_equal(pthread_self(), main_thread)) c->misplaced++;
    c->inside = 0;
}
static int on_cancelled(void *ud) {
    caller *c = ud;
    if (c->inside || !pthread_equal(pthread_self(), main_thread)) c->misplaced++;
    return c->cancel_after && ++c->cancel_calls >= c->cancel_after;
}

/* clang-format off */
static const kusto_builder events_builder = {
    sizeof(kusto_builder),
    on_begin_table, on_end_table, on_begin_row, on_end_row, on_value, on_begin_array, on_end_array, on_begin_object,
    on_key, on_end_object, on_replace_rows, on_partial_error, on_enter, on_leave, on_cancelled, 0, on_warning,
    on_progress, 0,
};
static const kusto_builder strict_builder = {
    sizeof(kusto_builder),
    on_begin_table, on_end_table, on_begin_row, on_end_row, on_value, on_begin_array, on_end_array, on_begin_object,
    on_key, on_end_object, on_replace_rows, on_partial_error, on_enter, on_leave, on_cancelled, 0, on_warning,
    on_progress, 1,
};
/* Without begin_array the parser hands dynamic values over as JSON text: the relay must keep that. */
static const kusto_builder json_builder = {
    sizeof(kusto_builder),
    on_begin_table, on_end_table, on_begin_row, on_end_row, on_value, NULL, NULL, NULL, NULL, NULL,
    on_replace_rows, on_partial_error, on_enter, on_leave, on_cancelled, 0, on_warning, on_progress, 0,
};
/* clang-format on */

/* ---- the work: a body fed to the parser in chunks, as query.c feeds what the network gives ---------- */

typedef struct feed {
    const char *body;
    size_t len, chunk;
    size_t fail_at;       /* bytes fed before the transfer "fails"; 0 = never */
    int wait_for_cancel;  /* after the body, wait until the cancel hook says stop (a slow network) */
    int ignore_cancel_ms; /* sleep this long first, not asking the cancel hook */
} feed;

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static kusto_status feed_work(void *ud, const kusto_builder *b, void *bud, kusto_error **err) {
    const feed *f = ud;
    kusto_parser *p = NULL;
    kusto_status status = kusto_parser_new(&p, b, bud);
    if (f->ignore_cancel_ms) sleep_ms(f->ignore_cancel_ms);
    size_t end = f->fail_at ? f->fail_at : f->len;
    for (size_t at = 0; at < end && status == KUSTO_OK; at += f->chunk) {
        size_t n = end - at < f->chunk ? end - at : f->chunk;
        if (b->enter) b->enter(bud);
        status = kusto_parser_feed(p, f->body + at, n, err);
        if (b->leave) b->leave(bud);
    }
    if (status == KUSTO_OK && f->fail_at) status = kusto_fail(err, KUSTO_E_NETWORK, "request to x failed: reset");
    while (status == KUSTO_OK && f->wait_for_cancel) {
        if (b->cancelled && b->cancelled(bud)) status = kusto_fail(err, KUSTO_E_CANCELLED, "request to x cancelled");
        sleep_ms(1);
    }
    if (status == KUSTO_OK) {
        if (b->enter) b->enter(bud);
        status = kusto_parser_finish(p, err);
        if (b->leave) b->leave(bud);
    }
    kusto_parser_free(p);
    return status;
}

typedef struct outcome {
    kusto_status status;
    char *log, *message;
    int misplaced;
} outcome;

static outcome run(const kusto_builder *b, caller c, const feed *f, int relayed) {
    kusto_error *err = NULL;
    outcome o;
    o.status = relayed ? kusto_relay_run(b, &c, feed_work, (void *)f, "request to x cancelled", &err)
                       : feed_work((void *)f, b, &c, &err);
    kusto_buf_puts(&c.log, "");
    o.log = kusto_buf_take(&c.log);
    o.message = kusto_strdup(err ? kusto_error_message(err) : "");
    o.misplaced = c.misplaced + c.inside;
    kusto_error_free(err);
    return o;
}

static void outcome_free(outcome *o) {
    free(o->log);
    free(o->message);
}

/* The relay against the direct parse: same events, status and message. */
static void check_same(const kusto_builder *b, caller c, const feed *f, const char *what) {
    outcome direct = run(b, c, f, 0), relayed = run(b, c, f, 1);
    int same = direct.status == relayed.status && strcmp(direct.log, relayed.log) == 0 &&
               strcmp(direct.message, relayed.message) == 0;
    if (!same)
        fprintf(stderr, "%s (chunk %zu): direct %s \"%s\" (%zu bytes of events), relayed %s \"%s\" (%zu bytes)\n", what,
                f->chunk, kusto_status_name(direct.status), direct.message, strlen(direct.log),
                kusto_status_name(relayed.status), relayed.message, strlen(relayed.log));
    CHECK(same);
    CHECK_INT(relayed.misplaced, 0);
    outcome_free(&direct);
    outcome_free(&relayed);
}

static void test_every_fixture_gives_the_same_events(void) {
    DIR *dir = opendir(FIXTURES);
    CHECK(dir != NULL);
    if (!dir) return;
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir(dir))) {
        size_t n = strlen(entry->d_name), len;
        if (n < 6 || strcmp(entry->d_name + n - 5, ".json") != 0) continue;
        char *body = read_fixture(entry->d_name, &len);
        size_t chunks[] = {1, 7, 4096, len};
        for (size_t i = 0; body && i < sizeof chunks / sizeof *chunks; i++) {
            feed f = {.body = body, .len = len, .chunk = chunks[i]};
            check_same(&events_builder, (caller){0}, &f, entry->d_name);
            check_same(&json_builder, (caller){0}, &f, entry->d_name);
        }
        free(body);
        count++;
    }
    closedir(dir);
    CHECK(count >= 7);
}

/* ---- a big body: many blocks, a string bigger than a block ------------------------------------------ */

/* Fragments of 500 rows, as the emulator and Kusto send big tables, so rows arrive as bytes do. */
static char *big_body(size_t rows, size_t *len) {
    kusto_buf b = {0};
    kusto_buf_puts(&b, "[{\"FrameType\":\"DataSetHeader\",\"IsProgressive\":false,\"Version\":\"v2.0\","
                       "\"IsFragmented\":true}\n,{\"FrameType\":\"TableHeader\",\"TableId\":1,\"TableKind\":"
                       "\"PrimaryResult\",\"TableName\":\"PrimaryResult\",\"Columns\":[{\"ColumnName\":\"i\","
                       "\"ColumnType\":\"long\"},{\"ColumnName\":\"s\",\"ColumnType\":\"string\"},{\"ColumnName\":"
                       "\"d\",\"ColumnType\":\"dynamic\"},{\"ColumnName\":\"t\",\"ColumnType\":\"datetime\"},"
                       "{\"ColumnName\":\"r\",\"ColumnType\":\"real\"},{\"ColumnName\":\"b\",\"ColumnType\":"
                       "\"bool\"}]}\n");
    for (size_t i = 0; i < rows; i++) {
        if (i % 500 == 0)
            kusto_buf_puts(&b, ",{\"FrameType\":\"TableFragment\",\"TableFragmentType\":\"DataAppend\","
                               "\"TableId\":1,\"Rows\":[");
        kusto_buf_printf(&b,
                         "%s[%zu,\"name %zu\",{\"k\":[%zu,null,\"x\"],\"o\":{}},\"2024-01-02T03:04:05.%07zuZ\","
                         "%zu.25,%s]",
                         i % 500 ? "," : "", i, i * 7, i, i % 10000000, i, i % 3 ? "true" : "null");
        if (i == rows / 2) { /* one string of 300 KiB: a block of its own */
            kusto_buf_puts(&b, ",[-1,\"");
            for (int k = 0; k < 300 * 1024; k++) kusto_buf_append(&b, "abcdefgh" + k % 8, 1);
            kusto_buf_puts(&b, "\",null,null,null,false]");
        }
        if (i % 500 == 499 || i == rows - 1) kusto_buf_puts(&b, "]}\n");
    }
    kusto_buf_printf(&b,
                     ",{\"FrameType\":\"TableCompletion\",\"TableId\":1,\"RowCount\":%zu}\n"
                     ",{\"FrameType\":\"DataSetCompletion\",\"HasErrors\":false,\"Cancelled\":false}]",
                     rows + 1);
    *len = b.len;
    return kusto_buf_take(&b);
}

static char *body;
static size_t body_len;

static void test_many_blocks(void) {
    feed f = {.body = body, .len = body_len, .chunk = 256 * 1024};
    check_same(&events_builder, (caller){0}, &f, "big body");
    check_same(&json_builder, (caller){0}, &f, "big body");
    f.chunk = 1000;
    check_same(&events_builder, (caller){0}, &f, "big body");
}

static void test_a_callback_stops_mid_stream(void) {
    const char *names[] = {"end_row", "value", "key", "begin_array", "end_object", "begin_table", "end_table"};
    int at[] = {20000, 55555, 3, 40000, 1, 1, 1};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        feed f = {.body = body, .len = body_len, .chunk = 64 * 1024};
        check_same(&events_builder, (caller){.stop_in = names[i], .stop_at = at[i]}, &f, names[i]);
    }
    outcome o = run(&events_builder, (caller){.stop_in = "end_row", .stop_at = 20000},
                    &(feed){.body = body, .len = body_len, .chunk = 65536}, 1);
    CHECK_INT(o.status, KUSTO_E_CANCELLED);
    CHECK_STR(o.message, "the builder's end_row callback asked to stop");
    outcome_free(&o);
}

static void test_partial_errors_and_a_failure_after_rows(void) {
    size_t len;
    char *partial = read_fixture("query_partial_results_deferred.json", &len);
    CHECK(partial != NULL);
    feed f = {.body = partial, .len = len, .chunk = 100};
    check_same(&events_builder, (caller){0}, &f, "partial");
    outcome o = run(&events_builder, (caller){0}, &f, 1);
    CHECK_INT(o.status, KUSTO_E_PARTIAL);
    CHECK(strstr(o.log, "partial KUSTO_E_PARTIAL") != NULL && strstr(o.log, "end row") != NULL);
    outcome_free(&o);
    free(partial);

    feed failing = {.body = body, .len = body_len, .chunk = 4096, .fail_at = body_len / 3};
    check_same(&events_builder, (caller){0}, &failing, "failure after rows");
    o = run(&events_builder, (caller){0}, &failing, 1);
    CHECK_INT(o.status, KUSTO_E_NETWORK);
    CHECK_STR(o.message, "request to x failed: reset");
    CHECK(strstr(o.log, "\nint 15000\n") != NULL); /* rows before the failure were all delivered */
    outcome_free(&o);
}

/* Warnings, progress and the builder's strictness cross the relay like the other events. */
static void test_warnings_progress_and_strict(void) {
    static const char text[] =
        "[{\"FrameType\":\"DataSetHeader\"},{\"FrameType\":\"TableHeader\",\"TableId\":1,\"TableName\":\"T\","
        "\"TableKind\":\"PrimaryResult\",\"Columns\":[{\"ColumnName\":\"s\",\"ColumnType\":\"string\"}]},"
        "{\"FrameType\":\"TableProgress\",\"TableId\":1,\"TableProgress\":12.5},"
        "{\"FrameType\":\"TableFragment\",\"TableId\":1,\"Rows\":[[\"a\"],[{\"QueryStatus\":1}],[7]]},"
        "{\"FrameType\":\"TableCompletion\",\"TableId\":1},{\"FrameType\":\"DataSetCompletion\"}]";
    feed f = {.body = text, .len = sizeof text - 1, .chunk = 5};
    check_same(&events_builder, (caller){0}, &f, "warnings");
    check_same(&strict_builder, (caller){0}, &f, "strict");
    outcome o = run(&events_builder, (caller){0}, &f, 1);
    CHECK_INT(o.status, KUSTO_OK);
    CHECK(strstr(o.log, "progress 1 12.5\n") != NULL);
    CHECK(strstr(o.log, "warning 1 T 1 0 s an object that is not a valid string {\"QueryStatus\":1} 1\n"
                        "warning 1 T 2 0 s a number that is not a valid string 7 1\nend table\n") != NULL);
    outcome_free(&o);
    o = run(&strict_builder, (caller){0}, &f, 1);
    CHECK_INT(o.status, KUSTO_E_PROTOCOL);
    CHECK_STR(o.message, "table 'T', row 1, column 's': { is not a valid string");
    outcome_free(&o);
    o = run(&events_builder, (caller){.stop_in = "warning", .stop_at = 1}, &f, 1);
    CHECK_INT(o.status, KUSTO_E_CANCELLED);
    CHECK_STR(o.message, "the builder's warning callback asked to stop");
    outcome_free(&o);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_cancel_while_waiting(void) {
    /* The work waits on the network: the caller's cancelled() says stop, the work's cancel hook says so
       too, and the work's own error is the call's. */
    size_t len;
    char *small = read_fixture("deft.json", &len);
    feed waits = {.body = small, .len = len, .chunk = 4096, .wait_for_cancel = 1};
    double start = now_s();
    outcome o = run(&events_builder, (caller){.cancel_after = 3}, &waits, 1);
    CHECK_INT(o.status, KUSTO_E_CANCELLED);
    CHECK_STR(o.message, "request to x cancelled");
    CHECK(now_s() - start < 2.0);
    CHECK_INT(o.misplaced, 0);
    outcome_free(&o);
    /* The work ends well without noticing: the call is still cancelled, with the caller's message. */
    feed deaf = {.body = small, .len = len, .chunk = 4096, .ignore_cancel_ms = 350};
    o = run(&events_builder, (caller){.cancel_after = 2}, &deaf, 1);
    CHECK_INT(o.status, KUSTO_E_CANCELLED);
    CHECK_STR(o.message, "request to x cancelled");
    outcome_free(&o);
    /* A caller that never cancels: asked while waiting, and nothing changes. */
    caller counting = {.cancel_after = 1000000};
    o = run(&events_builder, counting, &deaf, 1);
    CHECK_INT(o.status, KUSTO_OK);
    outcome_free(&o);
    free(small);
}

/* A slow caller: the worker must wait for room (bounded queue) and everything still arrives in order. */
static int slow_end_row(void *ud) {
    caller *c = ud;
    if (++c->calls % 20000 == 0) sleep_ms(20);
    note(ud, "", "end row");
    return 0;
}

static void test_slow_caller(void) {
    kusto_builder slow = events_builder;
    slow.end_row = slow_end_row;
    feed f = {.body = body, .len = body_len, .chunk = 256 * 1024};
    outcome direct = run(&slow, (caller){0}, &f, 0), relayed = run(&slow, (caller){0}, &f, 1);
    CHECK_INT(relayed.status, KUSTO_OK);
    CHECK(strcmp(direct.log, relayed.log) == 0);
    outcome_free(&direct);
    outcome_free(&relayed);
}

int main(void) {
    main_thread = pthread_self();
    test_warnings_progress_and_strict();
    body = big_body(60000, &body_len);
    test_every_fixture_gives_the_same_events();
    test_many_blocks();
    test_a_callback_stops_mid_stream();
    test_partial_errors_and_a_failure_after_rows();
    test_cancel_while_waiting();
    test_slow_caller();
    free(body);
    CHECK_DONE();
}
