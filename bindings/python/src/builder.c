/*
 * The result builder: libkusto's callbacks make Python objects directly (no intermediate C rows).
 * The GIL is released for the whole call and taken back by enter() for each burst of callbacks.
 */
#include "values.h"

#include <time.h>
/* Dynamic values of one column usually have the same keys row after row: one str per distinct key, not
   one per object, saves memory and time. Direct-mapped by length and first and last bytes. */
#define KEY_CACHE_SIZE 64
#define KEY_CACHE_MAX_LEN 64

/* A cell this binding could not hold as its kind, counted under its table, column and reason. */
typedef struct own_warning {
    Py_ssize_t table, column;
    const char *reason; /* static */
    PyObject *dict;     /* owned by the warnings list */
} own_warning;

typedef struct py_builder {
    kusto_py_state *st;
    PyThreadState *saved; /* this thread's state while the GIL is released */
    int holding;          /* 1 while this thread holds the GIL */
    const kusto_py_shape *shape;
    PyObject *result, *tables, *primary, *errors, *warnings; /* owned */
    PyObject *table;                                         /* the current table, owned by tables */
    PyObject *rows; /* the current table's rows, owned by the table (or a batch for on_rows, owned) */
    PyObject *data; /* columnar: the current table's column lists, owned by the table */
    int streaming;  /* the current table's rows go to on_rows */
    PyObject *row;  /* owned until end_row */
    Py_ssize_t width, column;
    Py_ssize_t row_index; /* rows of the current table so far, for warnings */
    own_warning own[KUSTO_MAX_WARNINGS];
    size_t own_count;
    PyObject **open; /* dynamic containers being filled; each owned by its parent */
    size_t depth, capacity;
    PyObject *key; /* the object key waiting for its value */
    double next_signal_check;
    PyObject *keys[KEY_CACHE_SIZE]; /* recent object keys (owned), so rows of similar objects share them */
} py_builder;

static void on_enter(void *ud) {
    py_builder *b = ud;
    if (b->holding) return;
    PyEval_RestoreThread(b->saved);
    b->holding = 1;
}

static void on_leave(void *ud) {
    py_builder *b = ud;
    if (!b->holding) return;
    b->holding = 0;
    b->saved = PyEval_SaveThread();
}

/* Ctrl-C during a long call: take the GIL briefly, at most every 100 ms, and let Python run its
   signal handlers; an exception they raise (KeyboardInterrupt) stops the call and is raised. */
static int on_cancelled(void *ud) {
    py_builder *b = ud;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double now = (double)ts.tv_sec + ts.tv_nsec / 1e9;
    if (b->holding || now < b->next_signal_check) return 0;
    b->next_signal_check = now + 0.1;
    on_enter(b);
    int stop = PyErr_CheckSignals() < 0;
    on_leave(b);
    return stop;
}

/* Every callback starts here: a safety net should the core call one outside enter/leave. */
static py_builder *held(void *ud) {
    py_builder *b = ud;
    if (!b->holding) on_enter(b);
    return b;
}

static int out_of_order(const char *what) {
    PyErr_Format(PyExc_SystemError, "libkusto: %s out of order", what);
    return -1;
}

static PyObject *text_or(const char *text, const char *otherwise) {
    return PyUnicode_FromString(text ? text : otherwise);
}

static PyObject *column_dict(py_builder *b, const kusto_column *c) {
    const char *type = c->type == KUSTO_TYPE_UNKNOWN ? c->type_name : kusto_type_name(c->type);
    PyObject *name = text_or(c->name, ""), *type_text = text_or(type, "unknown");
    PyObject *dict = name && type_text ? PyDict_New() : NULL;
    if (dict && (PyDict_SetItem(dict, b->st->keys[K_NAME], name) < 0 ||
                 PyDict_SetItem(dict, b->st->keys[K_TYPE], type_text) < 0))
        Py_CLEAR(dict);
    Py_XDECREF(name);
    Py_XDECREF(type_text);
    return dict;
}

static PyObject *columns_list(py_builder *b, const kusto_table_info *info) {
    PyObject *list = PyList_New((Py_ssize_t)info->column_count);
    for (size_t i = 0; list && i < info->column_count; i++) {
        PyObject *column = column_dict(b, &info->columns[i]);
        if (!column) Py_CLEAR(list);
        else PyList_SET_ITEM(list, (Py_ssize_t)i, column);
    }
    return list;
}

