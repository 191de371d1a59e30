/* The collector: a builder that keeps every table, row and partial error in a kusto_result. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "parser.h"

#define STRING_BLOCK_SIZE (64u * 1024u)

/* Cell text lives in blocks that never move, so value pointers stay valid as rows are added. */
struct string_block {
    struct string_block *next;
    size_t used, cap;
    char data[];
};

struct kusto_table {
    kusto_table_info info;
    kusto_column *columns;
    kusto_value *values; /* row-major, info.column_count per row */
    size_t value_count, value_cap;
    size_t row_count;
    size_t row_values; /* values given to the row being built */
    struct string_block *strings;
};

struct kusto_result {
    kusto_table **tables;
    size_t table_count;
    kusto_error **errors;
    size_t error_count;
    kusto_warning *warnings; /* their strings are owned */
    size_t warning_count;
};

/* ---- strings ------------------------------------------------------------------------------------- */

static void free_strings(struct string_block *block) {
    while (block) {
        struct string_block *next = block->next;
        free(block);
        block = next;
    }
}

/* A NUL-terminated copy of `len` bytes in the table's string blocks. */
static const char *keep_text(kusto_table *t, const char *text, size_t len) {
    struct string_block *block = t->strings;
    if (!block || block->cap - block->used < len + 1) {
        size_t cap = len + 1 > STRING_BLOCK_SIZE ? len + 1 : STRING_BLOCK_SIZE;
        block = malloc(sizeof *block + cap);
        if (!block) return NULL;
        block->used = 0;
        block->cap = cap;
        /* A big string gets a block of its own behind the current one, which stays in use. */
        if (t->strings && cap > STRING_BLOCK_SIZE) {
            block->next = t->strings->next;
            t->strings->next = block;
        } else {
            block->next = t->strings;
            t->strings = block;
        }
    }
    char *copy = block->data + block->used;
    memcpy(copy, text, len);
    copy[len] = '\0';
    block->used += len + 1;
    return copy;
}

/* ---- tables -------------------------------------------------------------------------------------- */

static void table_free(kusto_table *t) {
    if (!t) return;
    kusto_table_info_free_parts(&t->info, t->columns);
    free(t->values);
    free_strings(t->strings);
    free(t);
}

static kusto_table *table_copy(const kusto_table_info *info) {
    kusto_table *t = calloc(1, sizeof *t);
    if (t && kusto_table_info_copy(&t->info, &t->columns, info) == 0) return t;
    table_free(t);
    return NULL;
}

static kusto_table *current_table(kusto_result *res) {
    return res->table_count ? res->tables[res->table_count - 1] : NULL;
}

static int append_value(kusto_table *t, const kusto_value *v) {
    if (t->value_count == t->value_cap) {
        size_t cap = t->value_cap ? t->value_cap * 2 : 64;
        kusto_value *grown = realloc(t->values, cap * sizeof *grown);
        if (!grown) return -1;
        t->values = grown;
        t->value_cap = cap;
    }
    kusto_value *slot = &t->values[t->value_count];
    *slot = *v;
    int has_text = v->kind == KUSTO_VALUE_STRING || v->kind == KUSTO_VALUE_DECIMAL || v->kind == KUSTO_VALUE_GUID ||
                   v->kind == KUSTO_VALUE_JSON;
    if (has_text && !(slot->u.text.ptr = keep_text(t, v->u.text.ptr, v->u.text.len))) return -1;
    t->value_count++;
    t->row_values++;
    return 0;
}

/* ---- the builder --------------------------------------------------------------------------------- */

static int on_begin_table(void *ud, const kusto_table_info *info) {
    kusto_result *res = ud;
    kusto_table **grown = realloc(res->tables, (res->table_count + 1) * sizeof *grown);
    if (!grown) return -1;
    res->tables = grown;
    kusto_table *t = table_copy(info);
    if (!t) return -1;
    res->tables[res->table_count++] = t;
    return 0;
}

static int on_begin_row(void *ud) {
    kusto_table *t = current_table(ud);
    if (t) t->row_values = 0;
    return 0;
}

static int on_value(void *ud, const kusto_value *v) {
    kusto_table *t = current_table(ud);
    if (!t || t->row_values >= t->info.column_count) return 0;
    return append_value(t, v);
}

/* A row short of values is completed with nulls, so every row has column_count values. */
static int on_end_row(void *ud) {
    kusto_table *t = current_table(ud);
    if (!t) return 0;
    static const kusto_value null_value = {.kind = KUSTO_VALUE_NULL};
    while (t->row_values < t->info.column_count)
        if (append_value(t, &null_value)) return -1;
    t->row_count++;
    return 0;
}

