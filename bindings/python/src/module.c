/* kusto._kusto: module state, multi-phase init, and the module-level functions. */
#include "pykusto.h"

static const char *const key_names[K_COUNT] = {
    "access_token", "token_type", "expires_on", "resource",    "authority",  "from_cache", "tables", "primary_results",
    "errors",       "id",         "name",       "kind",        "columns",    "rows",       "type",   "status",
    "code",         "aadsts",     "permanent",  "http_status", "request_id", "result",     "int",    "is_safe",
    "Parameters",   "data",       "warnings",
};

static kusto_py_state *state_of(PyObject *module) { return PyModule_GetState(module); }

static PyObject *parse_connection_string(PyObject *module, PyObject *arg) {
    if (!PyUnicode_Check(arg))
        return PyErr_Format(PyExc_TypeError, "connection string must be str, not %.100s", Py_TYPE(arg)->tp_name);
    const char *text = kusto_py_utf8(state_of(module), arg, KUSTO_E_CONNSTR, "the connection string");
    if (!text) return NULL;
    kusto_connstr *cs = NULL;
    kusto_error *err = NULL;
    kusto_status status = kusto_connstr_parse(&cs, text, &err);
    PyObject *dict = status == KUSTO_OK ? PyDict_New() : kusto_py_raise(state_of(module), status, err);
    const char *keyword, *value;
    for (size_t i = 0; dict && kusto_connstr_entry(cs, i, &keyword, &value, 0); i++) {
        PyObject *v = PyUnicode_FromString(value);
        if (!v || PyDict_SetItemString(dict, keyword, v) < 0) Py_CLEAR(dict);
        Py_XDECREF(v);
    }
    kusto_connstr_free(cs);
    kusto_error_free(err);
    return dict;
}

static PyObject *clear_process_state(PyObject *module, PyObject *unused) {
    Py_BEGIN_ALLOW_THREADS
    kusto_process_state_clear();
    Py_END_ALLOW_THREADS
    Py_RETURN_NONE;
}

static PyMethodDef module_functions[] = {
    {"clear_process_state", clear_process_state, METH_NOARGS,
     "clear_process_state()\n\nForgets the clients the one-shot calls share and the cloud metadata and OpenID "
     "configurations kept for the process: the next call signs in and discovers afresh."},
    {"parse_connection_string", parse_connection_string, METH_O,
     "parse_connection_string(cs) -> dict\n\n{canonical keyword: value} of a Kusto connection string, secret "
     "values shown as \"****\"."},
    {NULL, NULL, 0, NULL},
};

static int module_exec(PyObject *module) {
    kusto_py_state *st = state_of(module);
    for (int k = 0; k < K_COUNT; k++)
        if (!(st->keys[k] = PyUnicode_InternFromString(key_names[k]))) return -1;
    if (kusto_py_errors_init(module, st) < 0) return -1;
    st->client_type = (PyTypeObject *)PyType_FromModuleAndSpec(module, &kusto_py_client_spec, NULL);
    if (!st->client_type || PyModule_AddObjectRef(module, "Client", (PyObject *)st->client_type) < 0) return -1;
    st->arrow_type = (PyTypeObject *)PyType_FromModuleAndSpec(module, &kusto_py_arrow_spec, NULL);
    if (!st->arrow_type || PyModule_AddObjectRef(module, "ArrowResult", (PyObject *)st->arrow_type) < 0) return -1;
    st->op_type = (PyTypeObject *)PyType_FromModuleAndSpec(module, &kusto_py_op_spec, NULL);
    if (!st->op_type || PyModule_AddObjectRef(module, "Op", (PyObject *)st->op_type) < 0) return -1;
    kusto_py_log_install();
    return PyModule_AddStringConstant(module, "__version__", kusto_version());
}

static int module_traverse(PyObject *module, visitproc visit, void *arg) {
    kusto_py_state *st = state_of(module);
    for (int i = 0; i < KUSTO_PY_STATUS_COUNT; i++) Py_VISIT(st->errors[i]);
    Py_VISIT(st->client_type);
    Py_VISIT(st->arrow_type);
    Py_VISIT(st->op_type);
    Py_VISIT(st->uuid_type);
    Py_VISIT(st->uuid_unknown);
    Py_VISIT(st->decimal_type);
    Py_VISIT(st->json_loads);
    return 0;
}

static int module_clear(PyObject *module) {
    kusto_py_state *st = state_of(module);
    for (int i = 0; i < KUSTO_PY_STATUS_COUNT; i++) Py_CLEAR(st->errors[i]);
    for (int k = 0; k < K_COUNT; k++) Py_CLEAR(st->keys[k]);
    Py_CLEAR(st->client_type);
    Py_CLEAR(st->arrow_type);
    Py_CLEAR(st->op_type);
    Py_CLEAR(st->uuid_type);
    Py_CLEAR(st->uuid_unknown);
    Py_CLEAR(st->decimal_type);
    Py_CLEAR(st->json_loads);
    st->datetime_api = NULL;
    return 0;
}

static void module_free(void *module) {
    kusto_py_log_uninstall();
    module_clear(module);
}

static PyModuleDef_Slot module_slots[] = {
    {Py_mod_exec, module_exec},
    {0, NULL},
};

static struct PyModuleDef kusto_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "kusto._kusto",
    .m_doc = "libkusto: sign in to Azure AD and query Azure Data Explorer (Kusto). Use the kusto package.",
    .m_size = sizeof(kusto_py_state),
    .m_methods = module_functions,
    .m_slots = module_slots,
    .m_traverse = module_traverse,
    .m_clear = module_clear,
    .m_free = module_free,
};

PyMODINIT_FUNC PyInit__kusto(void) { return PyModuleDef_Init(&kusto_module); }
