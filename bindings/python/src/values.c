/* One kusto_value to one Python object. */
#include "values.h"

#define MICROS_PER_DAY INT64_C(86400000000)
#define MAX_DATETIME_TICKS INT64_C(3155378975999999999) /* 9999-12-31T23:59:59.9999999Z */
#define DAYS_0001_TO_1970 719162

/* Howard Hinnant's days_from_civil inverse: days since 1970-01-01 to a proleptic Gregorian date. */
static void civil_from_days(int64_t z, int *year, int *month, int *day) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = (int)(yoe + era * 400 + (m <= 2));
    *month = m;
    *day = (int)(doy - (153 * mp + 2) / 5 + 1);
}

static int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a % b < 0) != (b < 0)); }

/* Floors to microseconds, Python's resolution. */
static PyObject *datetime_of(kusto_py_state *st, int64_t ticks) {
    if (ticks < 0 || ticks > MAX_DATETIME_TICKS)
        return PyErr_Format(PyExc_ValueError, "datetime ticks %lld out of range (raw_ticks=True gives the number)",
                            (long long)ticks);
    int64_t micros = ticks / 10;
    int64_t days = micros / MICROS_PER_DAY, in_day = micros % MICROS_PER_DAY;
    int year, month, day;
    civil_from_days(days - DAYS_0001_TO_1970, &year, &month, &day);
    int64_t seconds = in_day / 1000000;
    PyDateTime_CAPI *api = st->datetime_api;
    return api->DateTime_FromDateAndTime(year, month, day, (int)(seconds / 3600), (int)(seconds / 60 % 60),
                                         (int)(seconds % 60), (int)(in_day % 1000000), api->TimeZone_UTC,
                                         api->DateTimeType);
}

static PyObject *timedelta_of(kusto_py_state *st, int64_t ticks) {
    int64_t micros = floor_div(ticks, 10);
    int64_t days = floor_div(micros, MICROS_PER_DAY), in_day = micros - days * MICROS_PER_DAY;
    PyDateTime_CAPI *api = st->datetime_api;
    return api->Delta_FromDelta((int)days, (int)(in_day / 1000000), (int)(in_day % 1000000), 1, api->DeltaType);
}

static PyObject *text_of(const kusto_value *v) {
    return PyUnicode_DecodeUTF8(v->u.text.ptr, (Py_ssize_t)v->u.text.len, NULL);
}

static PyObject *call_with_text(PyObject *callable, const kusto_value *v) {
    PyObject *text = text_of(v);
    PyObject *obj = text ? PyObject_CallOneArg(callable, text) : NULL;
    Py_XDECREF(text);
    return obj;
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* The 16 bytes of a canonical 8-4-4-4-12 GUID, or 0 when it is not one. */
static int guid_bytes(const char *p, size_t len, unsigned char bytes[16]) {
    if (len != 36) return 0;
    size_t n = 0;
    for (size_t i = 0; i < len; i += 2) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (p[i] != '-') return 0;
            i--; /* the next pair starts right after the dash */
            continue;
        }
        int high = hex_digit(p[i]), low = hex_digit(p[i + 1]);
        if (high < 0 || low < 0) return 0;
        bytes[n++] = (unsigned char)(high << 4 | low);
    }
    return n == 16;
}

static PyObject *uint128_of(const unsigned char bytes[16]) {
#if PY_VERSION_HEX >= 0x030D0000
    return PyLong_FromUnsignedNativeBytes(bytes, 16, Py_ASNATIVEBYTES_BIG_ENDIAN);
#else
    return _PyLong_FromByteArray(bytes, 16, 0, 0);
#endif
}

/* Sets attribute `name` of a new instance: straight into its slot when the type has one (no lookup). */
static int set_new_attribute(PyObject *obj, Py_ssize_t slot, PyObject *name, PyObject *value) {
    if (!slot) return PyObject_GenericSetAttr(obj, name, value);
    *(PyObject **)((char *)obj + slot) = Py_NewRef(value);
    return 0;
}

