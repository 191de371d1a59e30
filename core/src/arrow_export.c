/*
 * The Arrow builder's tables handed out through the Arrow C Data Interface: schemas, record batches
 * (struct arrays sharing the batch's buffers by reference count) and streams of a table's batches.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arrow.h"
#include "buf.h"
#include "error.h"

/* ---- schemas ------------------------------------------------------------------------------------------ */

typedef struct schema_parts {
    char *format, *name, *metadata;
    struct ArrowSchema *children; /* n_children of them */
    struct ArrowSchema **child_ptrs;
} schema_parts;

static void schema_release(struct ArrowSchema *s) {
    schema_parts *parts = s->private_data;
    for (int64_t i = 0; i < s->n_children; i++)
        if (s->children[i]->release) s->children[i]->release(s->children[i]);
    free(parts->format);
    free(parts->name);
    free(parts->metadata);
    free(parts->children);
    free(parts->child_ptrs);
    free(parts);
    s->release = NULL;
}

/* Arrow's metadata encoding: int32 pair count, then int32 length + bytes for each key and value. */
typedef struct metadata {
    kusto_buf buf;
    int32_t count;
    int failed;
} metadata;

static void metadata_add(metadata *m, const char *key, const char *value) {
    int32_t key_len = (int32_t)strlen(key), value_len = (int32_t)strlen(value);
    if (m->buf.len == 0) m->failed |= kusto_buf_append(&m->buf, &m->count, sizeof m->count) < 0;
    m->failed |= kusto_buf_append(&m->buf, &key_len, sizeof key_len) < 0 ||
                 kusto_buf_append(&m->buf, key, (size_t)key_len) < 0 ||
                 kusto_buf_append(&m->buf, &value_len, sizeof value_len) < 0 ||
                 kusto_buf_append(&m->buf, value, (size_t)value_len) < 0;
    m->count++;
    if (!m->failed) memcpy(m->buf.data, &m->count, sizeof m->count);
}

static char *metadata_take(metadata *m) {
    if (m->failed) {
        kusto_buf_free(&m->buf);
        return NULL;
    }
    return kusto_buf_take(&m->buf);
}

static const char *format_of(kusto_type type) {
    switch (type) {
    case KUSTO_TYPE_LONG: return "l";
    case KUSTO_TYPE_INT: return "i";
    case KUSTO_TYPE_REAL: return "g";
    case KUSTO_TYPE_BOOL: return "b";
    case KUSTO_TYPE_DATETIME: return "tsn:UTC";
    case KUSTO_TYPE_TIMESPAN: return "tDn";
    case KUSTO_TYPE_GUID: return "w:16";
    default: return "u";
    }
}

static const char *extension_of(kusto_type type) {
    return type == KUSTO_TYPE_GUID ? "arrow.uuid" : type == KUSTO_TYPE_DYNAMIC ? "arrow.json" : NULL;
}

static int schema_node(struct ArrowSchema *out, const char *format, const char *name, char *metadata_text,
                       int64_t n_children) {
    schema_parts *parts = calloc(1, sizeof *parts);
    memset(out, 0, sizeof *out);
    if (parts) {
        parts->format = kusto_strdup(format);
        parts->name = kusto_strdup(name);
        parts->metadata = metadata_text;
        parts->children = calloc(n_children ? (size_t)n_children : 1, sizeof *parts->children);
        parts->child_ptrs = calloc(n_children ? (size_t)n_children : 1, sizeof *parts->child_ptrs);
    }
    if (!parts || !parts->format || !parts->name || !parts->children || !parts->child_ptrs) {
        if (parts) schema_release(&(struct ArrowSchema){.private_data = parts});
        else free(metadata_text);
        return -1;
    }
    for (int64_t i = 0; i < n_children; i++) parts->child_ptrs[i] = &parts->children[i];
    *out = (struct ArrowSchema){.format = parts->format,
                                .name = parts->name,
                                .metadata = parts->metadata,
                                .flags = ARROW_FLAG_NULLABLE,
                                .n_children = n_children,
                                .children = parts->child_ptrs,
                                .release = schema_release,
                                .private_data = parts};
    return 0;
}

static int column_schema(const kusto_column *col, struct ArrowSchema *out) {
    metadata m = {0};
    const char *extension = extension_of(col->type);
    metadata_add(&m, "kusto:type", col->type_name && *col->type_name ? col->type_name : kusto_type_name(col->type));
    if (extension) {
        metadata_add(&m, "ARROW:extension:name", extension);
        metadata_add(&m, "ARROW:extension:metadata", "");
    }
    char *text = metadata_take(&m);
    return text ? schema_node(out, format_of(col->type), col->name, text, 0) : -1;
}

int kusto_arrow_schema_export(const kusto_table_info *info, struct ArrowSchema *out) {
    metadata m = {0};
    char id[24];
    snprintf(id, sizeof id, "%d", info->id);
    metadata_add(&m, "kusto:table_name", info->name);
    metadata_add(&m, "kusto:table_kind", info->kind);
    metadata_add(&m, "kusto:table_id", id);
    char *text = metadata_take(&m);
    if (!text || schema_node(out, "+s", "", text, (int64_t)info->column_count) < 0) return -1;
    out->flags = 0;
    for (size_t i = 0; i < info->column_count; i++) {
        if (column_schema(&info->columns[i], out->children[i]) < 0) {
            out->n_children = (int64_t)i; /* release what was made */
            out->release(out);
            return -1;
        }
    }
    return 0;
}

