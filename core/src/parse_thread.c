/*
 * The relay: a worker thread runs the transfer and the parser with a builder that records every event
 * into blocks; the calling thread replays the blocks into the caller's builder. So a binding builds its
 * values (under its interpreter lock) while the next bytes are received and parsed on the other core.
 * The worker never calls the caller's callbacks: interpreter states belong to the calling thread.
 */
#include "clock.h"
#include "parse_thread.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"

#define BLOCK_BYTES (256u * 1024u)
#define MAX_QUEUED 4 /* full blocks waiting: bounds memory, and a slow caller slows the transfer */
#define CANCEL_CHECK_MS 100L

/* clang-format off */
enum event {
    EV_BEGIN_TABLE = 1, EV_END_TABLE, EV_BEGIN_ROW, EV_END_ROW, EV_VALUE, EV_BEGIN_ARRAY, EV_END_ARRAY,
    EV_BEGIN_OBJECT, EV_KEY, EV_END_OBJECT, EV_REPLACE_ROWS, EV_PARTIAL_ERROR, EV_WARNING, EV_PROGRESS
};
/* clang-format on */

enum stop { RUNNING, STOP_ABORT, STOP_CANCEL };

typedef struct block {
    struct block *next;
    size_t len, cap;
    unsigned char data[];
} block;

typedef struct relay {
    const kusto_builder *outer;
    void *outer_ud;
    kusto_builder recorder;
    kusto_relay_work work;
    void *work_ud;
    atomic_int stop;
    /* The worker's. */
    block *filling;
    int out_of_memory;
    kusto_status work_status;
    kusto_error *work_err;
    /* Shared, under lock. */
    pthread_mutex_t lock;
    pthread_cond_t ready; /* a block was queued, or the work ended */
    pthread_cond_t room;  /* a block was taken, or the caller stopped */
    block *head, *tail, *spare;
    atomic_int queued;
    int done;
    /* The caller's. */
    const char *stopped_by; /* the callback that asked to stop */
    int replay_out_of_memory;
    kusto_column *columns;
    size_t column_cap;
    long next_cancel_check;
} relay;

/* ---- blocks and the queue ------------------------------------------------------------------------- */

static void free_blocks(block *b) {
    while (b) {
        block *next = b->next;
        free(b);
        b = next;
    }
}

/* Under lock: a replayed or unwanted block goes back for reuse (big ones are freed). */
static void recycle(relay *r, block *b) {
    if (b->cap != BLOCK_BYTES) {
        free(b);
        return;
    }
    b->next = r->spare;
    r->spare = b;
}

static block *new_block(relay *r, size_t need) {
    block *b = NULL;
    if (need <= BLOCK_BYTES) {
        pthread_mutex_lock(&r->lock);
        if ((b = r->spare)) r->spare = b->next;
        pthread_mutex_unlock(&r->lock);
    }
    size_t cap = need > BLOCK_BYTES ? need : BLOCK_BYTES;
    if (!b && (b = malloc(sizeof *b + cap))) b->cap = cap;
    if (b) {
        b->next = NULL;
        b->len = 0;
    }
    return b;
}

/* Worker: queues a block, waiting while MAX_QUEUED are; once the caller has stopped it is dropped. */
static void enqueue(relay *r, block *b) {
    pthread_mutex_lock(&r->lock);
    while (atomic_load(&r->queued) >= MAX_QUEUED && atomic_load(&r->stop) == RUNNING)
        pthread_cond_wait(&r->room, &r->lock);
    if (atomic_load(&r->stop) != RUNNING) {
        recycle(r, b);
    } else {
        if (r->tail) r->tail->next = b;
        else r->head = b;
        r->tail = b;
        atomic_fetch_add(&r->queued, 1);
        pthread_cond_signal(&r->ready);
    }
    pthread_mutex_unlock(&r->lock);
}

static void flush(relay *r) {
    block *b = r->filling;
    if (!b || !b->len) return;
    r->filling = NULL;
    enqueue(r, b);
}

