/* core/src/arrow.c and arrow_export.c: Kusto cells into Arrow columns, exported through the C Data Interface. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "arrow.h"
#include "check.h"
#include "files.h"
#include "kusto.h"
#include "parser.h"

#define HEADER "[{\"FrameType\":\"DataSetHeader\",\"IsProgressive\":false,\"Version\":\"v2.0\"},"
#define COMPLETION "{\"FrameType\":\"DataSetCompletion\",\"HasErrors\":false,\"Cancelled\":false}]"
#define TABLE(kind, columns, rows)                                                                      \
    "{\"FrameType\":\"DataTable\",\"TableId\":1,\"TableKind\":\"" kind "\",\"TableName\":\"" kind "\"," \
    "\"Columns\":[" columns "],\"Rows\":[" rows "]},"
#define COL(name, type) "{\"ColumnName\":\"" name "\",\"ColumnType\":\"" type "\"}"

static const char ALL_TYPES[] = HEADER TABLE(
    "PrimaryResult",
    COL("l", "long") "," COL("i", "int") "," COL("r", "real") "," COL("b", "bool") "," COL("s", "string") "," COL(
        "d", "datetime") "," COL("t", "timespan") "," COL("g", "guid") "," COL("y", "dynamic") "," COL("m", "decimal"),
    "[9223372036854775807,-2147483648,\"NaN\",true,\"h\\u00e9\",\"1970-01-01T00:00:00.0000001Z\",\"-1.00:00:00\","
    "\"01234567-89ab-cdef-0123-456789ABCDEF\",{\"a\":[1,2]},\"2.00000000000001\"],"
    "[null,null,null,null,null,null,null,null,null,null],"
    "[-9223372036854775808,7,1.5,false,\"\",\"1500-01-01T00:00:00Z\",\"00:00:01\",null,\"text\",\"-1e-30\"],"
    "[1,2,-0.0,true,{\"x\":1},\"9999-12-31T23:59:59.9999999Z\",\"00:00:00\",null,12,null],"
    "[2,3,\"Infinity\",false,\"z\",\"2262-04-11T23:47:16.8547758Z\",null,null,1.25,\"0\"]")
    TABLE("QueryCompletionInformation", COL("n", "string"), "") COMPLETION;

static kusto_arrow *parse(const char *body, size_t batch_rows) {
    kusto_arrow *a = NULL;
    kusto_parser *p = NULL;
    CHECK(kusto_arrow_new(&a, batch_rows) == KUSTO_OK);
    CHECK(kusto_parser_new(&p, kusto_arrow_builder(), a) == KUSTO_OK);
    CHECK(kusto_parser_feed(p, body, strlen(body), NULL) == KUSTO_OK);
    CHECK(kusto_parser_finish(p, NULL) == KUSTO_OK);
    kusto_parser_free(p);
    return a;
}

static int valid(const struct ArrowArray *column, int64_t row) {
    const uint8_t *bits = column->buffers[0];
    return !bits || (bits[row / 8] >> (row % 8) & 1);
}

static const char *metadata_value(const char *metadata, const char *key) {
    static char value[64];
    int32_t count, len;
    const char *p = metadata;
    memcpy(&count, p, 4), p += 4;
    for (int32_t i = 0; i < count; i++) {
        memcpy(&len, p, 4), p += 4;
        int match = (size_t)len == strlen(key) && memcmp(p, key, (size_t)len) == 0;
        p += len;
        memcpy(&len, p, 4), p += 4;
        if (match) {
            snprintf(value, sizeof value, "%.*s", (int)len, p);
            return value;
        }
        p += len;
    }
    return NULL;
}

static void test_schema(kusto_arrow *a) {
    struct ArrowSchema s;
    CHECK(kusto_arrow_table_schema(a, 0, &s) == KUSTO_OK);
    CHECK_STR(s.format, "+s");
    CHECK_INT(s.n_children, 10);
    const char *formats[] = {"l", "i", "g", "b", "u", "tsn:UTC", "tDn", "w:16", "u", "u"};
    for (int i = 0; i < 10; i++) CHECK_STR(s.children[i]->format, formats[i]);
    CHECK_STR(s.children[0]->name, "l");
    CHECK_STR(metadata_value(s.children[5]->metadata, "kusto:type"), "datetime");
    CHECK_STR(metadata_value(s.children[7]->metadata, "ARROW:extension:name"), "arrow.uuid");
    CHECK_STR(metadata_value(s.children[8]->metadata, "ARROW:extension:name"), "arrow.json");
    CHECK_STR(metadata_value(s.children[9]->metadata, "kusto:type"), "decimal");
    CHECK(metadata_value(s.children[9]->metadata, "ARROW:extension:name") == NULL);
    CHECK_STR(metadata_value(s.metadata, "kusto:table_kind"), "PrimaryResult");
    CHECK_STR(metadata_value(s.metadata, "kusto:table_id"), "1");
    s.release(&s);
    CHECK(s.release == NULL);
    CHECK(kusto_arrow_table_schema(a, 9, &s) == KUSTO_E_ARGUMENT);
}

static const char *text_at(const struct ArrowArray *column, int64_t row, int *len) {
    const int32_t *offsets = column->buffers[1];
    *len = offsets[row + 1] - offsets[row];
    return (const char *)column->buffers[2] + offsets[row];
}

static void check_text(const struct ArrowArray *column, int64_t row, const char *expected) {
    int len;
    const char *text = text_at(column, row, &len);
    CHECK(valid(column, row));
    CHECK((size_t)len == strlen(expected) && memcmp(text, expected, (size_t)len) == 0);
}

/* Rows 0..1 (the first batch of two). */
static void check_first_batch(const struct ArrowArray *b) {
    CHECK_INT(b->length, 2);
    CHECK_INT(b->n_children, 10);
    CHECK_INT(((const int64_t *)b->children[0]->buffers[1])[0], INT64_MAX);
    CHECK_INT(((const int32_t *)b->children[1]->buffers[1])[0], INT32_MIN);
    CHECK(isnan(((const double *)b->children[2]->buffers[1])[0]) && valid(b->children[2], 0));
    CHECK(((const uint8_t *)b->children[3]->buffers[1])[0] & 1);
    check_text(b->children[4], 0, "h\xc3\xa9");
    CHECK_INT(((const int64_t *)b->children[5]->buffers[1])[0], 100);
    CHECK_INT(((const int64_t *)b->children[6]->buffers[1])[0], -INT64_C(86400000000000));
    const uint8_t *guid = b->children[7]->buffers[1];
    CHECK(guid[0] == 0x01 && guid[3] == 0x67 && guid[8] == 0x01 && guid[15] == 0xef);
    check_text(b->children[8], 0, "{\"a\":[1,2]}");
    check_text(b->children[9], 0, "2.00000000000001");
    for (int c = 0; c < 10; c++) {
        CHECK(!valid(b->children[c], 1));
        CHECK_INT(b->children[c]->null_count, 1);
    }
}

