/*
 * The push parser of Kusto responses: bytes in any chunking, builder callbacks out.
 *
 * A v2 body is a JSON array of frames. A byte scanner (strings, escapes, nesting depth) finds where
 * each frame ends, so only the current frame is held in memory; the frame is then read with a
 * token cursor (jsonread.h) rather than a cJSON tree, because cell numbers must keep their exact
 * digits (a long beyond 2^53) and rows are handed to the builder without an intermediate tree.
 * Small parts (Columns, OneApiErrors) go through cJSON. A body starting with '{' is a v1 result
 * {"Tables":[...]} or an error {"error":{...}}, read once it is complete.
 */
#include "parser.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "bytescan.h"
#include "error.h"
#include "jsonread.h"
#include "error_body.h"

#define EXCERPT_MAX 200
#define MAX_DYNAMIC_DEPTH 200
/* A frame buffer grown beyond this is released after its frame rather than kept for the next. */
#define KEEP_BUFFER_MAX (4u << 20)
/* A v2 frame buffered beyond this many bytes hands out its rows while it still arrives. */
#define STREAM_AFTER (256u << 10)

enum parser_state { ST_START, ST_FRAMES, ST_FRAME, ST_OBJECT, ST_TEXT, ST_DONE, ST_FINISHED, ST_FAILED };

/* The most members of a frame whose boundaries the scanner records. */
#define MAX_MEMBERS 32

/* Where a JSON value that arrives in pieces ends, and where its top-level members are separated
   (so that reading a frame's keys does not have to skip over its Rows a second time). */
struct value_scan {
    size_t depth;
    int in_string;
    int escape;
    size_t offset;              /* bytes of the value scanned so far */
    size_t commas[MAX_MEMBERS]; /* offsets of the commas between top-level members */
    size_t comma_count;         /* more than MAX_MEMBERS: boundaries unknown */
};

struct table {
    kusto_table_info info;
    kusto_column *columns;
    int open;    /* between TableHeader and TableCompletion */
    size_t rows; /* delivered so far, for messages */
};

#define EXCERPT_CELL 40

/* A kind of tolerated cell of the current table, reported at its end (see kusto_warning). */
struct pending_warning {
    size_t column, row, count;
    char reason[120];
    char excerpt[EXCERPT_CELL + 1];
};

struct kusto_parser {
    const kusto_builder *b;
    void *ud;
    enum parser_state state;
    kusto_status status;  /* of the failure, in ST_FAILED */
    kusto_error *failure; /* set while a step fails, handed out by the feed */
    int out_of_memory;
    struct value_scan scan;
    kusto_buf pending; /* the current frame's bytes when it spans chunks */
    kusto_buf scratch; /* unescaped strings and compact JSON for one callback */
    kusto_buf excerpt; /* the start of a body that is not JSON */
    struct table table;
    kusto_error **partials;
    size_t partial_count;
    int strict;    /* a cell that does not fit fails the parse */
    size_t frames; /* v2 frames read */
    int v2;        /* the body is an array of frames */
    int completed; /* v2: DataSetCompletion read */
    struct pending_warning warnings[KUSTO_MAX_WARNINGS];
    size_t warning_count;  /* pending for the current table */
    size_t warnings_given; /* handed to the builder so far */
    /* A big frame's rows handed out while it arrives (see "rows of a frame still arriving"). */
    size_t stream_after; /* buffered bytes before a frame's rows are handed out early */
    size_t next_try;     /* pending length at which to look for the frame's Rows again */
    int streaming;       /* 0, or the frame being streamed: STREAM_TABLE, STREAM_FRAGMENT */
    size_t rows_at;      /* in pending: where the next row (or the end of Rows) begins */
    size_t frame_rows;   /* rows of the streamed frame so far */
};

enum { STREAM_TABLE = 1, STREAM_FRAGMENT, STREAM_V1 };

typedef struct span {
    const char *p;
    size_t n;
} span;

/* Keys read from a frame, a v1 table or a v1 body; any order. */
/* clang-format off */
enum frame_key {
    K_FRAME_TYPE, K_TABLE_ID, K_TABLE_NAME, K_TABLE_KIND, K_COLUMNS, K_ROWS, K_FRAGMENT_TYPE,
    K_HAS_ERRORS, K_CANCELLED, K_ONE_API_ERRORS, K_TABLES, K_ERROR, K_TABLE_PROGRESS, K_COUNT
};
static const char *const frame_keys[K_COUNT] = {
    "FrameType", "TableId",   "TableName",    "TableKind", "Columns", "Rows", "TableFragmentType",
    "HasErrors", "Cancelled", "OneApiErrors", "Tables",    "error",   "TableProgress",
};
/* clang-format on */

static const kusto_builder no_callbacks;

/* ---- failures ------------------------------------------------------------------------------------ */

static int fail(kusto_parser *p, kusto_error *e) {
    if (!e) p->out_of_memory = 1;
    if (p->failure || !e) kusto_error_free(e);
    else p->failure = e;
    return -1;
}

