/* Typed query parameters from Python values: each value goes to the core setter of its Kusto type, which writes
   the KQL literal and the declare statement (core/src/parameters.c). */
#include "pykusto.h"

#define TYPES_ACCEPTED "int, float, bool, str, datetime, date, time, timedelta, UUID, Decimal, dict, list or None"

/* Ticks of a date or naive datetime's fields; KUSTO_E_ARGUMENT for a year the core's calendar refuses. */
static kusto_status field_ticks(PyObject *value, int with_time, int64_t *ticks) {
    char text[48];
    int hour = 0, minute = 0, second = 0, micro = 0;
    if (with_time) {
        hour = PyDateTime_DATE_GET_HOUR(value);
        minute = PyDateTime_DATE_GET_MINUTE(value);
        second = PyDateTime_DATE_GET_SECOND(value);
        micro = PyDateTime_DATE_GET_MICROSECOND(value);
    }
    PyOS_snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", PyDateTime_GET_YEAR(value),
                  PyDateTime_GET_MONTH(value), PyDateTime_GET_DAY(value), hour, minute, second, micro);
    return kusto_datetime_parse(text, strlen(text), ticks);
}

/* A datetime in UTC ticks (naive: UTC, as Kusto's datetimes are); -1 with an exception. */
static int datetime_ticks(kusto_py_state *st, PyObject *value, int64_t *ticks) {
    field_ticks(value, 1, ticks);
    PyObject *offset = PyObject_CallMethod(value, "utcoffset", NULL);
    if (!offset) return -1;
    if (PyObject_TypeCheck(offset, st->datetime_api->DeltaType)) *ticks -= kusto_py_timedelta_ticks(offset);
    Py_DECREF(offset);
    return 0;
}

static int64_t time_ticks(PyObject *value) {
    int64_t seconds = PyDateTime_TIME_GET_HOUR(value) * 3600 + PyDateTime_TIME_GET_MINUTE(value) * 60 +
                      PyDateTime_TIME_GET_SECOND(value);
    return seconds * KUSTO_TICKS_PER_SECOND + PyDateTime_TIME_GET_MICROSECOND(value) * 10;
}

/* Sets a parameter from text a Python call gives (str(UUID), format(Decimal, "f"), json.dumps(...)). */
static kusto_status set_text(kusto_request *req, const char *name, PyObject *text,
                             kusto_status (*set)(kusto_request *, const char *, const char *, kusto_error **),
                             int dynamic, kusto_error **err) {
    Py_ssize_t len;
    const char *s = text ? PyUnicode_AsUTF8AndSize(text, &len) : NULL;
    kusto_status status = !s      ? KUSTO_E_ARGUMENT
                        : dynamic ? kusto_request_set_parameter_dynamic(req, name, s, (size_t)len, err)
                                  : set(req, name, s, err);
    Py_XDECREF(text);
    return status;
}

static PyObject *json_text(PyObject *value) {
    PyObject *json = PyImport_ImportModule("json");
    PyObject *dumps = json ? PyObject_GetAttrString(json, "dumps") : NULL;
    PyObject *args = dumps ? PyTuple_Pack(1, value) : NULL;
    PyObject *kwargs = args ? Py_BuildValue("{sOsO}", "ensure_ascii", Py_False, "allow_nan", Py_False) : NULL;
    PyObject *text = kwargs ? PyObject_Call(dumps, args, kwargs) : NULL;
    Py_XDECREF(json);
    Py_XDECREF(dumps);
    Py_XDECREF(args);
    Py_XDECREF(kwargs);
    return text;
}

/* The core's status for one value; KUSTO_E_ARGUMENT with a Python exception set when it has no Kusto type or
   Python could not convert it (then `err` stays NULL). */