static void test_batches(kusto_arrow *a) {
    struct ArrowArrayStream stream;
    struct ArrowArray batch, moved;
    CHECK(kusto_arrow_table_stream(a, 0, NULL, &stream) == KUSTO_OK);
    CHECK(stream.get_next(&stream, &batch) == 0 && batch.release);
    check_first_batch(&batch);
    moved = *batch.children[4]; /* a consumer may move a child out and release it on its own */
    batch.children[4]->release = NULL;
    batch.release(&batch);
    check_text(&moved, 0, "h\xc3\xa9");
    moved.release(&moved);

    CHECK(stream.get_next(&stream, &batch) == 0 && batch.length == 2);
    CHECK_INT(((const int64_t *)batch.children[0]->buffers[1])[0], INT64_MIN);
    CHECK(!valid(batch.children[5], 0)); /* 1500: outside ns, null */
    CHECK_INT(((const int64_t *)batch.children[6]->buffers[1])[0], 1000000000);
    check_text(batch.children[8], 0, "\"text\""); /* a dynamic string is JSON text */
    check_text(batch.children[8], 1, "12");
    check_text(batch.children[4], 1, "{\"x\":1}"); /* a misfit in a string column: its JSON */
    CHECK(signbit(((const double *)batch.children[2]->buffers[1])[1]));
    CHECK(!valid(batch.children[5], 1)); /* 9999: outside ns, null */
    batch.release(&batch);

    CHECK(stream.get_next(&stream, &batch) == 0 && batch.length == 1);
    CHECK(isinf(((const double *)batch.children[2]->buffers[1])[0]));
    CHECK_INT(((const int64_t *)batch.children[5]->buffers[1])[0], INT64_C(9223372036854775800));
    check_text(batch.children[8], 0, "1.25");
    CHECK_INT(batch.children[6]->null_count, 1);
    batch.release(&batch);
    CHECK(stream.get_next(&stream, &batch) == 0 && batch.release == NULL); /* the end */
    stream.release(&stream);
}