static int protocol(kusto_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int protocol(kusto_parser *p, const char *fmt, ...) {
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    return fail(p, kusto_error_new(KUSTO_E_PROTOCOL, "%s", message));
}

static int no_memory(kusto_parser *p) {
    p->out_of_memory = 1;
    return -1;
}

static int stopped(kusto_parser *p, const char *callback) {
    return fail(p, kusto_error_new(KUSTO_E_CANCELLED, "the builder's %s callback asked to stop", callback));
}

#define CALL(p, cb, ...) ((p)->b->cb && (p)->b->cb((p)->ud, __VA_ARGS__) ? stopped((p), #cb) : 0)
#define CALL0(p, cb) ((p)->b->cb && (p)->b->cb((p)->ud) ? stopped((p), #cb) : 0)

/* ---- spans of a JSON object ---------------------------------------------------------------------- */

/* Names compared without regard to ASCII letter case: servers differ ("FrameType", "frameType"). */
static int same_name(const char *a, size_t len, const char *name) {
    if (len != strlen(name)) return 0;
    for (size_t i = 0; i < len; i++) {
        char x = a[i], y = name[i];
        if (x != y && (x | 0x20) != (y | 0x20)) return 0;
        if (x != y && !((x | 0x20) >= 'a' && (x | 0x20) <= 'z')) return 0;
    }
    return 1;
}

static void note_key(span keys[K_COUNT], const kusto_jr_token *key, const char *value, const char *end) {
    for (int k = 0; k < K_COUNT; k++) {
        if (same_name(key->ptr, key->len, frame_keys[k])) {
            keys[k].p = value;
            keys[k].n = (size_t)(end - value);
        }
    }
}

/* Reads the members by skipping over each value. */
static int spans_by_skipping(kusto_jr *r, span keys[K_COUNT]) {
    size_t count = 0;
    int more;
    while ((more = kusto_jr_next(r, '}', &count)) > 0) {
        kusto_jr_token key;
        if (kusto_jr_key(r, &key)) return -1;
        kusto_jr_peek(r);
        const char *value = r->p;
        if (kusto_jr_skip(r)) return -1;
        note_key(keys, &key, value, r->p);
    }
    return more;
}

static int is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

/* Reads the members between the commas the scanner found: no value is skipped over. */
static int spans_by_commas(const char *text, size_t len, const struct value_scan *scan, span keys[K_COUNT]) {
    size_t start = 1;
    for (size_t m = 0; m <= scan->comma_count; m++) {
        size_t stop = m < scan->comma_count ? scan->commas[m] : len - 1, end = stop;
        kusto_jr r = {text + start, text + stop};
        kusto_jr_token key;
        if (scan->comma_count == 0 && kusto_jr_peek(&r) == -1) return 0; /* {} */
        if (kusto_jr_key(&r, &key) || kusto_jr_peek(&r) == -1) return -1;
        while (end > start && is_space(text[end - 1])) end--;
        note_key(keys, &key, r.p, text + end);
        start = stop + 1;
    }
    return 0;
}

/* The values of the keys we read, in any order. `scan` (may be NULL) has the member boundaries. */
static int object_spans(kusto_parser *p, const char *text, size_t len, const struct value_scan *scan,
                        span keys[K_COUNT]) {
    kusto_jr r = {text, text + len};
    memset(keys, 0, K_COUNT * sizeof *keys);
    if (kusto_jr_open(&r, '{')) return protocol(p, "a frame is not a JSON object");
    int rc = scan && scan->comma_count <= MAX_MEMBERS ? spans_by_commas(text, len, scan, keys)
                                                      : spans_by_skipping(&r, keys);
    return rc == 0 ? 0 : protocol(p, "malformed JSON in a frame");
}

/* The raw contents of a string value (no escapes expected), or NULL. */
static const char *span_string(span s, size_t *len) {
    if (!s.p) return NULL; /* before s.p + s.n: NULL + 0 is undefined (found by fuzz/fuzz_frames) */
    kusto_jr r = {s.p, s.p + s.n};
    kusto_jr_token t;
    if (kusto_jr_token_read(&r, &t) || t.kind != KUSTO_JR_STRING) return NULL;
    *len = t.len;
    return t.ptr;
}

static int span_is(span s, const char *text) {
    size_t len;
    const char *raw = span_string(s, &len);
    return raw && same_name(raw, len, text);
}

static int span_true(span s) { return s.n == 4 && memcmp(s.p, "true", 4) == 0; }

static cJSON *span_json(span s) { return s.p ? cJSON_ParseWithLength(s.p, s.n) : NULL; }

/* ---- tables -------------------------------------------------------------------------------------- */

void kusto_table_info_free_parts(kusto_table_info *info, kusto_column *columns) {
    for (size_t i = 0; i < info->column_count; i++) {
        free((char *)columns[i].name);
        free((char *)columns[i].type_name);
    }
    free(columns);
    free((char *)info->name);
    free((char *)info->kind);
}

static char *copy_text(const char *text) { return kusto_strdup(text ? text : ""); }

int kusto_table_info_copy(kusto_table_info *dst, kusto_column **columns, const kusto_table_info *src) {
    size_t n = src->column_count;
    *columns = calloc(n ? n : 1, sizeof **columns);
    dst->id = src->id;
    dst->primary = src->primary;
    dst->name = copy_text(src->name);
    dst->kind = copy_text(src->kind);
    dst->columns = *columns;
    if (!*columns || !dst->name || !dst->kind) return -1;
    for (size_t i = 0; i < n; i++) {
        kusto_column *c = &(*columns)[i];
        c->type = src->columns[i].type;
        c->name = copy_text(src->columns[i].name);
        c->type_name = copy_text(src->columns[i].type_name);
        dst->column_count = i + 1;
        if (!c->name || !c->type_name) return -1;
    }
    return 0;
}

void kusto_warning_free_parts(kusto_warning *w) {
    free((char *)w->table);
    free((char *)w->column_name);
    free((char *)w->reason);
    free((char *)w->excerpt);
}

int kusto_warning_copy(kusto_warning *dst, const kusto_warning *src) {
    *dst = *src;
    dst->table = copy_text(src->table);
    dst->column_name = copy_text(src->column_name);
    dst->reason = copy_text(src->reason);
    dst->excerpt = copy_text(src->excerpt);
    if (dst->table && dst->column_name && dst->reason && dst->excerpt) return 0;
    kusto_warning_free_parts(dst);
    return -1;
}

static void table_clear(struct table *t) {
    kusto_table_info_free_parts(&t->info, t->columns);
    memset(t, 0, sizeof *t);
}

static const char *json_string(const cJSON *obj, const char *name) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

/* Columns: [{"ColumnName","ColumnType"}] (v2) or [{"ColumnName","DataType"[,"ColumnType"]}] (v1). */
static int load_columns(kusto_parser *p, span s) {
    cJSON *json = span_json(s);
    if (!cJSON_IsArray(json)) {
        cJSON_Delete(json);
        return protocol(p, "table '%s' has no Columns array", p->table.info.name);
    }
    size_t count = (size_t)cJSON_GetArraySize(json);
    int rc = 0;
    p->table.columns = calloc(count ? count : 1, sizeof *p->table.columns);
    p->table.info.columns = p->table.columns;
    const cJSON *item;
    cJSON_ArrayForEach(item, json) {
        if (!p->table.columns) break;
        const char *name = json_string(item, "ColumnName"), *type = json_string(item, "ColumnType");
        if (!type) type = json_string(item, "DataType");
        kusto_column *col = &p->table.columns[p->table.info.column_count++];
        col->name = kusto_strdup(name ? name : "");
        col->type_name = kusto_strdup(type ? type : "");
        col->type = kusto_type_from_name(type);
        if (!col->name || !col->type_name) rc = -1;
    }
    cJSON_Delete(json);
    return rc || !p->table.columns ? no_memory(p) : 0;
}

/* A name as text: a string unescaped, null or nothing as "", any other JSON value as its JSON text
   (a TableName of 5 is "5", not a failure). NULL only when out of memory. */
static char *name_of(span s) {
    size_t len;
    kusto_buf b = {0};
    const char *raw = span_string(s, &len);
    int failed = raw                                               ? kusto_jr_unescape(&b, raw, len)
               : s.p && !(s.n == 4 && memcmp(s.p, "null", 4) == 0) ? kusto_jr_compact(&b, s.p, s.n)
                                                                   : kusto_buf_append(&b, "", 0);
    if (failed && raw) { /* a bad escape: the raw text, as sent */
        b.len = 0;
        failed = kusto_buf_append(&b, raw, len);
    }
    char *text = failed ? NULL : kusto_buf_take(&b);
    kusto_buf_free(&b);
    return text ? text : failed ? NULL : kusto_strdup("");
}

static int load_table(kusto_parser *p, const span keys[K_COUNT], int id, const char *kind) {
    table_clear(&p->table);
    p->warning_count = 0;
    p->table.info.id = id;
    p->table.info.name = name_of(keys[K_TABLE_NAME]);
    p->table.info.kind = kind ? kusto_strdup(kind) : name_of(keys[K_TABLE_KIND]);
    if (!p->table.info.name || !p->table.info.kind) return no_memory(p);
    p->table.info.primary = strcmp(p->table.info.kind, "PrimaryResult") == 0;
    return load_columns(p, keys[K_COLUMNS]);
}

static int table_id(kusto_parser *p, span s, int *id) {
    int64_t v;
    if (!s.p || kusto_jr_int64(s.p, s.n, &v) || v < 0 || v > INT32_MAX)
        return protocol(p, "a frame has no valid TableId");
    *id = (int)v;
    return 0;
}

/* ---- partial errors ------------------------------------------------------------------------------ */

static int same_text(const char *a, const char *b) { return (!a && !b) || (a && b && strcmp(a, b) == 0); }

static int already_reported(const kusto_parser *p, const kusto_error *e) {
    for (size_t i = 0; i < p->partial_count; i++) {
        const kusto_error *seen = p->partials[i];
        if (same_text(seen->code, e->code) && same_text(seen->message, e->message) &&
            same_text(seen->request_id, e->request_id))
            return 1;
    }
    return 0;
}

/* Takes `e`. The same error often comes twice (inline and in DataSetCompletion): report it once. */
static int report_partial(kusto_parser *p, kusto_error *e) {
    if (!e) return no_memory(p);
    if (already_reported(p, e)) {
        kusto_error_free(e);
        return 0;
    }
    kusto_error **grown = realloc(p->partials, (p->partial_count + 1) * sizeof *grown);
    if (!grown) {
        kusto_error_free(e);
        return no_memory(p);
    }
    p->partials = grown;
    p->partials[p->partial_count++] = e;
    return CALL(p, partial_error, e);
}

/* "OneApiErrors":[{"error":{...}}...] (v2) or "Exceptions":["text"...] (v1). */
static int report_error_list(kusto_parser *p, const cJSON *list) {
    const cJSON *item;
    cJSON_ArrayForEach(item, list) {
        kusto_error *e = cJSON_IsString(item) ? kusto_error_new(KUSTO_E_PARTIAL, "%s", item->valuestring)
                                              : kusto_oneapi_error(item, KUSTO_E_PARTIAL);
        if (report_partial(p, e)) return -1;
    }
    return 0;
}

static int report_error_span(kusto_parser *p, span s) {
    if (!s.p) return 0;
    cJSON *json = span_json(s);
    int rc = cJSON_IsArray(json) ? report_error_list(p, json) : protocol(p, "OneApiErrors is not an array");
    cJSON_Delete(json);
    return rc;
}

/* ---- cells --------------------------------------------------------------------------------------- */

static int emit(kusto_parser *p, const kusto_value *v) { return CALL(p, value, v); }

static int emit_text(kusto_parser *p, kusto_value_kind kind, const kusto_jr_token *t) {
    kusto_value v = {.kind = kind};
    v.u.text.ptr = t->ptr;
    v.u.text.len = t->len;
    if (t->escaped) {
        p->scratch.len = 0;
        if (kusto_jr_unescape(&p->scratch, t->ptr, t->len)) return protocol(p, "a bad escape in a string");
        v.u.text.ptr = p->scratch.data;
        v.u.text.len = p->scratch.len;
    }
    return emit(p, &v);
}

static int emit_number(kusto_parser *p, const kusto_jr_token *t) {
    kusto_value v = {.kind = KUSTO_VALUE_INT};
    if (kusto_jr_int64(t->ptr, t->len, &v.u.i) == 0) return emit(p, &v);
    v.kind = KUSTO_VALUE_REAL;
    if (kusto_jr_double(t->ptr, t->len, &v.u.r)) return protocol(p, "a malformed number");
    return emit(p, &v);
}

static int dynamic_events(kusto_parser *p, kusto_jr *r, int depth);

static int dynamic_members(kusto_parser *p, kusto_jr *r, int depth, int object) {
    size_t count = 0;
    int more;
    r->p++;
    while ((more = kusto_jr_next(r, object ? '}' : ']', &count)) > 0) {
        if (object) {
            kusto_jr_token key;
            if (kusto_jr_key(r, &key)) return protocol(p, "malformed JSON in a dynamic value");
            const char *name = key.ptr;
            size_t len = key.len;
            if (key.escaped) {
                p->scratch.len = 0;
                if (kusto_jr_unescape(&p->scratch, key.ptr, key.len)) return protocol(p, "a bad escape in a key");
                name = p->scratch.data;
                len = p->scratch.len;
            }
            if (CALL(p, key, name, len)) return -1;
        }
        if (dynamic_events(p, r, depth + 1)) return -1;
    }
    return more == 0 ? 0 : protocol(p, "malformed JSON in a dynamic value");
}

static int dynamic_events(kusto_parser *p, kusto_jr *r, int depth) {
    kusto_jr_token t;
    kusto_value v = {.kind = KUSTO_VALUE_NULL};
    if (kusto_jr_token_read(r, &t)) return protocol(p, "malformed JSON in a dynamic value");
    switch (t.kind) {
    case KUSTO_JR_NULL: return emit(p, &v);
    case KUSTO_JR_TRUE:
    case KUSTO_JR_FALSE:
        v.kind = KUSTO_VALUE_BOOL;
        v.u.b = t.kind == KUSTO_JR_TRUE;
        return emit(p, &v);
    case KUSTO_JR_NUMBER: return emit_number(p, &t);
    case KUSTO_JR_STRING: return emit_text(p, KUSTO_VALUE_STRING, &t);
    default: break;
    }
    if (depth >= MAX_DYNAMIC_DEPTH) return protocol(p, "a dynamic value nests too deeply");
    int object = t.kind == KUSTO_JR_OBJECT;
    if (object ? CALL0(p, begin_object) : CALL0(p, begin_array)) return -1;
    if (dynamic_members(p, r, depth, object)) return -1;
    return object ? CALL0(p, end_object) : CALL0(p, end_array);
}

/* A dynamic cell whose first token is `t`: events, or one compact JSON text. */
static int dynamic_cell(kusto_parser *p, kusto_jr *r, const kusto_jr_token *t) {
    if (p->b->begin_array) {
        r->p = t->start;
        return dynamic_events(p, r, 0);
    }
    int spaced = 0;
    if (t->kind == KUSTO_JR_ARRAY || t->kind == KUSTO_JR_OBJECT) {
        r->p = t->start;
        if (kusto_jr_skip_noting_space(r, &spaced)) return protocol(p, "malformed JSON in a dynamic value");
    }
    kusto_value v = {.kind = KUSTO_VALUE_JSON};
    v.u.text.ptr = t->start;
    v.u.text.len = (size_t)(r->p - t->start);
    if (spaced) { /* compact JSON (what the service sends) is handed out in place */
        p->scratch.len = 0;
        if (kusto_jr_compact(&p->scratch, v.u.text.ptr, v.u.text.len)) return no_memory(p);
        v.u.text.ptr = p->scratch.data;
        v.u.text.len = p->scratch.len;
    }
    return emit(p, &v);
}

static int string_equals(const kusto_jr_token *t, const char *text) {
    return t->kind == KUSTO_JR_STRING && t->len == strlen(text) && memcmp(t->ptr, text, t->len) == 0;
}

/* Numbers in an int or long column: exact digits, or an integral value written otherwise (1.0, 1e3). */
static int integer_of(const kusto_jr_token *t, int64_t *out) {
    double d;
    if (kusto_jr_int64(t->ptr, t->len, out) == 0) return 0;
    /* The range first: converting an out-of-range or NaN double is undefined (found by fuzz/fuzz_frames). */
    if (kusto_jr_double(t->ptr, t->len, &d) || !(d >= -9.2e18 && d <= 9.2e18) || d != (double)(int64_t)d) return -1;
    *out = (int64_t)d;
    return 0;
}

static int real_of(const kusto_jr_token *t, double *out) {
    if (t->kind == KUSTO_JR_NUMBER) return kusto_jr_double(t->ptr, t->len, out);
    if (string_equals(t, "NaN")) *out = (double)NAN;
    else if (string_equals(t, "Infinity")) *out = (double)INFINITY;
    else if (string_equals(t, "-Infinity")) *out = -(double)INFINITY;
    else return -1;
    return 0;
}

/* Converts a scalar token to `col`'s type: 1 when it does not fit, 0 when `v` is set. */
static int typed_scalar(const kusto_column *col, const kusto_jr_token *t, kusto_value *v) {
    int is_number = t->kind == KUSTO_JR_NUMBER, is_string = t->kind == KUSTO_JR_STRING;
    switch (col->type) {
    case KUSTO_TYPE_BOOL:
        v->kind = KUSTO_VALUE_BOOL;
        if (t->kind == KUSTO_JR_TRUE || t->kind == KUSTO_JR_FALSE) {
            v->u.b = t->kind == KUSTO_JR_TRUE;
            return 0;
        }
        if (!is_number || kusto_jr_int64(t->ptr, t->len, &v->u.i)) return 1;
        v->u.b = v->u.i != 0;
        return 0;
    case KUSTO_TYPE_INT:
    case KUSTO_TYPE_LONG: v->kind = KUSTO_VALUE_INT; return !is_number || integer_of(t, &v->u.i);
    case KUSTO_TYPE_REAL: v->kind = KUSTO_VALUE_REAL; return real_of(t, &v->u.r) ? 1 : 0;
    case KUSTO_TYPE_DATETIME:
        v->kind = KUSTO_VALUE_DATETIME;
        return !is_string || t->escaped || kusto_datetime_parse(t->ptr, t->len, &v->u.ticks) != KUSTO_OK;
    case KUSTO_TYPE_TIMESPAN:
        v->kind = KUSTO_VALUE_TIMESPAN;
        if (is_number) return kusto_jr_int64(t->ptr, t->len, &v->u.ticks) ? 1 : 0;
        return !is_string || t->escaped || kusto_timespan_parse(t->ptr, t->len, &v->u.ticks) != KUSTO_OK;
    case KUSTO_TYPE_STRING: return !is_string;
    case KUSTO_TYPE_GUID: return !is_string || t->escaped || !kusto_guid_text_valid(t->ptr, t->len);
    case KUSTO_TYPE_DECIMAL:
        return !is_number && (!is_string || t->escaped || !kusto_decimal_text_valid(t->ptr, t->len));
    default: return 1;
    }
}

/* ---- cells that do not fit their column: delivered as sent, and reported ------------------------- */

static int cell_mismatch(kusto_parser *p, const kusto_column *col, const kusto_jr_token *t, const char *end) {
    size_t len = (size_t)(end - t->start);
    if (t->kind == KUSTO_JR_ARRAY || t->kind == KUSTO_JR_OBJECT) len = 1;
    return protocol(p, "table '%s', row %zu, column '%s': %.*s%s is not a valid %s", p->table.info.name, p->table.rows,
                    col->name, (int)(len > 40 ? 40 : len), t->start, len > 40 ? "..." : "", col->type_name);
}

static const char *what_it_is(kusto_jr_kind kind) {
    switch (kind) {
    case KUSTO_JR_TRUE:
    case KUSTO_JR_FALSE: return "a bool";
    case KUSTO_JR_NUMBER: return "a number";
    case KUSTO_JR_STRING: return "text";
    case KUSTO_JR_ARRAY: return "an array";
    case KUSTO_JR_OBJECT: return "an object";
    default: return "null";
    }
}

/* The nearest lossless form of a cell: a bool, an int64 or else the number's exact digits as a
   decimal, the text as a string, an array or object as a dynamic value. */
static int as_sent(kusto_parser *p, kusto_jr *r, const kusto_jr_token *t) {
    kusto_value v = {.kind = KUSTO_VALUE_BOOL};
    switch (t->kind) {
    case KUSTO_JR_TRUE:
    case KUSTO_JR_FALSE: v.u.b = t->kind == KUSTO_JR_TRUE; return emit(p, &v);
    case KUSTO_JR_NUMBER:
        v.kind = KUSTO_VALUE_INT;
        return kusto_jr_int64(t->ptr, t->len, &v.u.i) == 0 ? emit(p, &v) : emit_text(p, KUSTO_VALUE_DECIMAL, t);
    case KUSTO_JR_STRING: return emit_text(p, KUSTO_VALUE_STRING, t);
    default: return dynamic_cell(p, r, t);
    }
}

/* Up to EXCERPT_CELL bytes of text, cut before a partial UTF-8 sequence. */
static void copy_excerpt(char *to, const char *from, size_t len) {
    if (len > EXCERPT_CELL) {
        len = EXCERPT_CELL;
        while (len && ((unsigned char)from[len] & 0xC0) == 0x80) len--;
    }
    memcpy(to, from, len);
    to[len] = '\0';
}

/* Counts the cell under its column and reason; a new pair is kept while the response has room. */
static void note_warning(kusto_parser *p, size_t column, const char *reason, const char *start, const char *end) {
    for (size_t i = 0; i < p->warning_count; i++) {
        if (p->warnings[i].column == column && strcmp(p->warnings[i].reason, reason) == 0) {
            p->warnings[i].count++;
            return;
        }
    }
    if (p->warnings_given + p->warning_count >= KUSTO_MAX_WARNINGS) return;
    struct pending_warning *w = &p->warnings[p->warning_count++];
    w->column = column;
    w->row = p->table.rows;
    w->count = 1;
    snprintf(w->reason, sizeof w->reason, "%s", reason);
    copy_excerpt(w->excerpt, start, (size_t)(end - start));
}

/* Hands the current table's warnings to the builder (before its end_table, or before a failure). */
static int give_warnings(kusto_parser *p) {
    size_t count = p->warning_count;
    p->warning_count = 0;
    p->warnings_given += count;
    for (size_t i = 0; i < count; i++) {
        const struct pending_warning *pw = &p->warnings[i];
        kusto_warning w = {
            p->table.info.id, p->table.info.name, pw->row,  pw->column, p->table.info.columns[pw->column].name,
            pw->reason,       pw->excerpt,        pw->count};
        if (CALL(p, warning, &w)) return -1;
    }
    return 0;
}

/* A cell that does not fit its column: the old error when strict, else as sent, with a warning. */
static int misfit(kusto_parser *p, kusto_jr *r, size_t column, const kusto_jr_token *t) {
    const kusto_column *col = &p->table.info.columns[column];
    if (p->strict) return cell_mismatch(p, col, t, r->p);
    if (as_sent(p, r, t)) return -1;
    char reason[120];
    snprintf(reason, sizeof reason, "%s that is not a valid %s", what_it_is(t->kind), kusto_type_name(col->type));
    note_warning(p, column, reason, t->start, r->p);
    return 0;
}

static int cell(kusto_parser *p, kusto_jr *r, size_t column) {
    const kusto_column *col = &p->table.info.columns[column];
    kusto_jr_token t;
    kusto_value v = {.kind = KUSTO_VALUE_NULL};
    if (kusto_jr_token_read(r, &t))
        return protocol(p, "table '%s', row %zu: malformed JSON", p->table.info.name, p->table.rows);
    if (t.kind == KUSTO_JR_NULL) return emit(p, &v);
    switch (col->type) {
    case KUSTO_TYPE_UNKNOWN:
    case KUSTO_TYPE_DYNAMIC: return dynamic_cell(p, r, &t);
    case KUSTO_TYPE_STRING:
        return t.kind == KUSTO_JR_STRING ? emit_text(p, KUSTO_VALUE_STRING, &t) : misfit(p, r, column, &t);
    case KUSTO_TYPE_GUID:
        return typed_scalar(col, &t, &v) ? misfit(p, r, column, &t) : emit_text(p, KUSTO_VALUE_GUID, &t);
    case KUSTO_TYPE_DECIMAL:
        return typed_scalar(col, &t, &v) ? misfit(p, r, column, &t) : emit_text(p, KUSTO_VALUE_DECIMAL, &t);
    default:
        if (typed_scalar(col, &t, &v) == 0) return emit(p, &v);
        /* "" is how some servers write a null datetime or timespan. */
        if (t.kind == KUSTO_JR_STRING && t.len == 0 &&
            (col->type == KUSTO_TYPE_DATETIME || col->type == KUSTO_TYPE_TIMESPAN))
            return emit(p, &(kusto_value){.kind = KUSTO_VALUE_NULL});
        return misfit(p, r, column, &t);
    }
}

/* ---- rows ---------------------------------------------------------------------------------------- */

static int row(kusto_parser *p, kusto_jr *r) {
    const kusto_table_info *info = &p->table.info;
    size_t count = 0;
    r->p++;
    if (CALL0(p, begin_row)) return -1;
    for (size_t i = 0; i < info->column_count; i++) {
        if (kusto_jr_next(r, ']', &count) != 1)
            return protocol(p, "table '%s', row %zu: %zu values for %zu columns", info->name, p->table.rows, count,
                            info->column_count);
        if (cell(p, r, i)) return -1;
    }
    if (kusto_jr_next(r, ']', &count) != 0)
        return protocol(p, "table '%s', row %zu: more values than its %zu columns", info->name, p->table.rows,
                        info->column_count);
    p->table.rows++;
    return CALL0(p, end_row);
}

/* A row that is an object carries errors: {"OneApiErrors":[...]} (v2) or {"Exceptions":[...]} (v1). */
static int error_row(kusto_parser *p, kusto_jr *r) {
    const char *start = r->p;
    if (kusto_jr_skip(r)) return protocol(p, "table '%s': malformed JSON in Rows", p->table.info.name);
    cJSON *json = cJSON_ParseWithLength(start, (size_t)(r->p - start));
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(json, "OneApiErrors");
    if (!list) list = cJSON_GetObjectItemCaseSensitive(json, "Exceptions");
    int rc = cJSON_IsArray(list)
               ? report_error_list(p, list)
               : protocol(p, "table '%s', row %zu: an object that is not an error", p->table.info.name, p->table.rows);
    cJSON_Delete(json);
    return rc;
}

static int rows(kusto_parser *p, span s) {
    if (!s.p) return 0;
    kusto_jr r = {s.p, s.p + s.n};
    size_t count = 0;
    int more;
    if (kusto_jr_open(&r, '[')) return protocol(p, "table '%s': Rows is not an array", p->table.info.name);
    while ((more = kusto_jr_next(&r, ']', &count)) > 0) {
        int c = kusto_jr_peek(&r);
        int rc = c == '[' ? row(p, &r)
               : c == '{' ? error_row(p, &r)
                          : protocol(p, "table '%s', row %zu: not an array", p->table.info.name, p->table.rows);
        if (rc) return -1;
    }
    return more == 0 ? 0 : protocol(p, "table '%s': malformed JSON in Rows", p->table.info.name);
}

/* ---- v2 frames ----------------------------------------------------------------------------------- */

static int begin_table(kusto_parser *p, const span keys[K_COUNT]) {
    int id = 0;
    if (p->table.open) return protocol(p, "a new table began before table %d was complete", p->table.info.id);
    if (table_id(p, keys[K_TABLE_ID], &id) || load_table(p, keys, id, NULL)) return -1;
    return CALL(p, begin_table, &p->table.info);
}

/* ---- QueryCompletionInformation: errors deferred there (Level 1 Critical, 2 Error) ----------------- */

#define QCI_ERROR_LEVEL 2

static int info_column(const kusto_table_info *info, const char *name) {
    for (size_t i = 0; i < info->column_count; i++)
        if (info->columns[i].name && strcmp(info->columns[i].name, name) == 0) return (int)i;
    return -1;
}

static const char *cell_text(const cJSON *row, int column) {
    const cJSON *cell = column >= 0 ? cJSON_GetArrayItem(row, column) : NULL;
    return cJSON_IsString(cell) && *cell->valuestring ? cell->valuestring : NULL;
}

/* The Payload's "Text" when it is JSON with one, else the StatusCodeName; the code is the EventTypeName
   (e.g. "QueryLimitsExceeded"), the request id the ClientRequestId. `at`: those columns' indexes. */
static kusto_error *completion_error(const cJSON *row, const int at[4]) {
    const char *payload = cell_text(row, at[1]), *status_name = cell_text(row, at[2]);
    cJSON *json = payload ? cJSON_Parse(payload) : NULL;
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(json, "Text");
    const char *message = cJSON_IsString(text) ? text->valuestring : status_name ? status_name : payload;
    kusto_error *e = kusto_error_new(KUSTO_E_PARTIAL, "%s", message ? message : "the query reported an error");
    cJSON_Delete(json);
    if (e) {
        kusto_error_set_code(e, cell_text(row, at[3]));
        kusto_error_set_request_id(e, cell_text(row, at[0]));
    }
    return e;
}

static int completion_errors(kusto_parser *p, span rows_span) {
    const kusto_table_info *info = &p->table.info;
    int level_at = info_column(info, "Level");
    if (level_at < 0 || !rows_span.p) return 0;
    int at[4] = {info_column(info, "ClientRequestId"), info_column(info, "Payload"),
                 info_column(info, "StatusCodeName"), info_column(info, "EventTypeName")};
    cJSON *json = span_json(rows_span);
    const cJSON *r;
    int rc = 0;
    cJSON_ArrayForEach(r, json) {
        const cJSON *level = cJSON_GetArrayItem(r, level_at);
        if (!cJSON_IsNumber(level) || level->valuedouble > QCI_ERROR_LEVEL) continue;
        if ((rc = report_partial(p, completion_error(r, at)))) break;
    }
    cJSON_Delete(json);
    return rc;
}

static int end_table(kusto_parser *p) {
    if (give_warnings(p)) return -1;
    return CALL0(p, end_table);
}

static int data_table(kusto_parser *p, const span keys[K_COUNT]) {
    if (begin_table(p, keys) || rows(p, keys[K_ROWS])) return -1;
    if (p->table.info.kind && strcmp(p->table.info.kind, "QueryCompletionInformation") == 0 &&
        completion_errors(p, keys[K_ROWS]))
        return -1;
    return end_table(p);
}

static int table_header(kusto_parser *p, const span keys[K_COUNT]) {
    if (begin_table(p, keys)) return -1;
    p->table.open = 1;
    return 0;
}

static int check_open_table(kusto_parser *p, const span keys[K_COUNT], const char *frame) {
    int id = 0;
    if (!p->table.open) return protocol(p, "a %s frame without a TableHeader", frame);
    if (keys[K_TABLE_ID].p && (table_id(p, keys[K_TABLE_ID], &id) || id != p->table.info.id))
        return protocol(p, "a %s frame for a table other than %d", frame, p->table.info.id);
    return 0;
}

static int fragment_begins(kusto_parser *p, const span keys[K_COUNT]) {
    if (check_open_table(p, keys, "TableFragment")) return -1;
    if (!span_is(keys[K_FRAGMENT_TYPE], "DataReplace")) return 0;
    p->table.rows = 0;
    return CALL0(p, replace_rows);
}

static int table_fragment(kusto_parser *p, const span keys[K_COUNT]) {
    return fragment_begins(p, keys) || rows(p, keys[K_ROWS]);
}

static int table_completion(kusto_parser *p, const span keys[K_COUNT]) {
    if (check_open_table(p, keys, "TableCompletion") || report_error_span(p, keys[K_ONE_API_ERRORS])) return -1;
    p->table.open = 0;
    return end_table(p);
}

static int dataset_completion(kusto_parser *p, const span keys[K_COUNT]) {
    p->completed = 1;
    if (p->table.open) return protocol(p, "the response ended before table %d was complete", p->table.info.id);
    if (report_error_span(p, keys[K_ONE_API_ERRORS])) return -1;
    if (span_true(keys[K_HAS_ERRORS]) && p->partial_count == 0 &&
        report_partial(p, kusto_error_new(KUSTO_E_PARTIAL, "the query reported errors without details")))
        return -1;
    if (span_true(keys[K_CANCELLED]) && report_partial(p, kusto_error_new(KUSTO_E_PARTIAL, "the query was cancelled")))
        return -1;
    return 0;
}

/* {"FrameType":"TableProgress","TableId":0,"TableProgress":42.5}; a frame without a number is ignored. */
static int table_progress(kusto_parser *p, const span keys[K_COUNT]) {
    int64_t id;
    double percent;
    span s = keys[K_TABLE_PROGRESS], t = keys[K_TABLE_ID];
    if (!s.p || !t.p || kusto_jr_double(s.p, s.n, &percent) || kusto_jr_int64(t.p, t.n, &id) || id < 0 ||
        id > INT32_MAX)
        return 0;
    return CALL(p, progress, (int)id, percent);
}

/* What every frame is checked for: a FrameType, and DataSetHeader first. */
static int frame_type(kusto_parser *p, const span keys[K_COUNT]) {
    size_t type_len;
    if (!span_string(keys[K_FRAME_TYPE], &type_len)) return protocol(p, "a frame has no FrameType");
    if (p->frames++ == 0 && !span_is(keys[K_FRAME_TYPE], "DataSetHeader"))
        return protocol(p, "the response does not begin with a DataSetHeader frame");
    return 0;
}

static int v2_frame(kusto_parser *p, const char *text, size_t len) {
    span keys[K_COUNT];
    if (object_spans(p, text, len, &p->scan, keys) || frame_type(p, keys)) return -1;
    span type = keys[K_FRAME_TYPE];
    if (span_is(type, "DataTable")) return data_table(p, keys);
    if (span_is(type, "TableProgress")) return table_progress(p, keys);
    if (span_is(type, "TableHeader")) return table_header(p, keys);
    if (span_is(type, "TableFragment")) return table_fragment(p, keys);
    if (span_is(type, "TableCompletion")) return table_completion(p, keys);
    if (span_is(type, "DataSetCompletion")) return dataset_completion(p, keys);
    return 0; /* DataSetHeader and frames this version does not know */
}

/* ---- v1 ------------------------------------------------------------------------------------------ */

static const char *v1_kind_name(const char *toc_kind) {
    if (!toc_kind) return "Unknown";
    if (strcmp(toc_kind, "QueryResult") == 0) return "PrimaryResult";
    if (strcmp(toc_kind, "QueryStatus") == 0) return "QueryCompletionInformation";
    return toc_kind;
}

static int column_index(const cJSON *columns, const char *name, int fallback) {
    int i = 0;
    const cJSON *col;
    cJSON_ArrayForEach(col, columns) {
        const char *n = json_string(col, "ColumnName");
        if (n && strcmp(n, name) == 0) return i;
        i++;
    }
    return fallback;
}

/* The TableOfContents (the last of more than 2 tables): the Kind of each ordinal, into `kinds`. */
static int v1_toc_kinds(kusto_parser *p, span toc, const char **kinds, size_t count, cJSON **holder) {
    span keys[K_COUNT];
    if (object_spans(p, toc.p, toc.n, NULL, keys)) return -1;
    cJSON *columns = span_json(keys[K_COLUMNS]);
    *holder = span_json(keys[K_ROWS]);
    int ordinal_at = column_index(columns, "Ordinal", 0), kind_at = column_index(columns, "Kind", 1);
    cJSON_Delete(columns);
    const cJSON *r;
    cJSON_ArrayForEach(r, *holder) {
        const cJSON *ordinal = cJSON_GetArrayItem(r, ordinal_at), *kind = cJSON_GetArrayItem(r, kind_at);
        if (cJSON_IsNumber(ordinal) && cJSON_IsString(kind) && ordinal->valuedouble >= 0 &&
            ordinal->valuedouble < (double)count)
            kinds[(size_t)ordinal->valuedouble] = v1_kind_name(kind->valuestring);
    }
    kinds[count - 1] = "TableOfContents";
    return 0;
}

static int v1_table(kusto_parser *p, span table, int ordinal, const char *kind) {
    span keys[K_COUNT];
    if (object_spans(p, table.p, table.n, NULL, keys) || load_table(p, keys, ordinal, kind)) return -1;
    if (CALL(p, begin_table, &p->table.info) || rows(p, keys[K_ROWS])) return -1;
    return end_table(p);
}

/* Tables `first`..count-1 (those before were handed out while they arrived; their spans are unused). */
static int v1_emit_tables(kusto_parser *p, const span *tables, size_t count, size_t first) {
    const char **kinds = calloc(count ? count : 1, sizeof *kinds);
    cJSON *toc_rows = NULL;
    if (!kinds) return no_memory(p);
    int rc = 0;
    if (count > 2) {
        for (size_t i = 0; i < count; i++) kinds[i] = "Unknown";
        rc = v1_toc_kinds(p, tables[count - 1], kinds, count, &toc_rows);
    } else {
        if (count > 0) kinds[0] = "PrimaryResult";
        if (count > 1) kinds[1] = "QueryProperties";
    }
    for (size_t i = first; rc == 0 && i < count; i++) rc = v1_table(p, tables[i], (int)i, kinds[i]);
    cJSON_Delete(toc_rows);
    free(kinds);
    return rc;
}

/* The tables from the cursor to Tables' ']', after the `first` already handed out. */
static int v1_table_list(kusto_parser *p, kusto_jr *r, size_t first) {
    span *tables = calloc(first + 1, sizeof *tables);
    size_t count = first;
    int more = 0, out_of_memory = !tables;
    while (!out_of_memory && (more = kusto_jr_next(r, ']', &count)) > 0) {
        span *grown = realloc(tables, count * sizeof *tables);
        if ((out_of_memory = !grown)) break;
        tables = grown;
        kusto_jr_peek(r);
        tables[count - 1].p = r->p;
        if (kusto_jr_skip(r)) {
            more = -1;
            break;
        }
        tables[count - 1].n = (size_t)(r->p - tables[count - 1].p);
    }
    int rc = out_of_memory ? no_memory(p)
           : more == 0     ? v1_emit_tables(p, tables, count, first)
                           : protocol(p, "malformed JSON in Tables");
    free(tables);
    return rc;
}

static int v1_tables(kusto_parser *p, span s) {
    kusto_jr r = {s.p, s.p + s.n};
    if (kusto_jr_open(&r, '[')) return protocol(p, "Tables is not an array");
    return v1_table_list(p, &r, 0);
}

/* A body that is one object: {"Tables":[...]} or {"error":{...}}. */
static int whole_object(kusto_parser *p, const char *text, size_t len) {
    span keys[K_COUNT];
    if (object_spans(p, text, len, &p->scan, keys)) return -1;
    if (keys[K_ERROR].p) {
        cJSON *json = cJSON_ParseWithLength(text, len);
        int rc = fail(p, kusto_oneapi_error(json, KUSTO_E_SERVICE));
        cJSON_Delete(json);
        return rc;
    }
    if (!keys[K_TABLES].p) return protocol(p, "the response is a JSON object without Tables");
    return v1_tables(p, keys[K_TABLES]);
}

/* ---- bytes in ------------------------------------------------------------------------------------ */

/* Bytes that end a run the scanner can skip: in a string, and outside one. */
static const unsigned char string_stop[256] = {['"'] = 1, ['\\'] = 1};
static const unsigned char structure[256] = {['"'] = 1, ['{'] = 1, ['['] = 1, ['}'] = 1, [']'] = 1, [','] = 1};

static void note_comma(struct value_scan *s, size_t at) {
    if (s->depth != 1) return;
    if (s->comma_count < MAX_MEMBERS) s->commas[s->comma_count] = at;
    if (s->comma_count <= MAX_MEMBERS) s->comma_count++;
}

/* 64 bytes at once when they hold no backslash and the depth stays above 1 in them (inside Rows,
   where commas need no noting and the value cannot end): 1 when done, 0 to scan them byte by byte. */
static int scan_block(struct value_scan *s, const char *d) {
    struct kusto_block_masks m;
    kusto_block_masks(d, &m);
    if (m.backslash) return 0;
    uint64_t in_string = kusto_prefix_xor(m.quote) ^ (s->in_string ? ~UINT64_C(0) : 0);
    uint64_t open = m.open & ~in_string, close = m.close & ~in_string;
    size_t depth = s->depth;
    if (depth < 2 + (size_t)kusto_popcount64(close)) {
        /* Could fall to 1: follow the brackets in order (without branches on which kind they are). */
        size_t lowest = depth;
        for (uint64_t brackets = open | close; brackets; brackets &= brackets - 1) {
            depth = depth - 1 + 2 * (size_t)(open >> __builtin_ctzll(brackets) & 1);
            lowest = depth < lowest ? depth : lowest;
        }
        if (lowest < 2) return 0;
    } else {
        depth = depth + (size_t)kusto_popcount64(open) - (size_t)kusto_popcount64(close);
    }
    s->depth = depth;
    s->in_string = (int)(in_string >> 63);
    s->offset += 64;
    return 1;
}

/* Scans d[0..n) byte by byte; see scan_value. */
static size_t scan_bytes(struct value_scan *s, const char *d, size_t n, int *done) {
    size_t i = 0;
    while (i < n) {
        if (s->in_string) {
            if (s->escape) {
                s->escape = 0;
                i++;
                continue;
            }
            while (i < n && !string_stop[(unsigned char)d[i]]) i++;
            if (i == n) break;
            if (d[i++] == '\\') s->escape = 1;
            else s->in_string = 0;
            continue;
        }
        while (i < n && !structure[(unsigned char)d[i]]) i++;
        if (i == n) break;
        char c = d[i++];
        if (c == '"') {
            s->in_string = 1;
        } else if (c == '{' || c == '[') {
            s->depth++;
        } else if (c == ',') {
            note_comma(s, s->offset + i - 1);
        } else if (--s->depth == 0) {
            *done = 1;
            s->offset += i;
            return i;
        }
    }
    s->offset += n;
    return n;
}

/* Finds the end of the value that began at the scan's start; returns how many bytes of `d` belong
   to it and sets *done when its closing bracket was among them. */
static size_t scan_value(struct value_scan *s, const char *d, size_t n, int *done) {
    size_t i = 0;
    while (i < n) {
        if (n - i >= 64 && s->depth >= 2 && !s->escape && scan_block(s, d + i)) {
            i += 64;
            continue;
        }
        size_t step = n - i < 64 ? n - i : 64;
        i += scan_bytes(s, d + i, step, done);
        if (*done) return i;
    }
    return n;
}

/* ---- rows of a frame still arriving ---------------------------------------------------------------- */

/* A plain DataTable (or a big TableFragment, or a v1 body's first table) can be the whole result. Once more than stream_after of
   its bytes are buffered, the members before "Rows" are read (Kusto sends Rows last), the table is
   begun, and from then on every complete row is handed out as soon as its bytes are in, and dropped
   from the buffer: memory stays at about one chunk plus one row. Members after Rows are not read. */

/* The members before Rows, each complete: 1 with `keys` and *rows_at (just after Rows' '['), else 0. */
static int frame_prefix(const char *text, size_t len, span keys[K_COUNT], size_t *rows_at) {
    kusto_jr r = {text, text + len};
    size_t count = 0;
    memset(keys, 0, K_COUNT * sizeof *keys);
    if (kusto_jr_open(&r, '{')) return 0;
    while (kusto_jr_next(&r, '}', &count) > 0) {
        kusto_jr_token key;
        if (kusto_jr_key(&r, &key) || kusto_jr_peek(&r) == -1) return 0;
        if (same_name(key.ptr, key.len, "Rows")) {
            if (*r.p != '[') return 0;
            *rows_at = (size_t)(r.p + 1 - text);
            return 1;
        }
        const char *value = r.p;
        if (kusto_jr_skip(&r)) return 0;
        note_key(keys, &key, value, r.p);
    }
    return 0;
}

/* 1 when the frame's rows are handed out from now on, 0 when it is read whole, -1 on failure. */
static int start_streaming(kusto_parser *p) {
    span keys[K_COUNT];
    size_t at;
    if (!frame_prefix(p->pending.data, p->pending.len, keys, &at)) return 0;
    int table = span_is(keys[K_FRAME_TYPE], "DataTable"), fragment = span_is(keys[K_FRAME_TYPE], "TableFragment");
    /* What the table's beginning needs must come before Rows; QueryCompletionInformation's rows are read
       again for errors (small: read whole). */
    if (table && (!keys[K_TABLE_ID].p || !keys[K_COLUMNS].p || !keys[K_TABLE_KIND].p ||
                  span_is(keys[K_TABLE_KIND], "QueryCompletionInformation")))
        return 0;
    if (!table && (!fragment || !keys[K_FRAGMENT_TYPE].p)) return 0;
    if (frame_type(p, keys) || (table ? begin_table(p, keys) : fragment_begins(p, keys))) return -1;
    p->streaming = table ? STREAM_TABLE : STREAM_FRAGMENT;
    p->rows_at = at;
    p->frame_rows = 0;
    return 1;
}

/* Hands out the rows complete in pending from rows_at, then drops their bytes. A row that is cut off
   (or malformed: the frame's end says so) waits. */
static int stream_rows(kusto_parser *p) {
    kusto_jr r = {p->pending.data + p->rows_at, p->pending.data + p->pending.len};
    for (;;) {
        int c = kusto_jr_peek(&r);
        if (c != -1 && p->frame_rows > 0) {
            if (c != ',') break;
            r.p++;
            c = kusto_jr_peek(&r);
        }
        kusto_jr probe = {r.p + 1, r.end}; /* the row's bytes are checked as it is read */
        if ((c != '[' && c != '{') || kusto_jr_skip_to_close(&probe)) break;
        if (c == '[' ? row(p, &r) : error_row(p, &r)) return -1;
        p->frame_rows++;
        p->rows_at = (size_t)(r.p - p->pending.data);
    }
    memmove(p->pending.data, p->pending.data + p->rows_at, p->pending.len - p->rows_at);
    p->pending.len -= p->rows_at;
    p->rows_at = 0;
    return 0;
}

/* The streamed value is complete in pending: its last rows, and the cursor after Rows' ']'. */
static int last_rows(kusto_parser *p, kusto_jr *r) {
    p->streaming = 0;
    if (stream_rows(p)) return -1;
    *r = (kusto_jr){p->pending.data, p->pending.data + p->pending.len};
    if (kusto_jr_peek(r) != ']') return protocol(p, "table '%s': malformed JSON in Rows", p->table.info.name);
    r->p++;
    return 0;
}

static int end_streamed_frame(kusto_parser *p) {
    int kind = p->streaming;
    kusto_jr r;
    if (last_rows(p, &r)) return -1;
    return kind == STREAM_TABLE ? end_table(p) : 0;
}

/* A v1 body whose first table was streamed: the rest of that table, then the other tables whole. Members
   of the body after Tables are not read. */
static int end_streamed_v1(kusto_parser *p) {
    kusto_jr r;
    size_t count = 1; /* Rows was a member */
    int more;
    if (last_rows(p, &r)) return -1;
    while ((more = kusto_jr_next(&r, '}', &count)) > 0) {
        kusto_jr_token key;
        if (kusto_jr_key(&r, &key) || kusto_jr_skip(&r)) break;
    }
    if (more != 0) return protocol(p, "malformed JSON in Tables");
    return end_table(p) || v1_table_list(p, &r, 1);
}

/* v1: {"Tables":[{"TableName":...,"Columns":[...],"Rows":[ ... : the first table is begun (as the
   PrimaryResult: Kusto sends the results first) once its members before Rows are in. 1, 0 or -1. */
static int start_streaming_v1(kusto_parser *p) {
    const char *text = p->pending.data;
    kusto_jr r = {text, text + p->pending.len};
    size_t count = 0;
    if (kusto_jr_open(&r, '{')) return 0;
    while (kusto_jr_next(&r, '}', &count) > 0) {
        kusto_jr_token key;
        if (kusto_jr_key(&r, &key) || kusto_jr_peek(&r) == -1) return 0;
        if (!same_name(key.ptr, key.len, "Tables")) {
            if (same_name(key.ptr, key.len, "error") || kusto_jr_skip(&r)) return 0;
            continue;
        }
        span keys[K_COUNT];
        size_t at, table_at;
        if (kusto_jr_open(&r, '[') || kusto_jr_peek(&r) != '{') return 0;
        table_at = (size_t)(r.p - text);
        if (!frame_prefix(r.p, p->pending.len - table_at, keys, &at) || !keys[K_COLUMNS].p) return 0;
        if (load_table(p, keys, 0, "PrimaryResult") || CALL(p, begin_table, &p->table.info)) return -1;
        p->streaming = STREAM_V1;
        p->rows_at = table_at + at;
        p->frame_rows = 0;
        return 1;
    }
    return 0;
}

/* A frame still arriving: is it big enough to stream, and which of its rows are complete? */
static int frame_growing(kusto_parser *p) {
    if (!p->streaming) {
        if (p->pending.len < p->next_try) return 0;
        int rc = p->state == ST_FRAME ? start_streaming(p) : start_streaming_v1(p);
        if (rc <= 0) {
            /* The prefix is not complete yet, or this frame has no rows to hand out: looking again at twice
               the length keeps the looking linear in the frame's size. */
            p->next_try = 2 * p->pending.len;
            return rc;
        }
    }
    return stream_rows(p);
}

void kusto_parser_set_stream_after(kusto_parser *p, size_t bytes) { p->stream_after = p->next_try = bytes; }

size_t kusto_parser_buffered(const kusto_parser *p) { return p->pending.cap; }

static int complete_value(kusto_parser *p, const char *text, size_t len) {
    if (p->streaming) return p->streaming == STREAM_V1 ? end_streamed_v1(p) : end_streamed_frame(p);
    return p->state == ST_FRAME ? v2_frame(p, text, len) : whole_object(p, text, len);
}

static size_t in_value(kusto_parser *p, const char *d, size_t n) {
    int done = 0;
    size_t used = scan_value(&p->scan, d, n, &done);
    if (!done || p->pending.len || p->streaming) {
        if (kusto_buf_append(&p->pending, d, used)) return no_memory(p), n;
    }
    if (!done) {
        frame_growing(p);
        return used;
    }
    p->next_try = p->stream_after;
    int rc = p->pending.len ? complete_value(p, p->pending.data, p->pending.len) : complete_value(p, d, used);
    if (p->pending.cap > KEEP_BUFFER_MAX) kusto_buf_free(&p->pending);
    p->pending.len = 0;
    if (rc == 0) p->state = p->state == ST_FRAME ? ST_FRAMES : ST_DONE;
    return used;
}

static void begin_value(kusto_parser *p, enum parser_state state) {
    memset(&p->scan, 0, sizeof p->scan);
    p->state = state;
}

static size_t at_start(kusto_parser *p, const char *d, size_t n) {
    size_t i = 0;
    /* Whitespace and the bytes of a UTF-8 byte order mark. */
    while (i < n && (is_space(d[i]) || memchr("\xEF\xBB\xBF", d[i], 3))) i++;
    if (i == n) return n;
    if (d[i] == '[') {
        p->v2 = 1;
        p->state = ST_FRAMES;
        return i + 1;
    }
    begin_value(p, d[i] == '{' ? ST_OBJECT : ST_TEXT);
    return i;
}

static size_t between_frames(kusto_parser *p, const char *d, size_t n) {
    size_t i = 0;
    while (i < n && (is_space(d[i]) || d[i] == ',')) i++;
    if (i == n) return n;
    if (d[i] == ']') {
        p->state = ST_DONE;
        return i + 1;
    }
    if (d[i] != '{') return protocol(p, "unexpected '%c' between frames", d[i]), n;
    begin_value(p, ST_FRAME);
    return i;
}

static int not_json(kusto_parser *p) {
    char *text = p->excerpt.data;
    size_t len = p->excerpt.len;
    if (len >= EXCERPT_MAX) {
        while (len && ((unsigned char)text[len - 1] & 0xC0) == 0x80) len--;
        if (len && (unsigned char)text[len - 1] >= 0xC0) len--;
    }
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)text[i] < 0x20 || text[i] == 0x7F) text[i] = ' ';
    return protocol(p, "response is not JSON: %.*s%s", (int)len, text, p->excerpt.len >= EXCERPT_MAX ? "..." : "");
}

