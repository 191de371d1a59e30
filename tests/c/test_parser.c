/* core/src/parser.c and collect.c: the push parser (v1, v2), typed values and the collector. */
#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "check.h"
#include "files.h"
#include "kusto.h"
#include "parser.h"


/* ---- a builder that writes every event as text --------------------------------------------------- */

typedef struct recorder {
    kusto_buf log;
    int rows;
    int stop_at_row; /* end_row number that returns 1; 0 = never */
} recorder;

static void note(recorder *r, const char *fmt, ...) {
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    kusto_buf_puts(&r->log, line);
    kusto_buf_puts(&r->log, "\n");
}

static int rec_begin_table(void *ud, const kusto_table_info *t) {
    recorder *r = ud;
    note(r, "table %d %s %s %zu", t->id, t->name, t->kind, t->column_count);
    for (size_t i = 0; i < t->column_count; i++)
        note(r, "  column %s %s %s", t->columns[i].name, t->columns[i].type_name, kusto_type_name(t->columns[i].type));
    return 0;
}
static int rec_end_table(void *ud) { return note(ud, "end table"), 0; }
static int rec_begin_row(void *ud) { return note(ud, "row"), 0; }
static int rec_end_row(void *ud) {
    recorder *r = ud;
    note(r, "end row");
    return ++r->rows == r->stop_at_row;
}
static int rec_value(void *ud, const kusto_value *v) {
    recorder *r = ud;
    char buf[40];
    switch (v->kind) {
    case KUSTO_VALUE_NULL: note(r, "null"); break;
    case KUSTO_VALUE_BOOL: note(r, "bool %d", v->u.b); break;
    case KUSTO_VALUE_INT: note(r, "int %lld", (long long)v->u.i); break;
    case KUSTO_VALUE_REAL: note(r, "real %.17g", v->u.r); break;
    case KUSTO_VALUE_STRING: note(r, "string %.*s", (int)v->u.text.len, v->u.text.ptr); break;
    case KUSTO_VALUE_DECIMAL: note(r, "decimal %.*s", (int)v->u.text.len, v->u.text.ptr); break;
    case KUSTO_VALUE_GUID: note(r, "guid %.*s", (int)v->u.text.len, v->u.text.ptr); break;
    case KUSTO_VALUE_JSON: note(r, "json %.*s", (int)v->u.text.len, v->u.text.ptr); break;
    case KUSTO_VALUE_DATETIME:
        kusto_datetime_format(v->u.ticks, buf);
        note(r, "datetime %s", buf);
        break;
    case KUSTO_VALUE_TIMESPAN:
        kusto_timespan_format(v->u.ticks, buf);
        note(r, "timespan %s", buf);
        break;
    }
    return 0;
}
static int rec_begin_array(void *ud) { return note(ud, "["), 0; }
static int rec_end_array(void *ud) { return note(ud, "]"), 0; }
static int rec_begin_object(void *ud) { return note(ud, "{"), 0; }
static int rec_end_object(void *ud) { return note(ud, "}"), 0; }
static int rec_key(void *ud, const char *ptr, size_t len) { return note(ud, "key %.*s", (int)len, ptr), 0; }
static int rec_replace(void *ud) { return note(ud, "replace rows"), 0; }
static int rec_partial(void *ud, const kusto_error *e) {
    note(ud, "partial %s: %s", kusto_error_code(e) ? kusto_error_code(e) : "-", kusto_error_message(e));
    return 0;
}

/* clang-format off */
static const kusto_builder events_builder = {
    .size = sizeof(kusto_builder),
    .begin_table = rec_begin_table, .end_table = rec_end_table, .begin_row = rec_begin_row, .end_row = rec_end_row,
    .value = rec_value, .begin_array = rec_begin_array, .end_array = rec_end_array, .begin_object = rec_begin_object,
    .key = rec_key, .end_object = rec_end_object, .replace_rows = rec_replace, .partial_error = rec_partial,
};
/* clang-format on */
static int rec_warning(void *ud, const kusto_warning *w) {
    note(ud, "warning %d %s row %zu column %zu %s: %s (%s) x%zu", w->table_id, w->table, w->row, w->column,
         w->column_name, w->reason, w->excerpt, w->count);
    return 0;
}
static int rec_progress(void *ud, int table_id, double percent) {
    return note(ud, "progress %d %.1f", table_id, percent), 0;
}

/* clang-format off */
static const kusto_builder warning_builder = {
    .size = sizeof(kusto_builder),
    .begin_table = rec_begin_table, .end_table = rec_end_table, .begin_row = rec_begin_row, .end_row = rec_end_row,
    .value = rec_value, .begin_array = rec_begin_array, .end_array = rec_end_array, .begin_object = rec_begin_object,
    .key = rec_key, .end_object = rec_end_object, .replace_rows = rec_replace, .partial_error = rec_partial,
    .warning = rec_warning, .progress = rec_progress,
};
static const kusto_builder strict_builder = {
    .size = sizeof(kusto_builder),
    .begin_table = rec_begin_table, .end_table = rec_end_table, .begin_row = rec_begin_row, .end_row = rec_end_row,
    .value = rec_value, .begin_array = rec_begin_array, .end_array = rec_end_array, .begin_object = rec_begin_object,
    .key = rec_key, .end_object = rec_end_object, .replace_rows = rec_replace, .partial_error = rec_partial,
    .warning = rec_warning, .strict = 1,
};

/* Without begin_array: dynamic values arrive as JSON text. */
static const kusto_builder json_builder = {
    .size = sizeof(kusto_builder),
    .begin_table = rec_begin_table, .end_table = rec_end_table, .begin_row = rec_begin_row, .end_row = rec_end_row,
    .value = rec_value, .replace_rows = rec_replace, .partial_error = rec_partial,
};
/* clang-format on */

typedef struct run {
    kusto_status status;
    char *log;
    char *message;
    char *code;
} run;

/* Frames buffered beyond this hand out their rows early; 0: the parser's default. */
static size_t stream_after;

/* Feeds `body` in pieces of `chunk` bytes (0: all at once) and records what happened. */
static run parse(const kusto_builder *builder, const char *body, size_t len, size_t chunk, int stop_at_row) {
    recorder rec = {.stop_at_row = stop_at_row};
    kusto_parser *p = NULL;
    kusto_error *err = NULL;
    run out = {0};
    kusto_parser_new(&p, builder, &rec);
    if (stream_after) kusto_parser_set_stream_after(p, stream_after);
    size_t step = chunk ? chunk : (len ? len : 1);
    out.status = KUSTO_OK;
    for (size_t at = 0; at < len && out.status == KUSTO_OK; at += step)
        out.status = kusto_parser_feed(p, body + at, len - at < step ? len - at : step, &err);
    if (out.status == KUSTO_OK) out.status = kusto_parser_finish(p, &err);
    kusto_parser_free(p);
    kusto_buf_puts(&rec.log, "");
    out.log = kusto_buf_take(&rec.log);
    out.message = kusto_strdup(err ? kusto_error_message(err) : "");
    out.code = kusto_strdup(err && kusto_error_code(err) ? kusto_error_code(err) : "");
    kusto_error_free(err);
    return out;
}

static void run_free(run *r) {
    free(r->log);
    free(r->message);
    free(r->code);
}

static run parse_text(const kusto_builder *builder, const char *body) {
    return parse(builder, body, strlen(body), 0, 0);
}

/* ---- every fixture, every chunking --------------------------------------------------------------- */

static void check_same_run(const run *a, const run *b, const char *name, size_t chunk) {
    int same = a->status == b->status && strcmp(a->log, b->log) == 0 && strcmp(a->message, b->message) == 0 &&
               strcmp(a->code, b->code) == 0;
    if (!same)
        fprintf(stderr, "%s: chunks of %zu differ from the whole body (%d %s / %d %s)\n", name, chunk, a->status,
                a->message, b->status, b->message);
    CHECK(same);
}

static void check_fixture_chunking(const char *name) {
    size_t len;
    char *body = read_fixture(name, &len);
    if (!body) {
        CHECK(body != NULL);
        return;
    }
    const kusto_builder *builders[] = {&events_builder, &json_builder};
    for (int b = 0; b < 2; b++) {
        run whole = parse(builders[b], body, len, 0, 0);
        if (!strstr(name, "error") || strstr(name, "fragmented_error")) {
            int parsed = whole.status == KUSTO_OK || whole.status == KUSTO_E_PARTIAL;
            if (!parsed) fprintf(stderr, "%s: %s %s\n", name, kusto_status_name(whole.status), whole.message);
            CHECK(parsed);
            CHECK(strstr(whole.log, "end row") != NULL);
        }
        size_t chunks[] = {1, 2, 7, 4096};
        for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++) {
            run pieces = parse(builders[b], body, len, chunks[c], 0);
            check_same_run(&whole, &pieces, name, chunks[c]);
            run_free(&pieces);
            stream_after = 1; /* every frame (v1: the first table) hands out its rows while it arrives */
            run streamed = parse(builders[b], body, len, chunks[c], 0);
            stream_after = 0;
            check_same_run(&whole, &streamed, name, chunks[c]);
            run_free(&streamed);
        }
        run_free(&whole);
    }
    free(body);
}

