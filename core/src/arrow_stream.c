/*
 * kusto_client_query_arrow_stream: the first primary result as an ArrowArrayStream whose get_next hands
 * out each record batch as soon as the builder finishes it. A worker thread runs the transfer, the parse
 * and the Arrow builder; finished batches wait in a short queue, so memory holds a few batches, and a
 * slow consumer slows the transfer. Releasing the stream cancels the query and joins the worker.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "arrow.h"
#include "buf.h"
#include "error.h"
#include "request.h"

#define MAX_QUEUED 2 /* finished batches waiting for get_next */

typedef struct live_stream {
    kusto_arrow *arrow;    /* the worker's builder */
    kusto_builder builder; /* the worker's: forwards only the first primary result's events */
    kusto_client *client;
    char *db, *csl; /* copies: the caller's may go once the call returns */
    kusto_request *req;
    pthread_t thread;
    atomic_int stop; /* the consumer released the stream */
    int forwarding;  /* worker: inside the first primary result */
    /* Shared, under lock. */
    pthread_mutex_t lock;
    pthread_cond_t changed; /* a batch was queued or taken, the table began, the work ended, or stop */
    arrow_batch *queue[MAX_QUEUED];
    size_t head, queued;
    arrow_table *table; /* a reference, once the primary result began */
    int done;
    kusto_status status;
    kusto_error *err;
    const char *own_failure; /* why the worker stopped the parse itself, or NULL */
    /* The consumer's. */
    const char *last_error;
    char *failure;
} live_stream;

/* ---- the worker ------------------------------------------------------------------------------------ */

/* Waits for room in the queue; the batch is dropped once the consumer has gone. */
static int sink(void *ud, arrow_batch *batch) {
    live_stream *s = ud;
    pthread_mutex_lock(&s->lock);
    while (s->queued == MAX_QUEUED && !atomic_load(&s->stop)) pthread_cond_wait(&s->changed, &s->lock);
    int stopped = atomic_load(&s->stop);
    if (!stopped) {
        s->queue[(s->head + s->queued++) % MAX_QUEUED] = batch;
        pthread_cond_broadcast(&s->changed);
    }
    pthread_mutex_unlock(&s->lock);
    if (stopped) kusto_arrow_batch_unref(batch);
    return stopped;
}

static int on_begin_table(void *ud, const kusto_table_info *info) {
    live_stream *s = ud;
    if (s->table || !info->primary) return 0;
    if (kusto_arrow_builder()->begin_table(s->arrow, info) != 0) return -1;
    arrow_table *t = kusto_arrow_last_table(s->arrow);
    __atomic_add_fetch(&t->refs, 1, __ATOMIC_RELAXED);
    pthread_mutex_lock(&s->lock);
    s->table = t;
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->lock);
    s->forwarding = 1;
    return 0;
}

static int on_end_table(void *ud) {
    live_stream *s = ud;
    if (!s->forwarding) return 0;
    s->forwarding = 0;
    return kusto_arrow_builder()->end_table(s->arrow);
}

static int on_begin_row(void *ud) {
    live_stream *s = ud;
    return s->forwarding ? kusto_arrow_builder()->begin_row(s->arrow) : 0;
}

static int on_end_row(void *ud) {
    live_stream *s = ud;
    return s->forwarding ? kusto_arrow_builder()->end_row(s->arrow) : 0;
}

static int on_value(void *ud, const kusto_value *v) {
    live_stream *s = ud;
    return s->forwarding ? kusto_arrow_builder()->value(s->arrow, v) : 0;
}

/* Batches already handed out cannot be taken back. */
static int on_replace_rows(void *ud) {
    live_stream *s = ud;
    if (!s->forwarding) return 0;
    s->own_failure = "the response replaced rows already streamed (progressive results cannot be streamed)";
    return 1;
}

static int on_cancelled(void *ud) {
    live_stream *s = ud;
    return atomic_load(&s->stop);
}

