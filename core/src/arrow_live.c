/*
 * kusto_client_query_arrow_live: a worker thread runs the transfer, the parse and the Arrow builder, and
 * hands what the builder finishes (a table begun, a batch, a table's rows replaced) through a short queue
 * to the consumer, which reads it with kusto_arrow_live_next while the rest still arrives. A full queue
 * holds the worker back; freeing the live result cancels the query and joins the worker.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "arrow.h"
#include "buf.h"
#include "error.h"
#include "request.h"

#define MAX_QUEUED 4 /* events waiting for kusto_arrow_live_next */

typedef struct queued {
    kusto_arrow_live_kind kind;
    size_t table;
    const kusto_table_info *info; /* owned by the kusto_arrow's tables, which stay until it is freed */
    arrow_batch *batch;           /* a reference, for KUSTO_ARROW_LIVE_BATCH */
} queued;

struct kusto_arrow_live {
    kusto_arrow *arrow; /* the worker's builder; the result once the worker ended */
    kusto_builder builder;
    kusto_client *client;
    char *db, *csl; /* copies: the caller's may go once the call returns */
    kusto_request *req;
    pthread_t thread;
    atomic_int stop;        /* the consumer freed the result before the end */
    size_t table;           /* worker: the table being built */
    pthread_mutex_t lock;   /* guards what follows */
    pthread_cond_t changed; /* an event queued or taken, the work ended, or stop */
    queued queue[MAX_QUEUED];
    size_t head, count;
    int done;
    kusto_status status;
    kusto_error *err;
};

/* ---- the worker ------------------------------------------------------------------------------------ */

/* Waits for room and queues the event: 0, or 1 once the consumer has gone (the event is dropped). */
static int put(kusto_arrow_live *live, queued event) {
    pthread_mutex_lock(&live->lock);
    while (live->count == MAX_QUEUED && !atomic_load(&live->stop)) pthread_cond_wait(&live->changed, &live->lock);
    int stopped = atomic_load(&live->stop);
    if (!stopped) {
        live->queue[(live->head + live->count++) % MAX_QUEUED] = event;
        pthread_cond_broadcast(&live->changed);
    }
    pthread_mutex_unlock(&live->lock);
    if (stopped) kusto_arrow_batch_unref(event.batch);
    return stopped;
}

static int on_batch(void *ud, arrow_batch *batch) {
    kusto_arrow_live *live = ud;
    return put(live, (queued){.kind = KUSTO_ARROW_LIVE_BATCH, .table = live->table, .batch = batch});
}

static int on_table_begun(void *ud, size_t index, arrow_table *table) {
    kusto_arrow_live *live = ud;
    live->table = index;
    return put(live, (queued){.kind = KUSTO_ARROW_LIVE_TABLE, .table = index, .info = &table->info});
}

static int on_rows_replaced(void *ud, size_t index, arrow_table *table) {
    return put(ud, (queued){.kind = KUSTO_ARROW_LIVE_REPLACE, .table = index, .info = &table->info});
}

static int on_cancelled(void *arrow) {
    kusto_arrow_live *live = kusto_arrow_sink_ud(arrow);
    return atomic_load(&live->stop);
}

static void *worker(void *arg) {
    kusto_arrow_live *live = arg;
    kusto_error *err = NULL;
    kusto_status status = kusto_client_query(live->client, live->db, live->csl, live->req, &live->builder, live->arrow,
                                             &err);
    if (status == KUSTO_E_CANCELLED && !atomic_load(&live->stop)) { /* the Arrow builder ran out of memory */
        kusto_error_free(err);
        err = NULL;
        status = kusto_fail(&err, KUSTO_E_NOMEM, "out of memory while building the Arrow result");
    }
    pthread_mutex_lock(&live->lock);
    live->status = status;
    live->err = err;
    live->done = 1;
    pthread_cond_broadcast(&live->changed);
    pthread_mutex_unlock(&live->lock);
    return NULL;
}

/* ---- the consumer ------------------------------------------------------------------------------------ */

static void live_free_parts(kusto_arrow_live *live) {
    for (size_t i = 0; i < live->count; i++) kusto_arrow_batch_unref(live->queue[(live->head + i) % MAX_QUEUED].batch);
    kusto_arrow_free(live->arrow);
    kusto_error_free(live->err);
    pthread_cond_destroy(&live->changed);
    pthread_mutex_destroy(&live->lock);
    free(live->db);
    free(live->csl);
    kusto_request_free(live->req);
    free(live);
}