static int set_new(PyObject *dict, PyObject *key, PyObject *value) {
    if (!value) return -1;
    int rc = PyDict_SetItem(dict, key, value);
    Py_DECREF(value);
    return rc;
}

static PyObject *column_lists(size_t count) {
    PyObject *data = PyList_New((Py_ssize_t)count);
    for (size_t i = 0; data && i < count; i++) {
        PyObject *column = PyList_New(0);
        if (!column) {
            Py_CLEAR(data);
        } else {
            PyObject_GC_UnTrack(column); /* see kusto/__init__.py: results are not tracked */
            PyList_SET_ITEM(data, (Py_ssize_t)i, column);
        }
    }
    return data;
}

static PyObject *table_dict(py_builder *b, const kusto_table_info *info) {
    PyObject **k = b->st->keys;
    PyObject *table = PyDict_New();
    if (table && (set_new(table, k[K_ID], PyLong_FromLong(info->id)) < 0 ||
                  set_new(table, k[K_NAME], text_or(info->name, "")) < 0 ||
                  set_new(table, k[K_KIND], text_or(info->kind, "")) < 0 ||
                  set_new(table, k[K_COLUMNS], columns_list(b, info)) < 0 ||
                  (b->shape->columnar ? set_new(table, k[K_DATA], column_lists(info->column_count))
                                      : set_new(table, k[K_ROWS], PyList_New(0))) < 0))
        Py_CLEAR(table);
    return table;
}

/* ---- on_rows: batches of primary-table rows handed to the caller as they arrive ----------------- */

#define BATCH_ROWS 1000

static int flush_batch(py_builder *b) {
    if (!b->streaming || PyList_GET_SIZE(b->rows) == 0) return 0;
    PyObject *batch = b->rows;
    b->rows = PyList_New(0);
    PyObject *rc = b->rows ? PyObject_CallFunctionObjArgs(b->shape->on_rows, b->table, batch, NULL) : NULL;
    Py_DECREF(batch);
    Py_XDECREF(rc);
    return rc ? 0 : -1;
}

static void end_streaming(py_builder *b) {
    if (b->streaming) Py_CLEAR(b->rows);
    b->streaming = 0;
}

static int on_begin_table(void *ud, const kusto_table_info *info) {
    py_builder *b = held(ud);
    PyObject *table = table_dict(b, info);
    if (!table) return -1;
    int primary = info->primary;
    int rc = PyList_Append(b->tables, table);
    if (rc == 0 && primary) rc = PyList_Append(b->primary, table);
    end_streaming(b);
    b->table = table;
    b->width = (Py_ssize_t)info->column_count;
    b->column = 0;
    b->row_index = 0;
    if (b->shape->columnar) {
        b->data = PyDict_GetItemWithError(table, b->st->keys[K_DATA]);
    } else if (primary && b->shape->on_rows) {
        b->streaming = 1;
        b->rows = PyList_New(0);
        if (!b->rows) rc = -1;
    } else {
        b->rows = PyDict_GetItemWithError(table, b->st->keys[K_ROWS]);
    }
    Py_DECREF(table);
    return rc;
}

static int on_end_table(void *ud) {
    py_builder *b = held(ud);
    int rc = flush_batch(b);
    end_streaming(b);
    b->rows = b->data = b->table = NULL;
    return rc;
}

static int on_replace_rows(void *ud) {
    py_builder *b = held(ud);
    b->row_index = 0;
    if (b->data) {
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(b->data); i++)
            if (PyList_SetSlice(PyList_GET_ITEM(b->data, i), 0, PY_SSIZE_T_MAX, NULL) < 0) return -1;
        return 0;
    }
    if (!b->rows) return out_of_order("replace_rows");
    return PyList_SetSlice(b->rows, 0, PY_SSIZE_T_MAX, NULL);
}

