/* kusto._kusto.ArrowResult: a query's tables as Arrow record batches built by the core with the GIL released,
   handed to pyarrow, polars, DuckDB... as Arrow PyCapsules (the Python package wraps it in kusto.ArrowResult). */
#include "pykusto.h"
#include "values.h"

typedef struct arrow_object {
    PyObject_HEAD
    kusto_py_state *st;
    kusto_arrow *arrow;
    kusto_error *failure; /* the call's error when it failed part-way: streams end with it */
} arrow_object;

static void arrow_dealloc(arrow_object *self) {
    PyTypeObject *type = Py_TYPE(self);
    kusto_arrow_free(self->arrow);
    kusto_error_free(self->failure);
    type->tp_free((PyObject *)self);
    Py_DECREF(type);
}

static void stream_capsule_free(PyObject *capsule) {
    struct ArrowArrayStream *stream = PyCapsule_GetPointer(capsule, "arrow_array_stream");
    if (stream && stream->release) stream->release(stream);
    PyMem_Free(stream);
}

static void schema_capsule_free(PyObject *capsule) {
    struct ArrowSchema *schema = PyCapsule_GetPointer(capsule, "arrow_schema");
    if (schema && schema->release) schema->release(schema);
    PyMem_Free(schema);
}

/* A capsule owning `stream` (filled, from PyMem_Calloc), or NULL with it released and freed. */
static PyObject *stream_capsule_take(struct ArrowArrayStream *stream) {
    PyObject *capsule = PyCapsule_New(stream, "arrow_array_stream", stream_capsule_free);
    if (!capsule) {
        stream->release(stream);
        PyMem_Free(stream);
    }
    return capsule;
}

static PyObject *schema_capsule_take(struct ArrowSchema *schema) {
    PyObject *capsule = PyCapsule_New(schema, "arrow_schema", schema_capsule_free);
    if (!capsule) {
        schema->release(schema);
        PyMem_Free(schema);
    }
    return capsule;
}

static int table_index(arrow_object *self, PyObject *arg, size_t *index) {
    Py_ssize_t i = PyLong_AsSsize_t(arg);
    if (i == -1 && PyErr_Occurred()) return -1;
    if (i < 0 || (size_t)i >= kusto_arrow_table_count(self->arrow)) {
        PyErr_SetString(PyExc_IndexError, "no such table");
        return -1;
    }
    *index = (size_t)i;
    return 0;
}

static PyObject *arrow_stream_capsule(arrow_object *self, PyObject *arg) {
    size_t index;
    if (table_index(self, arg, &index) < 0) return NULL;
    struct ArrowArrayStream *stream = PyMem_Calloc(1, sizeof *stream);
    if (!stream) return PyErr_NoMemory();
    if (kusto_arrow_table_stream(self->arrow, index, self->failure, stream) != KUSTO_OK) {
        PyMem_Free(stream);
        return PyErr_NoMemory();
    }
    return stream_capsule_take(stream);
}

static PyObject *arrow_schema_capsule(arrow_object *self, PyObject *arg) {
    size_t index;
    if (table_index(self, arg, &index) < 0) return NULL;
    struct ArrowSchema *schema = PyMem_Calloc(1, sizeof *schema);
    if (!schema) return PyErr_NoMemory();
    if (kusto_arrow_table_schema(self->arrow, index, schema) != KUSTO_OK) {
        PyMem_Free(schema);
        return PyErr_NoMemory();
    }
    return schema_capsule_take(schema);
}

/* A list of `count` items made by `make(context, index)`; NULL with an exception. */
static PyObject *list_of(const void *context, size_t count, PyObject *(*make)(const void *context, size_t index)) {
    PyObject *list = PyList_New((Py_ssize_t)count);
    for (size_t i = 0; list && i < count; i++) {
        PyObject *item = make(context, i);
        if (!item) Py_CLEAR(list);
        else PyList_SET_ITEM(list, (Py_ssize_t)i, item);
    }
    return list;
}

static PyObject *column_dict(const void *info, size_t index) {
    const kusto_column *c = &((const kusto_table_info *)info)->columns[index];
    return Py_BuildValue("{s:s,s:s}", "name", c->name, "type", kusto_type_name(c->type));
}

static PyObject *table_dict(const void *context, size_t index) {
    const arrow_object *self = context;
    const kusto_table_info *info = kusto_arrow_table_info(self->arrow, index);
    PyObject *columns = list_of(info, info->column_count, column_dict);
    PyObject *item = columns ? Py_BuildValue("{s:i,s:s,s:s,s:O,s:n,s:O}", "id", info->id, "name", info->name, "kind",
                                             info->kind, "columns", columns, "rows",
                                             (Py_ssize_t)kusto_arrow_table_row_count(self->arrow, index), "primary",
                                             info->primary ? Py_True : Py_False)
                             : NULL;
    Py_XDECREF(columns);
    return item;
}

/* [{"id", "name", "kind", "columns", "rows", "primary"}] for every table, in order. */
static PyObject *arrow_get_tables(arrow_object *self, void *unused) {
    return list_of(self, kusto_arrow_table_count(self->arrow), table_dict);
}