static size_t in_text(kusto_parser *p, const char *d, size_t n) {
    size_t take = EXCERPT_MAX - p->excerpt.len;
    if (take > n) take = n;
    if (kusto_buf_append(&p->excerpt, d, take)) return no_memory(p), n;
    if (p->excerpt.len >= EXCERPT_MAX) not_json(p);
    return n;
}

static size_t after_end(kusto_parser *p, const char *d, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!is_space(d[i])) return protocol(p, "unexpected data after the end of the response"), n;
    return n;
}

/* Hands a failure to the caller and stops the parser; KUSTO_OK when nothing failed. */
static kusto_status outcome(kusto_parser *p, kusto_error **err) {
    if (!p->failure && !p->out_of_memory) return KUSTO_OK;
    p->state = ST_FAILED;
    if (p->warning_count && !p->out_of_memory && p->failure->status != KUSTO_E_CANCELLED) give_warnings(p);
    if (!p->failure) return p->status = kusto_fail(err, KUSTO_E_NOMEM, "out of memory while reading the response");
    p->status = p->failure->status;
    kusto_error_give(err, p->failure);
    p->failure = NULL;
    return p->status;
}

kusto_status kusto_parser_feed(kusto_parser *p, const char *data, size_t len, kusto_error **err) {
    if (p->state == ST_FAILED) return kusto_fail(err, p->status, "the response parser stopped after an error");
    if (p->state == ST_FINISHED) return kusto_fail(err, KUSTO_E_ARGUMENT, "the response parser has finished");
    size_t i = 0;
    while (i < len && !p->failure && !p->out_of_memory) {
        const char *d = data + i;
        size_t n = len - i;
        switch (p->state) {
        case ST_START: i += at_start(p, d, n); break;
        case ST_FRAMES: i += between_frames(p, d, n); break;
        case ST_FRAME:
        case ST_OBJECT: i += in_value(p, d, n); break;
        case ST_TEXT: i += in_text(p, d, n); break;
        default: i += after_end(p, d, n); break;
        }
    }
    return outcome(p, err);
}