/* ---- the recording builder (worker thread) --------------------------------------------------------- */

/* `n` bytes to write the next event into, or NULL when stopped or out of memory (see refusal). */
static unsigned char *room_for(relay *r, size_t n) {
    if (atomic_load_explicit(&r->stop, memory_order_relaxed) != RUNNING) return NULL;
    block *b = r->filling;
    if (!b || b->cap - b->len < n) {
        flush(r);
        if (atomic_load(&r->stop) != RUNNING) return NULL;
        if (!(b = r->filling = new_block(r, n))) {
            r->out_of_memory = 1;
            return NULL;
        }
    }
    unsigned char *at = b->data + b->len;
    b->len += n;
    return at;
}

/* What a recording callback returns when it could not record: once the caller was cancelled the rest
   is dropped quietly (the transfer's cancel hook ends the call with its own message); else stop. */
static int refusal(relay *r) { return r->out_of_memory || atomic_load(&r->stop) != STOP_CANCEL; }

static unsigned char *put(unsigned char *at, const void *src, size_t n) {
    memcpy(at, src, n);
    return at + n;
}

static size_t text_size(const char *s) { return 1 + (s ? sizeof(size_t) + strlen(s) + 1 : 0); }

/* A NUL-terminated string, or NULL. */
static unsigned char *put_text(unsigned char *at, const char *s) {
    *at++ = s != NULL;
    if (!s) return at;
    size_t len = strlen(s);
    at = put(at, &len, sizeof len);
    return put(at, s, len + 1);
}

static int record_tag(void *ud, enum event tag) {
    unsigned char *at = room_for(ud, 1);
    if (!at) return refusal(ud);
    *at = (unsigned char)tag;
    return 0;
}

static int rec_end_table(void *ud) { return record_tag(ud, EV_END_TABLE); }
static int rec_begin_row(void *ud) { return record_tag(ud, EV_BEGIN_ROW); }
static int rec_end_row(void *ud) { return record_tag(ud, EV_END_ROW); }
static int rec_begin_array(void *ud) { return record_tag(ud, EV_BEGIN_ARRAY); }
static int rec_end_array(void *ud) { return record_tag(ud, EV_END_ARRAY); }
static int rec_begin_object(void *ud) { return record_tag(ud, EV_BEGIN_OBJECT); }
static int rec_end_object(void *ud) { return record_tag(ud, EV_END_OBJECT); }
static int rec_replace_rows(void *ud) { return record_tag(ud, EV_REPLACE_ROWS); }

static int rec_begin_table(void *ud, const kusto_table_info *t) {
    size_t n = 1 + sizeof t->id + sizeof t->primary + sizeof t->column_count + text_size(t->name) + text_size(t->kind);
    for (size_t i = 0; i < t->column_count; i++)
        n += text_size(t->columns[i].name) + sizeof t->columns[i].type + text_size(t->columns[i].type_name);
    unsigned char *at = room_for(ud, n);
    if (!at) return refusal(ud);
    *at++ = EV_BEGIN_TABLE;
    at = put(at, &t->id, sizeof t->id);
    at = put(at, &t->primary, sizeof t->primary);
    at = put(at, &t->column_count, sizeof t->column_count);
    at = put_text(put_text(at, t->name), t->kind);
    for (size_t i = 0; i < t->column_count; i++) {
        at = put_text(at, t->columns[i].name);
        at = put(at, &t->columns[i].type, sizeof t->columns[i].type);
        at = put_text(at, t->columns[i].type_name);
    }
    return 0;
}

static int is_text(kusto_value_kind kind) {
    return kind == KUSTO_VALUE_STRING || kind == KUSTO_VALUE_DECIMAL || kind == KUSTO_VALUE_GUID ||
           kind == KUSTO_VALUE_JSON;
}