static PyObject *warning_dict(const kusto_warning *w) {
    PyObject *table = kusto_py_text_lenient(w->table, strlen(w->table));
    PyObject *column = kusto_py_text_lenient(w->column_name, strlen(w->column_name));
    PyObject *excerpt = kusto_py_text_lenient(w->excerpt, strlen(w->excerpt));
    PyObject *dict = table && column && excerpt
                       ? Py_BuildValue("{s:O,s:i,s:n,s:n,s:O,s:s,s:O,s:n}", "table", table, "table_id", w->table_id,
                                       "row", (Py_ssize_t)w->row, "column", (Py_ssize_t)w->column, "column_name",
                                       column, "reason", w->reason, "excerpt", excerpt, "count", (Py_ssize_t)w->count)
                       : NULL;
    Py_XDECREF(table);
    Py_XDECREF(column);
    Py_XDECREF(excerpt);
    return dict;
}

static PyObject *warning_at(const void *self, size_t index) {
    return warning_dict(kusto_arrow_warning(((const arrow_object *)self)->arrow, index));
}

/* The same dicts as query()'s result["warnings"]. */
static PyObject *arrow_get_warnings(arrow_object *self, void *unused) {
    return list_of(self, kusto_arrow_warning_count(self->arrow), warning_at);
}

static PyObject *error_at(const void *context, size_t index) {
    const arrow_object *self = context;
    return kusto_py_error_object(self->st, kusto_arrow_error(self->arrow, index), KUSTO_E_PARTIAL);
}

/* Errors reported inside the response, as PartialResultError instances (query()'s result["errors"]). */
static PyObject *arrow_get_errors(arrow_object *self, void *unused) {
    return list_of(self, kusto_arrow_error_count(self->arrow), error_at);
}

static PyObject *arrow_get_primary_index(arrow_object *self, void *unused) {
    long index = kusto_arrow_primary_index(self->arrow);
    return index < 0 ? Py_NewRef(Py_None) : PyLong_FromLong(index);
}