static void test_every_fixture(void) {
    DIR *dir = opendir(FIXTURES);
    CHECK(dir != NULL);
    if (!dir) return;
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir(dir))) {
        size_t n = strlen(entry->d_name);
        if (n > 5 && strcmp(entry->d_name + n - 5, ".json") == 0) {
            check_fixture_chunking(entry->d_name);
            count++;
        }
    }
    closedir(dir);
    CHECK(count >= 7);
}

/* ---- collected values ---------------------------------------------------------------------------- */

static kusto_result *parse_fixture(const char *name, kusto_status expected, kusto_error **err) {
    size_t len;
    char *body = read_fixture(name, &len);
    kusto_result *res = NULL;
    kusto_status status = body ? kusto_result_parse(&res, body, len, err) : KUSTO_E_ARGUMENT;
    CHECK_INT(status, expected);
    if (status != expected && err && *err) fprintf(stderr, "%s: %s\n", name, kusto_error_message(*err));
    free(body);
    return res;
}

static const kusto_value *cell(const kusto_result *res, size_t table, size_t row, size_t column) {
    return kusto_table_value(kusto_result_table(res, table), row, column);
}

static int text_is(const kusto_value *v, kusto_value_kind kind, const char *text) {
    return v && v->kind == kind && v->u.text.len == strlen(text) && memcmp(v->u.text.ptr, text, v->u.text.len) == 0;
}

static int64_t ticks_of(const char *datetime) {
    int64_t ticks = -1;
    kusto_datetime_parse(datetime, strlen(datetime), &ticks);
    return ticks;
}

static void test_deft(void) {
    kusto_result *res = parse_fixture("deft.json", KUSTO_OK, NULL);
    if (!res) return;
    CHECK_INT(kusto_result_table_count(res), 3);
    CHECK_INT(kusto_result_error_count(res), 0);
    const kusto_table_info *props = kusto_table_info_of(kusto_result_table(res, 0));
    CHECK_STR(props->name, "@ExtendedProperties");
    CHECK_STR(props->kind, "QueryProperties");
    CHECK_INT(props->primary, 0);
    CHECK(text_is(cell(res, 0, 0, 2), KUSTO_VALUE_JSON,
                  "\"{\\\"Visualization\\\":null,\\\"Title\\\":null,"
                  "\\\"XColumn\\\":null,\\\"Series\\\":null,\\\"YColumns\\\""
                  ":null,\\\"XTitle\\\":null,\\\"YTitle\\\":null,\\\"XAxis\\\""
                  ":null,\\\"YAxis\\\":null,\\\"Legend\\\":null,\\\"YSplit\\\""
                  ":null,\\\"Accumulate\\\":false,\\\"IsQuerySorted\\\":false,"
                  "\\\"Kind\\\":null}\""));

    const kusto_table *deft = kusto_result_table(res, 1);
    const kusto_table_info *info = kusto_table_info_of(deft);
    CHECK_INT(info->id, 1);
    CHECK_STR(info->name, "Deft");
    CHECK_STR(info->kind, "PrimaryResult");
    CHECK_INT(info->primary, 1);
    CHECK_INT(info->column_count, 19);
    CHECK_STR(info->columns[7].name, "xint64");
    CHECK_INT(info->columns[7].type, KUSTO_TYPE_LONG);
    CHECK_STR(info->columns[7].type_name, "long");
    CHECK_INT(info->columns[12].type, KUSTO_TYPE_DATETIME);
    CHECK_INT(info->columns[16].type, KUSTO_TYPE_TIMESPAN);
    CHECK_INT(info->columns[18].type, KUSTO_TYPE_DYNAMIC);
    CHECK_INT(kusto_table_row_count(deft), 11);

    /* Row 0: nulls of every type, and empty strings where the wire has "". */
    size_t nulls = 0;
    for (size_t c = 0; c < 19; c++) nulls += cell(res, 1, 0, c)->kind == KUSTO_VALUE_NULL;
    CHECK_INT(nulls, 13);
    CHECK(text_is(cell(res, 1, 0, 1), KUSTO_VALUE_STRING, ""));
    CHECK(text_is(cell(res, 1, 0, 18), KUSTO_VALUE_JSON, "\"\""));

    const kusto_value *v = cell(res, 1, 2, 0);
    CHECK(v->kind == KUSTO_VALUE_INT && v->u.i == 1);
    CHECK(text_is(cell(res, 1, 2, 1), KUSTO_VALUE_STRING, "00000001-0000-0000-0001-020304050607"));
    v = cell(res, 1, 2, 2);
    CHECK(v->kind == KUSTO_VALUE_REAL && v->u.r == 1.0001);
    v = cell(res, 1, 2, 4);
    CHECK(v->kind == KUSTO_VALUE_BOOL && v->u.b == 1);
    v = cell(res, 1, 3, 4);
    CHECK(v->kind == KUSTO_VALUE_BOOL && v->u.b == 0);
    v = cell(res, 1, 2, 12);
    CHECK(v->kind == KUSTO_VALUE_DATETIME && v->u.ticks == ticks_of("2015-01-01T01:01:01Z") + 1);
    v = cell(res, 1, 10, 12);
    CHECK(v->kind == KUSTO_VALUE_DATETIME && v->u.ticks == ticks_of("2023-01-01T01:01:01Z") + 9);
    v = cell(res, 1, 2, 16);
    CHECK(v->kind == KUSTO_VALUE_TIMESPAN && v->u.ticks == INT64_C(864000000000) + 10010001);
    v = cell(res, 1, 3, 16);
    CHECK(v->kind == KUSTO_VALUE_TIMESPAN && v->u.ticks == -(2 * INT64_C(864000000000) + 20020002));
    v = cell(res, 1, 1, 16);
    CHECK(v->kind == KUSTO_VALUE_TIMESPAN && v->u.ticks == 0);
    CHECK(text_is(cell(res, 1, 2, 18), KUSTO_VALUE_JSON, "{\"rowId\":1,\"arr\":[0,1]}"));
    CHECK(text_is(cell(res, 1, 10, 13), KUSTO_VALUE_STRING, "Nine"));

    const kusto_table_info *qci = kusto_table_info_of(kusto_result_table(res, 2));
    CHECK_STR(qci->kind, "QueryCompletionInformation");
    CHECK(text_is(cell(res, 2, 0, 2), KUSTO_VALUE_GUID, "eeac049e-8a7d-4188-b797-6b5f2c9f9526"));
    v = cell(res, 2, 0, 0);
    CHECK(v->kind == KUSTO_VALUE_DATETIME && v->u.ticks == ticks_of("2018-04-30T12:25:11.0778067Z"));

    CHECK(kusto_result_table(res, 3) == NULL);
    CHECK(kusto_table_value(deft, 11, 0) == NULL);
    CHECK(kusto_table_value(deft, 0, 19) == NULL);
    CHECK(kusto_result_error(res, 0) == NULL);
    kusto_result_free(res);
}

static void test_deft_dynamic_events(void) {
    size_t len;
    char *body = read_fixture("deft.json", &len);
    run r = parse(&events_builder, body, len, 0, 0);
    CHECK_INT(r.status, KUSTO_OK);
    CHECK(strstr(r.log, "{\nkey rowId\nint 1\nkey arr\n[\nint 0\nint 1\n]\n}\nend row\n") != NULL);
    /* A JSON-looking string stays a string. */
    CHECK(strstr(r.log, "string {\"Visualization\":null,\"Title\":null,") != NULL);
    run_free(&r);
    free(body);
}

static void test_progressive(void) {
    kusto_result *res = parse_fixture("progressive_result.json", KUSTO_OK, NULL);
    if (!res) return;
    CHECK_INT(kusto_result_table_count(res), 3);
    const kusto_table *primary = kusto_result_table(res, 1);
    CHECK_STR(kusto_table_info_of(primary)->kind, "PrimaryResult");
    CHECK_INT(kusto_table_row_count(primary), 5);
    const kusto_value *v = cell(res, 1, 0, 0);
    CHECK(v->kind == KUSTO_VALUE_DATETIME && v->u.ticks == ticks_of("2007-01-01T00:00:00Z"));
    v = cell(res, 1, 0, 2);
    CHECK(v->kind == KUSTO_VALUE_INT && v->u.i == 2592);
    CHECK(text_is(cell(res, 1, 0, 4), KUSTO_VALUE_STRING, "NORTH CAROLINA"));
    v = cell(res, 1, 0, 15);
    CHECK(v->kind == KUSTO_VALUE_REAL && v->u.r == 35.52);
    CHECK(cell(res, 1, 1, 15)->kind == KUSTO_VALUE_NULL);
    CHECK(cell(res, 1, 0, 21)->kind == KUSTO_VALUE_JSON);
    CHECK_INT(kusto_table_row_count(kusto_result_table(res, 2)), 2);
    kusto_result_free(res);
}

