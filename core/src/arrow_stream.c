/*
 * kusto_client_query_arrow_stream: the first primary result of a live Arrow result (arrow_live.c) as an
 * ArrowArrayStream whose get_next hands out each record batch as soon as the worker finishes it. Events of
 * other tables are dropped as they come; releasing the stream cancels the query and joins the worker.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arrow.h"
#include "buf.h"
#include "error.h"

typedef struct primary_stream {
    kusto_arrow_live *live;
    size_t table; /* the first primary result's place among the tables */
    const kusto_table_info *info;
    const char *last_error;
    char *failure;
} primary_stream;

static const char REPLACED[] = "the response replaced rows already streamed (progressive results cannot be streamed)";

/* The next event of the primary table (a batch, its rows replaced, or the end); others are dropped. */
static kusto_status next_of_primary(primary_stream *s, kusto_arrow_live_event *event) {
    for (;;) {
        kusto_status st = kusto_arrow_live_next(s->live, event);
        if (st != KUSTO_OK || event->kind == KUSTO_ARROW_LIVE_END) return st;
        if (event->table == s->table && event->kind != KUSTO_ARROW_LIVE_TABLE) return KUSTO_OK;
        if (event->batch.release) event->batch.release(&event->batch);
    }
}

static int fail_with(primary_stream *s, const char *message) {
    if (!s->failure) s->failure = kusto_strdup(message);
    s->last_error = s->failure ? s->failure : "out of memory";
    return EIO;
}

static int stream_get_schema(struct ArrowArrayStream *stream, struct ArrowSchema *out) {
    primary_stream *s = stream->private_data;
    if (kusto_arrow_schema_export(s->info, out) == 0) return 0;
    s->last_error = "out of memory";
    return ENOMEM;
}

/* After the last batch: the end, or the call's error (KUSTO_E_PARTIAL too: rows are missing). */
static int stream_end(primary_stream *s, struct ArrowArray *out) {
    kusto_error *err = NULL;
    kusto_status st = kusto_arrow_live_finish(s->live, NULL, &err);
    if (st == KUSTO_OK) {
        memset(out, 0, sizeof *out);
        return 0;
    }
    int rc = fail_with(s, err ? kusto_error_message(err) : "the query failed");
    kusto_error_free(err);
    return rc;
}

static int stream_get_next(struct ArrowArrayStream *stream, struct ArrowArray *out) {
    primary_stream *s = stream->private_data;
    if (s->failure) return fail_with(s, s->failure);
    kusto_arrow_live_event event;
    if (next_of_primary(s, &event) != KUSTO_OK) {
        s->last_error = "out of memory";
        return ENOMEM;
    }
    if (event.kind == KUSTO_ARROW_LIVE_END) return stream_end(s, out);
    if (event.kind == KUSTO_ARROW_LIVE_REPLACE) return fail_with(s, REPLACED); /* batches handed out stay out */
    *out = event.batch;
    return 0;
}

static const char *stream_get_last_error(struct ArrowArrayStream *stream) {
    primary_stream *s = stream->private_data;
    return s->last_error;
}

static void stream_release(struct ArrowArrayStream *stream) {
    primary_stream *s = stream->private_data;
    kusto_arrow_live_free(s->live);
    free(s->failure);
    free(s);
    stream->release = NULL;
}

/* Reads events up to the first primary result's beginning: KUSTO_OK, or the call's error when it ended
   before one (a call that went well has no primary result: KUSTO_E_PROTOCOL). */
static kusto_status find_primary(primary_stream *s, kusto_error **err) {
    kusto_arrow_live_event event;
    for (;;) {
        if (kusto_arrow_live_next(s->live, &event) != KUSTO_OK) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
        if (event.batch.release) event.batch.release(&event.batch);
        if (event.kind == KUSTO_ARROW_LIVE_TABLE && event.info->primary) {
            s->table = event.table;
            s->info = event.info;
            return KUSTO_OK;
        }
        if (event.kind != KUSTO_ARROW_LIVE_END) continue;
        kusto_status st = kusto_arrow_live_finish(s->live, NULL, err);
        if (st == KUSTO_OK || st == KUSTO_E_PARTIAL) {
            if (st == KUSTO_E_PARTIAL && err) kusto_error_free(*err), *err = NULL;
            return kusto_fail(err, KUSTO_E_PROTOCOL, "the response has no primary result table");
        }
        return st;
    }
}

kusto_status kusto_client_query_arrow_stream(kusto_client *client, const char *db, const char *csl,
                                             const kusto_request *req, size_t batch_rows,
                                             struct ArrowArrayStream *stream, kusto_error **err) {
    if (!stream) return kusto_fail(err, KUSTO_E_ARGUMENT, "kusto_client_query_arrow_stream: stream is NULL");
    memset(stream, 0, sizeof *stream);
    if (!client) return kusto_fail(err, KUSTO_E_ARGUMENT, "kusto_client_query_arrow_stream: client is NULL");
    primary_stream *s = calloc(1, sizeof *s);
    if (!s) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    kusto_status st = kusto_client_query_arrow_live(client, db, csl, req, batch_rows, 0, &s->live, err);
    if (st == KUSTO_OK) st = find_primary(s, err);
    if (st != KUSTO_OK) {
        kusto_arrow_live_free(s->live);
        free(s);
        return st;
    }
    *stream = (struct ArrowArrayStream){.get_schema = stream_get_schema,
                                        .get_next = stream_get_next,
                                        .get_last_error = stream_get_last_error,
                                        .release = stream_release,
                                        .private_data = s};
    return KUSTO_OK;
}