static int rec_value(void *ud, const kusto_value *v) {
    size_t n = 2 + (v->kind == KUSTO_VALUE_NULL ? 0 : is_text(v->kind) ? sizeof(size_t) + v->u.text.len : 8);
    unsigned char *at = room_for(ud, n);
    if (!at) return refusal(ud);
    *at++ = EV_VALUE;
    *at++ = (unsigned char)v->kind;
    int64_t b = v->u.b;
    switch (v->kind) {
    case KUSTO_VALUE_NULL: break;
    case KUSTO_VALUE_BOOL: put(at, &b, 8); break;
    case KUSTO_VALUE_INT: put(at, &v->u.i, 8); break;
    case KUSTO_VALUE_REAL: put(at, &v->u.r, 8); break;
    case KUSTO_VALUE_DATETIME:
    case KUSTO_VALUE_TIMESPAN: put(at, &v->u.ticks, 8); break;
    default: put(put(at, &v->u.text.len, sizeof(size_t)), v->u.text.ptr, v->u.text.len); break;
    }
    return 0;
}

static int rec_key(void *ud, const char *ptr, size_t len) {
    unsigned char *at = room_for(ud, 1 + sizeof len + len);
    if (!at) return refusal(ud);
    *at++ = EV_KEY;
    put(put(at, &len, sizeof len), ptr, len);
    return 0;
}

static int rec_partial_error(void *ud, const kusto_error *e) {
    size_t n = 1 + sizeof e->status + sizeof e->aadsts + sizeof e->permanent + sizeof e->http_status +
               text_size(e->message) + text_size(e->code) + text_size(e->request_id);
    unsigned char *at = room_for(ud, n);
    if (!at) return refusal(ud);
    *at++ = EV_PARTIAL_ERROR;
    at = put(at, &e->status, sizeof e->status);
    at = put(at, &e->aadsts, sizeof e->aadsts);
    at = put(at, &e->permanent, sizeof e->permanent);
    at = put(at, &e->http_status, sizeof e->http_status);
    put_text(put_text(put_text(at, e->message), e->code), e->request_id);
    return 0;
}

static int rec_warning(void *ud, const kusto_warning *w) {
    size_t n = 1 + sizeof w->table_id + sizeof w->row + sizeof w->column + sizeof w->count + text_size(w->table) +
               text_size(w->column_name) + text_size(w->reason) + text_size(w->excerpt);
    unsigned char *at = room_for(ud, n);
    if (!at) return refusal(ud);
    *at++ = EV_WARNING;
    at = put(at, &w->table_id, sizeof w->table_id);
    at = put(at, &w->row, sizeof w->row);
    at = put(at, &w->column, sizeof w->column);
    at = put(at, &w->count, sizeof w->count);
    put_text(put_text(put_text(put_text(at, w->table), w->column_name), w->reason), w->excerpt);
    return 0;
}

static int rec_progress(void *ud, int table_id, double percent) {
    unsigned char *at = room_for(ud, 1 + sizeof table_id + sizeof percent);
    if (!at) return refusal(ud);
    *at++ = EV_PROGRESS;
    put(put(at, &table_id, sizeof table_id), &percent, sizeof percent);
    return 0;
}

static void rec_enter(void *ud) {}

/* The end of a network chunk: hand over what it gave when the caller has nothing to do, so rows arrive
   as soon as they did without the relay; while the caller is busy, blocks fill up. */
static void rec_leave(void *ud) {
    relay *r = ud;
    if (atomic_load_explicit(&r->queued, memory_order_relaxed) == 0) flush(r);
}

static int rec_cancelled(void *ud) {
    relay *r = ud;
    return atomic_load(&r->stop) != RUNNING;
}

/* Records exactly the callbacks the caller has: the parser does differ on which are NULL. */
static void make_recorder(kusto_builder *rec, const kusto_builder *outer) {
#define MIRROR(cb) rec->cb = outer->cb ? rec_##cb : NULL
    MIRROR(begin_table);
    MIRROR(end_table);
    MIRROR(begin_row);
    MIRROR(end_row);
    MIRROR(value);
    MIRROR(begin_array);
    MIRROR(end_array);
    MIRROR(begin_object);
    MIRROR(key);
    MIRROR(end_object);
    MIRROR(replace_rows);
    MIRROR(partial_error);
    MIRROR(warning);
    MIRROR(progress);
#undef MIRROR
    rec->size = sizeof *rec;
    rec->strict = outer->strict;
    rec->enter = rec_enter;
    rec->leave = rec_leave;
    rec->cancelled = rec_cancelled;
}

