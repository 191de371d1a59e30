/*
 * An Arrow C stream written in the Arrow IPC streaming format (Schema message, RecordBatch messages, end
 * marker), for the CLI's -f arrow: what pyarrow.ipc.open_stream, polars.read_ipc_stream and DuckDB read.
 * The metadata are flatbuffers (Arrow's Message.fbs / Schema.fbs), written here front to back: a table's
 * vtable just before it, its children after it, their offsets patched in once known. Only the layouts the
 * Arrow builder makes (int32/int64/float64/bool/utf8/timestamp/duration/fixed_size_binary in one struct).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "kusto.h"

/* ---- a forward flatbuffer writer ------------------------------------------------------------------- */

typedef struct fb_field {
    int size;       /* 1, 2, 4 or 8 bytes; offsets are 4; 0: absent (its default) */
    uint64_t value; /* scalars */
    size_t *slot;   /* offsets: where the uoffset is, to patch when its target is written */
} fb_field;

typedef struct fb {
    kusto_buf b;
    int failed;
} fb;

static void fb_pad(fb *f, size_t align) {
    static const char zeros[8] = {0};
    if (f->b.len % align) f->failed |= kusto_buf_append(&f->b, zeros, align - f->b.len % align) < 0;
}

static void fb_put(fb *f, const void *p, size_t n) { f->failed |= kusto_buf_append(&f->b, p, n) < 0; }

static void fb_patch(fb *f, size_t slot, size_t target) {
    uint32_t rel = (uint32_t)(target - slot);
    if (!f->failed) memcpy(f->b.data + slot, &rel, 4);
}

/* A table of `n` fields in vtable order (each present); returns its position. */
static size_t fb_table(fb *f, const fb_field *fields, int n) {
    uint16_t vt[2 + 16] = {0};
    size_t at = 4, layout[16];
    for (int size = 8; size >= 1; size /= 2) /* widest first: each field aligned within an 8-aligned table */
        for (int i = 0; i < n; i++)
            if (fields[i].size == size) {
                at = (at + (size_t)size - 1) / (size_t)size * (size_t)size;
                layout[i] = at;
                at += (size_t)size;
            }
    size_t table_size = (at + 7) / 8 * 8;
    vt[0] = (uint16_t)(4 + 2 * n);
    vt[1] = (uint16_t)table_size;
    for (int i = 0; i < n; i++) vt[2 + i] = fields[i].size ? (uint16_t)layout[i] : 0;
    /* vtable, then padding so that the table starts 8-aligned */
    size_t vt_len = (size_t)(4 + 2 * n);
    size_t pad = (8 - (f->b.len + vt_len) % 8) % 8;
    static const char zeros[8] = {0};
    fb_put(f, zeros, pad);
    size_t vt_pos = f->b.len;
    fb_put(f, vt, vt_len);
    size_t table = f->b.len;
    char body[256] = {0};
    int32_t soffset = (int32_t)(table - vt_pos);
    memcpy(body, &soffset, 4);
    for (int i = 0; i < n; i++) {
        if (!fields[i].size) continue;
        if (fields[i].slot) *fields[i].slot = table + layout[i];
        else memcpy(body + layout[i], &fields[i].value, (size_t)fields[i].size); /* little-endian */
    }
    fb_put(f, body, table_size);
    return table;
}

static size_t fb_string(fb *f, const char *s, size_t len) {
    fb_pad(f, 4);
    size_t at = f->b.len;
    uint32_t n = (uint32_t)len;
    fb_put(f, &n, 4);
    fb_put(f, s, len);
    fb_put(f, "", 1);
    return at;
}

/* A vector of `n` offsets; their slots are slots[0..n). */
static size_t fb_offsets(fb *f, size_t n, size_t *slots) {
    fb_pad(f, 4);
    size_t at = f->b.len;
    uint32_t count = (uint32_t)n, zero = 0;
    fb_put(f, &count, 4);
    for (size_t i = 0; i < n; i++) {
        slots[i] = f->b.len;
        fb_put(f, &zero, 4);
    }
    return at;
}