static void test_warnings(kusto_arrow *a) {
    int found = 0;
    for (size_t i = 0; i < kusto_arrow_warning_count(a); i++) {
        const kusto_warning *w = kusto_arrow_warning(a, i);
        if (strcmp(w->column_name, "d") == 0 && strstr(w->reason, "nanoseconds")) {
            found++;
            CHECK_INT(w->count, 2);
            CHECK_INT(w->row, 2);
            CHECK_STR(w->excerpt, "1500-01-01T00:00:00.0000000Z");
        }
    }
    CHECK_INT(found, 1);
}

static void test_stream_outlives_result(void) {
    kusto_arrow *a = parse(ALL_TYPES, 0);
    struct ArrowArrayStream stream;
    struct ArrowSchema schema;
    struct ArrowArray batch;
    CHECK_INT(kusto_arrow_table_count(a), 2);
    CHECK_INT(kusto_arrow_primary_index(a), 0);
    CHECK_INT(kusto_arrow_table_row_count(a, 0), 5);
    CHECK(kusto_arrow_table_stream(a, 1, NULL, &stream) == KUSTO_OK); /* an empty table: no batch */
    kusto_arrow_free(a);
    CHECK(stream.get_schema(&stream, &schema) == 0 && schema.n_children == 1);
    schema.release(&schema);
    CHECK(stream.get_next(&stream, &batch) == 0 && batch.release == NULL);
    stream.release(&stream);
}

static const char CUT_OFF[] = HEADER TABLE("PrimaryResult", COL("x", "long"), "[1],[2],[3]");

static void test_failure_after_rows(void) {
    kusto_arrow *a = NULL;
    kusto_parser *p = NULL;
    kusto_error *err = NULL;
    kusto_arrow_new(&a, 2);
    kusto_parser_new(&p, kusto_arrow_builder(), a);
    CHECK(kusto_parser_feed(p, CUT_OFF, strlen(CUT_OFF), NULL) == KUSTO_OK);
    CHECK(kusto_parser_finish(p, &err) == KUSTO_E_PROTOCOL);
    kusto_parser_free(p);
    struct ArrowArrayStream stream;
    struct ArrowArray batch;
    CHECK(kusto_arrow_table_stream(a, 0, err, &stream) == KUSTO_OK);
    int64_t rows = 0;
    while (stream.get_next(&stream, &batch) == 0 && batch.release) {
        rows += batch.length;
        batch.release(&batch);
    }
    CHECK_INT(rows, 3);
    CHECK_INT(stream.get_next(&stream, &batch), EIO);
    CHECK_STR(stream.get_last_error(&stream), kusto_error_message(err));
    stream.release(&stream);
    kusto_error_free(err);
    kusto_arrow_free(a);
}

