/*
 * kusto._kusto.Op: one query as the HTTP exchanges an event loop performs (kusto_op in kusto.h), its result
 * made by the same builder as Client.query. The GIL is held throughout: each call is short (one step, or
 * one chunk of the answer parsed into objects), so the loop is never held for long.
 */
#include "pykusto.h"

typedef struct op_object {
    PyObject_HEAD
    kusto_py_state *st;
    kusto_op *op;
    kusto_request *req; /* must outlive the op */
    kusto_py_builder *builder;
    kusto_builder callbacks;
    kusto_py_shape shape; /* its callables are owned here */
    PyObject *owner;      /* the client: kept alive, and told by done() when the op is over */
    void (*done)(PyObject *owner);
    PyObject *raised; /* what a builder callback raised, raised again by result() */
} op_object;

/* An exception a callback left set inside the core is kept for result(): the core has already stopped. */
static void keep_raised(op_object *self) {
    if (PyErr_Occurred()) Py_XSETREF(self->raised, kusto_py_take_exception());
}

/* Abandons the op (its connection is the caller's to close) and frees what it held. */
static void op_release(op_object *self) {
    kusto_op_free(self->op);
    self->op = NULL;
    kusto_py_builder_free(self->builder);
    self->builder = NULL;
    kusto_request_free(self->req);
    self->req = NULL;
    Py_CLEAR(self->shape.on_rows);
    Py_CLEAR(self->shape.on_progress);
    Py_CLEAR(self->raised);
    if (self->owner) {
        PyObject *owner = self->owner;
        self->owner = NULL;
        self->done(owner);
        Py_DECREF(owner);
    }
}

PyObject *kusto_py_op_new(kusto_py_state *st, PyObject *owner, void (*done)(PyObject *owner), kusto_client *client,
                          int mgmt, const char *db, const char *text, kusto_request *req, const kusto_py_shape *shape) {
    op_object *self = PyObject_New(op_object, st->op_type);
    if (!self) {
        kusto_request_free(req);
        done(owner);
        return NULL;
    }
    self->st = st;
    self->op = NULL;
    self->req = req;
    self->shape = *shape;
    Py_XINCREF(self->shape.on_rows);
    Py_XINCREF(self->shape.on_progress);
    self->owner = Py_NewRef(owner);
    self->done = done;
    self->raised = NULL;
    self->builder = kusto_py_builder_new(st, &self->shape, &self->callbacks);
    if (!self->builder) {
        Py_DECREF(self);
        return NULL;
    }
    kusto_error *err = NULL;
    kusto_status status = (mgmt ? kusto_op_mgmt : kusto_op_query)(client, db, text, req, &self->callbacks,
                                                                  self->builder, &self->op, &err);
    if (status != KUSTO_OK) {
        Py_CLEAR(self);
        kusto_py_raise(st, status, err);
    }
    kusto_error_free(err);
    return (PyObject *)self;
}

static PyObject *op_next(op_object *self, PyObject *unused) {
    if (!self->op) return Py_BuildValue("(sO)", "done", Py_None);
    kusto_op_request r = {0};
    kusto_op_step step = kusto_op_next(self->op, &r);
    keep_raised(self);
    if (step == KUSTO_OP_SEND)
        return Py_BuildValue("(s{s:s,s:s,s:s,s:i,s:s,s:l})", "send", "method", r.method, "url", r.url, "host", r.host,
                             "port", r.port, "tls_name", r.tls_name, "timeout_ms", r.timeout_ms);
    if (step == KUSTO_OP_WAIT) return Py_BuildValue("(sl)", "wait", r.wait_ms);
    return Py_BuildValue("(sO)", "done", Py_None);
}

static int usable(op_object *self) {
    if (self->op) return 0;
    PyErr_SetString(PyExc_ValueError, "operation on a finished kusto Op");
    return -1;
}