static void test_partial_defer_false(void) {
    kusto_error *err = NULL;
    kusto_result *res = parse_fixture("query_partial_results_defer_is_false.json", KUSTO_E_PARTIAL, &err);
    CHECK(res != NULL);
    CHECK_INT(kusto_error_status(err), KUSTO_E_PARTIAL);
    CHECK_STR(kusto_error_code(err), "LimitsExceeded");
    CHECK_STR(kusto_error_message(err), "Query execution has exceeded the allowed limits (80DA0003): .");
    CHECK_INT(kusto_error_permanent(err), 0);
    CHECK_STR(kusto_error_request_id(err), "KPC.execute;d3a43e37-0d7f-47a9-b6cd-a889b2aee3d3");
    kusto_error_free(err);
    if (!res) return;
    const kusto_table *primary = kusto_result_table(res, 1);
    CHECK_INT(kusto_table_row_count(primary), 5);
    for (size_t r = 0; r < 5; r++) CHECK_INT(kusto_table_value(primary, r, 0)->u.i, (long long)r + 1);
    /* Reported inline and again in DataSetCompletion: kept once. */
    CHECK_INT(kusto_result_error_count(res), 1);
    CHECK_STR(kusto_error_code(kusto_result_error(res, 0)), "LimitsExceeded");
    kusto_result_free(res);
}

/* deferpartialqueryfailures: the error is only a Level 2 row of QueryCompletionInformation. */
static void test_partial_deferred_to_completion_information(void) {
    kusto_error *err = NULL;
    kusto_result *res = parse_fixture("query_partial_results_deferred.json", KUSTO_E_PARTIAL, &err);
    CHECK(res != NULL);
    CHECK_INT(kusto_error_status(err), KUSTO_E_PARTIAL);
    CHECK_STR(kusto_error_code(err), "QueryLimitsExceeded");
    CHECK_STR(kusto_error_message(err), "The results of this query exceed the set limit of 3 records");
    CHECK_STR(kusto_error_request_id(err), "KPC.execute;0f0e0d0c-1111-2222-3333-444455556666");
    kusto_error_free(err);
    if (!res) return;
    CHECK_INT(kusto_table_row_count(kusto_result_table(res, 0)), 3);
    CHECK_INT(kusto_table_row_count(kusto_result_table(res, 1)), 3); /* the table itself is kept whole */
    /* Level 4 (Info) is not an error; a payload that is not JSON leaves the status name as the message. */
    CHECK_INT(kusto_result_error_count(res), 2);
    CHECK_STR(kusto_error_message(kusto_result_error(res, 1)), "E_FAIL");
    CHECK_STR(kusto_error_code(kusto_result_error(res, 1)), NULL);
    kusto_result_free(res);
}

static void test_v1_version(void) {
    kusto_result *res = parse_fixture("versionshowcommandresult.json", KUSTO_OK, NULL);
    if (!res) return;
    CHECK_INT(kusto_result_table_count(res), 1);
    const kusto_table_info *info = kusto_table_info_of(kusto_result_table(res, 0));
    CHECK_INT(info->id, 0);
    CHECK_STR(info->name, "Table_0");
    CHECK_STR(info->kind, "PrimaryResult");
    CHECK_INT(info->column_count, 4);
    CHECK_STR(info->columns[1].name, "BuildTime");
    CHECK_STR(info->columns[1].type_name, "DateTime");
    CHECK_INT(info->columns[1].type, KUSTO_TYPE_DATETIME);
    CHECK(text_is(cell(res, 0, 0, 0), KUSTO_VALUE_STRING, "1.0.6693.14577"));
    CHECK_INT(cell(res, 0, 0, 1)->u.ticks, ticks_of("2018-04-29T08:05:54Z"));
    CHECK(text_is(cell(res, 0, 0, 3), KUSTO_VALUE_STRING, "KustoMain_2018.04.29.5"));
    kusto_result_free(res);
}

static void test_v1_table_of_contents(void) {
    kusto_result *res = parse_fixture("v1_with_toc.json", KUSTO_OK, NULL);
    if (!res) return;
    CHECK_INT(kusto_result_table_count(res), 4);
    const char *kinds[] = {"PrimaryResult", "QueryProperties", "QueryCompletionInformation", "TableOfContents"};
    for (size_t i = 0; i < 4; i++) {
        CHECK_STR(kusto_table_info_of(kusto_result_table(res, i))->kind, kinds[i]);
        CHECK_INT(kusto_table_info_of(kusto_result_table(res, i))->id, (int)i);
    }
    const kusto_table_info *info = kusto_table_info_of(kusto_result_table(res, 0));
    CHECK_STR(info->columns[1].type_name, "long"); /* ColumnType wins over DataType */
    CHECK_INT(info->columns[6].type, KUSTO_TYPE_REAL);
    CHECK_INT(info->columns[7].type, KUSTO_TYPE_DYNAMIC);
    CHECK_INT(cell(res, 0, 0, 1)->u.i, INT64_C(9007199254740993)); /* 2^53 + 1, not rounded */
    CHECK(cell(res, 0, 0, 2)->kind == KUSTO_VALUE_BOOL && cell(res, 0, 0, 2)->u.b == 1);
    CHECK(cell(res, 0, 1, 2)->kind == KUSTO_VALUE_BOOL && cell(res, 0, 1, 2)->u.b == 0);
    CHECK_INT(cell(res, 0, 1, 4)->u.ticks, -INT64_C(864000000000));
    CHECK(text_is(cell(res, 0, 0, 5), KUSTO_VALUE_GUID, "11111111-2222-3333-4444-555555555555"));
    CHECK(text_is(cell(res, 0, 0, 7), KUSTO_VALUE_JSON, "\"{\\\"a\\\":1}\""));
    CHECK(text_is(cell(res, 0, 1, 7), KUSTO_VALUE_JSON, "{\"b\":[true,false]}"));
    kusto_result_free(res);
}

static void test_v1_two_tables_and_exceptions(void) {
    const char *body = "{\"Tables\":[{\"TableName\":\"Table_0\",\"Columns\":[{\"ColumnName\":\"x\",\"DataType\":"
                       "\"Int32\"}],\"Rows\":[[1],{\"Exceptions\":[\"Query failed: boom\"]}]},"
                       "{\"TableName\":\"Table_1\",\"Columns\":[],\"Rows\":[]}]}";
    kusto_result *res = NULL;
    kusto_error *err = NULL;
    CHECK_INT(kusto_result_parse(&res, body, strlen(body), &err), KUSTO_E_PARTIAL);
    CHECK_STR(kusto_error_message(err), "Query failed: boom");
    CHECK_INT(kusto_result_table_count(res), 2);
    CHECK_STR(kusto_table_info_of(kusto_result_table(res, 0))->kind, "PrimaryResult");
    CHECK_STR(kusto_table_info_of(kusto_result_table(res, 1))->kind, "QueryProperties");
    CHECK_INT(kusto_table_row_count(kusto_result_table(res, 0)), 1);
    kusto_error_free(err);
    kusto_result_free(res);
}

static void test_fragmented(void) {
    kusto_result *res = parse_fixture("fragmented_v2.json", KUSTO_OK, NULL);
    if (!res) return;
    CHECK_INT(kusto_result_table_count(res), 3);
    const kusto_table *t = kusto_result_table(res, 1);
    /* DataReplace dropped the first two rows: 3 replaced + 2 appended. */
    CHECK_INT(kusto_table_row_count(t), 5);
    CHECK_INT(cell(res, 1, 0, 0)->u.i, 1);
    CHECK(text_is(cell(res, 1, 0, 1), KUSTO_VALUE_STRING, "tab\tquote\"e\xc3\xa9 smile\xf0\x9f\x98\x80"));
    CHECK(
        text_is(cell(res, 1, 0, 2), KUSTO_VALUE_JSON, "{\"k\":[1,2.5,\"x\",null,true],\"big\":12345678901234567890}"));
    CHECK_INT(cell(res, 1, 0, 3)->u.ticks, 10000000);
    CHECK(text_is(cell(res, 1, 0, 4), KUSTO_VALUE_DECIMAL, "2.00000000000001"));
    CHECK(cell(res, 1, 0, 5)->kind == KUSTO_VALUE_REAL && isnan(cell(res, 1, 0, 5)->u.r));
    CHECK(text_is(cell(res, 1, 1, 1), KUSTO_VALUE_STRING, ""));
    CHECK(text_is(cell(res, 1, 1, 2), KUSTO_VALUE_JSON, "[]"));
    CHECK(cell(res, 1, 1, 3)->kind == KUSTO_VALUE_TIMESPAN && cell(res, 1, 1, 3)->u.ticks == 600000000);
    CHECK(text_is(cell(res, 1, 1, 4), KUSTO_VALUE_DECIMAL, "79228162514264337593543950335"));
    CHECK(cell(res, 1, 1, 5)->u.r == INFINITY);
    CHECK(cell(res, 1, 2, 1)->kind == KUSTO_VALUE_NULL);
    CHECK(text_is(cell(res, 1, 2, 2), KUSTO_VALUE_JSON, "\"just a string\""));
    CHECK(cell(res, 1, 2, 5)->u.r == -INFINITY);
    CHECK(cell(res, 1, 3, 0)->kind == KUSTO_VALUE_INT && cell(res, 1, 3, 0)->u.i == INT64_MAX);
    CHECK(cell(res, 1, 4, 0)->kind == KUSTO_VALUE_INT && cell(res, 1, 4, 0)->u.i == INT64_MIN);
    CHECK_INT(cell(res, 1, 3, 3)->u.ticks, INT64_MAX);
    CHECK_INT(cell(res, 1, 4, 3)->u.ticks, INT64_MIN);
    CHECK(cell(res, 1, 3, 5)->u.r == 1.7976931348623157e308);
    CHECK(cell(res, 1, 4, 5)->u.r == -2.5e-3);
    CHECK(text_is(cell(res, 1, 4, 2), KUSTO_VALUE_JSON, "1.5"));
    /* The last DataTable lists Rows before Columns and TableId last. */
    const kusto_table_info *qci = kusto_table_info_of(kusto_result_table(res, 2));
    CHECK_INT(qci->id, 2);
    CHECK_STR(qci->name, "QueryCompletionInformation");
    CHECK_INT(cell(res, 2, 0, 0)->u.ticks, ticks_of("2024-02-29T23:59:59.9999999Z"));
    CHECK_INT(cell(res, 2, 0, 3)->u.i, 4);
    kusto_result_free(res);
}