static int on_begin_row(void *ud) {
    py_builder *b = held(ud);
    b->column = 0;
    if (b->data) return 0;
    if (!b->rows || b->row) return out_of_order("begin_row");
    b->row = PyList_New(b->width);
    if (!b->row) return -1;
    PyObject_GC_UnTrack(b->row); /* see kusto/__init__.py: results are not tracked */
    return 0;
}

static int end_columnar_row(py_builder *b) {
    for (; b->column < b->width; b->column++)
        if (PyList_Append(PyList_GET_ITEM(b->data, b->column), Py_None) < 0) return -1;
    return 0;
}

static int on_end_row(void *ud) {
    py_builder *b = held(ud);
    if (b->depth) return out_of_order("end_row");
    b->row_index++;
    if (b->data) return end_columnar_row(b);
    if (!b->row) return out_of_order("end_row");
    for (; b->column < b->width; b->column++) PyList_SET_ITEM(b->row, b->column, Py_NewRef(Py_None));
    int rc = PyList_Append(b->rows, b->row);
    Py_CLEAR(b->row);
    if (rc == 0 && b->streaming && PyList_GET_SIZE(b->rows) >= BATCH_ROWS) rc = flush_batch(b);
    return rc;
}

static int place_nested(py_builder *b, PyObject *obj) {
    PyObject *parent = b->open[b->depth - 1];
    int rc;
    if (PyList_CheckExact(parent)) {
        rc = PyList_Append(parent, obj);
    } else if (b->key) {
        rc = PyDict_SetItem(parent, b->key, obj);
        Py_CLEAR(b->key);
    } else {
        rc = out_of_order("object value without key");
    }
    Py_DECREF(obj);
    return rc;
}

/* Puts a new reference into the open container or the row; consumes `obj`. */
static int place(py_builder *b, PyObject *obj) {
    if (!obj) return -1;
    if (b->depth) return place_nested(b, obj);
    if (b->data) {
        /* More cells than columns cannot be kept in columns: they are dropped. */
        int rc = b->column < b->width ? PyList_Append(PyList_GET_ITEM(b->data, b->column++), obj) : 0;
        Py_DECREF(obj);
        return rc;
    }
    if (!b->row) {
        Py_DECREF(obj);
        return out_of_order("value outside a row");
    }
    if (b->column < b->width) {
        PyList_SET_ITEM(b->row, b->column++, obj);
        return 0;
    }
    int rc = PyList_Append(b->row, obj); /* more cells than columns: keep them all */
    Py_DECREF(obj);
    return rc;
}

/* ---- warnings: the core's, and cells this binding delivered in another form ----------------------- */

static int set_item(PyObject *dict, const char *key, PyObject *value) {
    if (!value) return -1;
    int rc = PyDict_SetItemString(dict, key, value);
    Py_DECREF(value);
    return rc;
}

/* {"table", "table_id", "row", "column", "column_name", "reason", "excerpt", "count"}; appended to the
   result's warnings while it has room. Returns the dict (borrowed, NULL when there was no room) or sets
   *failed. */
static PyObject *add_warning(py_builder *b, PyObject *table, long table_id, Py_ssize_t row, Py_ssize_t column,
                             PyObject *column_name, const char *reason, PyObject *excerpt, size_t count, int *failed) {
    PyObject *dict = PyList_GET_SIZE(b->warnings) < KUSTO_MAX_WARNINGS ? PyDict_New() : NULL;
    *failed = 0;
    if (!dict) {
        *failed = PyErr_Occurred() != NULL;
        return NULL;
    }
    int rc = PyDict_SetItemString(dict, "table", table) < 0 ||
             set_item(dict, "table_id", PyLong_FromLong(table_id)) < 0 ||
             set_item(dict, "row", PyLong_FromSsize_t(row)) < 0 ||
             set_item(dict, "column", PyLong_FromSsize_t(column)) < 0 ||
             PyDict_SetItemString(dict, "column_name", column_name) < 0 ||
             set_item(dict, "reason", PyUnicode_FromString(reason)) < 0 ||
             PyDict_SetItemString(dict, "excerpt", excerpt) < 0 ||
             set_item(dict, "count", PyLong_FromSize_t(count)) < 0 || PyList_Append(b->warnings, dict) < 0;
    Py_DECREF(dict);
    *failed = rc;
    return rc ? NULL : dict;
}

