/*
 * The printer: a kusto_builder that writes each row of a primary table as it ends, in one of the formats
 * of `formats` below (a new format is one more entry). Aligned formats (table, markdown) size their
 * columns from the first TABLE_SAMPLE rows, by display width.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define TABLE_SAMPLE 100
#define DIM "\033[2m"
#define UNDIM "\033[0m"

typedef struct format_desc {
    const char *name;
    int aligned;                                       /* widths from the first rows */
    int json;                                          /* cells as JSON values */
    int (*escape)(text *out, const char *p, size_t n); /* a cell's text as the format writes it */
    void (*header)(printer *pr);
    void (*row)(printer *pr, char *const *cells); /* NULL cell: null */
} format_desc;

/* ---- cells --------------------------------------------------------------------------------------- */

static int is_quoted_in_json(const kusto_value *v) {
    switch (v->kind) {
    case KUSTO_VALUE_NULL:
    case KUSTO_VALUE_BOOL:
    case KUSTO_VALUE_INT:
    case KUSTO_VALUE_JSON: return 0;
    case KUSTO_VALUE_REAL: return !isfinite(v->u.r);
    default: return 1;
    }
}

/* The plain text of a non-null value. */
static int value_text(text *t, const kusto_value *v) {
    char buf[64];
    switch (v->kind) {
    case KUSTO_VALUE_NULL: return 0;
    case KUSTO_VALUE_BOOL: return text_str(t, v->u.b ? "true" : "false");
    case KUSTO_VALUE_INT: snprintf(buf, sizeof buf, "%" PRId64, v->u.i); return text_str(t, buf);
    case KUSTO_VALUE_REAL:
        if (isnan(v->u.r)) return text_str(t, "NaN");
        if (isinf(v->u.r)) return text_str(t, v->u.r > 0 ? "Infinity" : "-Infinity");
        snprintf(buf, sizeof buf, "%.17g", v->u.r);
        if (strtod(buf, NULL) == v->u.r) snprintf(buf, sizeof buf, "%.15g", v->u.r);
        if (strtod(buf, NULL) != v->u.r) snprintf(buf, sizeof buf, "%.17g", v->u.r);
        return text_str(t, buf);
    case KUSTO_VALUE_DATETIME: kusto_datetime_format(v->u.ticks, buf); return text_str(t, buf);
    case KUSTO_VALUE_TIMESPAN: kusto_timespan_format(v->u.ticks, buf); return text_str(t, buf);
    default: return text_add(t, v->u.text.ptr, v->u.text.len);
    }
}

/* Control characters as \t \n \r (and, when `reversible`, '\' as \\), so a cell stays on its line. */
static int escape_controls(text *out, const char *p, size_t n, int reversible) {
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const char *esc = p[i] == '\t'               ? "\\t"
                        : p[i] == '\n'               ? "\\n"
                        : p[i] == '\r'               ? "\\r"
                        : p[i] == '\\' && reversible ? "\\\\"
                                                     : NULL;
        rc = esc ? text_add(out, esc, 2) : text_add(out, p + i, 1);
    }
    return rc;
}

static int escape_table(text *out, const char *p, size_t n) { return escape_controls(out, p, n, 0); }

static int escape_tsv(text *out, const char *p, size_t n) { return escape_controls(out, p, n, 1); }

static int escape_markdown(text *out, const char *p, size_t n) {
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (p[i] == '|') rc = text_add(out, "\\|", 2);
        else if (p[i] == '\n') rc = text_add(out, "<br>", 4);
        else if (p[i] == '\r' || p[i] == '\t') rc = text_add(out, " ", 1);
        else rc = text_add(out, p + i, 1);
    }
    return rc;
}

/* ---- the formats --------------------------------------------------------------------------------- */

static void put_csv(FILE *out, const char *s) {
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, out);
        return;
    }
    putc('"', out);
    for (; *s; s++) {
        if (*s == '"') putc('"', out);
        putc(*s, out);
    }
    putc('"', out);
}

static void put_spaces(FILE *out, size_t n) {
    while (n--) putc(' ', out);
}

static void put_null(printer *pr) { fprintf(pr->out, pr->dim_null ? DIM "%s" UNDIM : "%s", pr->null_text); }

static size_t cell_width(const printer *pr, const char *cell) {
    return cell ? display_width(cell) : display_width(pr->null_text);
}