static void test_fragmented_events(void) {
    size_t len;
    char *body = read_fixture("fragmented_v2.json", &len);
    run r = parse(&events_builder, body, len, 0, 0);
    CHECK_INT(r.status, KUSTO_OK);
    CHECK(strstr(r.log, "end row\nreplace rows\nrow\nint 1\n") != NULL);
    CHECK(strstr(r.log,
                 "{\nkey k\n[\nint 1\nreal 2.5\nstring x\nnull\nbool 1\n]\nkey big\nreal 1.2345678901234567e+19\n}\n"));
    CHECK(strstr(r.log, "int 2\nstring \n[\n]\n") != NULL);
    CHECK(strstr(r.log, "string just a string\n") != NULL);
    CHECK(strstr(r.log, "int -9223372036854775808\nstring min\nreal 1.5\n") != NULL);
    run_free(&r);
    free(body);
}

static void test_fragmented_error(void) {
    kusto_error *err = NULL;
    kusto_result *res = parse_fixture("fragmented_error_v2.json", KUSTO_E_PARTIAL, &err);
    CHECK_STR(kusto_error_code(err), "LimitsExceeded");
    CHECK_STR(kusto_error_request_id(err), "KLC.execute;0001");
    kusto_error_free(err);
    if (!res) return;
    CHECK_INT(kusto_table_row_count(kusto_result_table(res, 0)), 2);
    CHECK_INT(kusto_result_error_count(res), 1);
    kusto_result_free(res);
}

/* ---- errors -------------------------------------------------------------------------------------- */

static void test_error_body(void) {
    const char *body = "  {\"error\":{\"code\":\"General_BadRequest\",\"message\":\"Request is invalid.\","
                       "\"@message\":\"Semantic error: SEM0100: 'x' failed\",\"@permanent\":true,"
                       "\"@context\":{\"clientRequestId\":\"KLC.execute;42\",\"activityId\":\"act\"}}}\n";
    for (size_t chunk = 0; chunk <= 1; chunk++) {
        run r = parse(&events_builder, body, strlen(body), chunk, 0);
        CHECK_INT(r.status, KUSTO_E_SERVICE);
        CHECK_STR(r.message, "Semantic error: SEM0100: 'x' failed");
        CHECK_STR(r.code, "General_BadRequest");
        CHECK_STR(r.log, "");
        run_free(&r);
    }
    kusto_result *res = (kusto_result *)1;
    kusto_error *err = NULL;
    CHECK_INT(kusto_result_parse(&res, body, strlen(body), &err), KUSTO_E_SERVICE);
    CHECK(res == NULL);
    CHECK_INT(kusto_error_permanent(err), 1);
    CHECK_STR(kusto_error_request_id(err), "KLC.execute;42");
    kusto_error_free(err);
}

static void test_not_json(void) {
    run r = parse_text(&events_builder, "General_BadRequest: Request is invalid\nError details: x");
    CHECK_INT(r.status, KUSTO_E_PROTOCOL);
    CHECK_STR(r.message, "response is not JSON: General_BadRequest: Request is invalid Error details: x");
    run_free(&r);

    char big[1000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    memcpy(big, "<html>", 6);
    for (size_t chunk = 0; chunk <= 1; chunk++) {
        r = parse(&events_builder, big, strlen(big), chunk, 0);
        CHECK_INT(r.status, KUSTO_E_PROTOCOL);
        CHECK(strncmp(r.message, "response is not JSON: <html>xxx", 31) == 0);
        CHECK_INT(strlen(r.message), strlen("response is not JSON: ") + 200 + 3);
        run_free(&r);
    }

    r = parse_text(&events_builder, "");
    CHECK_INT(r.status, KUSTO_E_PROTOCOL);
    CHECK_STR(r.message, "the response is empty");
    run_free(&r);
    r = parse_text(&events_builder, " \r\n ");
    CHECK_STR(r.message, "the response is empty");
    run_free(&r);
}

static void test_truncated(void) {
    size_t len;
    char *body = read_fixture("deft.json", &len);
    size_t cuts[] = {1, 40, len / 2, len - 2};
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
        for (size_t chunk = 0; chunk <= 1; chunk++) {
            run r = parse(&events_builder, body, cuts[i], chunk, 0);
            CHECK_INT(r.status, KUSTO_E_PROTOCOL);
            CHECK_STR(r.message, "response ended early");
            if (i >= 2) CHECK(strstr(r.log, "end row") != NULL); /* rows before the cut stay delivered */
            run_free(&r);
        }
    }
    free(body);
    run r = parse_text(&events_builder, "{\"Tables\":[");
    CHECK_STR(r.message, "response ended early");
    run_free(&r);
}

static void test_cancel(void) {
    size_t len;
    char *body = read_fixture("deft.json", &len);
    for (size_t chunk = 0; chunk <= 1; chunk++) {
        recorder rec = {.stop_at_row = 3};
        kusto_parser *p = NULL;
        kusto_error *err = NULL;
        kusto_status status = KUSTO_OK;
        size_t at = 0, step = chunk ? chunk : len;
        kusto_parser_new(&p, &events_builder, &rec);
        for (; at < len && status == KUSTO_OK; at += step) status = kusto_parser_feed(p, body + at, step, &err);
        CHECK_INT(status, KUSTO_E_CANCELLED);
        CHECK_STR(kusto_error_message(err), "the builder's end_row callback asked to stop");
        CHECK_INT(rec.rows, 3);
        /* Nothing more is accepted. */
        CHECK_INT(kusto_parser_feed(p, "[", 1, &err), KUSTO_E_CANCELLED);
        CHECK_INT(kusto_parser_finish(p, &err), KUSTO_E_CANCELLED);
        CHECK_INT(rec.rows, 3);
        kusto_error_free(err);
        kusto_parser_free(p);
        kusto_buf_free(&rec.log);
    }
    free(body);
}

static const char *long_table_prefix =
    "[{\"FrameType\":\"DataSetHeader\",\"IsProgressive\":false,\"Version\":\"v2.0\"},"
    "{\"FrameType\":\"DataTable\",\"TableId\":1,\"TableKind\":\"PrimaryResult\",\"TableName\":\"T\","
    "\"Columns\":[{\"ColumnName\":\"x\",\"ColumnType\":\"long\"},{\"ColumnName\":\"r\",\"ColumnType\":\"real\"}],"
    "\"Rows\":[";

static run parse_rows_with(const kusto_builder *builder, const char *rows_json) {
    kusto_buf b = {0};
    kusto_buf_puts(&b, long_table_prefix);
    kusto_buf_puts(&b, rows_json);
    kusto_buf_puts(&b, "]},{\"FrameType\":\"DataSetCompletion\",\"HasErrors\":false,\"Cancelled\":false}]");
    run r = parse(builder, b.data, b.len, 0, 0);
    kusto_buf_free(&b);
    return r;
}

static run parse_rows(const char *rows_json) { return parse_rows_with(&strict_builder, rows_json); }

/* Strict: a cell that does not fit its column fails the parse, naming it. */
static void test_cell_errors(void) {
    run r = parse_rows("[1,2.5],[\"abc\",1]");
    CHECK_INT(r.status, KUSTO_E_PROTOCOL);
    CHECK_STR(r.message, "table 'T', row 1, column 'x': \"abc\" is not a valid long");
    run_free(&r);
    r = parse_rows("[9223372036854775808,1]");
    CHECK_INT(r.status, KUSTO_E_PROTOCOL);
    CHECK(strstr(r.message, "9223372036854775808 is not a valid long") != NULL);
    run_free(&r);
    r = parse_rows("[1,\"nan\"]");
    CHECK_STR(r.message, "table 'T', row 0, column 'r': \"nan\" is not a valid real");
    run_free(&r);
    r = parse_rows("[1]");
    CHECK_STR(r.message, "table 'T', row 0: 1 values for 2 columns");
    run_free(&r);
    r = parse_rows("[1,2,3]");
    CHECK_STR(r.message, "table 'T', row 0: more values than its 2 columns");
    run_free(&r);
    r = parse_rows("[1,[2]]");
    CHECK_STR(r.message, "table 'T', row 0, column 'r': [ is not a valid real");
    run_free(&r);
    r = parse_rows("[1,2]x");
    CHECK_INT(r.status, KUSTO_E_PROTOCOL);
    run_free(&r);
    r = parse_rows("[-9223372036854775808,-0.0],[1e3,\"-Infinity\"],[null,null]");
    CHECK_INT(r.status, KUSTO_OK);
    CHECK(strstr(r.log,
                 "int -9223372036854775808\nreal -0\nend row\nrow\nint 1000\nreal -inf\nend row\nrow\nnull\nnull\n"));
    run_free(&r);
}