static PyObject *op_request_bytes(op_object *self, PyObject *unused) {
    if (usable(self) < 0) return NULL;
    const char *data = NULL;
    size_t len = 0;
    kusto_op_request_bytes(self->op, &data, &len);
    return PyBytes_FromStringAndSize(data ? data : "", (Py_ssize_t)len);
}

static PyObject *op_receive(op_object *self, PyObject *arg) {
    Py_buffer bytes;
    if (usable(self) < 0 || PyObject_GetBuffer(arg, &bytes, PyBUF_SIMPLE) < 0) return NULL;
    int rc = kusto_op_receive(self->op, bytes.buf, (size_t)bytes.len);
    PyBuffer_Release(&bytes);
    keep_raised(self);
    return PyLong_FromLong(rc);
}

static PyObject *op_keep_alive(op_object *self, PyObject *unused) {
    return PyBool_FromLong(self->op && kusto_op_keep_alive(self->op));
}

static PyObject *op_failed(op_object *self, PyObject *args) {
    int transient;
    const char *message;
    if (!PyArg_ParseTuple(args, "ps:failed", &transient, &message) || usable(self) < 0) return NULL;
    kusto_op_failed(self->op, transient, message);
    keep_raised(self);
    Py_RETURN_NONE;
}

static PyObject *op_result(op_object *self, PyObject *unused) {
    if (usable(self) < 0) return NULL;
    kusto_error *err = NULL;
    kusto_status status = kusto_op_result(self->op, &err);
    if (self->raised) { /* a callback failed: its exception wins, as in Client.query */
        PyErr_SetObject((PyObject *)Py_TYPE(self->raised), self->raised);
        Py_CLEAR(self->raised);
    }
    PyObject *result = kusto_py_builder_outcome(self->builder, status, err);
    kusto_error_free(err);
    op_release(self);
    return result;
}

static PyObject *op_close(op_object *self, PyObject *unused) {
    op_release(self);
    Py_RETURN_NONE;
}

static void op_dealloc(op_object *self) {
    PyTypeObject *type = Py_TYPE(self);
    op_release(self);
    PyObject_Free(self);
    Py_DECREF(type);
}

static PyMethodDef op_methods[] = {
    {"next", (PyCFunction)op_next, METH_NOARGS,
     "next() -> (step, arg)\n\n(\"send\", {method, url, host, port, tls_name, timeout_ms}): connect (TLS verifying "
     "tls_name), send request_bytes() and feed the answer to receive(); (\"wait\", ms): pause; (\"done\", None): "
     "call result()."},
    {"request_bytes", (PyCFunction)op_request_bytes, METH_NOARGS,
     "request_bytes() -> bytes\n\nThe request to send, as HTTP/1.1."},
    {"receive", (PyCFunction)op_receive, METH_O,
     "receive(data) -> int\n\nThe answer's next bytes (b\"\" at end of stream): 0 for more, 1 when the answer is whole "
     "(keep the connection only if keep_alive()), -1 when the op failed (next() says done)."},
    {"keep_alive", (PyCFunction)op_keep_alive, METH_NOARGS,
     "keep_alive() -> bool\n\nWhether the connection may serve the next request."},
    {"failed", (PyCFunction)op_failed, METH_VARARGS,
     "failed(transient, message)\n\nThe request could not be sent or its answer not read; transient: worth "
     "another attempt (a reset or refused connection)."},
    {"result", (PyCFunction)op_result, METH_NOARGS,
     "result() -> dict\n\nAfter done: the result, or the exception, exactly as Client.query; frees the op."},
    {"close", (PyCFunction)op_close, METH_NOARGS,
     "close()\n\nAbandons the op (close its connection too) and frees it; idempotent."},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot op_slots[] = {
    {Py_tp_dealloc, op_dealloc},
    {Py_tp_methods, op_methods},
    {Py_tp_doc, "A query as HTTP exchanges driven by the caller (kusto.aio); made by Client._op."},
    {0, NULL},
};

PyType_Spec kusto_py_op_spec = {
    .name = "kusto._kusto.Op",
    .basicsize = sizeof(op_object),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = op_slots,
};