/* What uuid.UUID(hex) does, without its Python-level parsing: set the two slots on a bare instance. */
static PyObject *uuid_of(kusto_py_state *st, const kusto_value *v) {
    unsigned char bytes[16];
    if (!guid_bytes(v->u.text.ptr, v->u.text.len, bytes)) return call_with_text(st->uuid_type, v);
    PyTypeObject *type = (PyTypeObject *)st->uuid_type;
    PyObject *number = uint128_of(bytes);
    PyObject *uuid = number ? type->tp_alloc(type, 0) : NULL;
    if (uuid && (set_new_attribute(uuid, st->uuid_int_slot, st->keys[K_INT], number) < 0 ||
                 set_new_attribute(uuid, st->uuid_is_safe_slot, st->keys[K_IS_SAFE], st->uuid_unknown) < 0))
        Py_CLEAR(uuid);
    if (uuid && PyObject_GC_IsTracked(uuid)) PyObject_GC_UnTrack(uuid);
    Py_XDECREF(number);
    return uuid;
}

static PyObject *json_of(kusto_py_state *st, const kusto_value *v) {
    if (!st->json_loads) {
        PyObject *json = PyImport_ImportModule("json");
        st->json_loads = json ? PyObject_GetAttrString(json, "loads") : NULL;
        Py_XDECREF(json);
        if (!st->json_loads) return NULL;
    }
    return call_with_text(st->json_loads, v);
}

PyObject *kusto_py_value(kusto_py_state *st, const kusto_value *v, int raw_ticks) {
    switch (v->kind) {
    case KUSTO_VALUE_NULL: return Py_NewRef(Py_None);
    case KUSTO_VALUE_BOOL: return PyBool_FromLong(v->u.b);
    case KUSTO_VALUE_INT: return PyLong_FromLongLong(v->u.i);
    case KUSTO_VALUE_REAL: return PyFloat_FromDouble(v->u.r);
    case KUSTO_VALUE_STRING: return text_of(v);
    case KUSTO_VALUE_DECIMAL: return call_with_text(st->decimal_type, v);
    case KUSTO_VALUE_DATETIME: return raw_ticks ? PyLong_FromLongLong(v->u.ticks) : datetime_of(st, v->u.ticks);
    case KUSTO_VALUE_TIMESPAN: return raw_ticks ? PyLong_FromLongLong(v->u.ticks) : timedelta_of(st, v->u.ticks);
    case KUSTO_VALUE_GUID: return uuid_of(st, v);
    case KUSTO_VALUE_JSON: return json_of(st, v);
    }
    return PyErr_Format(PyExc_SystemError, "libkusto: unknown value kind %d", (int)v->kind);
}

PyObject *kusto_py_text_lenient(const char *text, size_t len) {
    return PyUnicode_DecodeUTF8(text, (Py_ssize_t)len, "backslashreplace");
}

static int has_text(kusto_value_kind kind) {
    return kind == KUSTO_VALUE_STRING || kind == KUSTO_VALUE_DECIMAL || kind == KUSTO_VALUE_GUID ||
           kind == KUSTO_VALUE_JSON;
}

static const char *why_not(kusto_value_kind kind) {
    switch (kind) {
    case KUSTO_VALUE_STRING: return "text that is not valid UTF-8, delivered as bytes";
    case KUSTO_VALUE_DECIMAL: return "a decimal Python cannot read, delivered as its text";
    case KUSTO_VALUE_GUID: return "a guid Python cannot read, delivered as its text";
    case KUSTO_VALUE_JSON: return "a dynamic value Python cannot read, delivered as its text";
    default: return "a value Python cannot hold, delivered as its ticks";
    }
}

/* Text as str, or as bytes when it is not UTF-8. */
static PyObject *str_or_bytes(const kusto_value *v) {
    PyObject *text = text_of(v);
    if (text || !PyErr_ExceptionMatches(PyExc_UnicodeDecodeError)) return text;
    PyErr_Clear();
    return PyBytes_FromStringAndSize(v->u.text.ptr, (Py_ssize_t)v->u.text.len);
}

PyObject *kusto_py_value_tolerant(kusto_py_state *st, const kusto_value *v, int raw_ticks, const char **reason) {
    PyObject *obj = kusto_py_value(st, v, raw_ticks);
    *reason = NULL;
    /* Server data never makes a MemoryError or an interrupt: those stay what they are. */
    if (obj || !PyErr_ExceptionMatches(PyExc_Exception) || PyErr_ExceptionMatches(PyExc_MemoryError)) return obj;
    PyErr_Clear();
    *reason = why_not(v->kind);
    if (has_text(v->kind)) return str_or_bytes(v);
    return PyLong_FromLongLong(v->kind == KUSTO_VALUE_DATETIME || v->kind == KUSTO_VALUE_TIMESPAN ? v->u.ticks : 0);
}