static const char MISFITS[] =
    HEADER TABLE("PrimaryResult", COL("l", "long") "," COL("i", "int") "," COL("g", "guid") "," COL("s", "string"),
                 "[\"x\",4294967296,\"not a guid\",\"ok\"],[123456789012345678901234567890,1,null,\"\xff\xfe\"],"
                 "[1,1,null,\"\xed\xa0\x80\"],[1,1,null,\"\xf0\x9f\x98\x80 \xc3\xa9 and ascii text\"]") COMPLETION;

static void test_misfits_are_null_with_warnings(void) {
    kusto_arrow *a = parse(MISFITS, 0);
    struct ArrowArrayStream stream;
    struct ArrowArray batch;
    kusto_arrow_table_stream(a, 0, NULL, &stream);
    CHECK(stream.get_next(&stream, &batch) == 0);
    CHECK_INT(batch.children[0]->null_count, 2);
    CHECK_INT(batch.children[1]->null_count, 1);
    CHECK_INT(((const int32_t *)batch.children[1]->buffers[1])[1], 1);
    CHECK_INT(batch.children[2]->null_count, 4);
    CHECK_INT(batch.children[3]->null_count, 2); /* invalid UTF-8 and a lone surrogate: null */
    check_text(batch.children[3], 0, "ok");
    check_text(batch.children[3], 3, "\xf0\x9f\x98\x80 \xc3\xa9 and ascii text");
    CHECK(!valid(batch.children[3], 1) && !valid(batch.children[3], 2));
    batch.release(&batch);
    stream.release(&stream);
    size_t ours = 0;
    for (size_t i = 0; i < kusto_arrow_warning_count(a); i++)
        ours += strstr(kusto_arrow_warning(a, i)->reason, "Arrow") != NULL;
    CHECK_INT(ours, 4); /* long (count 2), int, guid, string (count 2) */
    kusto_arrow_free(a);
}

/* An error as a call failing part-way gives one: a body cut off. */
static void cut_off_error(kusto_error **err) {
    kusto_arrow *a = NULL;
    kusto_parser *p = NULL;
    kusto_arrow_new(&a, 0);
    kusto_parser_new(&p, kusto_arrow_builder(), a);
    kusto_parser_feed(p, CUT_OFF, strlen(CUT_OFF), NULL);
    CHECK(kusto_parser_finish(p, err) == KUSTO_E_PROTOCOL && *err);
    kusto_parser_free(p);
    kusto_arrow_free(a);
}

/* ---- the IPC stream writer (pyarrow reads what it writes: tests/python/test_arrow.py) ---- */

typedef struct sink {
    char *data;
    size_t len;
    int fail_after; /* writes that succeed before one fails; 0: never fails */
    int writes;
} sink;

static int sink_write(void *ud, const void *data, size_t len) {
    sink *s = ud;
    if (s->fail_after && ++s->writes > s->fail_after) return -1;
    s->data = realloc(s->data, s->len + len);
    memcpy(s->data + s->len, data, len);
    s->len += len;
    return 0;
}