/* A cell in its column: numbers right-aligned, the last column without trailing spaces. */
static void put_aligned(printer *pr, size_t c, const char *cell, int pad_last) {
    size_t w = cell_width(pr, cell), pad = w < pr->widths[c] ? pr->widths[c] - w : 0;
    if (pr->numeric[c]) put_spaces(pr->out, pad);
    if (cell) fputs(cell, pr->out);
    else put_null(pr);
    if (!pr->numeric[c] && (pad_last || c + 1 < pr->width)) put_spaces(pr->out, pad);
}

static void table_row(printer *pr, char *const *cells) {
    for (size_t c = 0; c < pr->width; c++) {
        if (c) fputs("  ", pr->out);
        put_aligned(pr, c, cells[c], 0);
    }
    putc('\n', pr->out);
}

static void table_header(printer *pr) {
    table_row(pr, pr->names);
    for (size_t c = 0; c < pr->width; c++) {
        if (c) fputs("  ", pr->out);
        for (size_t n = 0; n < pr->widths[c]; n++) putc('-', pr->out);
    }
    putc('\n', pr->out);
}

static void markdown_row(printer *pr, char *const *cells) {
    for (size_t c = 0; c < pr->width; c++) {
        fputs("| ", pr->out);
        put_aligned(pr, c, cells[c], 1);
        putc(' ', pr->out);
    }
    fputs("|\n", pr->out);
}

static void markdown_header(printer *pr) {
    for (size_t c = 0; c < pr->width; c++)
        if (pr->widths[c] < 3) pr->widths[c] = 3;
    markdown_row(pr, pr->names);
    for (size_t c = 0; c < pr->width; c++) {
        fputs("| ", pr->out);
        for (size_t n = 1; n < pr->widths[c]; n++) putc('-', pr->out);
        putc(pr->numeric[c] ? ':' : '-', pr->out);
        putc(' ', pr->out);
    }
    fputs("|\n", pr->out);
}

static void csv_row(printer *pr, char *const *cells) {
    for (size_t c = 0; c < pr->width; c++) {
        if (c) putc(',', pr->out);
        put_csv(pr->out, cells[c] ? cells[c] : "");
    }
    putc('\n', pr->out);
}

static void tsv_row(printer *pr, char *const *cells) {
    for (size_t c = 0; c < pr->width; c++) {
        if (c) putc('\t', pr->out);
        fputs(cells[c] ? cells[c] : "", pr->out);
    }
    putc('\n', pr->out);
}

static void csv_header(printer *pr) { csv_row(pr, pr->names); }

static void tsv_header(printer *pr) { tsv_row(pr, pr->names); }

static void json_row(printer *pr, char *const *cells) {
    text line = {0};
    int rc = text_add(&line, "{", 1);
    for (size_t c = 0; c < pr->width && rc == 0; c++) {
        if (c) rc = text_add(&line, ",", 1);
        if (rc == 0) rc = text_json_string(&line, pr->names[c], strlen(pr->names[c]));
        if (rc == 0) rc = text_add(&line, ":", 1);
        if (rc == 0) rc = text_str(&line, cells[c] ? cells[c] : "null");
    }
    if (rc == 0) rc = text_add(&line, "}\n", 2);
    if (rc == 0) fputs(line.p, pr->out);
    else pr->out_of_memory = 1;
    free(line.p);
}

static const format_desc formats[] = {
    [FORMAT_TABLE] = {"table", 1, 0, escape_table, table_header, table_row},
    [FORMAT_CSV] = {"csv", 0, 0, NULL, csv_header, csv_row},
    [FORMAT_JSON] = {"json", 0, 1, NULL, NULL, json_row},
    [FORMAT_MARKDOWN] = {"markdown", 1, 0, escape_markdown, markdown_header, markdown_row},
    [FORMAT_TSV] = {"tsv", 0, 0, escape_tsv, tsv_header, tsv_row},
    [FORMAT_ARROW] = {"arrow", 0, 0, NULL, NULL, NULL}, /* arrow.c writes it */
};

const char format_names[] = "table|csv|json|markdown|tsv|arrow";

int format_is_binary(format_id format) { return format == FORMAT_ARROW; }

int format_by_name(const char *name) {
    for (size_t i = 0; i < sizeof formats / sizeof *formats; i++)
        if (strcmp(formats[i].name, name) == 0) return (int)i;
    return -1;
}

