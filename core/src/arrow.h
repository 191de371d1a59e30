/* Internal: the Arrow builder's tables and record batches (arrow.c fills them, arrow_export.c hands them out
   through the Arrow C Data Interface). */
#ifndef KUSTO_ARROW_H
#define KUSTO_ARROW_H

#include <stddef.h>
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

/* The open batch of one column while rows arrive (arrow.c). */
typedef struct column_builder {
    arrow_layout layout;
    kusto_type type;
    int64_t null_count;
    uint8_t *validity;
    int32_t *offsets;
    uint8_t *data;
    size_t data_len, data_cap; /* utf8 bytes */
    size_t next_cap;           /* utf8 bytes the last batch held: the next one starts with room for about as many */
    int ticks;                 /* datetime, timespan: Kusto's 100 ns ticks as they are, not Arrow's nanoseconds */
} column_builder;

static inline void kusto_arrow_set_bit(uint8_t *bits, size_t i) { bits[i / 8] |= (uint8_t)(1u << (i % 8)); }

/* arrow_cells.c: a cell of a utf8 column (text as sent; other kinds as their text, JSON text in a dynamic
   column); 0 or -1 (no memory). */
int kusto_arrow_utf8_cell(column_builder *c, const kusto_value *v);
/* A fixed-width cell at `row`: 0, or 1 when the value cannot be held (it stays null; *reason says why). */
int kusto_arrow_fixed_cell(column_builder *c, size_t row, const kusto_value *v, const char **reason);
/* Arrow's utf8 must be valid UTF-8; the parser hands strings on as sent. */
int kusto_arrow_utf8_valid(const uint8_t *s, size_t n);
extern const char KUSTO_ARROW_NOT_UTF8[];
/* The start of a cell as text, for a warning's excerpt. */
void kusto_arrow_excerpt(const kusto_value *v, char *buf, size_t size);

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

/* Takes each batch the builder finishes (its reference) instead of the batch's table keeping it: 0, or
   non-zero to stop the parse. The table then holds only its description and row count. */
typedef int (*kusto_arrow_sink)(void *ud, arrow_batch *batch);
void kusto_arrow_set_sink(kusto_arrow *a, kusto_arrow_sink sink, void *ud);
void *kusto_arrow_sink_ud(const kusto_arrow *a);
/* Datetime and timespan columns hold Kusto's ticks as they are (datetime: since 0001-01-01), every value of
   Kusto's range, instead of nanoseconds since 1970: for a consumer that reads the batches itself, since such
   a batch does not match the table's Arrow schema. */
void kusto_arrow_keep_ticks(kusto_arrow *a);
/* Told, on the builder's thread and with the sink's ud, of each table begun (`index`: its place among the
   response's tables, from 0) and of a table whose rows so far were replaced (a progressive result): 0, or
   non-zero to stop the parse. Either may be NULL. */
typedef int (*kusto_arrow_table_hook)(void *ud, size_t index, arrow_table *table);
void kusto_arrow_set_table_hooks(kusto_arrow *a, kusto_arrow_table_hook begun, kusto_arrow_table_hook replaced);

/* Fills `out` with a struct array of the batch's columns, holding a reference until released. */
int kusto_arrow_batch_export(arrow_batch *batch, struct ArrowArray *out);
/* Fills `out` with a table's schema (a struct of its columns, Kusto metadata); 0 or -1 (no memory). */
int kusto_arrow_schema_export(const kusto_table_info *info, struct ArrowSchema *out);
/* Fills `out` with a stream over the table's batches; `failure` (copied, may be NULL) ends it with an error. */
int kusto_arrow_stream_export(const arrow_table *table, const kusto_error *failure, struct ArrowArrayStream *out);

#endif
