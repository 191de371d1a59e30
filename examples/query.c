/* Sign in and run a query, printing the primary result as a table.
 *   cc examples/query.c -o query $(pkg-config --cflags --libs kusto)
 *   ./query "Data Source=https://...;AAD Federated Security=True;..." [ca_file] [query]
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "kusto.h"

static void print_value(const kusto_value *v) {
    char text[40];
    switch (v->kind) {
    case KUSTO_VALUE_NULL: printf("null"); break;
    case KUSTO_VALUE_BOOL: printf("%s", v->u.b ? "true" : "false"); break;
    case KUSTO_VALUE_INT: printf("%" PRId64, v->u.i); break;
    case KUSTO_VALUE_REAL: printf("%g", v->u.r); break;
    case KUSTO_VALUE_DATETIME: kusto_datetime_format(v->u.ticks, text); printf("%s", text); break;
    case KUSTO_VALUE_TIMESPAN: kusto_timespan_format(v->u.ticks, text); printf("%s", text); break;
    default: printf("%.*s", (int)v->u.text.len, v->u.text.ptr); break;
    }
}

static void print_table(const kusto_table *table) {
    const kusto_table_info *info = kusto_table_info_of(table);
    for (size_t c = 0; c < info->column_count; c++) printf("%s%s", c ? "\t" : "", info->columns[c].name);
    printf("\n");
    for (size_t r = 0; r < kusto_table_row_count(table); r++) {
        for (size_t c = 0; c < info->column_count; c++) {
            printf("%s", c ? "\t" : "");
            print_value(kusto_table_value(table, r, c));
        }
        printf("\n");
    }
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
