/* Internal: the Arrow builder's tables and record batches (arrow.c fills them, arrow_export.c hands them out
   through the Arrow C Data Interface). */
#ifndef KUSTO_ARROW_H
#define KUSTO_ARROW_H

#include <stdint.h>

#include "kusto.h"

/* How a Kusto type is laid out in Arrow. */
typedef enum arrow_layout {
    LAYOUT_INT64,  /* long, datetime (ns), timespan (ns) */
    LAYOUT_INT32,  /* int */
    LAYOUT_DOUBLE, /* real */
    LAYOUT_BOOL,   /* bool: bit-packed */
    LAYOUT_UUID,   /* guid: fixed_size_binary(16) */
    LAYOUT_UTF8    /* string, dynamic, decimal, unknown: int32 offsets + bytes */
} arrow_layout;

arrow_layout kusto_arrow_layout(kusto_type type);

/* One column of a batch: validity bitmap, then offsets (utf8) and data. */
typedef struct arrow_column_data {
    int64_t null_count;
    uint8_t *validity;
    int32_t *offsets;
    uint8_t *data;
    const void *buffers[3]; /* as exported: validity (NULL when no nulls), [offsets], data */
    int64_t n_buffers;
} arrow_column_data;

/* A finished record batch, shared by every ArrowArray exported from it (reference counted). */
typedef struct arrow_batch {
    int refs;
    int64_t length;
    size_t column_count;
    arrow_column_data *columns;
} arrow_batch;

void kusto_arrow_batch_ref(arrow_batch *batch);
void kusto_arrow_batch_unref(arrow_batch *batch);

/* A table: its description (owned copies) and finished batches; shared by the kusto_arrow and its
   streams (reference counted). */
typedef struct arrow_table {
    int refs;
    kusto_table_info info;
    kusto_column *columns;
    arrow_batch **batches;
    size_t batch_count, batch_cap;
    size_t rows;
} arrow_table;

void kusto_arrow_table_unref(arrow_table *table);

/* Fills `out` with a struct array of the batch's columns, holding a reference until released. */
int kusto_arrow_batch_export(arrow_batch *batch, struct ArrowArray *out);
/* Fills `out` with the table's schema (a struct of its columns, Kusto metadata); 0 or -1 (no memory). */
int kusto_arrow_schema_export(const arrow_table *table, struct ArrowSchema *out);
/* Fills `out` with a stream over the table's batches; `failure` (copied, may be NULL) ends it with an error. */
int kusto_arrow_stream_export(const arrow_table *table, const kusto_error *failure, struct ArrowArrayStream *out);

#endif