static void test_ipc_stream(void) {
    kusto_arrow *a = parse(ALL_TYPES, 2);
    struct ArrowArrayStream stream;
    sink out = {0};
    kusto_arrow_table_stream(a, 0, NULL, &stream);
    CHECK_INT(kusto_arrow_write_ipc(&stream, sink_write, &out, NULL), KUSTO_OK);
    stream.release(&stream);
    static const unsigned char marker[4] = {0xFF, 0xFF, 0xFF, 0xFF}, end[8] = {0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0};
    CHECK(out.len > 64 && out.len % 8 == 0);
    CHECK(memcmp(out.data, marker, 4) == 0 && memcmp(out.data + out.len - 8, end, 8) == 0);
    free(out.data);

    sink failing = {.fail_after = 3};
    kusto_error *err = NULL;
    kusto_arrow_table_stream(a, 0, NULL, &stream);
    CHECK_INT(kusto_arrow_write_ipc(&stream, sink_write, &failing, &err), KUSTO_E_NETWORK);
    stream.release(&stream);
    kusto_error_free(err);
    free(failing.data);

    kusto_error *cause = NULL, *reported = NULL;
    cut_off_error(&cause);
    sink cut = {0};
    kusto_arrow_table_stream(a, 0, cause, &stream);
    CHECK_INT(kusto_arrow_write_ipc(&stream, sink_write, &cut, &reported), KUSTO_E_PROTOCOL);
    CHECK_STR(kusto_error_message(reported), kusto_error_message(cause));
    CHECK(cut.len > 0 && memcmp(cut.data + cut.len - 8, end, 8) != 0); /* no end marker: cut short */
    stream.release(&stream);
    kusto_error_free(cause);
    kusto_error_free(reported);
    free(cut.data);
    kusto_arrow_free(a);
}

/* What a sink (arrow.h, for kusto_client_query_arrow_stream) was given. */
typedef struct taken {
    int64_t lengths[8];
    size_t count, stop_at;
} taken;

static int take_batch(void *ud, arrow_batch *batch) {
    taken *t = ud;
    t->lengths[t->count++] = batch->length;
    kusto_arrow_batch_unref(batch);
    return t->count == t->stop_at;
}

static void test_a_sink_takes_each_batch_as_it_is_finished(void) {
    kusto_arrow *a = NULL;
    kusto_parser *p = NULL;
    taken t = {0};
    CHECK(kusto_arrow_new(&a, 2) == KUSTO_OK);
    kusto_arrow_set_sink(a, take_batch, &t);
    CHECK(kusto_parser_new(&p, kusto_arrow_builder(), a) == KUSTO_OK);
    CHECK(kusto_parser_feed(p, ALL_TYPES, strlen(ALL_TYPES), NULL) == KUSTO_OK);
    CHECK(kusto_parser_finish(p, NULL) == KUSTO_OK);
    kusto_parser_free(p);
    CHECK_INT(t.count, 3);
    CHECK(t.lengths[0] == 2 && t.lengths[1] == 2 && t.lengths[2] == 1);
    CHECK_INT(kusto_arrow_table_row_count(a, 0), 5); /* the table counts the rows but keeps no batch */
    struct ArrowArrayStream stream;
    struct ArrowArray batch;
    CHECK(kusto_arrow_table_stream(a, 0, NULL, &stream) == KUSTO_OK);
    CHECK(stream.get_next(&stream, &batch) == 0 && batch.release == NULL);
    stream.release(&stream);
    kusto_arrow_free(a);

    kusto_error *err = NULL; /* a sink saying stop stops the parse */
    t = (taken){.stop_at = 1};
    CHECK(kusto_arrow_new(&a, 2) == KUSTO_OK);
    kusto_arrow_set_sink(a, take_batch, &t);
    CHECK(kusto_parser_new(&p, kusto_arrow_builder(), a) == KUSTO_OK);
    CHECK_INT(kusto_parser_feed(p, ALL_TYPES, strlen(ALL_TYPES), &err), KUSTO_E_CANCELLED);
    CHECK_INT(t.count, 1);
    kusto_error_free(err);
    kusto_parser_free(p);
    kusto_arrow_free(a);
}

/* What the table hooks (arrow.h, for kusto_client_query_arrow_live) were told, in order: 'b' begun, 'r'
   replaced, with the table's index and row count then. */
typedef struct told {
    char what[8];
    size_t index[8], rows[8];
    size_t count;
} told;

static int tell(told *t, char what, size_t index, const arrow_table *table) {
    t->what[t->count] = what;
    t->index[t->count] = index;
    t->rows[t->count++] = table->rows;
    return 0;
}

