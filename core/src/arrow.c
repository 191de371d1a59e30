/*
 * The Arrow builder: a kusto_builder that writes each cell straight into Arrow column buffers
 * (validity bitmap, offsets, data) and closes a record batch every `batch_rows` rows. No Python or
 * Lua objects and no intermediate rows: a 1M-row result is a few buffers per column.
 */
#include "arrow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "parser.h"

#define FIRST_ROWS 1024
/* A batch ends early once a utf8 column holds this much, so its int32 offsets cannot overflow. */
#define UTF8_BATCH_LIMIT ((size_t)1 << 30)


struct kusto_arrow {
    size_t batch_rows;
    arrow_table **tables;
    size_t table_count, table_cap;
    arrow_table *table;    /* the table being built, or NULL */
    column_builder *cols;  /* its columns' open batch */
    size_t rows, rows_cap; /* rows in the open batch, rows it has room for */
    size_t cell;           /* the next column of the current row */
    size_t table_row;      /* rows of the table so far, for warnings */
    int utf8_full;         /* a utf8 column of the open batch reached UTF8_BATCH_LIMIT */
    kusto_warning *warnings;
    size_t warning_count;
    kusto_error **errors;
    size_t error_count;
    kusto_arrow_sink sink; /* when set, finished batches go to it instead of their table */
    void *sink_ud;
    kusto_arrow_table_hook table_begun, rows_replaced; /* told with sink_ud */
    int ticks;                                         /* see kusto_arrow_keep_ticks */
};

arrow_layout kusto_arrow_layout(kusto_type type) {
    switch (type) {
    case KUSTO_TYPE_LONG:
    case KUSTO_TYPE_DATETIME:
    case KUSTO_TYPE_TIMESPAN: return LAYOUT_INT64;
    case KUSTO_TYPE_INT: return LAYOUT_INT32;
    case KUSTO_TYPE_REAL: return LAYOUT_DOUBLE;
    case KUSTO_TYPE_BOOL: return LAYOUT_BOOL;
    case KUSTO_TYPE_GUID: return LAYOUT_UUID;
    default: return LAYOUT_UTF8;
    }
}

static size_t value_width(arrow_layout layout) {
    switch (layout) {
    case LAYOUT_INT64:
    case LAYOUT_DOUBLE: return 8;
    case LAYOUT_INT32: return 4;
    case LAYOUT_UUID: return 16;
    default: return 0; /* bits (bool) or bytes (utf8) */
    }
}

/* ---- batches --------------------------------------------------------------------------------------- */

void kusto_arrow_batch_ref(arrow_batch *batch) { __atomic_add_fetch(&batch->refs, 1, __ATOMIC_RELAXED); }

void kusto_arrow_batch_unref(arrow_batch *batch) {
    if (!batch || __atomic_sub_fetch(&batch->refs, 1, __ATOMIC_ACQ_REL) != 0) return;
    for (size_t i = 0; i < batch->column_count; i++) {
        free(batch->columns[i].validity);
        free(batch->columns[i].offsets);
        free(batch->columns[i].data);
    }
    free(batch->columns);
    free(batch);
}

static void column_builder_free(column_builder *c) {
    free(c->validity);
    free(c->offsets);
    free(c->data);
    memset(c, 0, sizeof *c);
}

/* Room for `cap` rows in every column of the open batch; 0 or -1 (no memory). */
static int grow_rows(kusto_arrow *a, size_t cap) {
    size_t old_bits = (a->rows_cap + 7) / 8, bits = (cap + 7) / 8;
    for (size_t i = 0; i < a->table->info.column_count; i++) {
        column_builder *c = &a->cols[i];
        uint8_t *validity = realloc(c->validity, bits);
        if (!validity) return -1;
        memset(validity + old_bits, 0, bits - old_bits);
        c->validity = validity;
        if (c->layout == LAYOUT_UTF8) {
            int32_t *offsets = realloc(c->offsets, (cap + 1) * sizeof *offsets);
            if (!offsets) return -1;
            if (a->rows_cap == 0) offsets[0] = 0;
            c->offsets = offsets;
            continue;
        }
        size_t size = c->layout == LAYOUT_BOOL ? bits : cap * value_width(c->layout);
        size_t old = c->layout == LAYOUT_BOOL ? old_bits : a->rows_cap * value_width(c->layout);
        uint8_t *data = realloc(c->data, size ? size : 1);
        if (!data) return -1;
        memset(data + old, 0, size - old);
        c->data = data;
    }
    a->rows_cap = cap;
    return 0;
}

