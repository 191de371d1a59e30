/* kusto_client_query_arrow end to end against a running emulator (see dev.sh and e2e.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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

/* Reads `stream` to its end: rows, batches and the sum of column 0 (int64); the last get_next's code. */
typedef struct drained {
    int64_t rows, batches, sum;
    int code;
} drained;

static drained drain(struct ArrowArrayStream *stream) {
    drained d = {0};
    struct ArrowArray batch;
    while ((d.code = stream->get_next(stream, &batch)) == 0 && batch.release) {
        const int64_t *x = batch.children[0]->buffers[1];
        for (int64_t i = 0; i < batch.length; i++) d.sum += x[i];
        d.rows += batch.length;
        d.batches++;
        batch.release(&batch);
    }
    return d;
}

/* `stream` is "range x from 1 to 100000 step 1" in batches of 30000; released after. */
static void check_range_stream(struct ArrowArrayStream *stream) {
    struct ArrowSchema schema;
    CHECK(stream->release != NULL && stream->get_schema(stream, &schema) == 0);
    CHECK_STR(schema.format, "+s");
    CHECK_STR(schema.children[0]->name, "x");
    CHECK_STR(schema.children[0]->format, "l");
    schema.release(&schema);
    drained d = drain(stream);
    CHECK_INT(d.code, 0);
    CHECK_INT(d.rows, 100000);
    CHECK_INT(d.batches, 4);
    CHECK_INT(d.sum, INT64_C(5000050000));
    stream->release(stream);
    CHECK(stream->release == NULL);
}