const char *format_name(format_id format) { return formats[format].name; }

/* One record per row: "-[ RECORD n ]-" and a "name | value" line per column. */
static void record_row(printer *pr, char *const *cells) {
    size_t name_width = 0;
    for (size_t c = 0; c < pr->width; c++)
        if (display_width(pr->names[c]) > name_width) name_width = display_width(pr->names[c]);
    fprintf(pr->out, "-[ RECORD %zu ]-\n", pr->rows);
    for (size_t c = 0; c < pr->width; c++) {
        fputs(pr->names[c], pr->out);
        put_spaces(pr->out, name_width - display_width(pr->names[c]));
        fputs(" | ", pr->out);
        if (cells[c]) fputs(cells[c], pr->out);
        else put_null(pr);
        putc('\n', pr->out);
    }
}

/* ---- the builder --------------------------------------------------------------------------------- */

/* Aligned formats: the widths, the header and the sampled rows, once the sample is full or the table ends. */
static void flush_sample(printer *pr) {
    if (!pr->sample) return;
    for (size_t c = 0; c < pr->width; c++) {
        pr->widths[c] = display_width(pr->names[c]);
        for (size_t r = 0; r < pr->sampled; r++) {
            size_t n = cell_width(pr, pr->sample[r * pr->width + c]);
            if (n > pr->widths[c]) pr->widths[c] = n;
        }
    }
    formats[pr->format].header(pr);
    for (size_t r = 0; r < pr->sampled; r++) formats[pr->format].row(pr, pr->sample + r * pr->width);
    for (size_t i = 0; i < pr->sampled * pr->width; i++) free(pr->sample[i]);
    free(pr->sample);
    pr->sample = NULL;
    pr->sampled = 0;
}

void printer_finish(printer *pr) {
    flush_sample(pr);
    for (size_t c = 0; c < pr->width; c++) {
        free(pr->names[c]);
        free(pr->cells[c].p);
    }
    free(pr->names);
    free(pr->cells);
    free(pr->nulls);
    free(pr->numeric);
    free(pr->widths);
    pr->names = NULL;
    pr->cells = NULL;
    pr->nulls = NULL;
    pr->numeric = NULL;
    pr->widths = NULL;
    pr->width = 0;
    pr->in_primary = 0;
}

static int is_numeric(kusto_type type) {
    return type == KUSTO_TYPE_INT || type == KUSTO_TYPE_LONG || type == KUSTO_TYPE_REAL || type == KUSTO_TYPE_DECIMAL;
}

static int on_begin_table(void *ud, const kusto_table_info *info) {
    printer *pr = ud;
    printer_finish(pr);
    if (!info->primary) return 0;
    const format_desc *f = &formats[pr->format];
    pr->in_primary = 1;
    pr->rows = 0;
    pr->width = info->column_count;
    pr->names = calloc(pr->width + 1, sizeof *pr->names);
    pr->cells = calloc(pr->width + 1, sizeof *pr->cells);
    pr->nulls = calloc(pr->width + 1, 1);
    pr->numeric = calloc(pr->width + 1, sizeof *pr->numeric);
    pr->widths = calloc(pr->width + 1, sizeof *pr->widths);
    int sampled = f->aligned && !pr->expanded;
    if (sampled) pr->sample = calloc(TABLE_SAMPLE * (pr->width + 1), sizeof *pr->sample);
    if (!pr->names || !pr->cells || !pr->nulls || !pr->numeric || !pr->widths || (sampled && !pr->sample))
        return pr->out_of_memory = 1;
    for (size_t c = 0; c < pr->width; c++) {
        text name = {0};
        const char *n = info->columns[c].name ? info->columns[c].name : "";
        if ((f->escape ? f->escape(&name, n, strlen(n)) : text_str(&name, n)) || text_add(&name, "", 0))
            return pr->out_of_memory = 1;
        pr->names[c] = name.p;
        pr->numeric[c] = is_numeric(info->columns[c].type);
    }
    if (pr->tables_printed++ && !f->json) putc('\n', pr->out);
    if (!f->aligned && f->header) f->header(pr);
    return 0;
}

static int on_end_table(void *ud) {
    printer_finish(ud);
    return 0;
}