/* A vector of `n` structs of two int64 each (FieldNode, Buffer). */
static size_t fb_pairs(fb *f, size_t n, const int64_t *pairs) {
    while ((f->b.len + 4) % 8) fb_put(f, "", 1); /* the elements 8-aligned after the count */
    size_t at = f->b.len;
    uint32_t count = (uint32_t)n;
    fb_put(f, &count, 4);
    fb_put(f, pairs, n * 16);
    return at;
}

/* ---- Schema ------------------------------------------------------------------------------------------- */

/* clang-format off */
enum { TYPE_INT = 2, TYPE_FLOAT = 3, TYPE_UTF8 = 5, TYPE_BOOL = 6, TYPE_TIMESTAMP = 10, TYPE_FIXED_BINARY = 15,
       TYPE_DURATION = 18 };
/* clang-format on */
enum { HEADER_SCHEMA = 1, HEADER_RECORD_BATCH = 3 };
#define METADATA_V5 4
#define NANOSECOND 3

/* The Type union's tag for an Arrow format string; -1 when not supported. */
static int type_tag(const char *format) {
    if (!strcmp(format, "l") || !strcmp(format, "i")) return TYPE_INT;
    if (!strcmp(format, "g")) return TYPE_FLOAT;
    if (!strcmp(format, "u")) return TYPE_UTF8;
    if (!strcmp(format, "b")) return TYPE_BOOL;
    if (!strcmp(format, "tDn")) return TYPE_DURATION;
    if (!strcmp(format, "w:16")) return TYPE_FIXED_BINARY;
    if (!strncmp(format, "tsn:", 4)) return TYPE_TIMESTAMP;
    return -1;
}

/* The flatbuffer table of that type (Int, FloatingPoint, Utf8, Bool, Duration, FixedSizeBinary, Timestamp). */
static size_t type_table(fb *f, const char *format) {
    switch (type_tag(format)) {
    case TYPE_INT: return fb_table(f, (fb_field[]){{4, format[0] == 'l' ? 64 : 32, NULL}, {1, 1, NULL}}, 2);
    case TYPE_FLOAT: return fb_table(f, (fb_field[]){{2, 2 /* DOUBLE */, NULL}}, 1);
    case TYPE_DURATION: return fb_table(f, (fb_field[]){{2, NANOSECOND, NULL}}, 1);
    case TYPE_FIXED_BINARY: return fb_table(f, (fb_field[]){{4, 16, NULL}}, 1);
    case TYPE_TIMESTAMP: {
        size_t zone_slot;
        size_t table = fb_table(f, (fb_field[]){{2, NANOSECOND, NULL}, {4, 0, &zone_slot}}, 2);
        fb_patch(f, zone_slot, fb_string(f, format + 4, strlen(format + 4)));
        return table;
    }
    default: return fb_table(f, NULL, 0); /* Utf8, Bool: no fields */
    }
}

/* Arrow's C-interface metadata (int32 count, then length-prefixed keys and values) as a [KeyValue] vector. */
static size_t key_values(fb *f, const char *metadata) {
    int32_t count = 0;
    if (metadata) memcpy(&count, metadata, 4);
    size_t *slots = calloc(count > 0 ? (size_t)count : 1, sizeof *slots);
    if (!slots) return f->failed = 1, 0;
    size_t vector = fb_offsets(f, (size_t)count, slots);
    const char *p = metadata ? metadata + 4 : NULL;
    for (int32_t i = 0; i < count; i++) {
        int32_t key_len, value_len;
        memcpy(&key_len, p, 4);
        const char *key = p + 4;
        memcpy(&value_len, key + key_len, 4);
        const char *value = key + key_len + 4;
        p = value + value_len;
        size_t key_slot, value_slot;
        fb_patch(f, slots[i], fb_table(f, (fb_field[]){{4, 0, &key_slot}, {4, 0, &value_slot}}, 2));
        fb_patch(f, key_slot, fb_string(f, key, (size_t)key_len));
        fb_patch(f, value_slot, fb_string(f, value, (size_t)value_len));
    }
    free(slots);
    return vector;
}

