/* Sign in and run a query, printing the primary result as a table.
 *   cc examples/query.c -o query $(pkg-config --cflags --libs kusto)
 *   ./query "Data Source=https://...;AAD Federated Security=True;..." [ca_file] [query]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kusto.h"

/* A cell as text: strings point into the result, other kinds are written into `buf`; returns the length. */
static int cell_text(const kusto_value *v, char buf[64], const char **text) {
    *text = buf;
    switch (v->kind) {
    case KUSTO_VALUE_NULL: *text = "null"; return 4;
    case KUSTO_VALUE_BOOL: *text = v->u.b ? "true" : "false"; return v->u.b ? 4 : 5;
    case KUSTO_VALUE_INT: return snprintf(buf, 64, "%" PRId64, v->u.i);
    case KUSTO_VALUE_REAL: return snprintf(buf, 64, "%g", v->u.r);
    case KUSTO_VALUE_DATETIME: kusto_datetime_format(v->u.ticks, buf); return (int)strlen(buf);
    case KUSTO_VALUE_TIMESPAN: kusto_timespan_format(v->u.ticks, buf); return (int)strlen(buf);
    default: *text = v->u.text.ptr; return (int)v->u.text.len;
    }
}

/* One line of the table: cells two spaces apart, each padded to its column's width but the last. */
static void print_line(size_t n, const char *const *texts, const int *lens, const int *widths) {
    for (size_t c = 0; c < n; c++)
        printf("%s%.*s%*s", c ? "  " : "", lens[c], texts[c], c + 1 < n ? widths[c] - lens[c] : 0, "");
    printf("\n");
}

/* The table with aligned columns, as examples/query.py and query.lua print it. */
static void print_table(const kusto_table *table) {
    const kusto_table_info *info = kusto_table_info_of(table);
    size_t n = info->column_count, rows = kusto_table_row_count(table);
    int *widths = calloc(n, 3 * sizeof(int)), *lens = widths + n, *dash_lens = widths + 2 * n;
    const char **texts = calloc(n, 2 * sizeof(char *)), **dashes = texts + n;
    char(*bufs)[64] = calloc(n, 64);
    static const char dash_line[] = "----------------------------------------------------------------";
    if (!widths || !texts || !bufs) goto done;
    for (size_t c = 0; c < n; c++) widths[c] = (int)strlen(info->columns[c].name);
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < n; c++) {
            int len = cell_text(kusto_table_value(table, r, c), bufs[c], &texts[c]);
            if (len > widths[c]) widths[c] = len;
        }
    for (size_t c = 0; c < n; c++) {
        texts[c] = info->columns[c].name;
        lens[c] = (int)strlen(texts[c]);
        dashes[c] = dash_line;
        dash_lens[c] = widths[c] < 64 ? widths[c] : 64;
    }
    print_line(n, texts, lens, widths);
    print_line(n, dashes, dash_lens, widths);
    for (size_t r = 0; r < rows; r++) {
        for (size_t c = 0; c < n; c++) lens[c] = cell_text(kusto_table_value(table, r, c), bufs[c], &texts[c]);
        print_line(n, texts, lens, widths);
    }
done:
    free(widths);
    free(texts);
    free(bufs);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s CONNECTION_STRING [CA_FILE] [QUERY]\n", argv[0]);
        return 2;
    }
    kusto_options *opts = NULL;
    kusto_client *client = NULL;
    kusto_result *result = NULL;
    kusto_error *err = NULL;
    kusto_options_new(&opts);
    if (argc > 2 && *argv[2]) kusto_options_set(opts, "ca_file", argv[2]);
    const char *query = argc > 3 ? argv[3] : "range x from 1 to 5 step 1 | extend y = x * 2";
    kusto_status status = kusto_client_new(&client, argv[1], opts, &err);
    if (status == KUSTO_OK) status = kusto_client_query_collect(client, NULL, query, NULL, &result, &err);
    for (size_t i = 0; result && i < kusto_result_table_count(result); i++) {
        const kusto_table *table = kusto_result_table(result, i);
        if (strcmp(kusto_table_info_of(table)->kind, "PrimaryResult") == 0) print_table(table);
    }
    if (status != KUSTO_OK) fprintf(stderr, "error: %s: %s\n", kusto_status_name(status), kusto_error_message(err));
    kusto_result_free(result);
    kusto_client_free(client);
    kusto_options_free(opts);
    kusto_error_free(err);
    return status == KUSTO_OK ? 0 : 1;
}