static int on_replace_rows(void *ud) {
    kusto_table *t = current_table(ud);
    if (!t) return 0;
    t->value_count = t->row_count = t->row_values = 0;
    free_strings(t->strings);
    t->strings = NULL;
    return 0;
}

static int on_partial_error(void *ud, const kusto_error *error) {
    kusto_result *res = ud;
    kusto_error **grown = realloc(res->errors, (res->error_count + 1) * sizeof *grown);
    if (!grown) return -1;
    res->errors = grown;
    kusto_error *copy = kusto_error_copy(error);
    if (!copy) return -1;
    res->errors[res->error_count++] = copy;
    return 0;
}

static int on_warning(void *ud, const kusto_warning *w) {
    kusto_result *res = ud;
    kusto_warning *grown = realloc(res->warnings, (res->warning_count + 1) * sizeof *grown);
    if (!grown) return -1;
    res->warnings = grown;
    if (kusto_warning_copy(&res->warnings[res->warning_count], w) < 0) return -1;
    res->warning_count++;
    return 0;
}

/* No begin_array: dynamic cells arrive as KUSTO_VALUE_JSON. */
static const kusto_builder collector = {
    .size = sizeof(kusto_builder),
    .begin_table = on_begin_table,
    .begin_row = on_begin_row,
    .end_row = on_end_row,
    .value = on_value,
    .replace_rows = on_replace_rows,
    .partial_error = on_partial_error,
    .warning = on_warning,
};

const kusto_builder *kusto_collector_builder(void) { return &collector; }

kusto_result *kusto_collector_new(void) { return calloc(1, sizeof(kusto_result)); }

kusto_status kusto_result_parse(kusto_result **out, const char *body, size_t len, kusto_error **err) {
    kusto_parser *parser = NULL;
    kusto_result *res = kusto_collector_new();
    *out = NULL;
    if (!res || kusto_parser_new(&parser, &collector, res) != KUSTO_OK) {
        kusto_result_free(res);
        return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    }
    kusto_status status = kusto_parser_feed(parser, body, len, err);
    if (status == KUSTO_OK) status = kusto_parser_finish(parser, err);
    kusto_parser_free(parser);
    /* The collector stops only when out of memory. */
    if (status == KUSTO_E_CANCELLED) status = kusto_fail(err, KUSTO_E_NOMEM, "out of memory while collecting rows");
    if (kusto_collected_kept(status)) *out = res;
    else kusto_result_free(res);
    return status;
}

void kusto_result_free(kusto_result *res) {
    if (!res) return;
    for (size_t i = 0; i < res->table_count; i++) table_free(res->tables[i]);
    free(res->tables);
    for (size_t i = 0; i < res->error_count; i++) kusto_error_free(res->errors[i]);
    free(res->errors);
    for (size_t i = 0; i < res->warning_count; i++) kusto_warning_free_parts(&res->warnings[i]);
    free(res->warnings);
    free(res);
}

/* ---- accessors ----------------------------------------------------------------------------------- */

size_t kusto_result_table_count(const kusto_result *res) { return res ? res->table_count : 0; }

const kusto_table *kusto_result_table(const kusto_result *res, size_t index) {
    return res && index < res->table_count ? res->tables[index] : NULL;
}

size_t kusto_result_error_count(const kusto_result *res) { return res ? res->error_count : 0; }

const kusto_error *kusto_result_error(const kusto_result *res, size_t index) {
    return res && index < res->error_count ? res->errors[index] : NULL;
}

size_t kusto_result_warning_count(const kusto_result *res) { return res ? res->warning_count : 0; }

const kusto_warning *kusto_result_warning(const kusto_result *res, size_t index) {
    return res && index < res->warning_count ? &res->warnings[index] : NULL;
}

int kusto_collected_kept(kusto_status status) {
    return status == KUSTO_OK || status == KUSTO_E_PARTIAL || status == KUSTO_E_PROTOCOL;
}

const kusto_table_info *kusto_table_info_of(const kusto_table *table) { return table ? &table->info : NULL; }

size_t kusto_table_row_count(const kusto_table *table) { return table ? table->row_count : 0; }

const kusto_value *kusto_table_value(const kusto_table *table, size_t row, size_t column) {
    if (!table || row >= table->row_count || column >= table->info.column_count) return NULL;
    return &table->values[row * table->info.column_count + column];
}
