/* Exception classes, one per kusto_status, created here and exposed by the kusto package. */
#include "pykusto.h"

#include <stdarg.h>

typedef struct error_class {
    kusto_status status;
    const char *name; /* attribute name in the module */
    int parent;       /* index of the kusto base class */
    const char *doc;
} error_class;

/* Lets callers catch the usual builtin exception too. */
static PyObject *builtin_base(kusto_status status) {
    switch (status) {
    case KUSTO_E_ARGUMENT:
    case KUSTO_E_CONNSTR: return PyExc_ValueError;
    case KUSTO_E_TIMEOUT: return PyExc_TimeoutError;
    default: return NULL;
    }
}

/* Parents come before children (parent = index in this table). KUSTO_E_NOMEM raises MemoryError. */
static const error_class classes[] = {
    {KUSTO_OK, "Error", -1, "Base class of every libkusto error."},
    {KUSTO_E_ARGUMENT, "ArgumentError", 0, "A bad argument or option value."},
    {KUSTO_E_CONNSTR, "ConnectionStringError", 0, "Malformed connection string, or an unknown or unsupported keyword."},
    {KUSTO_E_UNTRUSTED, "UntrustedEndpointError", 0, "A token would go to an untrusted host, or over plain http."},
    {KUSTO_E_NETWORK, "NetworkError", 0, "Connect, DNS, TLS or transfer failure."},
    {KUSTO_E_TIMEOUT, "TimeoutError", 0, "The call's deadline passed."},
    {KUSTO_E_AUTH, "AuthenticationError", 0, "Azure AD refused the sign-in, or Kusto answered 401/403."},
    {KUSTO_E_SERVICE, "ServiceError", 0, "Kusto answered with an error."},
    {KUSTO_E_THROTTLED, "ThrottledError", 7, "Kusto answered HTTP 429."},
    {KUSTO_E_PROTOCOL, "ProtocolError", 0, "The response is not what the protocol says."},
    {KUSTO_E_PARTIAL, "PartialResultError", 7,
     "The query failed part-way; .result holds the rows delivered and every partial error."},
    {KUSTO_E_CANCELLED, "CancelledError", 0, "A callback asked to stop."},
    {KUSTO_E_UNSUPPORTED, "UnsupportedError", 0, "Known, but not supported by this version."},
};

static int class_index(kusto_status status) { return -(int)status; }

static PyObject *class_attributes(kusto_py_state *st, kusto_status status) {
    PyObject *dict = PyDict_New();
    if (!dict) return NULL;
    int fail = PyDict_SetItemString(dict, "status", Py_None) < 0;
    if (status != KUSTO_OK) {
        PyObject *name = PyUnicode_FromString(kusto_status_name(status));
        fail = fail || !name || PyDict_SetItemString(dict, "status", name) < 0;
        Py_XDECREF(name);
    }
    for (int k = K_CODE; k <= K_REQUEST_ID && !fail; k++) fail = PyDict_SetItem(dict, st->keys[k], Py_None) < 0;
    if (!fail && (status == KUSTO_E_PARTIAL || status == KUSTO_E_PROTOCOL))
        fail = PyDict_SetItem(dict, st->keys[K_RESULT], Py_None) < 0;
    if (fail) Py_CLEAR(dict);
    return dict;
}

static PyObject *make_class(kusto_py_state *st, const error_class *c) {
    PyObject *parent = c->parent >= 0 ? st->errors[class_index(classes[c->parent].status)] : PyExc_Exception;
    PyObject *builtin = builtin_base(c->status);
    PyObject *bases = builtin ? PyTuple_Pack(2, parent, builtin) : PyTuple_Pack(1, parent);
    PyObject *dict = class_attributes(st, c->status);
    char qualified[64];
    PyOS_snprintf(qualified, sizeof qualified, "kusto.%s", c->name);
    PyObject *cls = bases && dict ? PyErr_NewExceptionWithDoc(qualified, c->doc, bases, dict) : NULL;
    Py_XDECREF(bases);
    Py_XDECREF(dict);
    return cls;
}