static kusto_status set_value(kusto_py_state *st, kusto_request *req, const char *name, PyObject *value,
                              kusto_error **err) {
    PyDateTime_CAPI *api = st->datetime_api;
    int64_t ticks;
    if (value == Py_None) return kusto_request_set_parameter_dynamic(req, name, "null", 4, err);
    if (PyBool_Check(value)) return kusto_request_set_parameter_bool(req, name, value == Py_True, err);
    if (PyLong_Check(value)) {
        int overflow;
        long long n = PyLong_AsLongLongAndOverflow(value, &overflow);
        if (overflow)
            kusto_py_raise_text(st, KUSTO_E_ARGUMENT,
                                "query parameter %s: the int does not fit "
                                "Kusto's long (64 bits)",
                                name);
        return PyErr_Occurred() ? KUSTO_E_ARGUMENT : kusto_request_set_parameter_long(req, name, n, err);
    }
    if (PyFloat_Check(value)) return kusto_request_set_parameter_real(req, name, PyFloat_AS_DOUBLE(value), err);
    if (PyUnicode_Check(value)) {
        char what[96];
        PyOS_snprintf(what, sizeof what, "query parameter %.64s", name);
        Py_ssize_t len;
        const char *s = PyUnicode_AsUTF8AndSize(value, &len);
        if (!s) PyErr_Clear(), kusto_py_utf8(st, value, KUSTO_E_ARGUMENT, what); /* raises, naming where */
        return s ? kusto_request_set_parameter_string(req, name, s, (size_t)len, err) : KUSTO_E_ARGUMENT;
    }
    if (PyObject_TypeCheck(value, api->DateTimeType))
        return datetime_ticks(st, value, &ticks) < 0 ? KUSTO_E_ARGUMENT
                                                     : kusto_request_set_parameter_datetime(req, name, ticks, err);
    if (PyObject_TypeCheck(value, api->DateType)) {
        field_ticks(value, 0, &ticks);
        return kusto_request_set_parameter_datetime(req, name, ticks, err);
    }
    if (PyObject_TypeCheck(value, api->DeltaType))
        return kusto_request_set_parameter_timespan(req, name, kusto_py_timedelta_ticks(value), err);
    if (PyObject_TypeCheck(value, api->TimeType))
        return kusto_request_set_parameter_timespan(req, name, time_ticks(value), err);
    if (PyObject_IsInstance(value, st->uuid_type) == 1)
        return set_text(req, name, PyObject_Str(value), kusto_request_set_parameter_guid, 0, err);
    if (PyObject_IsInstance(value, st->decimal_type) == 1) {
        PyObject *f = PyUnicode_FromString("f");
        PyObject *text = f ? PyObject_Format(value, f) : NULL;
        Py_XDECREF(f);
        return set_text(req, name, text, kusto_request_set_parameter_decimal, 0, err);
    }
    if (PyDict_Check(value) || PyList_Check(value) || PyTuple_Check(value)) {
        PyObject *text = json_text(value);
        if (!text && (PyErr_ExceptionMatches(PyExc_TypeError) || PyErr_ExceptionMatches(PyExc_ValueError))) {
            PyObject *cause = kusto_py_take_exception();
            kusto_py_raise_text(st, KUSTO_E_ARGUMENT, "query parameter %s: %S", name, cause);
            Py_XDECREF(cause);
        }
        return set_text(req, name, text, NULL, 1, err);
    }
    kusto_py_raise_text(st, KUSTO_E_ARGUMENT, "query parameter %s: %s has no Kusto type (give " TYPES_ACCEPTED ")",
                        name, Py_TYPE(value)->tp_name);
    return KUSTO_E_ARGUMENT;
}

static int set_one(kusto_py_state *st, kusto_request *req, PyObject *name, PyObject *value) {
    if (!PyUnicode_Check(name)) {
        kusto_py_raise_text(st, KUSTO_E_ARGUMENT, "query parameter names must be str, not %s", Py_TYPE(name)->tp_name);
        return -1;
    }
    const char *c_name = kusto_py_utf8(st, name, KUSTO_E_ARGUMENT, "a query parameter name");
    if (!c_name) return -1;
    kusto_error *err = NULL;
    kusto_status status = set_value(st, req, c_name, value, &err);
    if (status != KUSTO_OK && !PyErr_Occurred()) kusto_py_raise(st, status, err);
    kusto_error_free(err);
    return status == KUSTO_OK ? 0 : -1;
}

int kusto_py_set_parameters(kusto_py_state *st, kusto_request *req, PyObject *parameters) {
    PyObject *items = PyMapping_Items(parameters);
    if (!items) {
        if (PyErr_ExceptionMatches(PyExc_AttributeError) || PyErr_ExceptionMatches(PyExc_TypeError)) {
            PyErr_Clear();
            kusto_py_raise_text(st, KUSTO_E_ARGUMENT, "parameters must be a mapping of names to values, not %s",
                                Py_TYPE(parameters)->tp_name);
        }
        return -1;
    }
    int failed = 0;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items) && !failed; i++) {
        PyObject *item = PyList_GET_ITEM(items, i);
        failed = !PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2
                   ? (PyErr_SetString(PyExc_TypeError, "parameters.items() must give pairs"), -1)
                   : set_one(st, req, PyTuple_GET_ITEM(item, 0), PyTuple_GET_ITEM(item, 1));
    }
    Py_DECREF(items);
    return failed ? -1 : 0;
}