/* ---- record batches ------------------------------------------------------------------------------------ */

typedef struct batch_export {
    arrow_batch *batch;
    struct ArrowArray *children;
    struct ArrowArray **child_ptrs;
} batch_export;

static const void *struct_buffers[1] = {NULL};

/* A column moved out by the consumer is released on its own: it holds its own reference. */
static void column_release(struct ArrowArray *array) {
    kusto_arrow_batch_unref(array->private_data);
    array->release = NULL;
}

static void batch_release(struct ArrowArray *array) {
    batch_export *e = array->private_data;
    for (int64_t i = 0; i < array->n_children; i++)
        if (array->children[i]->release) array->children[i]->release(array->children[i]);
    kusto_arrow_batch_unref(e->batch);
    free(e->children);
    free(e->child_ptrs);
    free(e);
    array->release = NULL;
}

int kusto_arrow_batch_export(arrow_batch *batch, struct ArrowArray *out) {
    size_t n = batch->column_count;
    batch_export *e = calloc(1, sizeof *e);
    if (e) {
        e->children = calloc(n ? n : 1, sizeof *e->children);
        e->child_ptrs = calloc(n ? n : 1, sizeof *e->child_ptrs);
    }
    if (!e || !e->children || !e->child_ptrs) {
        if (e) free(e->children), free(e->child_ptrs);
        free(e);
        return -1;
    }
    e->batch = batch;
    kusto_arrow_batch_ref(batch);
    for (size_t i = 0; i < n; i++) {
        arrow_column_data *d = &batch->columns[i];
        kusto_arrow_batch_ref(batch);
        e->child_ptrs[i] = &e->children[i];
        e->children[i] = (struct ArrowArray){.length = batch->length,
                                             .null_count = d->null_count,
                                             .n_buffers = d->n_buffers,
                                             .buffers = d->buffers,
                                             .release = column_release,
                                             .private_data = batch};
    }
    *out = (struct ArrowArray){.length = batch->length,
                               .n_buffers = 1,
                               .n_children = (int64_t)n,
                               .buffers = struct_buffers,
                               .children = e->child_ptrs,
                               .release = batch_release,
                               .private_data = e};
    return 0;
}

/* ---- streams --------------------------------------------------------------------------------------------- */

typedef struct stream_state {
    arrow_table *table;    /* a reference, for the schema */
    arrow_batch **batches; /* references taken when the stream was made */
    size_t count, next;
    char *failure; /* the message get_next fails with after the last batch, or NULL */
    const char *last_error;
} stream_state;

static int stream_get_schema(struct ArrowArrayStream *stream, struct ArrowSchema *out) {
    stream_state *s = stream->private_data;
    if (kusto_arrow_schema_export(&s->table->info, out) == 0) return 0;
    s->last_error = "out of memory";
    return ENOMEM;
}

static int stream_get_next(struct ArrowArrayStream *stream, struct ArrowArray *out) {
    stream_state *s = stream->private_data;
    if (s->next < s->count) {
        if (kusto_arrow_batch_export(s->batches[s->next], out) < 0) {
            s->last_error = "out of memory";
            return ENOMEM;
        }
        s->next++;
        return 0;
    }
    if (s->failure) {
        s->last_error = s->failure;
        return EIO;
    }
    memset(out, 0, sizeof *out); /* released: the end of the stream */
    return 0;
}

static const char *stream_get_last_error(struct ArrowArrayStream *stream) {
    stream_state *s = stream->private_data;
    return s->last_error;
}

static void stream_release(struct ArrowArrayStream *stream) {
    stream_state *s = stream->private_data;
    for (size_t i = 0; i < s->count; i++) kusto_arrow_batch_unref(s->batches[i]);
    free(s->batches);
    kusto_arrow_table_unref(s->table);
    free(s->failure);
    free(s);
    stream->release = NULL;
}

int kusto_arrow_stream_export(const arrow_table *table, const kusto_error *failure, struct ArrowArrayStream *out) {
    stream_state *s = calloc(1, sizeof *s);
    if (!s) return -1;
    s->count = table->batch_count;
    s->batches = calloc(s->count ? s->count : 1, sizeof *s->batches);
    s->failure = failure ? kusto_strdup(kusto_error_message(failure)) : NULL;
    if (!s->batches || (failure && !s->failure)) {
        free(s->batches);
        free(s);
        return -1;
    }
    for (size_t i = 0; i < s->count; i++) {
        s->batches[i] = table->batches[i];
        kusto_arrow_batch_ref(s->batches[i]);
    }
    s->table = (arrow_table *)table;
    __atomic_add_fetch(&s->table->refs, 1, __ATOMIC_RELAXED);
    *out = (struct ArrowArrayStream){.get_schema = stream_get_schema,
                                     .get_next = stream_get_next,
                                     .get_last_error = stream_get_last_error,
                                     .release = stream_release,
                                     .private_data = s};
    return 0;
}
