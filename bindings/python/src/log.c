/* The core's log messages to the stdlib logger "kusto": logging is imported at the first message, so
   `import kusto` stays light, and the logger's own level and handlers decide what is shown. */
#include "pykusto.h"

#if PY_VERSION_HEX >= 0x030D0000
#define kusto_py_finalizing() Py_IsFinalizing()
#else
#define kusto_py_finalizing() _Py_IsFinalizing()
#endif

static void log_to_python(void *ud, kusto_log_level level, const char *message) {
    if (!Py_IsInitialized() || kusto_py_finalizing()) return;
    PyGILState_STATE gil = PyGILState_Ensure();
    PyObject *type, *value, *traceback;
    PyErr_Fetch(&type, &value, &traceback); /* a message while an exception is set must not lose it */
    PyObject *logging = PyImport_ImportModule("logging");
    PyObject *logger = logging ? PyObject_CallMethod(logging, "getLogger", "s", "kusto") : NULL;
    PyObject *done = logger ? PyObject_CallMethod(logger, "log", "is", (int)level, message) : NULL;
    if (!done) PyErr_WriteUnraisable(logger);
    Py_XDECREF(done);
    Py_XDECREF(logger);
    Py_XDECREF(logging);
    PyErr_Restore(type, value, traceback);
    PyGILState_Release(gil);
}

void kusto_py_log_install(void) { kusto_set_log_callback(log_to_python, NULL, KUSTO_LOG_DEBUG); }

void kusto_py_log_uninstall(void) { kusto_set_log_callback(NULL, NULL, KUSTO_LOG_OFF); }