kusto_status kusto_parser_finish(kusto_parser *p, kusto_error **err) {
    if (p->state == ST_FAILED) return kusto_fail(err, p->status, "the response parser stopped after an error");
    if (p->state == ST_FINISHED) return kusto_fail(err, KUSTO_E_ARGUMENT, "the response parser has finished");
    if (p->state == ST_START) protocol(p, "the response is empty");
    else if (p->state == ST_TEXT) not_json(p);
    else if (p->state != ST_DONE) protocol(p, "response ended early");
    else if (p->table.open) protocol(p, "response ended before table %d was complete", p->table.info.id);
    else if (p->v2 && !p->completed) protocol(p, "the response ended without a DataSetCompletion frame (cut off?)");
    kusto_status status = outcome(p, err);
    if (status != KUSTO_OK) return status;
    p->state = ST_FINISHED;
    /* The partial errors are KUSTO_E_PARTIAL; hand out the first. */
    return p->partial_count ? kusto_error_give(err, kusto_error_copy(p->partials[0])) : KUSTO_OK;
}

kusto_status kusto_parser_new(kusto_parser **out, const kusto_builder *builder, void *ud) {
    kusto_parser *p = calloc(1, sizeof *p);
    *out = p;
    if (!p) return KUSTO_E_NOMEM;
    p->b = builder ? builder : &no_callbacks;
    p->ud = ud;
    p->strict = p->b->strict;
    p->stream_after = p->next_try = STREAM_AFTER;
    return KUSTO_OK;
}

void kusto_parser_set_strict(kusto_parser *p, int strict) { p->strict = strict; }

void kusto_parser_free(kusto_parser *p) {
    if (!p) return;
    kusto_buf_free(&p->pending);
    kusto_buf_free(&p->scratch);
    kusto_buf_free(&p->excerpt);
    table_clear(&p->table);
    for (size_t i = 0; i < p->partial_count; i++) kusto_error_free(p->partials[i]);
    free(p->partials);
    kusto_error_free(p->failure);
    free(p);
}