static kusto_arrow_live *live_new(kusto_client *client, const char *db, const char *csl, const kusto_request *req,
                                  size_t batch_rows, unsigned flags) {
    kusto_arrow_live *live = calloc(1, sizeof *live);
    if (!live) return NULL;
    if (pthread_mutex_init(&live->lock, NULL) != 0) return free(live), NULL;
    if (pthread_cond_init(&live->changed, NULL) != 0) {
        pthread_mutex_destroy(&live->lock);
        return free(live), NULL;
    }
    live->client = client;
    live->db = db ? kusto_strdup(db) : NULL;
    live->csl = kusto_strdup(csl ? csl : "");
    live->req = req ? kusto_request_copy(req) : NULL;
    if (kusto_arrow_new(&live->arrow, batch_rows) != KUSTO_OK || !live->csl || (db && !live->db) ||
        (req && !live->req)) {
        live_free_parts(live);
        return NULL;
    }
    kusto_arrow_set_sink(live->arrow, on_batch, live);
    kusto_arrow_set_table_hooks(live->arrow, on_table_begun, on_rows_replaced);
    live->builder = *kusto_arrow_builder();
    live->builder.cancelled = on_cancelled;
    live->builder.strict = (flags & KUSTO_ARROW_STRICT) != 0;
    if (flags & KUSTO_ARROW_TICKS) kusto_arrow_keep_ticks(live->arrow);
    return live;
}

kusto_status kusto_client_query_arrow_live(kusto_client *client, const char *db, const char *csl,
                                           const kusto_request *req, size_t batch_rows, unsigned flags,
                                           kusto_arrow_live **out, kusto_error **err) {
    if (!out) return kusto_fail(err, KUSTO_E_ARGUMENT, "kusto_client_query_arrow_live: out is NULL");
    *out = NULL;
    if (!client) return kusto_fail(err, KUSTO_E_ARGUMENT, "kusto_client_query_arrow_live: client is NULL");
    kusto_arrow_live *live = live_new(client, db, csl, req, batch_rows, flags);
    if (!live) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    if (pthread_create(&live->thread, NULL, worker, live) != 0) {
        live_free_parts(live);
        return kusto_fail(err, KUSTO_E_NOMEM, "could not start the Arrow result's thread");
    }
    *out = live;
    return KUSTO_OK;
}

kusto_status kusto_arrow_live_next(kusto_arrow_live *live, kusto_arrow_live_event *event) {
    memset(event, 0, sizeof *event);
    pthread_mutex_lock(&live->lock);
    while (live->count == 0 && !live->done) pthread_cond_wait(&live->changed, &live->lock);
    queued next = {.kind = KUSTO_ARROW_LIVE_END};
    if (live->count) {
        next = live->queue[live->head];
        live->head = (live->head + 1) % MAX_QUEUED;
        live->count--;
        pthread_cond_broadcast(&live->changed);
    }
    pthread_mutex_unlock(&live->lock);
    event->kind = next.kind;
    event->table = next.table;
    event->info = next.info;
    if (!next.batch) return KUSTO_OK;
    int rc = kusto_arrow_batch_export(next.batch, &event->batch);
    kusto_arrow_batch_unref(next.batch);
    return rc == 0 ? KUSTO_OK : KUSTO_E_NOMEM;
}

/* Whether the worker has ended and every event was taken. */
static int ended(kusto_arrow_live *live) {
    pthread_mutex_lock(&live->lock);
    int end = live->done && live->count == 0;
    pthread_mutex_unlock(&live->lock);
    return end;
}

kusto_status kusto_arrow_live_finish(kusto_arrow_live *live, const kusto_arrow **result, kusto_error **err) {
    if (result) *result = NULL;
    if (!live || !ended(live))
        return kusto_fail(err, KUSTO_E_ARGUMENT, "kusto_arrow_live_finish: the result has not ended");
    if (result) *result = live->arrow;
    if (live->status != KUSTO_OK && err) *err = kusto_error_copy(live->err);
    return live->status;
}

void kusto_arrow_live_free(kusto_arrow_live *live) {
    if (!live) return;
    pthread_mutex_lock(&live->lock);
    atomic_store(&live->stop, 1);
    pthread_cond_broadcast(&live->changed);
    pthread_mutex_unlock(&live->lock);
    pthread_join(live->thread, NULL);
    live_free_parts(live);
}
