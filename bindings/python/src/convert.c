/* Python arguments to libkusto options and request properties. */
#include "pykusto.h"

#include <structmember.h> /* T_OBJECT_EX, READONLY (Python.h has them from 3.12) */

/* The index of the first lone surrogate of a str, or -1. */
static Py_ssize_t lone_surrogate_at(PyObject *text) {
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    for (Py_ssize_t i = 0, n = PyUnicode_GET_LENGTH(text); i < n; i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        if (ch >= 0xD800 && ch <= 0xDFFF) return i;
    }
    return -1;
}

const char *kusto_py_utf8(kusto_py_state *st, PyObject *text, kusto_status status, const char *what) {
    Py_ssize_t len = 0;
    const char *s;
    if (PyBytes_Check(text)) {
        s = PyBytes_AS_STRING(text);
        len = PyBytes_GET_SIZE(text);
    } else if (!(s = PyUnicode_AsUTF8AndSize(text, &len))) {
        if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) return NULL;
        PyErr_Clear();
        kusto_py_raise_text(st, status, "%s is not text: character %zd is a lone surrogate", what,
                            lone_surrogate_at(text));
        return NULL;
    }
    if (strlen(s) != (size_t)len) {
        kusto_py_raise_text(st, status, "%s contains a NUL character", what);
        return NULL;
    }
    return s;
}

static PyObject *joined(PyObject *items) {
    PyObject *comma = PyUnicode_FromString(",");
    PyObject *text = comma ? PyUnicode_Join(comma, items) : NULL;
    Py_XDECREF(comma);
    return text;
}

PyObject *kusto_py_option_text(PyObject *name, PyObject *value) {
    if (PyBool_Check(value)) return PyUnicode_FromString(value == Py_True ? "true" : "false");
    if (PyLong_Check(value)) return PyObject_Str(value);
    if (PyFloat_Check(value)) return PyObject_Repr(value);
    if (PyUnicode_Check(value)) return Py_NewRef(value);
    if (PyList_Check(value) || PyTuple_Check(value)) return joined(value);
    if (PyObject_HasAttrString(value, "__fspath__")) return PyOS_FSPath(value);
    return PyErr_Format(PyExc_TypeError,
                        "option %R must be str, bool, int, float, a list of str or os.PathLike, not %.100s", name,
                        Py_TYPE(value)->tp_name);
}

static int option_set(kusto_py_state *st, kusto_options *opts, PyObject *name, PyObject *value) {
    if (!PyUnicode_Check(name)) {
        PyErr_SetString(PyExc_TypeError, "option names must be str");
        return -1;
    }
    PyObject *text = kusto_py_option_text(name, value);
    const char *c_name = text ? kusto_py_utf8(st, name, KUSTO_E_ARGUMENT, "an option name") : NULL;
    char what[120];
    if (c_name) PyOS_snprintf(what, sizeof what, "option '%.80s'", c_name);
    const char *c_value = c_name ? kusto_py_utf8(st, text, KUSTO_E_ARGUMENT, what) : NULL;
    kusto_status status = c_value ? kusto_options_set(opts, c_name, c_value) : KUSTO_OK;
    Py_XDECREF(text);
    if (status == KUSTO_E_NOMEM) PyErr_NoMemory();
    else if (status != KUSTO_OK)
        kusto_py_raise_text(st, KUSTO_E_ARGUMENT, "%s was refused (%s)", what, kusto_status_name(status));
    return c_value && status == KUSTO_OK ? 0 : -1;
}

kusto_options *kusto_py_options_from(kusto_py_state *st, PyObject *kwargs) {
    kusto_options *opts = NULL;
    if (kusto_options_new(&opts) != KUSTO_OK) {
        PyErr_NoMemory();
        return NULL;
    }
    Py_ssize_t pos = 0;
    PyObject *name, *value;
    while (kwargs && PyDict_Next(kwargs, &pos, &name, &value)) {
        if (value == Py_None) continue; /* "not set", e.g. cache_path=None */
        if (option_set(st, opts, name, value) < 0) {
            kusto_options_free(opts);
            return NULL;
        }
    }
    return opts;
}