static void test_framing_errors(void) {
    run r = parse_text(&events_builder, "[{\"FrameType\":\"DataSetHeader\"}] x");
    CHECK_INT(r.status, KUSTO_E_PROTOCOL);
    CHECK_STR(r.message, "unexpected data after the end of the response");
    run_free(&r);
    r = parse_text(&events_builder, "[{\"FrameType\":\"DataSetHeader\"} 5]");
    CHECK_STR(r.message, "unexpected '5' between frames");
    run_free(&r);
    r = parse_text(&events_builder, "[{\"Version\":\"v2.0\"}]");
    CHECK_STR(r.message, "a frame has no FrameType");
    run_free(&r);
    r = parse_text(&events_builder,
                   "[{\"FrameType\":\"DataSetHeader\"},{\"FrameType\":\"TableFragment\",\"TableId\":1,\"Rows\":[]}]");
    CHECK_STR(r.message, "a TableFragment frame without a TableHeader");
    run_free(&r);
    r = parse_text(
        &events_builder,
        "[{\"FrameType\":\"DataSetHeader\"},{\"FrameType\":\"TableHeader\",\"TableId\":1,\"TableName\":\"T\",\"Columns\":[]}]");
    CHECK_STR(r.message, "response ended before table 1 was complete");
    run_free(&r);
    r = parse_text(&events_builder, "{\"Something\":1}");
    CHECK_STR(r.message, "the response is a JSON object without Tables");
    run_free(&r);
    /* An unknown frame type is skipped; a BOM and whitespace before the body are fine. */
    r = parse_text(
        &events_builder,
        "\xEF\xBB\xBF [ {\"FrameType\":\"DataSetHeader\"}, {\"FrameType\":\"Future\",\"X\":[1,{\"y\":\"]\"}]},"
        "{\"FrameType\":\"DataSetCompletion\"} ]\n");
    CHECK_INT(r.status, KUSTO_OK);
    run_free(&r);
    /* DataSetCompletion without details still makes the query partial. */
    r = parse_text(
        &events_builder,
        "[{\"FrameType\":\"DataSetHeader\"},{\"FrameType\":\"DataSetCompletion\",\"HasErrors\":true,\"Cancelled\":true}]");
    CHECK_INT(r.status, KUSTO_E_PARTIAL);
    CHECK_STR(r.log, "partial -: the query reported errors without details\npartial -: the query was cancelled\n");
    CHECK_STR(r.message, "the query reported errors without details");
    run_free(&r);
}

/* Frames with many keys are read by skipping values instead of by the scanner's member list. */
static void test_many_keys(void) {
    for (int extra = 0; extra <= 40; extra += 40) {
        kusto_buf b = {0};
        kusto_buf_puts(
            &b,
            "[{\"FrameType\":\"DataSetHeader\"},{\"FrameType\":\"DataTable\",\"Rows\":[[\"a,b\"]],\"TableName\":\"x, \\\"y\\\"\"");
        for (int i = 0; i < extra; i++) kusto_buf_printf(&b, ", \"Extra%d\" : [%d, {\"k\": \"}\"}]", i, i);
        kusto_buf_puts(&b,
                       ",\"TableKind\":\"PrimaryResult\",\"Columns\":[{\"ColumnName\":\"s\",\"ColumnType\":\"string\"}]"
                       " , \"TableId\" : 7 },{\"FrameType\":\"DataSetCompletion\"}]");
        for (size_t chunk = 0; chunk <= 1; chunk++) {
            run r = parse(&events_builder, b.data, b.len, chunk, 0);
            CHECK_INT(r.status, KUSTO_OK);
            CHECK_STR(r.log, "table 7 x, \"y\" PrimaryResult 1\n  column s string string\nrow\nstring a,b\nend row\n"
                             "end table\n");
            run_free(&r);
        }
        kusto_buf_free(&b);
    }
    const char *bad[] = {"[{\"FrameType\":\"DataSetHeader\",,\"Version\":\"v2.0\"}]", "[{\"FrameType\":\"X\",}]",
                         "[{\"FrameType\"}]", "[{\"FrameType\":}]", "[{\"FrameType\" \"X\"}]"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        run r = parse_text(&events_builder, bad[i]);
        CHECK_INT(r.status, KUSTO_E_PROTOCOL);
        CHECK_STR(r.message, "malformed JSON in a frame");
        run_free(&r);
    }
    run r = parse_text(&events_builder, "[{}]");
    CHECK_STR(r.message, "a frame has no FrameType");
    run_free(&r);
}

/* Rows whose strings hold brackets, quotes, backslashes and commas at every distance from the
   64-byte blocks the scanner reads at once, dynamic values with and without space between tokens,
   reals of 15 to 19 digits and datetimes of 0 to 7 fraction digits; a fragment with members after
   Rows. Every split of the body into two pieces, and small chunk sizes, give what the whole body gives. */
static void append_tricky_rows(kusto_buf *b, int first, int count) {
    for (int i = first; i < first + count; i++) {
        if (i > first) kusto_buf_puts(b, ",");
        kusto_buf_puts(b, "[\"");
        for (int k = 0; k < i * 23 % 70; k++) kusto_buf_puts(b, k % 5 == 0 ? "]" : "x");
        kusto_buf_printf(b, "\\\"]}\\\\,[{\\\\\\\"\\u00e9\",%s{\"k\" : [\"]\", {\"a\":\"}\\\\\"}], \"n\":%d}%s,",
                         i % 2 ? "" : " ", i, i % 3 ? "" : "\n");
        kusto_buf_printf(b, "%d.%0*d,", i, 14 + i % 5, i * 7919);
        kusto_buf_printf(b, "\"2024-02-29T23:59:%02d%s%.*sZ\"]", i % 60, i % 8 ? "." : "", i % 8, "1234567");
    }
}

static void test_scanner_blocks_and_splits(void) {
    kusto_buf b = {0};
    kusto_buf_puts(&b,
                   "[{\"FrameType\":\"DataSetHeader\",\"IsProgressive\":false,\"Version\":\"v2.0\"},\n"
                   "{\"FrameType\":\"TableHeader\",\"TableId\":1,\"TableKind\":\"PrimaryResult\",\"TableName\":\"T\","
                   "\"Columns\":[{\"ColumnName\":\"s\",\"ColumnType\":\"string\"},{\"ColumnName\":\"d\",\"ColumnType\":"
                   "\"dynamic\"},{\"ColumnName\":\"r\",\"ColumnType\":\"real\"},{\"ColumnName\":\"t\",\"ColumnType\":"
                   "\"datetime\"}]},\n{\"FrameType\":\"TableFragment\",\"TableFragmentType\":\"DataAppend\","
                   "\"TableId\":1,\"Rows\":[");
    append_tricky_rows(&b, 0, 16);
    kusto_buf_puts(&b, "]},\n{\"FrameType\":\"TableFragment\",\"Rows\":[");
    append_tricky_rows(&b, 16, 8);
    kusto_buf_puts(&b, "] , \"TableFragmentType\":\"DataAppend\",\"TableId\":1},\n"
                       "{\"FrameType\":\"TableCompletion\",\"TableId\":1,\"RowCount\":24},\n"
                       "{\"FrameType\":\"DataSetCompletion\",\"HasErrors\":false,\"Cancelled\":false}]");
    const kusto_builder *builders[] = {&events_builder, &json_builder};
    for (int k = 0; k < 2; k++) {
        run whole = parse(builders[k], b.data, b.len, 0, 0);
        CHECK_INT(whole.status, KUSTO_OK);
        CHECK(strstr(whole.log, "row\nstring ]xxxx]xxxx]xxxx]xxxx]xx\"]}\\,[{\\\"\xc3\xa9\n") != NULL);
        CHECK(strstr(whole.log, "real 7.0000000000055431\ndatetime 2024-02-29T23:59:07.1234567Z\n") != NULL);
        if (k == 1) CHECK(strstr(whole.log, "json {\"k\":[\"]\",{\"a\":\"}\\\\\"}],\"n\":23}\n") != NULL);
        int differ = 0;
        for (size_t at = 0; at <= b.len; at++) {
            run pieces = {0};
            kusto_parser *p = NULL;
            kusto_error *err = NULL;
            recorder rec = {0};
            kusto_parser_new(&p, builders[k], &rec);
            pieces.status = kusto_parser_feed(p, b.data, at, &err);
            if (pieces.status == KUSTO_OK) pieces.status = kusto_parser_feed(p, b.data + at, b.len - at, &err);
            if (pieces.status == KUSTO_OK) pieces.status = kusto_parser_finish(p, &err);
            kusto_parser_free(p);
            kusto_error_free(err);
            kusto_buf_puts(&rec.log, "");
            if (pieces.status != whole.status || strcmp(rec.log.data, whole.log) != 0) differ++;
            kusto_buf_free(&rec.log);
        }
        CHECK_INT(differ, 0);
        for (size_t chunk = 1; chunk <= 70; chunk++) {
            run pieces = parse(builders[k], b.data, b.len, chunk, 0);
            check_same_run(&whole, &pieces, "tricky rows", chunk);
            run_free(&pieces);
        }
        run_free(&whole);
    }
    kusto_buf_free(&b);
}