static int on_warning(void *ud, const kusto_warning *w) {
    py_builder *b = held(ud);
    PyObject *table = kusto_py_text_lenient(w->table, strlen(w->table));
    PyObject *column = kusto_py_text_lenient(w->column_name, strlen(w->column_name));
    PyObject *excerpt = kusto_py_text_lenient(w->excerpt, strlen(w->excerpt));
    int failed = !table || !column || !excerpt;
    if (!failed)
        add_warning(b, table, w->table_id, (Py_ssize_t)w->row, (Py_ssize_t)w->column, column, w->reason, excerpt,
                    w->count, &failed);
    Py_XDECREF(table);
    Py_XDECREF(column);
    Py_XDECREF(excerpt);
    return failed ? -1 : 0;
}

/* The column of the cell being built: inside a dynamic value, the one its outermost container took. */
static Py_ssize_t cell_column(const py_builder *b) { return b->depth ? b->column - 1 : b->column; }

/* A cell of the current table's `column` that this binding delivered in another form. */
static int own_warning_note(py_builder *b, Py_ssize_t column, const char *reason, const char *text, size_t len) {
    Py_ssize_t table = PyList_GET_SIZE(b->tables) - 1;
    for (size_t i = 0; i < b->own_count; i++) {
        own_warning *w = &b->own[i];
        if (w->table != table || w->column != column || w->reason != reason) continue;
        PyObject *count = PyDict_GetItemString(w->dict, "count");
        return set_item(w->dict, "count", PyLong_FromSsize_t(PyLong_AsSsize_t(count) + 1));
    }
    if (b->own_count == KUSTO_MAX_WARNINGS || !b->table) return 0;
    PyObject *name = PyDict_GetItemWithError(b->table, b->st->keys[K_NAME]);
    PyObject *id = PyDict_GetItemWithError(b->table, b->st->keys[K_ID]);
    PyObject *columns = PyDict_GetItemWithError(b->table, b->st->keys[K_COLUMNS]);
    PyObject *column_dict = columns && column < PyList_GET_SIZE(columns) ? PyList_GET_ITEM(columns, column) : NULL;
    PyObject *column_name = column_dict ? PyDict_GetItemWithError(column_dict, b->st->keys[K_NAME]) : NULL;
    PyObject *excerpt = kusto_py_text_lenient(text, len > 40 ? 40 : len);
    int failed = !name || !id || !excerpt;
    PyObject *dict = failed ? NULL
                            : add_warning(b, name, PyLong_AsLong(id), b->row_index, column,
                                          column_name ? column_name : Py_None, reason, excerpt, 1, &failed);
    Py_XDECREF(excerpt);
    if (dict) b->own[b->own_count++] = (own_warning){table, column, reason, dict};
    return failed ? -1 : 0;
}

static int on_value(void *ud, const kusto_value *value) {
    py_builder *b = held(ud);
    if (b->shape->strict) return place(b, kusto_py_value(b->st, value, b->shape->raw_ticks));
    const char *reason;
    Py_ssize_t column = cell_column(b);
    PyObject *obj = kusto_py_value_tolerant(b->st, value, b->shape->raw_ticks, &reason);
    int text = value->kind == KUSTO_VALUE_STRING || value->kind == KUSTO_VALUE_DECIMAL ||
               value->kind == KUSTO_VALUE_GUID || value->kind == KUSTO_VALUE_JSON;
    if (obj && reason &&
        own_warning_note(b, column, reason, text ? value->u.text.ptr : "", text ? value->u.text.len : 0) < 0)
        Py_CLEAR(obj);
    return place(b, obj);
}

static int on_progress(void *ud, int table_id, double percent) {
    py_builder *b = held(ud);
    PyObject *rc = PyObject_CallFunction(b->shape->on_progress, "id", table_id, percent);
    Py_XDECREF(rc);
    return rc ? 0 : -1;
}

static int open_container(py_builder *b, PyObject *container) {
    if (!container || place(b, Py_NewRef(container)) < 0) {
        Py_XDECREF(container);
        return -1;
    }
    Py_DECREF(container); /* its parent keeps it */
    if (b->depth == b->capacity) {
        size_t capacity = b->capacity ? b->capacity * 2 : 16;
        PyObject **open = PyMem_Realloc(b->open, capacity * sizeof *open);
        if (!open) {
            PyErr_NoMemory();
            return -1;
        }
        b->open = open;
        b->capacity = capacity;
    }
    b->open[b->depth++] = container;
    return 0;
}