/* ------------------------------------------------------------------------------------------------ */

static int request_failed(kusto_py_state *st, kusto_status status, const char *what, PyObject *name) {
    if (status == KUSTO_OK) return 0;
    if (status == KUSTO_E_NOMEM) PyErr_NoMemory();
    else kusto_py_raise_text(st, KUSTO_E_ARGUMENT, "%s %R was refused (%s)", what, name, kusto_status_name(status));
    return -1;
}

int64_t kusto_py_timedelta_ticks(PyObject *delta) {
    int64_t days = PyDateTime_DELTA_GET_DAYS(delta);
    int64_t seconds = PyDateTime_DELTA_GET_SECONDS(delta);
    int64_t micros = PyDateTime_DELTA_GET_MICROSECONDS(delta);
    return (days * 86400 + seconds) * KUSTO_TICKS_PER_SECOND + micros * 10;
}

static kusto_status set_option(kusto_py_state *st, kusto_request *req, const char *name, PyObject *value) {
    if (PyBool_Check(value)) return kusto_request_set_option_bool(req, name, value == Py_True);
    if (PyLong_Check(value)) {
        long long n = PyLong_AsLongLong(value);
        return n == -1 && PyErr_Occurred() ? KUSTO_E_ARGUMENT : kusto_request_set_option_int(req, name, n);
    }
    if (PyFloat_Check(value)) return kusto_request_set_option_real(req, name, PyFloat_AS_DOUBLE(value));
    if (PyObject_TypeCheck(value, st->datetime_api->DeltaType)) {
        char text[40];
        kusto_timespan_format(kusto_py_timedelta_ticks(value), text);
        return kusto_request_set_option_string(req, name, text);
    }
    if (PyUnicode_Check(value)) {
        const char *text = kusto_py_utf8(st, value, KUSTO_E_ARGUMENT, "a request property");
        return text ? kusto_request_set_option_string(req, name, text) : KUSTO_E_ARGUMENT;
    }
    PyErr_Format(PyExc_TypeError, "request property %s must be bool, int, float, str or timedelta, not %.100s", name,
                 Py_TYPE(value)->tp_name);
    return KUSTO_E_ARGUMENT;
}

static kusto_status set_parameter(kusto_py_state *st, kusto_request *req, const char *name, PyObject *value) {
    PyObject *text = NULL;
    if (PyBool_Check(value)) text = PyUnicode_FromString(value == Py_True ? "true" : "false");
    else if (PyLong_Check(value) || PyFloat_Check(value) || PyUnicode_Check(value)) text = PyObject_Str(value);
    else
        PyErr_Format(PyExc_TypeError, "query parameter %s must be str, bool, int or float, not %.100s", name,
                     Py_TYPE(value)->tp_name);
    const char *c_text = text ? kusto_py_utf8(st, text, KUSTO_E_ARGUMENT, "a query parameter") : NULL;
    kusto_status status = c_text ? kusto_request_set_parameter(req, name, c_text) : KUSTO_E_ARGUMENT;
    Py_XDECREF(text);
    return status;
}

/* Runs one setter per dict item; `option` tells options from parameters. */
static int set_all(kusto_py_state *st, kusto_request *req, PyObject *dict, int option) {
    const char *what = option ? "request property" : "query parameter";
    if (!PyDict_Check(dict)) {
        PyErr_Format(PyExc_TypeError, "%s must be a dict, not %.100s", option ? "properties" : "Parameters",
                     Py_TYPE(dict)->tp_name);
        return -1;
    }
    Py_ssize_t pos = 0;
    PyObject *name, *value;
    while (PyDict_Next(dict, &pos, &name, &value)) {
        if (!PyUnicode_Check(name)) {
            PyErr_Format(PyExc_TypeError, "%s names must be str", what);
            return -1;
        }
        if (value == Py_None) continue;
        if (option && PyUnicode_Compare(name, st->keys[K_PARAMETERS]) == 0) {
            if (set_all(st, req, value, 0) < 0) return -1;
            continue;
        }
        const char *c_name = kusto_py_utf8(st, name, KUSTO_E_ARGUMENT, what);
        if (!c_name) return -1;
        kusto_status status = option ? set_option(st, req, c_name, value) : set_parameter(st, req, c_name, value);
        if (PyErr_Occurred() || request_failed(st, status, what, name) < 0) return -1;
    }
    return 0;
}