static void test_deep_dynamic(void) {
    kusto_buf b = {0};
    kusto_buf_puts(&b,
                   "[{\"FrameType\":\"DataSetHeader\"},{\"FrameType\":\"DataTable\",\"TableId\":1,\"TableName\":\"T\","
                   "\"TableKind\":\"PrimaryResult\",\"Columns\":[{\"ColumnName\":\"d\",\"ColumnType\":\"dynamic\"}],"
                   "\"Rows\":[[");
    for (int i = 0; i < 300; i++) kusto_buf_puts(&b, "[");
    for (int i = 0; i < 300; i++) kusto_buf_puts(&b, "]");
    kusto_buf_puts(&b, "]]},{\"FrameType\":\"DataSetCompletion\"}]");
    run r = parse(&events_builder, b.data, b.len, 0, 0);
    CHECK_INT(r.status, KUSTO_E_PROTOCOL);
    CHECK_STR(r.message, "a dynamic value nests too deeply");
    run_free(&r);
    r = parse(&json_builder, b.data, b.len, 0, 0);
    CHECK_INT(r.status, KUSTO_OK);
    run_free(&r);
    kusto_buf_free(&b);
}

/* ---- tolerance: odd but real server output ------------------------------------------------------- */

#define HEADER "[{\"FrameType\":\"DataSetHeader\",\"IsProgressive\":false,\"Version\":\"v2.0\"},"
#define COMPLETION ",{\"FrameType\":\"DataSetCompletion\",\"HasErrors\":false,\"Cancelled\":false}]"

/* One DataTable "T" (id 1) with the given Columns and Rows JSON. */
static run parse_table(const kusto_builder *builder, const char *columns, const char *rows) {
    kusto_buf b = {0};
    kusto_buf_printf(&b,
                     HEADER "{\"FrameType\":\"DataTable\",\"TableId\":1,\"TableKind\":\"PrimaryResult\","
                            "\"TableName\":\"T\",\"Columns\":%s,\"Rows\":%s}" COMPLETION,
                     columns, rows);
    run r = parse(builder, b.data, b.len, 0, 0);
    kusto_buf_free(&b);
    return r;
}

static void test_cells_that_do_not_fit_arrive_as_sent(void) {
    run r =
        parse_table(&warning_builder,
                    "[{\"ColumnName\":\"s\",\"ColumnType\":\"string\"},{\"ColumnName\":\"n\",\"ColumnType\":\"long\"},"
                    "{\"ColumnName\":\"b\",\"ColumnType\":\"bool\"},{\"ColumnName\":\"r\",\"ColumnType\":\"real\"}]",
                    "[[{\"Count\":3},1.5,1,\"fast\"],[42,\"12\",0,true],[{\"Count\":4},18446744073709551615,true,1]]");
    CHECK_INT(r.status, KUSTO_OK);
    CHECK_STR(r.log, "table 1 T PrimaryResult 4\n  column s string string\n  column n long long\n"
                     "  column b bool bool\n  column r real real\n"
                     "row\n{\nkey Count\nint 3\n}\ndecimal 1.5\nbool 1\nstring fast\nend row\n"
                     "row\nint 42\nstring 12\nbool 0\nbool 1\nend row\n"
                     "row\n{\nkey Count\nint 4\n}\ndecimal 18446744073709551615\nbool 1\nreal 1\nend row\n"
                     "warning 1 T row 0 column 0 s: an object that is not a valid string ({\"Count\":3}) x2\n"
                     "warning 1 T row 0 column 1 n: a number that is not a valid long (1.5) x2\n"
                     "warning 1 T row 0 column 3 r: text that is not a valid real (\"fast\") x1\n"
                     "warning 1 T row 1 column 0 s: a number that is not a valid string (42) x1\n"
                     "warning 1 T row 1 column 1 n: text that is not a valid long (\"12\") x1\n"
                     "warning 1 T row 1 column 3 r: a bool that is not a valid real (true) x1\n"
                     "end table\n");
    run_free(&r);
    /* Without begin_array (the collector's way) the object is its JSON text. */
    r = parse_table(&json_builder, "[{\"ColumnName\":\"s\",\"ColumnType\":\"String\"}]", "[[{\"a\": [1, 2]}]]");
    CHECK_INT(r.status, KUSTO_OK);
    CHECK(strstr(r.log, "row\njson {\"a\":[1,2]}\nend row\n") != NULL);
    run_free(&r);
}

static void test_datetimes_guids_and_decimals_that_cannot_be_read(void) {
    run r = parse_table(
        &warning_builder,
        "[{\"ColumnName\":\"t\",\"ColumnType\":\"datetime\"},{\"ColumnName\":\"d\",\"ColumnType\":\"timespan\"},"
        "{\"ColumnName\":\"g\",\"ColumnType\":\"guid\"},{\"ColumnName\":\"m\",\"ColumnType\":\"decimal\"}]",
        "[[\"0000-01-01T00:00:00Z\",\"\",\"not-a-guid\",\"1,5\"],"
        "[\"\",\"1.02:03:04\",\"0F8FAD5B-D9CB-469F-A165-70867728950E\",\"-12.5e-3\"],"
        "[\"9999-12-31T23:59:59.9999999Z\",36000000000,\"{0f8fad5b-d9cb-469f-a165-70867728950e}\",7]]");
    CHECK_INT(r.status, KUSTO_OK);
    CHECK_STR(r.log,
              "table 1 T PrimaryResult 4\n  column t datetime datetime\n  column d timespan timespan\n"
              "  column g guid guid\n  column m decimal decimal\n"
              "row\nstring 0000-01-01T00:00:00Z\nnull\nstring not-a-guid\nstring 1,5\nend row\n"
              "row\nnull\ntimespan 1.02:03:04\nguid 0F8FAD5B-D9CB-469F-A165-70867728950E\ndecimal -12.5e-3\nend row\n"
              "row\ndatetime 9999-12-31T23:59:59.9999999Z\ntimespan 01:00:00\n"
              "string {0f8fad5b-d9cb-469f-a165-70867728950e}\ndecimal 7\nend row\n"
              "warning 1 T row 0 column 0 t: text that is not a valid datetime (\"0000-01-01T00:00:00Z\") x1\n"
              "warning 1 T row 0 column 2 g: text that is not a valid guid (\"not-a-guid\") x2\n"
              "warning 1 T row 0 column 3 m: text that is not a valid decimal (\"1,5\") x1\n"
              "end table\n");
    run_free(&r);
}

/* Strict: the same cells fail the parse as before, naming the first. */
static void test_strict_keeps_failing(void) {
    run r = parse_table(&strict_builder, "[{\"ColumnName\":\"s\",\"ColumnType\":\"string\"}]",
                        "[[\"a\"],[{\"Count\":3}]]");
    CHECK_INT(r.status, KUSTO_E_PROTOCOL);
    CHECK_STR(r.message, "table 'T', row 1, column 's': { is not a valid string");
    CHECK(strstr(r.log, "string a\nend row\nrow\n") != NULL && strstr(r.log, "warning") == NULL);
    run_free(&r);
    r = parse_table(&strict_builder, "[{\"ColumnName\":\"t\",\"ColumnType\":\"datetime\"}]",
                    "[[\"0000-01-01T00:00:00Z\"]]");
    CHECK_STR(r.message, "table 'T', row 0, column 't': \"0000-01-01T00:00:00Z\" is not a valid datetime");
    run_free(&r);
    r = parse_table(&strict_builder, "[{\"ColumnName\":\"t\",\"ColumnType\":\"datetime\"}]", "[[\"\"]]");
    CHECK_INT(r.status, KUSTO_OK); /* "" is a null datetime, strict or not */
    run_free(&r);
}

/* Warnings are kept per table, column and reason; at most KUSTO_MAX_WARNINGS per response. */
static void test_warning_limits(void) {
    kusto_buf columns = {0}, rows = {0};
    kusto_buf_puts(&columns, "[");
    kusto_buf_puts(&rows, "[[");
    for (int i = 0; i < KUSTO_MAX_WARNINGS + 20; i++) {
        kusto_buf_printf(&columns, "%s{\"ColumnName\":\"c%d\",\"ColumnType\":\"int\"}", i ? "," : "", i);
        kusto_buf_printf(&rows, "%s\"x\"", i ? "," : "");
    }
    kusto_buf_puts(&columns, "]");
    kusto_buf_puts(&rows, "]]");
    kusto_result *res = NULL;
    kusto_buf body = {0};
    kusto_buf_printf(&body,
                     HEADER "{\"FrameType\":\"DataTable\",\"TableId\":1,\"TableKind\":\"PrimaryResult\","
                            "\"TableName\":\"T\",\"Columns\":%s,\"Rows\":%s}" COMPLETION,
                     columns.data, rows.data);
    CHECK_INT(kusto_result_parse(&res, body.data, body.len, NULL), KUSTO_OK);
    CHECK_INT(kusto_result_warning_count(res), KUSTO_MAX_WARNINGS);
    const kusto_warning *last = kusto_result_warning(res, KUSTO_MAX_WARNINGS - 1);
    CHECK(last && last->column == KUSTO_MAX_WARNINGS - 1 && strcmp(last->column_name, "c99") == 0);
    CHECK(kusto_result_warning(res, KUSTO_MAX_WARNINGS) == NULL);
    const kusto_value *v = kusto_table_value(kusto_result_table(res, 0), 0, KUSTO_MAX_WARNINGS + 19);
    CHECK(v && v->kind == KUSTO_VALUE_STRING && v->u.text.len == 1); /* delivered though not reported */
    kusto_result_free(res);
    kusto_buf_free(&columns);
    kusto_buf_free(&rows);
    kusto_buf_free(&body);
}