static int close_container(py_builder *b, int is_list) {
    if (!b->depth || PyList_CheckExact(b->open[b->depth - 1]) != is_list) return out_of_order("end of dynamic value");
    b->depth--;
    /* Inserting a container into a dict tracks the dict again; a finished value is final. */
    if (PyObject_GC_IsTracked(b->open[b->depth])) PyObject_GC_UnTrack(b->open[b->depth]);
    return 0;
}

static int on_begin_array(void *ud) {
    py_builder *b = held(ud);
    PyObject *list = PyList_New(0);
    if (list) PyObject_GC_UnTrack(list);
    return open_container(b, list);
}

static int on_end_array(void *ud) { return close_container(held(ud), 1); }

static int on_begin_object(void *ud) {
    py_builder *b = held(ud);
    PyObject *dict = PyDict_New();
    if (dict) PyObject_GC_UnTrack(dict);
    return open_container(b, dict);
}

static int on_end_object(void *ud) { return close_container(held(ud), 0); }

static PyObject *cached_key(py_builder *b, const char *ptr, size_t len) {
    if (len == 0 || len > KEY_CACHE_MAX_LEN) return PyUnicode_DecodeUTF8(ptr, (Py_ssize_t)len, NULL);
    size_t slot = (len * 31 + (unsigned char)ptr[0] * 7 + (unsigned char)ptr[len - 1]) % KEY_CACHE_SIZE;
    PyObject *known = b->keys[slot];
    if (known && PyUnicode_IS_COMPACT_ASCII(known) && (size_t)PyUnicode_GET_LENGTH(known) == len &&
        memcmp(PyUnicode_DATA(known), ptr, len) == 0)
        return Py_NewRef(known);
    PyObject *key = PyUnicode_DecodeUTF8(ptr, (Py_ssize_t)len, NULL);
    if (key) Py_XSETREF(b->keys[slot], Py_NewRef(key));
    return key;
}

/* A key that is not UTF-8 becomes bytes (with a warning), unless strict. */
static int on_key(void *ud, const char *ptr, size_t len) {
    py_builder *b = held(ud);
    Py_XSETREF(b->key, cached_key(b, ptr, len));
    if (b->key || b->shape->strict || !PyErr_ExceptionMatches(PyExc_UnicodeDecodeError)) return b->key ? 0 : -1;
    PyErr_Clear();
    b->key = PyBytes_FromStringAndSize(ptr, (Py_ssize_t)len);
    static const char reason[] = "a dynamic key that is not valid UTF-8, delivered as bytes";
    return b->key && own_warning_note(b, cell_column(b), reason, ptr, len) == 0 ? 0 : -1;
}

static int on_partial_error(void *ud, const kusto_error *error) {
    py_builder *b = held(ud);
    PyObject *exc = kusto_py_error_object(b->st, error, KUSTO_E_PARTIAL);
    if (!exc) return -1;
    int rc = PyList_Append(b->errors, exc);
    Py_DECREF(exc);
    return rc;
}

static const kusto_builder python_builder = {
    .size = sizeof(kusto_builder),
    .begin_table = on_begin_table,
    .end_table = on_end_table,
    .begin_row = on_begin_row,
    .end_row = on_end_row,
    .value = on_value,
    .begin_array = on_begin_array,
    .end_array = on_end_array,
    .begin_object = on_begin_object,
    .key = on_key,
    .end_object = on_end_object,
    .replace_rows = on_replace_rows,
    .partial_error = on_partial_error,
    .warning = on_warning,
    .enter = on_enter,
    .leave = on_leave,
    .cancelled = on_cancelled,
    /* Building Python objects takes most of a big query's time: receive and parse on another core meanwhile. */
    .parse_in_background = 1,
};

/* ------------------------------------------------------------------------------------------------ */

