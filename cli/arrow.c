/* -F arrow: the primary result as an Arrow IPC stream (pyarrow.ipc.open_stream, polars, DuckDB read it). */
#include "cli.h"

static int write_out(void *ud, const void *data, size_t len) { return fwrite(data, 1, len, ud) != len; }

/* A failed call keeps its rows when the response was cut off or malformed part-way. */
static int keeps_rows(kusto_status status) {
    return status == KUSTO_OK || status == KUSTO_E_PARTIAL || status == KUSTO_E_PROTOCOL;
}

static kusto_status write_primary(kusto_arrow *arrow, kusto_status status, FILE *out, kusto_error **err) {
    long primary = kusto_arrow_primary_index(arrow);
    struct ArrowArrayStream stream;
    if (keeps_rows(status) && primary >= 0 &&
        kusto_arrow_table_stream(arrow, (size_t)primary, status == KUSTO_OK ? NULL : *err, &stream) == KUSTO_OK) {
        kusto_status written = kusto_arrow_write_ipc(&stream, write_out, out, status == KUSTO_OK ? err : NULL);
        stream.release(&stream);
        return status == KUSTO_OK ? written : status;
    }
    if (status == KUSTO_OK) {
        fputs("kusto: the response has no primary result table\n", stderr);
        return KUSTO_E_PROTOCOL;
    }
    return status;
}

kusto_status arrow_write(session *s, const char *query, FILE *out, kusto_error **err) {
    kusto_arrow *arrow = NULL;
    kusto_status status = kusto_arrow_new(&arrow, 0);
    if (status != KUSTO_OK) return status;
    kusto_builder builder = *kusto_arrow_builder();
    builder.parse_in_background = 1;
    status = session_query(s, query, &builder, arrow, err);
    for (size_t i = 0; i < kusto_arrow_warning_count(arrow); i++) print_warning(kusto_arrow_warning(arrow, i), NULL);
    status = write_primary(arrow, status, out, err);
    kusto_arrow_free(arrow);
    return status;
}