/* v1 .NET type names, Kusto aliases, "System." names and any letter case. */
static void test_type_names(void) {
    static const struct {
        const char *name;
        kusto_type type;
    } names[] = {
        {"Int32", KUSTO_TYPE_INT},         {"Int64", KUSTO_TYPE_LONG},    {"DateTime", KUSTO_TYPE_DATETIME},
        {"TimeSpan", KUSTO_TYPE_TIMESPAN}, {"Guid", KUSTO_TYPE_GUID},     {"SByte", KUSTO_TYPE_BOOL},
        {"Boolean", KUSTO_TYPE_BOOL},      {"Double", KUSTO_TYPE_REAL},   {"Decimal", KUSTO_TYPE_DECIMAL},
        {"Object", KUSTO_TYPE_DYNAMIC},    {"String", KUSTO_TYPE_STRING}, {"System.Int64", KUSTO_TYPE_LONG},
        {"date", KUSTO_TYPE_DATETIME},     {"time", KUSTO_TYPE_TIMESPAN}, {"uuid", KUSTO_TYPE_GUID},
        {"uniqueid", KUSTO_TYPE_GUID},     {"boolean", KUSTO_TYPE_BOOL},  {"double", KUSTO_TYPE_REAL},
        {"int64", KUSTO_TYPE_LONG},        {"LONG", KUSTO_TYPE_LONG},     {"whatever", KUSTO_TYPE_UNKNOWN},
    };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        CHECK_INT(kusto_type_from_name(names[i].name), names[i].type);
    /* A v1 table with .NET names, a timespan in ticks, 0/1 bools. */
    run r =
        parse_text(&warning_builder,
                   "{\"Tables\":[{\"TableName\":\"Table_0\",\"Columns\":[{\"ColumnName\":\"a\",\"DataType\":\"SByte\"},"
                   "{\"ColumnName\":\"b\",\"DataType\":\"TimeSpan\"},{\"ColumnName\":\"c\",\"DataType\":\"Object\"},"
                   "{\"ColumnName\":\"d\",\"DataType\":\"DateTime\"}],"
                   "\"Rows\":[[1,600000000,{\"x\":1},\"2020-01-01T00:00:00Z\"],[0,\"-00:00:01\",[],\"\"]]}]}");
    CHECK_INT(r.status, KUSTO_OK);
    CHECK(strstr(r.log, "row\nbool 1\ntimespan 00:01:00\n{\nkey x\nint 1\n}\ndatetime 2020-01-01T00:00:00.0000000Z\n"
                        "end row\nrow\nbool 0\ntimespan -00:00:01\n[\n]\nnull\nend row\nend table\n") != NULL);
    run_free(&r);
}

static void test_frame_and_table_names(void) {
    /* FrameType and keys in another letter case; a TableName that is not a string. */
    run r = parse_text(
        &warning_builder,
        "[{\"frameType\":\"dataSetHeader\"},{\"FRAMETYPE\":\"datatable\",\"tableId\":2,\"TableName\":5,"
        "\"TableKind\":null,\"columns\":[{\"ColumnName\":\"x\",\"ColumnType\":\"int\"}],\"rows\":[[1]]},"
        "{\"FrameType\":\"DataTable\",\"TableId\":3,\"TableName\":{\"a\": 1},\"TableKind\":\"QueryProperties\","
        "\"Columns\":[],\"Rows\":[]},{\"frametype\":\"DATASETCOMPLETION\"}]");
    CHECK_INT(r.status, KUSTO_OK);
    CHECK_STR(r.log, "table 2 5  1\n  column x int int\nrow\nint 1\nend row\nend table\n"
                     "table 3 {\"a\":1} QueryProperties 0\nend table\n");
    run_free(&r);
}

/* ---- strict where truncation hides --------------------------------------------------------------- */

static void test_truncation_is_an_error(void) {
    static const char *const cut[] = {
        "[]",
        HEADER "{\"FrameType\":\"DataTable\",\"TableId\":1,\"TableName\":\"T\",\"TableKind\":\"PrimaryResult\","
               "\"Columns\":[{\"ColumnName\":\"x\",\"ColumnType\":\"int\"}],\"Rows\":[[1],[2]]}]",
        HEADER "{\"FrameType\":\"TableHeader\",\"TableId\":1,\"TableName\":\"T\",\"TableKind\":\"PrimaryResult\","
               "\"Columns\":[{\"ColumnName\":\"x\",\"ColumnType\":\"int\"}]},"
               "{\"FrameType\":\"TableFragment\",\"TableId\":1,\"Rows\":[[1],[2]]},"
               "{\"FrameType\":\"TableCompletion\",\"TableId\":1}]",
    };
    for (size_t i = 0; i < sizeof cut / sizeof *cut; i++) {
        run r = parse_text(&events_builder, cut[i]);
        CHECK_INT(r.status, KUSTO_E_PROTOCOL);
        CHECK_STR(r.message, "the response ended without a DataSetCompletion frame (cut off?)");
        if (i > 0) CHECK(strstr(r.log, "int 1\nend row\nrow\nint 2\nend row\nend table\n") != NULL);
        run_free(&r);
    }
    /* No DataSetHeader first; v1: an object without Tables, or with Tables that is not an array. */
    static const char *const malformed[][2] = {
        {"[{\"FrameType\":\"DataTable\",\"TableId\":1,\"Columns\":[],\"Rows\":[]}" COMPLETION,
         "the response does not begin with a DataSetHeader frame"},
        {"{}", "the response is a JSON object without Tables"},
        {"{\"Tables\":null}", "Tables is not an array"},
    };
    for (size_t i = 0; i < sizeof malformed / sizeof *malformed; i++) {
        run r = parse_text(&events_builder, malformed[i][0]);
        CHECK_INT(r.status, KUSTO_E_PROTOCOL);
        CHECK_STR(r.message, malformed[i][1]);
        run_free(&r);
    }
    /* The collected result keeps the rows received. */
    kusto_result *res = NULL;
    kusto_error *err = NULL;
    CHECK_INT(kusto_result_parse(&res, cut[1], strlen(cut[1]), &err), KUSTO_E_PROTOCOL);
    CHECK_INT(kusto_table_row_count(kusto_result_table(res, 0)), 2);
    kusto_result_free(res);
    kusto_error_free(err);
}

/* Warnings of the table open when the response fails are handed over before the failure. */
static void test_warnings_before_a_failure(void) {
    run r =
        parse_text(&warning_builder, HEADER
                   "{\"FrameType\":\"TableHeader\",\"TableId\":1,\"TableName\":\"T\",\"TableKind\":\"PrimaryResult\","
                   "\"Columns\":[{\"ColumnName\":\"x\",\"ColumnType\":\"int\"}]},"
                   "{\"FrameType\":\"TableFragment\",\"TableId\":1,\"Rows\":[[\"one\"]]}]");
    CHECK_INT(r.status, KUSTO_E_PROTOCOL);
    CHECK_STR(r.message, "response ended before table 1 was complete");
    CHECK(strstr(r.log, "string one\nend row\nwarning 1 T row 0 column 0 x: text that is not a valid int") != NULL);
    run_free(&r);
}

static void test_progress(void) {
    run r =
        parse_text(&warning_builder, HEADER
                   "{\"FrameType\":\"TableHeader\",\"TableId\":1,\"TableName\":\"T\",\"TableKind\":\"PrimaryResult\","
                   "\"Columns\":[]},{\"FrameType\":\"TableProgress\",\"TableId\":1,\"TableProgress\":42.5},"
                   "{\"FrameType\":\"TableProgress\",\"TableId\":1,\"TableProgress\":\"soon\"},"
                   "{\"FrameType\":\"TableProgress\",\"TableId\":1,\"TableProgress\":100},"
                   "{\"FrameType\":\"TableCompletion\",\"TableId\":1}" COMPLETION);
    CHECK_INT(r.status, KUSTO_OK);
    CHECK_STR(r.log, "table 1 T PrimaryResult 0\nprogress 1 42.5\nprogress 1 100.0\nend table\n");
    run_free(&r);
}

/* ---- rows of a big frame while it arrives --------------------------------------------------------- */

/* A plain DataTable of the tricky rows (plus odd cells and an error row), or the same rows in fragments. */
static char *big_frames(int fragmented, int count, size_t *len) {
    kusto_buf b = {0};
    kusto_buf_puts(&b, HEADER);
    const char *columns = "\"Columns\":[{\"ColumnName\":\"s\",\"ColumnType\":\"string\"},{\"ColumnName\":\"d\","
                          "\"ColumnType\":\"dynamic\"},{\"ColumnName\":\"r\",\"ColumnType\":\"real\"},"
                          "{\"ColumnName\":\"t\",\"ColumnType\":\"datetime\"}]";
    if (fragmented)
        kusto_buf_printf(&b,
                         "{\"FrameType\":\"TableHeader\",\"TableId\":1,\"TableKind\":\"PrimaryResult\","
                         "\"TableName\":\"T\",%s},\n{\"FrameType\":\"TableFragment\",\"TableId\":1,\"Rows\":[",
                         columns);
    else
        kusto_buf_printf(&b,
                         "{\"FrameType\":\"DataTable\",\"TableId\":1,\"TableKind\":\"PrimaryResult\","
                         "\"TableName\":\"T\",%s,\"Rows\":[",
                         columns);
    for (int i = 0; i < count; i += 8) {
        if (i) kusto_buf_puts(&b, ",\n");
        append_tricky_rows(&b, i % 64, 8);
        kusto_buf_printf(&b, ",[{\"odd\":%d},1,\"x\",5]", i);
    }
    kusto_buf_puts(&b, ", {\"OneApiErrors\":[{\"error\":{\"code\":\"E\",\"message\":\"late\"}}]} ]}");
    if (fragmented) kusto_buf_puts(&b, ",\n{\"FrameType\":\"TableCompletion\",\"TableId\":1}");
    kusto_buf_puts(&b, COMPLETION);
    *len = b.len;
    return kusto_buf_take(&b);
}