static PyMethodDef arrow_methods[] = {
    {"stream_capsule", (PyCFunction)arrow_stream_capsule, METH_O,
     "stream_capsule(index)\n\nA new \"arrow_array_stream\" PyCapsule over table `index`'s record batches."},
    {"schema_capsule", (PyCFunction)arrow_schema_capsule, METH_O,
     "schema_capsule(index)\n\nA new \"arrow_schema\" PyCapsule of table `index`."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef arrow_getset[] = {
    {"tables", (getter)arrow_get_tables, NULL, "Every table: dicts of id, name, kind, columns, rows, primary.", NULL},
    {"warnings", (getter)arrow_get_warnings, NULL, "Cells delivered in another form or made null.", NULL},
    {"errors", (getter)arrow_get_errors, NULL, "Errors reported inside the response.", NULL},
    {"primary_index", (getter)arrow_get_primary_index, NULL, "The first primary result's table index, or None.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot arrow_slots[] = {
    {Py_tp_dealloc, arrow_dealloc},
    {Py_tp_methods, arrow_methods},
    {Py_tp_getset, arrow_getset},
    {Py_tp_doc, "A query's tables as Arrow record batches (made by Client.query_arrow)."},
    {0, NULL},
};

PyType_Spec kusto_py_arrow_spec = {
    .name = "kusto._kusto.ArrowResult",
    .basicsize = sizeof(arrow_object),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = arrow_slots,
};

/* Asked while the query waits on the network: Ctrl-C stops it. Takes the GIL only for that moment. */
static int arrow_cancelled(void *ud) {
    PyGILState_STATE gil = PyGILState_Ensure();
    int stop = PyErr_CheckSignals() < 0;
    PyGILState_Release(gil);
    return stop;
}

/* PartialResultError or ProtocolError with the ArrowResult (its streams end with the error) as `result`. */
static PyObject *raise_with(kusto_py_state *st, kusto_status status, const kusto_error *err, PyObject *result) {
    PyObject *exc = kusto_py_error_object(st, err, status);
    if (exc && PyObject_SetAttr(exc, st->keys[K_RESULT], result) == 0) PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
    Py_XDECREF(exc);
    return NULL;
}

PyObject *kusto_py_query_arrow(kusto_py_state *st, kusto_py_call call, kusto_client *client, const char *db,
                               const char *text, const kusto_request *req, size_t batch_rows, int strict) {
    arrow_object *self = PyObject_New(arrow_object, st->arrow_type);
    if (!self) return NULL;
    self->st = st;
    self->failure = NULL;
    if (kusto_arrow_new(&self->arrow, batch_rows) != KUSTO_OK) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    kusto_builder builder = *kusto_arrow_builder();
    builder.strict = strict;
    builder.cancelled = arrow_cancelled;
    builder.parse_in_background = 1; /* receive and parse on a second core while this one fills columns */
    kusto_error *err = NULL;
    kusto_status status;
    Py_BEGIN_ALLOW_THREADS
    status = call(client, db, text, req, &builder, self->arrow, &err);
    Py_END_ALLOW_THREADS
    PyObject *result = (PyObject *)self;
    if (PyErr_Occurred()) { /* Ctrl-C while waiting */
        Py_CLEAR(result);
    } else if (status == KUSTO_E_CANCELLED) { /* the Arrow builder stops only when memory runs out */
        Py_CLEAR(result);
        PyErr_NoMemory();
    } else if (status == KUSTO_E_PARTIAL || status == KUSTO_E_PROTOCOL) {
        self->failure = err;
        err = NULL;
        raise_with(st, status, self->failure, result);
        Py_CLEAR(result);
    } else if (status != KUSTO_OK) {
        Py_CLEAR(result);
        kusto_py_raise(st, status, err);
    }
    kusto_error_free(err);
    return result;
}

/* ---- streaming: batches while the response arrives ---------------------------------------------------- */

/* The core's live stream, wrapped so the client object lives until the stream is released, and so the GIL
   is not held while waiting for a batch or for the worker to stop (it may need the GIL to sign in). */
typedef struct live_wrap {
    struct ArrowArrayStream inner;
    PyObject *client;               /* a reference */
    void (*done)(PyObject *client); /* once the stream is released, with the GIL */
} live_wrap;

static int wrap_get_schema(struct ArrowArrayStream *stream, struct ArrowSchema *out) {
    live_wrap *w = stream->private_data;
    return w->inner.get_schema(&w->inner, out);
}

static int wrap_get_next(struct ArrowArrayStream *stream, struct ArrowArray *out) {
    live_wrap *w = stream->private_data;
    int rc;
    if (!PyGILState_Check()) return w->inner.get_next(&w->inner, out);
    Py_BEGIN_ALLOW_THREADS
    rc = w->inner.get_next(&w->inner, out);
    Py_END_ALLOW_THREADS
    return rc;
}

static const char *wrap_get_last_error(struct ArrowArrayStream *stream) {
    live_wrap *w = stream->private_data;
    return w->inner.get_last_error(&w->inner);
}

static void wrap_release(struct ArrowArrayStream *stream) {
    live_wrap *w = stream->private_data;
    if (PyGILState_Check()) {
        Py_BEGIN_ALLOW_THREADS
        w->inner.release(&w->inner);
        Py_END_ALLOW_THREADS
    } else {
        w->inner.release(&w->inner);
    }
    PyGILState_STATE gil = PyGILState_Ensure();
    if (w->done) w->done(w->client);
    Py_DECREF(w->client);
    PyGILState_Release(gil);
    PyMem_RawFree(w);
    stream->release = NULL;
}

/* A new "arrow_array_stream" capsule owning `stream` (released on failure). */
static PyObject *stream_capsule(struct ArrowArrayStream *stream) {
    struct ArrowArrayStream *held = PyMem_Calloc(1, sizeof *held);
    if (!held) {
        stream->release(stream);
        return PyErr_NoMemory();
    }
    *held = *stream;
    return stream_capsule_take(held);
}

static PyObject *schema_capsule_of(struct ArrowArrayStream *stream) {
    struct ArrowSchema *schema = PyMem_Calloc(1, sizeof *schema);
    if (!schema) return PyErr_NoMemory();
    if (stream->get_schema(stream, schema) != 0) {
        PyMem_Free(schema);
        return PyErr_NoMemory();
    }
    return schema_capsule_take(schema);
}

PyObject *kusto_py_query_arrow_stream(kusto_py_state *st, PyObject *owner, void (*done)(PyObject *owner),
                                      kusto_client *client, const char *db, const char *text, const kusto_request *req,
                                      size_t batch_rows) {
    live_wrap *w = PyMem_RawCalloc(1, sizeof *w);
    if (!w) return PyErr_NoMemory();
    kusto_error *err = NULL;
    kusto_status status;
    Py_BEGIN_ALLOW_THREADS
    status = kusto_client_query_arrow_stream(client, db, text, req, batch_rows, &w->inner, &err);
    Py_END_ALLOW_THREADS
    if (status != KUSTO_OK) {
        PyMem_RawFree(w);
        kusto_py_raise(st, status, err);
        kusto_error_free(err);
        return NULL;
    }
    w->client = Py_NewRef(owner);
    struct ArrowArrayStream stream = {.get_schema = wrap_get_schema,
                                      .get_next = wrap_get_next,
                                      .get_last_error = wrap_get_last_error,
                                      .release = wrap_release,
                                      .private_data = w};
    PyObject *schema = schema_capsule_of(&stream);
    if (!schema) {
        stream.release(&stream);
        return NULL;
    }
    PyObject *capsule = stream_capsule(&stream);
    PyObject *pair = capsule ? PyTuple_Pack(2, capsule, schema) : NULL;
    if (pair) w->done = done; /* from here on, the capsule's release calls it */
    Py_XDECREF(capsule);
    Py_DECREF(schema);
    return pair;
}
