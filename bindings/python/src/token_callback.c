/* Client(cs, token_callback=fn): fn(resource) -> token or (token, expires_on), called by the core with the GIL
   released. A raise becomes KUSTO_E_AUTH in the core and is chained as __cause__ of the AuthenticationError. */
#include "pykusto.h"

#include <string.h>

/* The exception the last failing callback raised on this thread, until the error it caused is raised. */
static _Thread_local PyObject *pending_exception;

static char *copy_text(PyObject *text) {
    Py_ssize_t len;
    const char *utf8 = PyUnicode_AsUTF8AndSize(text, &len);
    return utf8 ? strndup(utf8, (size_t)len) : NULL;
}

/* Reads fn's answer into *token / *expires_on; -1 with a Python error set when it is neither form. */
static int read_answer(PyObject *answer, char **token, int64_t *expires_on) {
    PyObject *text = answer;
    if (PyTuple_Check(answer) && PyTuple_GET_SIZE(answer) == 2) {
        text = PyTuple_GET_ITEM(answer, 0);
        long long when = PyLong_AsLongLong(PyTuple_GET_ITEM(answer, 1));
        if (when == -1 && PyErr_Occurred()) return -1;
        *expires_on = when;
    }
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "token_callback must return a str or a (str, expires_on) tuple");
        return -1;
    }
    *token = copy_text(text);
    return *token ? 0 : -1;
}

static char *describe_and_keep(void) {
    PyObject *exc = kusto_py_take_exception();
    PyObject *text = exc ? PyObject_Str(exc) : NULL;
    char *message = NULL;
    if (text) {
        PyObject *full = PyUnicode_FromFormat("%s: %U", Py_TYPE(exc)->tp_name, text);
        message = full ? copy_text(full) : NULL;
        Py_XDECREF(full);
    }
    Py_XDECREF(text);
    PyErr_Clear();
    Py_XSETREF(pending_exception, exc);
    return message;
}

int kusto_py_token_callback(void *ud, const char *resource, char **token, int64_t *expires_on, char **message) {
    PyGILState_STATE gil = PyGILState_Ensure();
    PyObject *answer = PyObject_CallFunction((PyObject *)ud, "s", resource);
    int failed = !answer || read_answer(answer, token, expires_on) < 0;
    Py_XDECREF(answer);
    if (failed) *message = describe_and_keep();
    PyGILState_Release(gil);
    return failed;
}

void kusto_py_chain_callback_exception(PyObject *exc, kusto_status status) {
    PyObject *cause = pending_exception;
    pending_exception = NULL;
    if (cause && status == KUSTO_E_AUTH) PyException_SetCause(exc, cause);
    else Py_XDECREF(cause);
}