static int set_tracing(kusto_py_state *st, kusto_request *req, kusto_status (*set)(kusto_request *, const char *),
                       PyObject *value, const char *what) {
    if (!value || value == Py_None) return 0;
    if (!PyUnicode_Check(value)) {
        PyErr_Format(PyExc_TypeError, "%s must be str, not %.100s", what, Py_TYPE(value)->tp_name);
        return -1;
    }
    const char *text = kusto_py_utf8(st, value, KUSTO_E_ARGUMENT, what);
    return text ? request_failed(st, set(req, text), what, value) : -1;
}

kusto_request *kusto_py_request_from(kusto_py_state *st, PyObject *properties, PyObject *parameters,
                                     PyObject *client_request_id, PyObject *application, PyObject *user) {
    kusto_request *req = NULL;
    if (kusto_request_new(&req) != KUSTO_OK) {
        PyErr_NoMemory();
        return NULL;
    }
    if ((properties && properties != Py_None && set_all(st, req, properties, 1) < 0) ||
        (parameters && parameters != Py_None && kusto_py_set_parameters(st, req, parameters) < 0) ||
        set_tracing(st, req, kusto_request_set_client_request_id, client_request_id, "client_request_id") < 0 ||
        set_tracing(st, req, kusto_request_set_application, application, "application") < 0 ||
        set_tracing(st, req, kusto_request_set_user, user, "user") < 0) {
        kusto_request_free(req);
        return NULL;
    }
    return req;
}

/* ------------------------------------------------------------------------------------------------ */

static PyObject *import_attribute(const char *module, const char *name) {
    PyObject *mod = PyImport_ImportModule(module);
    PyObject *attr = mod ? PyObject_GetAttrString(mod, name) : NULL;
    Py_XDECREF(mod);
    return attr;
}

/* The byte offset of an object slot (a `__slots__` name) of `type`, or 0 when `name` is something else. */
static Py_ssize_t slot_offset(PyObject *type, const char *name) {
    PyObject *descr = PyObject_GetAttrString(type, name);
    Py_ssize_t offset = 0;
    if (descr && Py_IS_TYPE(descr, &PyMemberDescr_Type)) {
        PyMemberDef *member = ((PyMemberDescrObject *)descr)->d_member;
        if (member->type == T_OBJECT_EX && !(member->flags & READONLY)) offset = member->offset;
    }
    Py_XDECREF(descr);
    PyErr_Clear();
    return offset;
}

int kusto_py_load_types(kusto_py_state *st) {
    if (st->decimal_type) return 0;
    if (!st->datetime_api) st->datetime_api = (PyDateTime_CAPI *)PyCapsule_Import(PyDateTime_CAPSULE_NAME, 0);
    if (!st->datetime_api) return -1;
    if (!st->uuid_type) {
        if (!(st->uuid_type = import_attribute("uuid", "UUID"))) return -1;
        st->uuid_int_slot = slot_offset(st->uuid_type, "int");
        st->uuid_is_safe_slot = slot_offset(st->uuid_type, "is_safe");
    }
    if (!st->uuid_unknown) {
        PyObject *safe = import_attribute("uuid", "SafeUUID");
        st->uuid_unknown = safe ? PyObject_GetAttrString(safe, "unknown") : NULL;
        Py_XDECREF(safe);
        if (!st->uuid_unknown) return -1;
    }
    st->decimal_type = import_attribute("decimal", "Decimal");
    return st->decimal_type ? 0 : -1;
}