static int table_add_batch(arrow_table *t, arrow_batch *batch) {
    if (t->batch_count == t->batch_cap) {
        size_t cap = t->batch_cap ? 2 * t->batch_cap : 4;
        arrow_batch **batches = realloc(t->batches, cap * sizeof *batches);
        if (!batches) return -1;
        t->batches = batches;
        t->batch_cap = cap;
    }
    t->batches[t->batch_count++] = batch;
    return 0;
}

/* Closes the open batch (if it has rows) and hands its buffers to a new arrow_batch of the table. */
static int finish_batch(kusto_arrow *a) {
    arrow_table *t = a->table;
    size_t n = t->info.column_count;
    if (a->rows == 0) return 0;
    arrow_batch *batch = calloc(1, sizeof *batch);
    arrow_column_data *columns = calloc(n ? n : 1, sizeof *columns);
    if (!batch || !columns || (!a->sink && table_add_batch(t, batch) < 0)) {
        free(batch);
        free(columns);
        return -1;
    }
    batch->refs = 1;
    batch->length = (int64_t)a->rows;
    batch->column_count = n;
    batch->columns = columns;
    for (size_t i = 0; i < n; i++) {
        column_builder *c = &a->cols[i];
        arrow_column_data *d = &columns[i];
        if (c->layout == LAYOUT_UTF8 && !c->data && !(c->data = malloc(1))) return -1; /* valid even when empty */
        d->null_count = c->null_count;
        d->validity = c->validity;
        d->offsets = c->offsets;
        d->data = c->data;
        d->buffers[0] = c->null_count ? c->validity : NULL;
        d->n_buffers = c->layout == LAYOUT_UTF8 ? 3 : 2;
        d->buffers[1] = c->layout == LAYOUT_UTF8 ? (const void *)c->offsets : c->data;
        d->buffers[2] = c->layout == LAYOUT_UTF8 ? c->data : NULL;
        c->validity = NULL;
        c->offsets = NULL;
        c->data = NULL;
        c->null_count = 0;
        c->next_cap = c->data_len;
        c->data_len = c->data_cap = 0;
    }
    a->rows = a->rows_cap = 0;
    a->utf8_full = 0;
    return a->sink ? a->sink(a->sink_ud, batch) : 0;
}

static void drop_batches(arrow_table *t) {
    for (size_t i = 0; i < t->batch_count; i++) kusto_arrow_batch_unref(t->batches[i]);
    t->batch_count = 0;
    t->rows = 0;
}

void kusto_arrow_table_unref(arrow_table *t) {
    if (!t || __atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL) != 0) return;
    drop_batches(t);
    free(t->batches);
    kusto_table_info_free_parts(&t->info, t->columns);
    free(t);
}

/* ---- warnings ---------------------------------------------------------------------------------------- */

static int add_warning(kusto_arrow *a, const kusto_warning *w) {
    if (a->warning_count >= KUSTO_MAX_WARNINGS) return 0;
    kusto_warning *list = realloc(a->warnings, (a->warning_count + 1) * sizeof *list);
    if (!list) return -1;
    a->warnings = list;
    if (kusto_warning_copy(&list[a->warning_count], w) < 0) return -1;
    a->warning_count++;
    return 0;
}

/* A cell made null in its Arrow column: one warning per table, column and reason, counting the cells. */
static int null_warning(kusto_arrow *a, const char *reason, const char *excerpt) {
    size_t column = a->cell;
    for (size_t i = a->warning_count; i-- > 0;) {
        kusto_warning *w = &a->warnings[i];
        if (w->table_id == a->table->info.id && w->column == column && strcmp(w->reason, reason) == 0 &&
            strcmp(w->table, a->table->info.name) == 0) {
            w->count++;
            return 0;
        }
    }
    kusto_warning w = {.table_id = a->table->info.id,
                       .table = a->table->info.name,
                       .row = a->table_row,
                       .column = column,
                       .column_name = a->table->info.columns[column].name,
                       .reason = reason,
                       .excerpt = excerpt,
                       .count = 1};
    return add_warning(a, &w);
}