int kusto_py_errors_init(PyObject *module, kusto_py_state *st) {
    for (size_t i = 0; i < sizeof classes / sizeof *classes; i++) {
        PyObject *cls = make_class(st, &classes[i]);
        if (!cls) return -1;
        st->errors[class_index(classes[i].status)] = cls;
        if (PyModule_AddObjectRef(module, classes[i].name, cls) < 0) return -1;
    }
    return 0;
}

static PyObject *text_or_none(const char *text) {
    if (text) return PyUnicode_DecodeUTF8(text, (Py_ssize_t)strlen(text), "replace");
    return Py_NewRef(Py_None);
}

static PyObject *int_or_none(long value) { return value ? PyLong_FromLong(value) : Py_NewRef(Py_None); }

static PyObject *permanent_of(int permanent) {
    if (permanent < 0) return Py_NewRef(Py_None);
    return PyBool_FromLong(permanent);
}

static int set_attribute(PyObject *exc, PyObject *name, PyObject *value) {
    if (!value) return -1;
    int rc = PyObject_SetAttr(exc, name, value);
    Py_DECREF(value);
    return rc;
}

static int fill_attributes(kusto_py_state *st, PyObject *exc, const kusto_error *err) {
    PyObject **k = st->keys;
    if (set_attribute(exc, k[K_STATUS], PyUnicode_FromString(kusto_status_name(kusto_error_status(err)))) < 0 ||
        set_attribute(exc, k[K_CODE], text_or_none(kusto_error_code(err))) < 0 ||
        set_attribute(exc, k[K_AADSTS], int_or_none(kusto_error_aadsts(err))) < 0 ||
        set_attribute(exc, k[K_PERMANENT], permanent_of(kusto_error_permanent(err))) < 0 ||
        set_attribute(exc, k[K_HTTP_STATUS], int_or_none(kusto_error_http_status(err))) < 0 ||
        set_attribute(exc, k[K_REQUEST_ID], text_or_none(kusto_error_request_id(err))) < 0)
        return -1;
    return 0;
}

static PyObject *class_for(kusto_py_state *st, kusto_status status) {
    int index = class_index(status);
    if (index <= 0 || index >= KUSTO_PY_STATUS_COUNT || !st->errors[index]) return st->errors[0];
    return st->errors[index];
}

PyObject *kusto_py_error_object(kusto_py_state *st, const kusto_error *err, kusto_status fallback) {
    kusto_status status = err ? kusto_error_status(err) : fallback;
    const char *message = err ? kusto_error_message(err) : kusto_status_name(status);
    PyObject *text = PyUnicode_DecodeUTF8(message, (Py_ssize_t)strlen(message), "replace");
    PyObject *exc = text ? PyObject_CallOneArg(class_for(st, status), text) : NULL;
    Py_XDECREF(text);
    if (exc && err && fill_attributes(st, exc, err) < 0) Py_CLEAR(exc);
    return exc;
}

PyObject *kusto_py_raise_text(kusto_py_state *st, kusto_status status, const char *format, ...) {
    va_list args;
    va_start(args, format);
    PyObject *text = PyUnicode_FromFormatV(format, args);
    va_end(args);
    PyObject *exc = text ? PyObject_CallOneArg(class_for(st, status), text) : NULL;
    Py_XDECREF(text);
    if (exc) {
        PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
        Py_DECREF(exc);
    }
    return NULL;
}

PyObject *kusto_py_raise(kusto_py_state *st, kusto_status status, const kusto_error *err) {
    if (err) status = kusto_error_status(err);
    if (status == KUSTO_E_NOMEM) return PyErr_NoMemory();
    PyObject *exc = kusto_py_error_object(st, err, status);
    if (exc) {
        kusto_py_chain_callback_exception(exc, status);
        PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
        Py_DECREF(exc);
    }
    return NULL;
}