static int field_table(fb *f, const struct ArrowSchema *column, size_t *out) {
    size_t name_slot, type_slot, children_slot, metadata_slot;
    int tag = type_tag(column->format);
    if (tag < 0) return -1;
    /* name, nullable, type_type, type, dictionary (absent), children, custom_metadata */
    *out = fb_table(f,
                    (fb_field[]){{4, 0, &name_slot},
                                 {1, 1, NULL},
                                 {1, (uint64_t)tag, NULL},
                                 {4, 0, &type_slot},
                                 {0, 0, NULL},
                                 {4, 0, &children_slot},
                                 {4, 0, &metadata_slot}},
                    7);
    fb_patch(f, name_slot, fb_string(f, column->name ? column->name : "", column->name ? strlen(column->name) : 0));
    fb_patch(f, type_slot, type_table(f, column->format));
    fb_patch(f, children_slot, fb_offsets(f, 0, NULL));
    fb_patch(f, metadata_slot, key_values(f, column->metadata));
    return 0;
}

/* A Message (version, header_type, header, bodyLength) as the flatbuffer's root; the header's slot in *header_slot. */
static size_t message(fb *f, int header_type, size_t *header_slot, int64_t body_length) {
    size_t root_slot = f->b.len;
    fb_put(f, "\0\0\0\0", 4);
    size_t table = fb_table(f,
                            (fb_field[]){{2, METADATA_V5, NULL},
                                         {1, (uint64_t)header_type, NULL},
                                         {4, 0, header_slot},
                                         {8, (uint64_t)body_length, NULL}},
                            4);
    fb_patch(f, root_slot, table);
    return table;
}

/* ---- messages on the wire ------------------------------------------------------------------------------- */

typedef int (*ipc_write)(void *ud, const void *data, size_t len);

static int put_message(ipc_write write, void *ud, fb *f, const void *body, size_t body_len) {
    fb_pad(f, 8);
    if (f->failed) return ENOMEM;
    uint32_t prefix[2] = {0xFFFFFFFFu, (uint32_t)f->b.len};
    if (write(ud, prefix, 8) || write(ud, f->b.data, f->b.len)) return EPIPE;
    return body_len && write(ud, body, body_len) ? EPIPE : 0;
}

static int write_schema(ipc_write write, void *ud, const struct ArrowSchema *schema) {
    fb f = {0};
    size_t header_slot, fields_slot, metadata_slot;
    message(&f, HEADER_SCHEMA, &header_slot, 0);
    fb_patch(&f, header_slot,
             fb_table(&f, (fb_field[]){{2, 0, NULL}, {4, 0, &fields_slot}, {4, 0, &metadata_slot}}, 3));
    size_t n = (size_t)schema->n_children;
    size_t *slots = calloc(n ? n : 1, sizeof *slots);
    int rc = slots ? 0 : ENOMEM;
    if (!rc) fb_patch(&f, fields_slot, fb_offsets(&f, n, slots));
    for (size_t i = 0; !rc && i < n; i++) {
        size_t field;
        rc = field_table(&f, schema->children[i], &field) ? ENOTSUP : 0;
        if (!rc) fb_patch(&f, slots[i], field);
    }
    if (!rc) fb_patch(&f, metadata_slot, key_values(&f, schema->metadata));
    if (!rc) rc = put_message(write, ud, &f, NULL, 0);
    free(slots);
    kusto_buf_free(&f.b);
    return rc;
}