static void *worker(void *arg) {
    live_stream *s = arg;
    kusto_error *err = NULL;
    kusto_status status = kusto_client_query(s->client, s->db, s->csl, s->req, &s->builder, s, &err);
    if (status == KUSTO_E_CANCELLED && !atomic_load(&s->stop)) { /* the builder stopped the parse */
        kusto_error_free(err);
        err = NULL;
        status = s->own_failure ? kusto_fail(&err, KUSTO_E_PROTOCOL, "%s", s->own_failure)
                                : kusto_fail(&err, KUSTO_E_NOMEM, "out of memory while building the Arrow result");
    }
    pthread_mutex_lock(&s->lock);
    s->status = status;
    s->err = err;
    s->done = 1;
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* ---- the stream (consumer) ---------------------------------------------------------------------------- */

static void live_free(live_stream *s) {
    for (size_t i = 0; i < s->queued; i++) kusto_arrow_batch_unref(s->queue[(s->head + i) % MAX_QUEUED]);
    kusto_arrow_table_unref(s->table);
    kusto_arrow_free(s->arrow);
    kusto_error_free(s->err);
    pthread_cond_destroy(&s->changed);
    pthread_mutex_destroy(&s->lock);
    free(s->db);
    free(s->csl);
    kusto_request_free(s->req);
    free(s->failure);
    free(s);
}

static void stop_and_join(live_stream *s) {
    pthread_mutex_lock(&s->lock);
    atomic_store(&s->stop, 1);
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
}

static int live_get_schema(struct ArrowArrayStream *stream, struct ArrowSchema *out) {
    live_stream *s = stream->private_data;
    if (kusto_arrow_schema_export(s->table, out) == 0) return 0;
    s->last_error = "out of memory";
    return ENOMEM;
}

/* After the last batch: the end, or the call's error (KUSTO_E_PARTIAL too: rows are missing). */
static int live_end(live_stream *s, struct ArrowArray *out) {
    if (s->status == KUSTO_OK) {
        memset(out, 0, sizeof *out);
        return 0;
    }
    if (!s->failure) s->failure = kusto_strdup(s->err ? kusto_error_message(s->err) : "the query failed");
    s->last_error = s->failure ? s->failure : "out of memory";
    return EIO;
}

static int live_get_next(struct ArrowArrayStream *stream, struct ArrowArray *out) {
    live_stream *s = stream->private_data;
    pthread_mutex_lock(&s->lock);
    while (s->queued == 0 && !s->done) pthread_cond_wait(&s->changed, &s->lock);
    arrow_batch *batch = NULL;
    if (s->queued) {
        batch = s->queue[s->head];
        s->head = (s->head + 1) % MAX_QUEUED;
        s->queued--;
        pthread_cond_broadcast(&s->changed);
    }
    pthread_mutex_unlock(&s->lock);
    if (!batch) return live_end(s, out);
    int rc = kusto_arrow_batch_export(batch, out);
    kusto_arrow_batch_unref(batch);
    if (rc == 0) return 0;
    s->last_error = "out of memory";
    return ENOMEM;
}

static const char *live_get_last_error(struct ArrowArrayStream *stream) {
    live_stream *s = stream->private_data;
    return s->last_error;
}

static void live_release(struct ArrowArrayStream *stream) {
    live_stream *s = stream->private_data;
    stop_and_join(s);
    live_free(s);
    stream->release = NULL;
}

/* ---- the call ------------------------------------------------------------------------------------------ */

static live_stream *live_new(kusto_client *client, const char *db, const char *csl, const kusto_request *req,
                             size_t batch_rows) {
    live_stream *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    if (pthread_mutex_init(&s->lock, NULL) != 0) return free(s), NULL;
    if (pthread_cond_init(&s->changed, NULL) != 0) {
        pthread_mutex_destroy(&s->lock);
        return free(s), NULL;
    }
    s->client = client;
    s->db = db ? kusto_strdup(db) : NULL;
    s->csl = kusto_strdup(csl ? csl : "");
    s->req = req ? kusto_request_copy(req) : NULL;
    if (kusto_arrow_new(&s->arrow, batch_rows) != KUSTO_OK || !s->csl || (db && !s->db) || (req && !s->req)) {
        live_free(s);
        return NULL;
    }
    kusto_arrow_set_sink(s->arrow, sink, s);
    s->builder = (kusto_builder){.size = sizeof(kusto_builder),
                                 .begin_table = on_begin_table,
                                 .end_table = on_end_table,
                                 .begin_row = on_begin_row,
                                 .end_row = on_end_row,
                                 .value = on_value,
                                 .replace_rows = on_replace_rows,
                                 .cancelled = on_cancelled};
    return s;
}

/* Waits until the primary result began or the work ended: 1 when it began. */
static int wait_for_table(live_stream *s) {
    pthread_mutex_lock(&s->lock);
    while (!s->table && !s->done) pthread_cond_wait(&s->changed, &s->lock);
    int began = s->table != NULL;
    pthread_mutex_unlock(&s->lock);
    return began;
}

kusto_status kusto_client_query_arrow_stream(kusto_client *client, const char *db, const char *csl,
                                             const kusto_request *req, size_t batch_rows,
                                             struct ArrowArrayStream *stream, kusto_error **err) {
    if (!stream) return kusto_fail(err, KUSTO_E_ARGUMENT, "kusto_client_query_arrow_stream: stream is NULL");
    memset(stream, 0, sizeof *stream);
    if (!client) return kusto_fail(err, KUSTO_E_ARGUMENT, "kusto_client_query_arrow_stream: client is NULL");
    live_stream *s = live_new(client, db, csl, req, batch_rows);
    if (!s) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    if (pthread_create(&s->thread, NULL, worker, s) != 0) {
        live_free(s);
        return kusto_fail(err, KUSTO_E_NOMEM, "could not start the Arrow stream's thread");
    }
    if (!wait_for_table(s)) { /* the query ended before any primary result */
        pthread_join(s->thread, NULL);
        kusto_status status = s->status;
        if (status == KUSTO_OK || status == KUSTO_E_PARTIAL)
            status = kusto_fail(err, KUSTO_E_PROTOCOL, "the response has no primary result table");
        else kusto_error_give(err, s->err), s->err = NULL;
        live_free(s);
        return status;
    }
    *stream = (struct ArrowArrayStream){.get_schema = live_get_schema,
                                        .get_next = live_get_next,
                                        .get_last_error = live_get_last_error,
                                        .release = live_release,
                                        .private_data = s};
    return KUSTO_OK;
}