/* ---- cells ------------------------------------------------------------------------------------------ */

/* A cell its column cannot hold: null, and counted in a warning. Apart from put_cell, which stays small. */
static __attribute__((noinline)) int cell_made_null(kusto_arrow *a, column_builder *c, const kusto_value *v,
                                                    const char *reason) {
    char excerpt[48];
    kusto_arrow_excerpt(v, excerpt, sizeof excerpt);
    c->null_count++;
    return null_warning(a, reason, excerpt);
}

static int put_cell(kusto_arrow *a, const kusto_value *v) {
    column_builder *c = &a->cols[a->cell];
    size_t row = a->rows;
    if (c->layout == LAYOUT_UTF8) {
        size_t start = c->data_len;
        int rc = 0;
        if (v->kind == KUSTO_VALUE_NULL) {
            c->null_count++;
        } else if ((rc = kusto_arrow_utf8_cell(c, v)) == 0 &&
                   !kusto_arrow_utf8_valid(c->data + start, c->data_len - start)) {
            c->data_len = start;
            rc = cell_made_null(a, c, v, KUSTO_ARROW_NOT_UTF8);
        } else if (rc == 0) {
            kusto_arrow_set_bit(c->validity, row);
            a->utf8_full |= c->data_len >= UTF8_BATCH_LIMIT;
        }
        c->offsets[row + 1] = (int32_t)c->data_len;
        return rc;
    }
    if (v->kind == KUSTO_VALUE_NULL) {
        c->null_count++;
        return 0;
    }
    const char *reason;
    if (kusto_arrow_fixed_cell(c, row, v, &reason) != 0) return cell_made_null(a, c, v, reason);
    kusto_arrow_set_bit(c->validity, row);
    return 0;
}

/* ---- the builder's callbacks -------------------------------------------------------------------------- */

static int on_begin_table(void *ud, const kusto_table_info *info) {
    kusto_arrow *a = ud;
    if (a->table_count == a->table_cap) {
        size_t cap = a->table_cap ? 2 * a->table_cap : 4;
        arrow_table **tables = realloc(a->tables, cap * sizeof *tables);
        if (!tables) return -1;
        a->tables = tables;
        a->table_cap = cap;
    }
    arrow_table *t = calloc(1, sizeof *t);
    if (!t) return -1;
    t->refs = 1;
    a->tables[a->table_count++] = t;
    column_builder *cols = calloc(info->column_count ? info->column_count : 1, sizeof *cols);
    if (!cols || kusto_table_info_copy(&t->info, &t->columns, info) < 0) {
        free(cols);
        return -1;
    }
    for (size_t i = 0; i < info->column_count; i++) {
        cols[i].type = info->columns[i].type;
        cols[i].layout = kusto_arrow_layout(cols[i].type);
        cols[i].ticks = a->ticks;
    }
    a->table = t;
    a->cols = cols;
    a->rows = a->rows_cap = a->table_row = 0;
    a->utf8_full = 0;
    return a->table_begun ? a->table_begun(a->sink_ud, a->table_count - 1, t) : 0;
}

static void close_builders(kusto_arrow *a) {
    for (size_t i = 0; a->cols && a->table && i < a->table->info.column_count; i++) column_builder_free(&a->cols[i]);
    free(a->cols);
    a->cols = NULL;
    a->rows = a->rows_cap = 0;
}

static int on_end_table(void *ud) {
    kusto_arrow *a = ud;
    if (!a->table) return 0;
    int rc = finish_batch(a);
    close_builders(a);
    a->table = NULL;
    return rc;
}