static void *worker(void *arg) {
    relay *r = arg;
    r->work_status = r->work(r->work_ud, &r->recorder, r, &r->work_err);
    if (r->out_of_memory) {
        kusto_error_free(r->work_err);
        r->work_err = NULL;
        r->work_status = kusto_fail(&r->work_err, KUSTO_E_NOMEM, "out of memory");
    }
    flush(r);
    pthread_mutex_lock(&r->lock);
    if (r->filling) recycle(r, r->filling);
    r->filling = NULL;
    r->done = 1;
    pthread_cond_signal(&r->ready);
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

/* ---- the replay (calling thread) ------------------------------------------------------------------ */

typedef struct reader {
    const unsigned char *at;
} reader;

static void get(reader *rd, void *dst, size_t n) {
    memcpy(dst, rd->at, n);
    rd->at += n;
}

static const char *get_text(reader *rd) {
    if (!*rd->at++) return NULL;
    size_t len;
    get(rd, &len, sizeof len);
    const char *s = (const char *)rd->at;
    rd->at += len + 1;
    return s;
}

static int replay_table(relay *r, reader *rd) {
    kusto_table_info t = {0};
    get(rd, &t.id, sizeof t.id);
    get(rd, &t.primary, sizeof t.primary);
    get(rd, &t.column_count, sizeof t.column_count);
    t.name = get_text(rd);
    t.kind = get_text(rd);
    if (t.column_count > r->column_cap) {
        kusto_column *columns = realloc(r->columns, t.column_count * sizeof *columns);
        if (!columns) return r->replay_out_of_memory = 1, -1;
        r->columns = columns;
        r->column_cap = t.column_count;
    }
    for (size_t i = 0; i < t.column_count; i++) {
        r->columns[i].name = get_text(rd);
        get(rd, &r->columns[i].type, sizeof r->columns[i].type);
        r->columns[i].type_name = get_text(rd);
    }
    t.columns = r->columns;
    return r->outer->begin_table(r->outer_ud, &t);
}

static int replay_value(relay *r, reader *rd) {
    kusto_value v;
    v.kind = (kusto_value_kind)*rd->at++;
    int64_t b;
    switch (v.kind) {
    case KUSTO_VALUE_NULL: break;
    case KUSTO_VALUE_BOOL: get(rd, &b, 8), v.u.b = (int)b; break;
    case KUSTO_VALUE_INT: get(rd, &v.u.i, 8); break;
    case KUSTO_VALUE_REAL: get(rd, &v.u.r, 8); break;
    case KUSTO_VALUE_DATETIME:
    case KUSTO_VALUE_TIMESPAN: get(rd, &v.u.ticks, 8); break;
    default:
        get(rd, &v.u.text.len, sizeof v.u.text.len);
        v.u.text.ptr = (const char *)rd->at;
        rd->at += v.u.text.len;
        break;
    }
    return r->outer->value(r->outer_ud, &v);
}

static int replay_key(relay *r, reader *rd) {
    size_t len;
    get(rd, &len, sizeof len);
    const char *ptr = (const char *)rd->at;
    rd->at += len;
    return r->outer->key(r->outer_ud, ptr, len);
}

static int replay_partial_error(relay *r, reader *rd) {
    kusto_error e = {0};
    get(rd, &e.status, sizeof e.status);
    get(rd, &e.aadsts, sizeof e.aadsts);
    get(rd, &e.permanent, sizeof e.permanent);
    get(rd, &e.http_status, sizeof e.http_status);
    e.message = (char *)get_text(rd);
    e.code = (char *)get_text(rd);
    e.request_id = (char *)get_text(rd);
    return r->outer->partial_error(r->outer_ud, &e);
}

static int replay_warning(relay *r, reader *rd) {
    kusto_warning w = {0};
    get(rd, &w.table_id, sizeof w.table_id);
    get(rd, &w.row, sizeof w.row);
    get(rd, &w.column, sizeof w.column);
    get(rd, &w.count, sizeof w.count);
    w.table = get_text(rd);
    w.column_name = get_text(rd);
    w.reason = get_text(rd);
    w.excerpt = get_text(rd);
    return r->outer->warning(r->outer_ud, &w);
}

static int replay_progress(relay *r, reader *rd) {
    int table_id;
    double percent;
    get(rd, &table_id, sizeof table_id);
    get(rd, &percent, sizeof percent);
    return r->outer->progress(r->outer_ud, table_id, percent);
}

/* One event into the caller's builder: non-zero to stop, with r->stopped_by naming the callback. */
static int replay_event(relay *r, reader *rd) {
    const kusto_builder *o = r->outer;
    void *ud = r->outer_ud;
    switch ((enum event) * rd->at++) {
    case EV_VALUE: return replay_value(r, rd) ? (r->stopped_by = "value", 1) : 0;
    case EV_BEGIN_ROW: return o->begin_row(ud) ? (r->stopped_by = "begin_row", 1) : 0;
    case EV_END_ROW: return o->end_row(ud) ? (r->stopped_by = "end_row", 1) : 0;
    case EV_BEGIN_ARRAY: return o->begin_array(ud) ? (r->stopped_by = "begin_array", 1) : 0;
    case EV_END_ARRAY: return o->end_array(ud) ? (r->stopped_by = "end_array", 1) : 0;
    case EV_BEGIN_OBJECT: return o->begin_object(ud) ? (r->stopped_by = "begin_object", 1) : 0;
    case EV_END_OBJECT: return o->end_object(ud) ? (r->stopped_by = "end_object", 1) : 0;
    case EV_KEY: return replay_key(r, rd) ? (r->stopped_by = "key", 1) : 0;
    case EV_BEGIN_TABLE: return replay_table(r, rd) ? (r->stopped_by = "begin_table", 1) : 0;
    case EV_END_TABLE: return o->end_table(ud) ? (r->stopped_by = "end_table", 1) : 0;
    case EV_REPLACE_ROWS: return o->replace_rows(ud) ? (r->stopped_by = "replace_rows", 1) : 0;
    case EV_PARTIAL_ERROR: return replay_partial_error(r, rd) ? (r->stopped_by = "partial_error", 1) : 0;
    case EV_WARNING: return replay_warning(r, rd) ? (r->stopped_by = "warning", 1) : 0;
    case EV_PROGRESS: return replay_progress(r, rd) ? (r->stopped_by = "progress", 1) : 0;
    }
    return 1; /* not reached: the worker writes only the events above */
}

static int replay(relay *r, const block *b) {
    reader rd = {b->data};
    const unsigned char *end = b->data + b->len;
    if (r->outer->enter) r->outer->enter(r->outer_ud);
    int stop = 0;
    while (rd.at < end && !(stop = replay_event(r, &rd))) {}
    if (r->outer->leave) r->outer->leave(r->outer_ud);
    return stop;
}

/* The caller's cancel callback, at most every CANCEL_CHECK_MS; outside enter/leave. */
static int caller_cancelled(relay *r, int now) {
    if (!r->outer->cancelled) return 0;
    long t = kusto_now_ms();
    if (!now && t < r->next_cancel_check) return 0;
    r->next_cancel_check = t + CANCEL_CHECK_MS;
    return r->outer->cancelled(r->outer_ud);
}

static void deadline_in(struct timespec *ts, long ms) {
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_nsec += (ms % 1000) * 1000000L;
    ts->tv_sec += ms / 1000 + ts->tv_nsec / 1000000000L;
    ts->tv_nsec %= 1000000000L;
}

/* The next block, or NULL when the work has ended and every block was taken, or the caller cancelled. */
static block *next_block(relay *r) {
    pthread_mutex_lock(&r->lock);
    for (;;) {
        block *b = r->head;
        if (b) {
            if (!(r->head = b->next)) r->tail = NULL;
            atomic_fetch_sub(&r->queued, 1);
            pthread_cond_signal(&r->room);
            pthread_mutex_unlock(&r->lock);
            return b;
        }
        if (r->done) break;
        struct timespec until;
        deadline_in(&until, CANCEL_CHECK_MS);
        if (pthread_cond_timedwait(&r->ready, &r->lock, &until) != 0 && r->outer->cancelled) {
            pthread_mutex_unlock(&r->lock);
            int cancel = caller_cancelled(r, 1);
            pthread_mutex_lock(&r->lock);
            if (cancel) {
                atomic_store(&r->stop, STOP_CANCEL);
                pthread_cond_broadcast(&r->room);
                break;
            }
        }
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

static void stop_worker(relay *r, enum stop how) {
    pthread_mutex_lock(&r->lock);
    atomic_store(&r->stop, how);
    pthread_cond_broadcast(&r->room);
    pthread_mutex_unlock(&r->lock);
}

static void replay_all(relay *r) {
    block *b;
    while ((b = next_block(r))) {
        int stop = replay(r, b);
        pthread_mutex_lock(&r->lock);
        recycle(r, b);
        pthread_mutex_unlock(&r->lock);
        if (stop) return stop_worker(r, STOP_ABORT);
        if (caller_cancelled(r, 0)) return stop_worker(r, STOP_CANCEL);
    }
}

/* The call's outcome once the worker has ended. */
static kusto_status outcome(relay *r, const char *cancel_message, kusto_error **err) {
    kusto_error *work_err = r->work_err;
    r->work_err = NULL;
    if (r->stopped_by || r->replay_out_of_memory) {
        kusto_error_free(work_err);
        if (r->replay_out_of_memory) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
        return kusto_fail(err, KUSTO_E_CANCELLED, "the builder's %s callback asked to stop", r->stopped_by);
    }
    if (atomic_load(&r->stop) == STOP_CANCEL && (r->work_status == KUSTO_OK || r->work_status == KUSTO_E_PARTIAL)) {
        kusto_error_free(work_err);
        return kusto_fail(err, KUSTO_E_CANCELLED, "%s", cancel_message);
    }
    if (work_err) kusto_error_give(err, work_err);
    return r->work_status;
}

kusto_status kusto_relay_run(const kusto_builder *outer, void *outer_ud, kusto_relay_work work, void *work_ud,
                             const char *cancel_message, kusto_error **err) {
    relay *r = calloc(1, sizeof *r);
    if (!r) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    *r = (relay){.outer = outer, .outer_ud = outer_ud, .work = work, .work_ud = work_ud};
    make_recorder(&r->recorder, outer);
    pthread_condattr_t attr;
    pthread_t thread;
    int ok = pthread_mutex_init(&r->lock, NULL) == 0;
    ok = ok && pthread_condattr_init(&attr) == 0;
    if (ok) {
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        int room = pthread_cond_init(&r->room, NULL), ready = pthread_cond_init(&r->ready, &attr);
        pthread_condattr_destroy(&attr);
        ok = room == 0 && ready == 0 && pthread_create(&thread, NULL, worker, r) == 0;
    }
    kusto_status status;
    if (ok) {
        replay_all(r);
        pthread_join(thread, NULL);
        status = outcome(r, cancel_message, err);
    } else {
        status = work(work_ud, outer, outer_ud, err);
    }
    free_blocks(r->head);
    free_blocks(r->spare);
    free(r->columns);
    kusto_error_free(r->work_err);
    pthread_cond_destroy(&r->room);
    pthread_cond_destroy(&r->ready);
    pthread_mutex_destroy(&r->lock);
    free(r);
    return status;
}
