/* kusto_client_query_arrow end to end against a running emulator (see dev.sh and e2e.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "e2e.h"
#include "kusto.h"

static kusto_client *emulator_client(void) {
    kusto_options *opts = NULL;
    kusto_client *client = NULL;
    kusto_options_new(&opts);
    kusto_options_set(opts, "ca_file", cfg("ca_file"));
    CHECK_INT(kusto_client_new(&client, cfg("connection_string"), opts, NULL), KUSTO_OK);
    kusto_options_free(opts);
    return client;
}

static void test_primary_result_in_batches(kusto_client *client) {
    struct ArrowArrayStream stream;
    struct ArrowSchema schema;
    struct ArrowArray batch;
    kusto_error *err = NULL;
    int before = requests_to("/v2/rest/query");
    CHECK_INT(kusto_client_query_arrow(client, NULL, "range x from 1 to 100000 step 1", NULL, 30000, &stream, &err),
              KUSTO_OK);
    CHECK_INT(requests_to("/v2/rest/query") - before, 1);
    CHECK(err == NULL && stream.release != NULL);
    CHECK(stream.get_schema(&stream, &schema) == 0);
    CHECK_STR(schema.format, "+s");
    CHECK_STR(schema.children[0]->name, "x");
    CHECK_STR(schema.children[0]->format, "l");
    schema.release(&schema);
    int64_t rows = 0, sum = 0, batches = 0;
    while (stream.get_next(&stream, &batch) == 0 && batch.release) {
        const int64_t *x = batch.children[0]->buffers[1];
        for (int64_t i = 0; i < batch.length; i++) sum += x[i];
        rows += batch.length;
        batches++;
        batch.release(&batch);
    }
    CHECK_INT(rows, 100000);
    CHECK_INT(batches, 4);
    CHECK_INT(sum, INT64_C(5000050000));
    stream.release(&stream);
}

static void test_a_service_error_fills_no_stream(kusto_client *client) {
    struct ArrowArrayStream stream;
    kusto_error *err = NULL;
    CHECK_INT(kusto_client_query_arrow(client, NULL, "NoSuchTable | take 1", NULL, 0, &stream, &err), KUSTO_E_SERVICE);
    CHECK(stream.release == NULL);
    CHECK(err && strlen(kusto_error_message(err)) > 0);
    kusto_error_free(err);
    CHECK_INT(kusto_client_query_arrow(client, NULL, "print 1", NULL, 0, NULL, NULL), KUSTO_E_ARGUMENT);
}

int main(void) {
    if (load_config()) return 1;
    kusto_client *client = emulator_client();
    test_primary_result_in_batches(client);
    test_a_service_error_fills_no_stream(client);
    kusto_client_free(client);
    cJSON_Delete(config);
    CHECK_DONE();
}