static int on_begin_row(void *ud) {
    kusto_arrow *a = ud;
    a->cell = 0;
    if (a->rows < a->rows_cap) return 0;
    /* A table that filled a batch likely fills the next: room for all of it at once, no copies as it grows. */
    size_t cap = a->rows_cap ? 2 * a->rows_cap : a->table_row ? a->batch_rows : FIRST_ROWS;
    return grow_rows(a, cap < a->batch_rows ? cap : a->batch_rows);
}

static int on_end_row(void *ud) {
    kusto_arrow *a = ud;
    static const kusto_value null_value = {.kind = KUSTO_VALUE_NULL};
    while (a->cell < a->table->info.column_count) /* the parser checks row lengths; never left inconsistent */
        if (put_cell(a, &null_value) < 0) return -1;
        else a->cell++;
    a->rows++;
    a->table_row++;
    a->table->rows++;
    return a->rows == a->batch_rows || a->utf8_full ? finish_batch(a) : 0;
}

static int on_value(void *ud, const kusto_value *v) {
    kusto_arrow *a = ud;
    if (!a->table || a->cell >= a->table->info.column_count) return 0;
    int rc = put_cell(a, v);
    a->cell++;
    return rc;
}

static int on_replace_rows(void *ud) {
    kusto_arrow *a = ud;
    if (!a->table) return 0;
    drop_batches(a->table);
    for (size_t i = 0; i < a->table->info.column_count; i++) {
        column_builder *c = &a->cols[i];
        column_builder_free(c);
        c->type = a->table->info.columns[i].type;
        c->layout = kusto_arrow_layout(c->type);
        c->ticks = a->ticks;
    }
    a->rows = a->rows_cap = a->table_row = 0;
    a->utf8_full = 0;
    return a->rows_replaced ? a->rows_replaced(a->sink_ud, a->table_count - 1, a->table) : 0;
}

static int on_partial_error(void *ud, const kusto_error *error) {
    kusto_arrow *a = ud;
    kusto_error **errors = realloc(a->errors, (a->error_count + 1) * sizeof *errors);
    if (!errors) return -1;
    a->errors = errors;
    errors[a->error_count] = kusto_error_copy(error);
    return errors[a->error_count] ? (a->error_count++, 0) : -1;
}

static int on_warning(void *ud, const kusto_warning *w) { return add_warning(ud, w); }

static const kusto_builder arrow_builder = {
    .size = sizeof(kusto_builder),
    .begin_table = on_begin_table,
    .end_table = on_end_table,
    .begin_row = on_begin_row,
    .end_row = on_end_row,
    .value = on_value,
    .replace_rows = on_replace_rows,
    .partial_error = on_partial_error,
    .warning = on_warning,
};

const kusto_builder *kusto_arrow_builder(void) { return &arrow_builder; }

/* ---- the public handle ---------------------------------------------------------------------------------- */

kusto_status kusto_arrow_new(kusto_arrow **out, size_t batch_rows) {
    *out = calloc(1, sizeof **out);
    if (!*out) return KUSTO_E_NOMEM;
    (*out)->batch_rows = batch_rows ? batch_rows : KUSTO_ARROW_BATCH_ROWS;
    return KUSTO_OK;
}

void kusto_arrow_free(kusto_arrow *a) {
    if (!a) return;
    close_builders(a);
    for (size_t i = 0; i < a->table_count; i++) kusto_arrow_table_unref(a->tables[i]);
    free(a->tables);
    for (size_t i = 0; i < a->warning_count; i++) kusto_warning_free_parts(&a->warnings[i]);
    free(a->warnings);
    for (size_t i = 0; i < a->error_count; i++) kusto_error_free(a->errors[i]);
    free(a->errors);
    free(a);
}

void kusto_arrow_set_sink(kusto_arrow *a, kusto_arrow_sink sink, void *ud) {
    a->sink = sink;
    a->sink_ud = ud;
}

void *kusto_arrow_sink_ud(const kusto_arrow *a) { return a->sink_ud; }

void kusto_arrow_keep_ticks(kusto_arrow *a) { a->ticks = 1; }

void kusto_arrow_set_table_hooks(kusto_arrow *a, kusto_arrow_table_hook begun, kusto_arrow_table_hook replaced) {
    a->table_begun = begun;
    a->rows_replaced = replaced;
}