static int on_begin_row(void *ud) {
    printer *pr = ud;
    pr->column = 0;
    for (size_t c = 0; c < pr->width; c++) pr->cells[c].len = 0, pr->nulls[c] = 0;
    return 0;
}

static int cell_of(const format_desc *f, text *cell, const kusto_value *v) {
    if (f->json && !is_quoted_in_json(v)) return value_text(cell, v);
    text plain = {0};
    int rc = value_text(&plain, v);
    const char *p = plain.p ? plain.p : "";
    if (rc == 0)
        rc = f->json   ? text_json_string(cell, p, plain.len)
           : f->escape ? f->escape(cell, p, plain.len)
                       : text_add(cell, p, plain.len);
    free(plain.p);
    return rc;
}

static int on_value(void *ud, const kusto_value *v) {
    printer *pr = ud;
    if (!pr->in_primary || pr->column >= pr->width) return 0;
    pr->nulls[pr->column] = v->kind == KUSTO_VALUE_NULL;
    text *cell = &pr->cells[pr->column++];
    if (cell_of(&formats[pr->format], cell, v) || text_add(cell, "", 0)) return pr->out_of_memory = 1;
    return 0;
}

static int keep_in_sample(printer *pr) {
    for (size_t c = 0; c < pr->width; c++) {
        char **slot = &pr->sample[pr->sampled * pr->width + c];
        if (!pr->nulls[c] && !(*slot = strdup(pr->cells[c].p))) return pr->out_of_memory = 1;
    }
    if (++pr->sampled == TABLE_SAMPLE) flush_sample(pr);
    return 0;
}

static void write_row(printer *pr, char *const *cells) {
    if (pr->expanded && formats[pr->format].aligned) record_row(pr, cells);
    else if (pr->sample) keep_in_sample(pr);
    else formats[pr->format].row(pr, cells);
}

static int on_end_row(void *ud) {
    printer *pr = ud;
    if (!pr->in_primary) return 0;
    pr->rows++;
    char **cells = calloc(pr->width + 1, sizeof *cells);
    if (!cells) return pr->out_of_memory = 1;
    for (size_t c = 0; c < pr->width; c++) {
        if (text_add(&pr->cells[c], "", 0)) pr->out_of_memory = 1;
        cells[c] = pr->nulls[c] ? NULL : pr->cells[c].p;
    }
    if (!pr->out_of_memory) write_row(pr, cells);
    free(cells);
    if (pr->row_written && !pr->sample) pr->row_written(pr, pr->row_written_ud);
    return pr->out_of_memory || pr->stopped;
}

static int on_replace_rows(void *ud) {
    fputs("kusto: progressive results replaced rows already printed\n", stderr);
    return 0;
}

void printer_clear_progress(printer *pr) {
    if (pr->progress_shown) fputs("\r\033[K", stderr);
    pr->progress_shown = 0;
}

int printer_progress(void *ud, int table_id, double percent) {
    printer *pr = ud;
    fprintf(stderr, "\rkusto: table %d: %.0f%% done", table_id, percent);
    fflush(stderr);
    pr->progress_shown = 1;
    return 0;
}

void print_warning(const kusto_warning *w, const char *outcome) {
    fprintf(stderr, "kusto: warning: table '%s', row %zu, column '%s': %s, e.g. %s (%zu cell%s%s%s)\n", w->table,
            w->row, w->column_name, w->reason, w->excerpt, w->count, w->count == 1 ? "" : "s", outcome ? ", " : "",
            outcome ? outcome : "");
}

static int on_warning(void *ud, const kusto_warning *w) {
    printer_clear_progress(ud);
    print_warning(w, "delivered as sent");
    return 0;
}

static void on_leave(void *ud) {
    printer *pr = ud;
    fflush(pr->out);
}

static void on_enter(void *ud) {}

static int on_cancelled(void *ud) {
    const printer *pr = ud;
    return pr->stopped || cli_interrupted;
}

const kusto_builder printer_builder = {
    .size = sizeof(kusto_builder),
    .begin_table = on_begin_table,
    .end_table = on_end_table,
    .begin_row = on_begin_row,
    .end_row = on_end_row,
    .value = on_value,
    .replace_rows = on_replace_rows,
    .enter = on_enter,
    .leave = on_leave,
    .warning = on_warning,
    .cancelled = on_cancelled,
};