/* The byte length of each of a column's buffers (validity, [offsets], data). */
static void buffer_lengths(const char *format, const struct ArrowArray *a, int64_t *lengths) {
    int64_t n = a->length, bits = (n + 7) / 8;
    lengths[0] = a->buffers[0] ? bits : 0;
    if (!strcmp(format, "u")) {
        lengths[1] = 4 * (n + 1);
        lengths[2] = ((const int32_t *)a->buffers[1])[n];
    } else {
        lengths[1] = !strcmp(format, "b")    ? bits
                   : !strcmp(format, "i")    ? 4 * n
                   : !strcmp(format, "w:16") ? 16 * n
                                             : 8 * n;
    }
}

static int write_batch(ipc_write write, void *ud, const struct ArrowSchema *schema, const struct ArrowArray *batch) {
    size_t n = (size_t)batch->n_children, buffer_count = 0;
    int64_t *nodes = calloc(2 * n + 1, sizeof *nodes), *buffers = calloc(6 * n + 1, sizeof *buffers);
    kusto_buf body = {0};
    int rc = nodes && buffers ? 0 : ENOMEM;
    for (size_t i = 0; !rc && i < n; i++) {
        const struct ArrowArray *a = batch->children[i];
        int64_t lengths[3];
        if (a->offset) rc = ENOTSUP;
        buffer_lengths(schema->children[i]->format, a, lengths);
        nodes[2 * i] = a->length;
        nodes[2 * i + 1] = a->null_count;
        for (int64_t b = 0; !rc && b < a->n_buffers; b++) {
            buffers[2 * buffer_count] = (int64_t)body.len;
            buffers[2 * buffer_count++ + 1] = lengths[b];
            static const char zeros[8] = {0};
            if ((lengths[b] && kusto_buf_append(&body, a->buffers[b], (size_t)lengths[b]) < 0) ||
                (body.len % 8 && kusto_buf_append(&body, zeros, 8 - body.len % 8) < 0))
                rc = ENOMEM;
        }
    }
    fb f = {0};
    if (!rc) {
        size_t header_slot, nodes_slot, buffers_slot;
        message(&f, HEADER_RECORD_BATCH, &header_slot, (int64_t)body.len);
        fb_patch(&f, header_slot,
                 fb_table(&f,
                          (fb_field[]){{8, (uint64_t)batch->length, NULL}, {4, 0, &nodes_slot}, {4, 0, &buffers_slot}},
                          3));
        fb_patch(&f, nodes_slot, fb_pairs(&f, n, nodes));
        fb_patch(&f, buffers_slot, fb_pairs(&f, buffer_count, buffers));
        rc = put_message(write, ud, &f, body.data, body.len);
    }
    kusto_buf_free(&f.b);
    kusto_buf_free(&body);
    free(nodes);
    free(buffers);
    return rc;
}

kusto_status kusto_arrow_write_ipc(struct ArrowArrayStream *stream,
                                   int (*write)(void *ud, const void *data, size_t len), void *ud, kusto_error **err) {
    struct ArrowSchema schema;
    if (stream->get_schema(stream, &schema))
        return kusto_fail(err, KUSTO_E_PROTOCOL, "Arrow stream: %s", stream->get_last_error(stream));
    int rc = write_schema(write, ud, &schema), failed = 0;
    struct ArrowArray batch;
    while (!rc && !(failed = stream->get_next(stream, &batch)) && batch.release) {
        rc = write_batch(write, ud, &schema, &batch);
        batch.release(&batch);
    }
    schema.release(&schema);
    static const uint32_t end[2] = {0xFFFFFFFFu, 0};
    if (failed) {
        const char *why = stream->get_last_error(stream);
        return kusto_fail(err, KUSTO_E_PROTOCOL, "%s", why ? why : "the Arrow stream failed");
    }
    if (!rc) rc = write(ud, end, sizeof end) ? EPIPE : 0;
    if (rc == ENOTSUP) return kusto_fail(err, KUSTO_E_UNSUPPORTED, "an Arrow type the IPC writer does not know");
    if (rc == ENOMEM) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory while writing the Arrow stream");
    if (rc) return kusto_fail(err, KUSTO_E_NETWORK, "cannot write the Arrow stream");
    return KUSTO_OK;
}