size_t kusto_arrow_table_count(const kusto_arrow *a) { return a ? a->table_count : 0; }

const kusto_table_info *kusto_arrow_table_info(const kusto_arrow *a, size_t index) {
    return a && index < a->table_count ? &a->tables[index]->info : NULL;
}

size_t kusto_arrow_table_row_count(const kusto_arrow *a, size_t index) {
    return a && index < a->table_count ? a->tables[index]->rows : 0;
}

long kusto_arrow_primary_index(const kusto_arrow *a) {
    for (size_t i = 0; a && i < a->table_count; i++)
        if (a->tables[i]->info.primary) return (long)i;
    return -1;
}

kusto_status kusto_arrow_table_stream(kusto_arrow *a, size_t index, const kusto_error *failure,
                                      struct ArrowArrayStream *out) {
    if (!a || index >= a->table_count || !out) return KUSTO_E_ARGUMENT;
    return kusto_arrow_stream_export(a->tables[index], failure, out) == 0 ? KUSTO_OK : KUSTO_E_NOMEM;
}

kusto_status kusto_arrow_table_schema(const kusto_arrow *a, size_t index, struct ArrowSchema *out) {
    if (!a || index >= a->table_count || !out) return KUSTO_E_ARGUMENT;
    return kusto_arrow_schema_export(&a->tables[index]->info, out) == 0 ? KUSTO_OK : KUSTO_E_NOMEM;
}

size_t kusto_arrow_warning_count(const kusto_arrow *a) { return a ? a->warning_count : 0; }

const kusto_warning *kusto_arrow_warning(const kusto_arrow *a, size_t index) {
    return a && index < a->warning_count ? &a->warnings[index] : NULL;
}

size_t kusto_arrow_error_count(const kusto_arrow *a) { return a ? a->error_count : 0; }

const kusto_error *kusto_arrow_error(const kusto_arrow *a, size_t index) {
    return a && index < a->error_count ? a->errors[index] : NULL;
}

/* ---- the one-call query ---------------------------------------------------------------------------------- */

static kusto_status primary_stream(kusto_arrow *a, kusto_status status, kusto_error **e,
                                   struct ArrowArrayStream *stream) {
    long primary = kusto_arrow_primary_index(a);
    if (primary < 0 && status == KUSTO_OK)
        return kusto_fail(e, KUSTO_E_PROTOCOL, "the response has no primary result table");
    if (primary < 0) return status;
    if (kusto_arrow_table_stream(a, (size_t)primary, status == KUSTO_OK ? NULL : *e, stream) != KUSTO_OK) {
        kusto_error_free(*e);
        *e = NULL;
        return kusto_fail(e, KUSTO_E_NOMEM, "out of memory while making the Arrow stream");
    }
    return status;
}

kusto_status kusto_client_query_arrow(kusto_client *client, const char *db, const char *csl, const kusto_request *req,
                                      size_t batch_rows, struct ArrowArrayStream *stream, kusto_error **err) {
    kusto_arrow *a = NULL;
    kusto_error *e = NULL;
    if (!stream) return kusto_fail(err, KUSTO_E_ARGUMENT, "kusto_client_query_arrow: stream is NULL");
    memset(stream, 0, sizeof *stream);
    if (kusto_arrow_new(&a, batch_rows) != KUSTO_OK) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    kusto_builder builder = arrow_builder;
    builder.parse_in_background = 1; /* receive and parse on a second core while this one fills columns */
    kusto_status status = kusto_client_query(client, db, csl, req, &builder, a, &e);
    if (status == KUSTO_E_CANCELLED) { /* the Arrow builder stops only when memory runs out */
        kusto_error_free(e);
        e = NULL;
        status = kusto_fail(&e, KUSTO_E_NOMEM, "out of memory while building the Arrow result");
    }
    if (status == KUSTO_OK || status == KUSTO_E_PARTIAL || status == KUSTO_E_PROTOCOL)
        status = primary_stream(a, status, &e, stream);
    kusto_arrow_free(a);
    if (status == KUSTO_OK) return KUSTO_OK;
    kusto_error_give(err, e);
    return status;
}