/* Streamed or read whole, in any chunking, a big frame gives the same events. */
static void test_streamed_rows_are_the_rows(void) {
    for (int fragmented = 0; fragmented <= 1; fragmented++) {
        size_t len;
        char *body = big_frames(fragmented, 400, &len);
        stream_after = SIZE_MAX;
        run whole = parse(&warning_builder, body, len, 0, 0);
        CHECK_INT(whole.status, KUSTO_E_PARTIAL);
        CHECK(strstr(whole.log, "warning 1 T row 8 column 0 s: an object that is not a valid string") != NULL);
        size_t afters[] = {1, 100, 5000};
        size_t chunks[] = {1, 7, 64, 1000, 16384};
        for (size_t a = 0; a < 3; a++) {
            for (size_t c = 0; c < 5; c++) {
                stream_after = afters[a];
                run pieces = parse(&warning_builder, body, len, chunks[c], 0);
                check_same_run(&whole, &pieces, fragmented ? "streamed fragment" : "streamed table", chunks[c]);
                run_free(&pieces);
            }
        }
        stream_after = 0;
        run_free(&whole);
        free(body);
    }
}

/* Rows reach the builder before their frame ends; the buffer stays about a chunk. */
static void test_rows_before_the_frame_ends(void) {
    size_t len;
    char *body = big_frames(0, 20000, &len); /* about 3 MB in one DataTable frame */
    CHECK(len > 2500000);
    recorder rec = {0};
    kusto_parser *p = NULL;
    kusto_error *err = NULL;
    kusto_parser_new(&p, &json_builder, &rec);
    size_t most = 0, at = 0, rows_early = 0;
    kusto_status status = KUSTO_OK;
    for (; at < len - 1000 && status == KUSTO_OK; at += 16384) {
        size_t n = len - 1000 - at < 16384 ? len - 1000 - at : 16384;
        status = kusto_parser_feed(p, body + at, n, &err);
        if (kusto_parser_buffered(p) > most) most = kusto_parser_buffered(p);
        if (!rows_early && rec.rows) rows_early = at + n;
    }
    CHECK_INT(status, KUSTO_OK);
    CHECK(rows_early > 0 && rows_early < 600000); /* the default: streaming after 256 KiB */
    CHECK(rec.rows > 19000);
    CHECK(most < 1024 * 1024);
    CHECK_INT(kusto_parser_feed(p, body + len - 1000, 1000, &err), KUSTO_OK);
    CHECK_INT(kusto_parser_finish(p, &err), KUSTO_E_PARTIAL);
    CHECK_INT(rec.rows, 20000 + 20000 / 8);
    kusto_parser_free(p);
    kusto_error_free(err);
    kusto_buf_free(&rec.log);
    free(body);
}

/* Malformed JSON after the first rows went out: the rows stay delivered, the parse fails. */
static void test_streamed_frame_malformed_later(void) {
    static const char body[] = HEADER "{\"FrameType\":\"DataTable\",\"TableId\":1,\"TableKind\":\"PrimaryResult\","
                                      "\"TableName\":\"T\",\"Columns\":[{\"ColumnName\":\"x\",\"ColumnType\":\"int\"}],"
                                      "\"Rows\":[[1],[2],[3] x]}" COMPLETION;
    stream_after = 1;
    run r = parse(&events_builder, body, sizeof body - 1, 1, 0);
    stream_after = 0;
    CHECK_INT(r.status, KUSTO_E_PROTOCOL);
    CHECK_STR(r.message, "table 'T': malformed JSON in Rows");
    CHECK(strstr(r.log, "int 3\nend row\n") != NULL);
    run_free(&r);
}

/* v1: the first table streamed, the others (a TableOfContents among them) read whole at the end. */
static void test_streamed_v1(void) {
    kusto_buf b = {0};
    kusto_buf_puts(&b,
                   "{\"Tables\":[{\"TableName\":\"Table_0\",\"Columns\":[{\"ColumnName\":\"n\",\"DataType\":\"Int64\"},"
                   "{\"ColumnName\":\"s\",\"DataType\":\"String\"}],\"Rows\":[");
    for (int i = 0; i < 3000; i++) kusto_buf_printf(&b, "%s[%d,\"row %d\"]", i ? "," : "", i, i);
    kusto_buf_puts(&b, ",{\"Exceptions\":[\"late failure\"]}],\"Extra\":{\"a\":[1]}},"
                       "{\"TableName\":\"Table_1\",\"Columns\":[{\"ColumnName\":\"Value\",\"DataType\":\"String\"}],"
                       "\"Rows\":[[{\"Visualization\":null}]]},"
                       "{\"TableName\":\"Table_2\",\"Columns\":[{\"ColumnName\":\"Ordinal\",\"DataType\":\"Int64\"},"
                       "{\"ColumnName\":\"Kind\",\"DataType\":\"String\"}],\"Rows\":[[0,\"QueryResult\"],"
                       "[1,\"QueryProperties\"],[2,\"TableOfContents\"]]}]}");
    stream_after = SIZE_MAX;
    run whole = parse(&warning_builder, b.data, b.len, 0, 0);
    CHECK_INT(whole.status, KUSTO_E_PARTIAL);
    CHECK(strstr(whole.log, "table 0 Table_0 PrimaryResult 2\n") != NULL);
    CHECK(strstr(whole.log, "table 1 Table_1 QueryProperties 1\n") != NULL);
    CHECK(strstr(whole.log, "warning 1 Table_1 row 0 column 0 Value: an object") != NULL);
    size_t chunks[] = {1, 13, 4096};
    for (size_t c = 0; c < 3; c++) {
        stream_after = 100;
        run pieces = parse(&warning_builder, b.data, b.len, chunks[c], 0);
        check_same_run(&whole, &pieces, "streamed v1", chunks[c]);
        run_free(&pieces);
    }
    stream_after = 100;
    run cut = parse(&warning_builder, b.data, 2000, 100, 0); /* rows of table 0 came before the cut */
    CHECK_INT(cut.status, KUSTO_E_PROTOCOL);
    CHECK(strstr(cut.log, "int 50\n") != NULL);
    run_free(&cut);
    stream_after = 0;
    run_free(&whole);
    kusto_buf_free(&b);
}

static void test_lifecycle(void) {
    kusto_parser_free(NULL);
    kusto_result_free(NULL);
    CHECK_INT(kusto_result_table_count(NULL), 0);
    CHECK(kusto_table_info_of(NULL) == NULL);
    CHECK(kusto_table_value(NULL, 0, 0) == NULL);

    kusto_parser *p = NULL;
    kusto_error *err = NULL;
    CHECK_INT(kusto_parser_new(&p, NULL, NULL), KUSTO_OK); /* no builder: parse and drop */
    static const char minimal[] = "[{\"FrameType\":\"DataSetHeader\"},{\"FrameType\":\"DataSetCompletion\"}]";
    CHECK_INT(kusto_parser_feed(p, minimal, strlen(minimal), &err), KUSTO_OK);
    CHECK_INT(kusto_parser_finish(p, &err), KUSTO_OK);
    CHECK_INT(kusto_parser_feed(p, " ", 1, &err), KUSTO_E_ARGUMENT);
    kusto_error_free(err);
    kusto_parser_free(p);

    kusto_result *res = kusto_collector_new();
    CHECK(res != NULL);
    CHECK(kusto_collector_builder()->begin_array == NULL);
    kusto_result_free(res);
}

int main(void) {
    test_every_fixture();
    test_deft();
    test_deft_dynamic_events();
    test_progressive();
    test_partial_defer_false();
    test_partial_deferred_to_completion_information();
    test_v1_version();
    test_v1_table_of_contents();
    test_v1_two_tables_and_exceptions();
    test_fragmented();
    test_fragmented_events();
    test_fragmented_error();
    test_error_body();
    test_not_json();
    test_truncated();
    test_cancel();
    test_cell_errors();
    test_framing_errors();
    test_many_keys();
    test_scanner_blocks_and_splits();
    test_deep_dynamic();
    test_cells_that_do_not_fit_arrive_as_sent();
    test_datetimes_guids_and_decimals_that_cannot_be_read();
    test_strict_keeps_failing();
    test_warning_limits();
    test_type_names();
    test_frame_and_table_names();
    test_truncation_is_an_error();
    test_warnings_before_a_failure();
    test_progress();
    test_streamed_rows_are_the_rows();
    test_rows_before_the_frame_ends();
    test_streamed_frame_malformed_later();
    test_streamed_v1();
    test_lifecycle();
    CHECK_DONE();
}