static int builder_init(py_builder *b) {
    PyObject **k = b->st->keys;
    b->tables = PyList_New(0);
    b->primary = PyList_New(0);
    b->errors = PyList_New(0);
    b->warnings = PyList_New(0);
    b->result = PyDict_New();
    if (!b->tables || !b->primary || !b->errors || !b->warnings || !b->result) return -1;
    if (PyDict_SetItem(b->result, k[K_TABLES], b->tables) < 0 ||
        PyDict_SetItem(b->result, k[K_PRIMARY_RESULTS], b->primary) < 0 ||
        PyDict_SetItem(b->result, k[K_ERRORS], b->errors) < 0 ||
        PyDict_SetItem(b->result, k[K_WARNINGS], b->warnings) < 0)
        return -1;
    return 0;
}

static void builder_clear(py_builder *b) {
    Py_CLEAR(b->result);
    Py_CLEAR(b->tables);
    Py_CLEAR(b->primary);
    Py_CLEAR(b->errors);
    Py_CLEAR(b->warnings);
    Py_CLEAR(b->row);
    Py_CLEAR(b->key);
    for (size_t i = 0; i < KEY_CACHE_SIZE; i++) Py_CLEAR(b->keys[i]);
    end_streaming(b);
    PyMem_Free(b->open);
}

/* PartialResultError (or ProtocolError, for a response cut off or malformed part-way) carrying the rows
   delivered, every partial error and the warnings. */
static PyObject *raise_with_result(py_builder *b, kusto_status status, const kusto_error *err) {
    PyObject *exc = kusto_py_error_object(b->st, err, status);
    if (exc && PyObject_SetAttr(exc, b->st->keys[K_RESULT], b->result) == 0)
        PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
    Py_XDECREF(exc);
    return NULL;
}

static PyObject *outcome(py_builder *b, kusto_status status, const kusto_error *err) {
    if (PyErr_Occurred()) return NULL; /* a callback failed: its exception wins over KUSTO_E_CANCELLED */
    if (status == KUSTO_OK) return Py_NewRef(b->result);
    if (status == KUSTO_E_PARTIAL || status == KUSTO_E_PROTOCOL) return raise_with_result(b, status, err);
    return kusto_py_raise(b->st, status, err);
}

static kusto_builder callbacks_for(const kusto_py_shape *shape) {
    kusto_builder builder = python_builder;
    builder.strict = shape->strict;
    if (shape->on_progress) builder.progress = on_progress;
    return builder;
}

PyObject *kusto_py_run(kusto_py_state *st, kusto_py_call call, kusto_client *client, const char *db, const char *text,
                       const kusto_request *req, const kusto_py_shape *shape) {
    py_builder b = {.st = st, .shape = shape, .holding = 1};
    PyObject *result = NULL;
    if (builder_init(&b) == 0) {
        kusto_error *err = NULL;
        kusto_builder builder = callbacks_for(shape);
        on_leave(&b);
        kusto_status status = call(client, db, text, req, &builder, &b, &err);
        on_enter(&b);
        result = outcome(&b, status, err);
        kusto_error_free(err);
    }
    builder_clear(&b);
    return result;
}

/* ---- a builder for a caller that drives the core itself, GIL held (op.c) ------------------------- */

kusto_py_builder *kusto_py_builder_new(kusto_py_state *st, const kusto_py_shape *shape, kusto_builder *callbacks) {
    py_builder *b = PyMem_Calloc(1, sizeof *b);
    if (!b) return (kusto_py_builder *)PyErr_NoMemory();
    *b = (py_builder){.st = st, .shape = shape, .holding = 1};
    if (builder_init(b) < 0) {
        kusto_py_builder_free(b);
        return NULL;
    }
    *callbacks = callbacks_for(shape);
    /* The caller holds the GIL around every call into the core and drives the I/O itself: no lock to
       take and give back, no Ctrl-C poll, no worker thread. */
    callbacks->enter = NULL;
    callbacks->leave = NULL;
    callbacks->cancelled = NULL;
    callbacks->parse_in_background = 0;
    return b;
}

PyObject *kusto_py_builder_outcome(kusto_py_builder *b, kusto_status status, const kusto_error *err) {
    return outcome(b, status, err);
}

void kusto_py_builder_free(kusto_py_builder *b) {
    if (!b) return;
    builder_clear(b);
    PyMem_Free(b);
}