static int on_begun(void *ud, size_t index, arrow_table *table) { return tell(ud, 'b', index, table); }
static int on_replaced(void *ud, size_t index, arrow_table *table) { return tell(ud, 'r', index, table); }
static int drop_batch(void *ud, arrow_batch *batch) {
    (void)ud;
    kusto_arrow_batch_unref(batch);
    return 0;
}

static void test_table_hooks_tell_each_table_and_each_replace(void) {
    size_t len;
    char *body = read_fixture("fragmented_v2.json", &len);
    kusto_arrow *a = NULL;
    kusto_parser *p = NULL;
    told t = {0};
    CHECK(body && kusto_arrow_new(&a, 2) == KUSTO_OK);
    kusto_arrow_set_sink(a, drop_batch, &t);
    kusto_arrow_set_table_hooks(a, on_begun, on_replaced);
    CHECK(kusto_parser_new(&p, kusto_arrow_builder(), a) == KUSTO_OK);
    CHECK_INT(kusto_parser_feed(p, body, len, NULL), KUSTO_OK);
    CHECK_INT(kusto_parser_finish(p, NULL), KUSTO_OK);
    CHECK_INT(t.count, 4); /* three tables; the second replaced once its first two rows were in */
    CHECK(memcmp(t.what, "bbrb", 4) == 0);
    CHECK(t.index[0] == 0 && t.index[1] == 1 && t.index[2] == 1 && t.index[3] == 2);
    CHECK_INT(t.rows[2], 0); /* told after the replaced rows were dropped */
    CHECK_INT(kusto_arrow_table_row_count(a, 1), 5);
    kusto_parser_free(p);
    kusto_arrow_free(a);
    free(body);
}

/* kusto_arrow_keep_ticks: Kusto's whole range, TimeSpan.MaxValue and MinValue too (nanoseconds would overflow). */
static void test_ticks_kept_as_they_are(void) {
    size_t len;
    char *body = read_fixture("fragmented_v2.json", &len);
    kusto_arrow *a = NULL;
    kusto_parser *p = NULL;
    CHECK(body && kusto_arrow_new(&a, 0) == KUSTO_OK);
    kusto_arrow_keep_ticks(a);
    CHECK(kusto_parser_new(&p, kusto_arrow_builder(), a) == KUSTO_OK);
    CHECK_INT(kusto_parser_feed(p, body, len, NULL), KUSTO_OK);
    CHECK_INT(kusto_parser_finish(p, NULL), KUSTO_OK);
    struct ArrowArrayStream stream;
    struct ArrowArray batch;
    CHECK(kusto_arrow_table_stream(a, 1, NULL, &stream) == KUSTO_OK);
    CHECK(stream.get_next(&stream, &batch) == 0 && batch.length == 5);
    const int64_t *t = batch.children[3]->buffers[1]; /* timespan: 1 s, 1 min, null, max, min */
    CHECK(t[0] == 10000000 && t[1] == 600000000 && t[3] == INT64_MAX && t[4] == INT64_MIN);
    CHECK_INT(kusto_arrow_warning_count(a), 0);
    batch.release(&batch);
    stream.release(&stream);
    kusto_parser_free(p);
    kusto_arrow_free(a);
    free(body);
}

int main(void) {
    kusto_arrow *a = parse(ALL_TYPES, 2);
    test_schema(a);
    test_batches(a);
    test_warnings(a);
    kusto_arrow_free(a);
    test_stream_outlives_result();
    test_failure_after_rows();
    test_misfits_are_null_with_warnings();
    test_ipc_stream();
    test_a_sink_takes_each_batch_as_it_is_finished();
    test_table_hooks_tell_each_table_and_each_replace();
    test_ticks_kept_as_they_are();
    kusto_arrow_free(NULL);
    CHECK_DONE();
}