static void test_primary_result_in_batches(kusto_client *client) {
    struct ArrowArrayStream stream;
    kusto_error *err = NULL;
    int before = requests_to("/v2/rest/query");
    CHECK_INT(kusto_client_query_arrow(client, NULL, "range x from 1 to 100000 step 1", NULL, 30000, &stream, &err),
              KUSTO_OK);
    CHECK_INT(requests_to("/v2/rest/query") - before, 1);
    CHECK(err == NULL);
    check_range_stream(&stream);
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

static void test_stream_gives_every_batch(kusto_client *client) {
    struct ArrowArrayStream stream;
    kusto_error *err = NULL;
    CHECK_INT(kusto_client_query_arrow_stream(client, NULL, "range x from 1 to 100000 step 1", NULL, 30000, &stream,
                                              &err),
              KUSTO_OK);
    CHECK(err == NULL);
    check_range_stream(&stream);
}

/* The emulator's last query record says "closed" once it could not write the whole body (waits up to 20 s). */
static int last_query_closed(void) {
    for (int i = 0; i < 200; i++) {
        cJSON *found = requests("/v2/rest/query");
        cJSON *last = cJSON_GetArrayItem(found, cJSON_GetArraySize(found) - 1);
        int closed = cJSON_IsTrue(cJSON_GetObjectItem(last, "closed"));
        cJSON_Delete(found);
        if (closed) return 1;
        nanosleep(&(struct timespec){.tv_nsec = 100000000L}, NULL);
    }
    return 0;
}

/* A batch arrives while the body is still being sent, and releasing the stream then ends the transfer:
   the emulator could not write the rest of a body far larger than the socket buffers. */
static void test_first_batch_before_the_body_ends_and_release_cancels(kusto_client *client) {
    struct ArrowArrayStream stream;
    struct ArrowArray batch;
    kusto_error *err = NULL;
    CHECK_INT(kusto_client_query_arrow_stream(client, NULL, "range x from 1 to 3000000 step 1", NULL, 1000, &stream,
                                              &err),
              KUSTO_OK);
    CHECK(stream.get_next(&stream, &batch) == 0 && batch.release);
    CHECK_INT(batch.length, 1000);
    CHECK_INT(((const int64_t *)batch.children[0]->buffers[1])[999], 1000);
    stream.release(&stream);
    CHECK(batch.release != NULL); /* a batch outlives its stream */
    batch.release(&batch);
    CHECK(last_query_closed());
}

static void test_errors_part_way_end_the_stream(kusto_client *client) {
    struct ArrowArrayStream stream;
    kusto_error *err = NULL;
    CHECK_INT(control("POST", "/faults", "{\"path\": \"/v2/rest/query\", \"truncate_after\": 300000, \"count\": 1}"),
              200);
    CHECK_INT(kusto_client_query_arrow_stream(client, NULL, "range x from 1 to 100000 step 1", NULL, 1000, &stream,
                                              &err),
              KUSTO_OK);
    drained d = drain(&stream);
    CHECK_INT(d.code, EIO);
    CHECK(d.rows > 0 && d.rows < 100000 && d.rows % 1000 == 0);
    CHECK_INT(d.sum, d.rows * (d.rows + 1) / 2);
    CHECK(strlen(stream.get_last_error(&stream)) > 0);
    stream.release(&stream);
    control("DELETE", "/faults", NULL);

    kusto_request *req = NULL;
    kusto_request_new(&req);
    kusto_request_set_option_int(req, "truncationmaxrecords", 10);
    kusto_request_set_option_bool(req, "deferpartialqueryfailures", 1);
    CHECK_INT(kusto_client_query_arrow_stream(client, NULL, "range x from 1 to 100 step 1", req, 0, &stream, &err),
              KUSTO_OK);
    kusto_request_free(req); /* copied by the call */
    d = drain(&stream);
    CHECK_INT(d.rows, 10);
    CHECK_INT(d.code, EIO);
    CHECK(strstr(stream.get_last_error(&stream), "80DA0003") != NULL);
    stream.release(&stream);
}

static void test_stream_errors_before_the_table(kusto_client *client) {
    struct ArrowArrayStream stream;
    kusto_error *err = NULL;
    CHECK_INT(kusto_client_query_arrow_stream(client, NULL, "NoSuchTable | take 1", NULL, 0, &stream, &err),
              KUSTO_E_SERVICE);
    CHECK(stream.release == NULL);
    CHECK(err && strlen(kusto_error_message(err)) > 0);
    kusto_error_free(err);
    CHECK_INT(kusto_client_query_arrow_stream(client, NULL, "print 1", NULL, 0, NULL, NULL), KUSTO_E_ARGUMENT);
}

/* What a live result gave, read to its end. */
typedef struct lived {
    char kinds[16]; /* 't' table, 'b' the first batch of a run of batches of one table, 'e' end */
    size_t tables, primary;
    int64_t primary_rows, primary_sum, batches;
} lived;

static lived read_live(kusto_arrow_live *live) {
    lived l = {.primary = (size_t)-1};
    size_t n = 0;
    kusto_arrow_live_event e;
    int last_batch_table = -1;
    do {
        CHECK_INT(kusto_arrow_live_next(live, &e), KUSTO_OK);
        if (e.kind == KUSTO_ARROW_LIVE_TABLE) {
            CHECK_INT(e.table, l.tables++);
            if (e.info->primary) l.primary = e.table;
            last_batch_table = -1;
        }
        if (e.kind == KUSTO_ARROW_LIVE_BATCH) {
            CHECK(e.info == NULL && e.batch.release && e.batch.n_children >= 1);
            if (e.table == l.primary) {
                const int64_t *x = e.batch.children[0]->buffers[1];
                for (int64_t i = 0; i < e.batch.length; i++) l.primary_sum += x[i];
                l.primary_rows += e.batch.length;
            }
            l.batches++;
            e.batch.release(&e.batch);
        }
        char kind = e.kind == KUSTO_ARROW_LIVE_TABLE ? 't' : e.kind == KUSTO_ARROW_LIVE_END ? 'e' : 'b';
        if (n < sizeof l.kinds - 1 && (kind != 'b' || last_batch_table != (int)e.table)) l.kinds[n++] = kind;
        if (kind == 'b') last_batch_table = (int)e.table;
    } while (e.kind != KUSTO_ARROW_LIVE_END);
    return l;
}

static void test_live_hands_over_every_table_in_order(kusto_client *client) {
    kusto_arrow_live *live = NULL;
    kusto_error *err = NULL;
    const kusto_arrow *result = (const kusto_arrow *)1;
    CHECK_INT(kusto_client_query_arrow_live(client, NULL, "range x from 1 to 100000 step 1", NULL, 30000, 0, &live,
                                            &err),
              KUSTO_OK);
    lived l = read_live(live);
    CHECK_STR(l.kinds, "tbtbtbe"); /* properties, the primary result, completion information: each with rows */
    CHECK_INT(l.tables, 3);
    CHECK_INT(l.primary, 1);
    CHECK_INT(l.primary_rows, 100000);
    CHECK_INT(l.primary_sum, INT64_C(5000050000));
    CHECK_INT(l.batches, 6); /* 4 of the primary result's, one of each other table's */
    CHECK_INT(kusto_arrow_live_finish(live, &result, &err), KUSTO_OK);
    CHECK(err == NULL && result != NULL);
    CHECK_INT(kusto_arrow_table_count(result), 3);
    CHECK_INT(kusto_arrow_table_row_count(result, 1), 100000);
    CHECK_STR(kusto_arrow_table_info(result, 1)->kind, "PrimaryResult");
    kusto_arrow_live_event e;
    CHECK_INT(kusto_arrow_live_next(live, &e), KUSTO_OK); /* the end again */
    CHECK_INT(e.kind, KUSTO_ARROW_LIVE_END);
    kusto_arrow_live_free(live);
}

static void test_live_errors_come_with_the_end(kusto_client *client) {
    kusto_arrow_live *live = NULL;
    kusto_error *err = NULL;
    const kusto_arrow *result = NULL;
    CHECK_INT(kusto_client_query_arrow_live(client, NULL, "NoSuchTable | take 1", NULL, 0, 0, &live, &err), KUSTO_OK);
    CHECK_STR(read_live(live).kinds, "e");
    CHECK_INT(kusto_arrow_live_finish(live, &result, &err), KUSTO_E_SERVICE);
    CHECK(err && strlen(kusto_error_message(err)) > 0);
    kusto_error_free(err);
    err = NULL;
    kusto_arrow_live_free(live);

    CHECK_INT(control("POST", "/faults", "{\"path\": \"/v2/rest/query\", \"truncate_after\": 300000, \"count\": 1}"),
              200);
    CHECK_INT(kusto_client_query_arrow_live(client, NULL, "range x from 1 to 100000 step 1", NULL, 1000, 0, &live,
                                            &err),
              KUSTO_OK);
    lived l = read_live(live);
    CHECK(l.primary_rows > 0 && l.primary_rows < 100000 && l.primary_rows % 1000 == 0);
    CHECK_INT(l.primary_sum, l.primary_rows * (l.primary_rows + 1) / 2);
    kusto_status st = kusto_arrow_live_finish(live, &result, &err);
    CHECK(st == KUSTO_E_PROTOCOL || st == KUSTO_E_NETWORK);
    CHECK(err && result && kusto_arrow_table_row_count(result, 1) == (size_t)l.primary_rows);
    kusto_error_free(err);
    err = NULL;
    kusto_arrow_live_free(live);
    control("DELETE", "/faults", NULL);

    CHECK_INT(kusto_client_query_arrow_live(client, NULL, "print 1", NULL, 0, 0, NULL, NULL), KUSTO_E_ARGUMENT);
    CHECK_INT(kusto_client_query_arrow_live(NULL, NULL, "print 1", NULL, 0, 0, &live, NULL), KUSTO_E_ARGUMENT);
    CHECK(live == NULL);
    kusto_arrow_live_free(NULL);
}

/* Freeing before the end cancels: the emulator could not write the rest of a body far larger than the
   socket buffers; a batch taken before outlives the result. */
static void test_live_free_before_the_end_cancels(kusto_client *client) {
    kusto_arrow_live *live = NULL;
    kusto_error *err = NULL;
    kusto_arrow_live_event e;
    CHECK_INT(kusto_client_query_arrow_live(client, NULL, "range x from 1 to 3000000 step 1", NULL, 1000, 0, &live,
                                            &err),
              KUSTO_OK);
    for (;;) { /* to the primary result's first batch; the batch before (the query properties') released */
        CHECK_INT(kusto_arrow_live_next(live, &e), KUSTO_OK);
        if (e.kind == KUSTO_ARROW_LIVE_BATCH && e.table == 1) break;
        if (e.batch.release) e.batch.release(&e.batch);
        if (e.kind == KUSTO_ARROW_LIVE_END) break;
    }
    CHECK_INT(kusto_arrow_live_finish(live, NULL, &err), KUSTO_E_ARGUMENT); /* not ended */
    kusto_error_free(err);
    kusto_arrow_live_free(live);
    CHECK_INT(e.batch.length, 1000);
    CHECK_INT(((const int64_t *)e.batch.children[0]->buffers[1])[999], 1000);
    e.batch.release(&e.batch);
    CHECK(last_query_closed());
}

int main(void) {
    if (load_config()) return 1;
    kusto_client *client = emulator_client();
    test_primary_result_in_batches(client);
    test_a_service_error_fills_no_stream(client);
    test_stream_gives_every_batch(client);
    test_first_batch_before_the_body_ends_and_release_cancels(client);
    test_errors_part_way_end_the_stream(client);
    test_stream_errors_before_the_table(client);
    test_live_hands_over_every_table_in_order(client);
    test_live_errors_come_with_the_end(client);
    test_live_free_before_the_end_cancels(client);
    kusto_client_free(client);
    cJSON_Delete(config);
    CHECK_DONE();
}
