/* kusto.Client: a heap type around kusto_client. Calls release the GIL; close() waits for none. */
#include "pykusto.h"

typedef struct client_object {
    PyObject_HEAD
    kusto_py_state *st;
    kusto_client *client;
    char *data_source;        /* for repr only; never a secret */
    int busy;                 /* calls in flight (changed with the GIL held) */
    PyObject *token_callback; /* the token_callback option, kept alive while the core may call it */
    int closed;
    kusto_py_prompts prompts;
    PyObject *last_token; /* the dict acquire_token returned last: copied while the core returns that token */
} client_object;

/* The Data Source the client will use: the connection string's, unless an option overrides it. */
static char *data_source_of(const char *connstr, PyObject *kwargs) {
    kusto_connstr *cs = NULL;
    if (kusto_connstr_parse(&cs, connstr, NULL) != KUSTO_OK) return NULL;
    Py_ssize_t pos = 0;
    PyObject *name, *value;
    while (kwargs && PyDict_Next(kwargs, &pos, &name, &value)) {
        if (!PyUnicode_Check(name) || !PyUnicode_Check(value)) continue;
        const char *c_name = PyUnicode_AsUTF8(name), *c_value = PyUnicode_AsUTF8(value);
        if (c_name && c_value) kusto_connstr_set(cs, c_name, c_value, NULL); /* not a keyword: ignored */
        PyErr_Clear();
    }
    const char *source = kusto_connstr_get(cs, "Data Source");
    char *copy = source ? strdup(source) : NULL;
    kusto_connstr_free(cs);
    return copy;
}

/* Moves the token_callback option out of `rest` (a copy of the keyword arguments) into the client. */
static int take_token_callback(client_object *self, PyObject *rest) {
    PyObject *callback = PyDict_GetItemString(rest, "token_callback"); /* borrowed */
    if (!callback) return 0;
    if (callback != Py_None && !PyCallable_Check(callback)) {
        PyErr_SetString(PyExc_TypeError, "token_callback must be callable");
        return -1;
    }
    if (callback != Py_None) self->token_callback = Py_NewRef(callback);
    return PyDict_DelItemString(rest, "token_callback");
}

/* Moves the one-shot calls' private `_shared` keyword out of `rest`: 1 for the process's shared client. */
static int take_shared(PyObject *rest) {
    PyObject *flag = PyDict_GetItemString(rest, "_shared"); /* borrowed */
    int shared = flag && PyObject_IsTrue(flag) == 1;
    if (flag) PyDict_DelItemString(rest, "_shared");
    return shared;
}

/* The module state of the C type, also when `type` is a subclass made in Python (kusto.Client is one). */
static kusto_py_state *state_of_type(PyTypeObject *type) {
    for (; type; type = type->tp_base) {
        kusto_py_state *st = PyType_GetModuleState(type);
        if (st) return st;
        PyErr_Clear();
    }
    PyErr_SetString(PyExc_TypeError, "kusto: not a Client type");
    return NULL;
}

static PyObject *client_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    PyObject *text;
    if (!PyArg_ParseTuple(args, "U:Client", &text)) return NULL;
    client_object *self = (client_object *)type->tp_alloc(type, 0);
    if (!self) return NULL;
    self->st = state_of_type(type);
    const char *connstr = self->st ? kusto_py_utf8(self->st, text, KUSTO_E_CONNSTR, "the connection string") : NULL;
    if (!connstr) {
        Py_DECREF(self);
        return NULL;
    }
    PyObject *rest = kusto_py_prompts_take(&self->prompts, kwargs);
    if (rest && take_token_callback(self, rest) < 0) Py_CLEAR(rest);
    int shared = rest && take_shared(rest);
    kusto_options *opts = kwargs && !rest ? NULL : kusto_py_options_from(self->st, rest);
    Py_XDECREF(rest);
    if (!opts) {
        Py_DECREF(self);
        return NULL;
    }
    kusto_py_prompts_install(&self->prompts, opts);
    if (self->token_callback) kusto_options_set_token_callback(opts, kusto_py_token_callback, self->token_callback);
    kusto_error *err = NULL;
    kusto_status status = (shared ? kusto_client_shared : kusto_client_new)(&self->client, connstr, opts, &err);
    kusto_options_free(opts);
    if (status != KUSTO_OK) {
        kusto_py_raise(self->st, status, err);
        kusto_error_free(err);
        Py_DECREF(self);
        return NULL;
    }
    self->data_source = data_source_of(connstr, kwargs);
    return (PyObject *)self;
}

static void client_release(client_object *self) {
    if (self->busy || !self->client) return;
    kusto_client *client = self->client;
    self->client = NULL;
    Py_BEGIN_ALLOW_THREADS
    kusto_client_free(client);
    Py_END_ALLOW_THREADS
}

static void client_dealloc(client_object *self) {
    PyTypeObject *type = Py_TYPE(self);
    kusto_client_free(self->client);
    Py_XDECREF(self->token_callback);
    kusto_py_prompts_clear(&self->prompts);
    free(self->data_source);
    Py_CLEAR(self->last_token);
    type->tp_free((PyObject *)self);
    Py_DECREF(type);
}

static int client_enter(client_object *self) {
    if (self->closed) {
        PyErr_SetString(PyExc_ValueError, "operation on a closed kusto.Client");
        return -1;
    }
    self->busy++;
    return 0;
}

static void client_exit(client_object *self) {
    self->busy--;
    if (self->closed) client_release(self);
}

static PyObject *text_or_none(const char *text) { return text ? PyUnicode_FromString(text) : Py_NewRef(Py_None); }

static PyObject *token_dict(kusto_py_state *st, const kusto_token *t) {
    PyObject **k = st->keys;
    PyObject *values[] = {
        /* in the order of the keys K_ACCESS_TOKEN .. K_FROM_CACHE */
        text_or_none(kusto_token_access_token(t)),      text_or_none(kusto_token_type(t)),
        PyLong_FromLongLong(kusto_token_expires_on(t)), text_or_none(kusto_token_resource(t)),
        text_or_none(kusto_token_authority(t)),         PyBool_FromLong(kusto_token_from_cache(t)),
    };
    PyObject *dict = PyDict_New();
    for (int i = 0; i <= K_FROM_CACHE; i++) {
        if (dict && (!values[i] || PyDict_SetItem(dict, k[K_ACCESS_TOKEN + i], values[i]) < 0)) Py_CLEAR(dict);
        Py_XDECREF(values[i]);
    }
    return dict;
}

/* A copy of the last token dict when `t` is the same token (a cache hit): no decoding of the token text. */
static PyObject *same_token_dict(client_object *self, const kusto_token *t) {
    PyObject **k = self->st->keys;
    if (!self->last_token) return NULL;
    PyObject *access = PyDict_GetItemWithError(self->last_token, k[K_ACCESS_TOKEN]);
    PyObject *expires = PyDict_GetItemWithError(self->last_token, k[K_EXPIRES_ON]);
    const char *text = kusto_token_access_token(t);
    Py_ssize_t len;
    const char *cached = access && PyUnicode_Check(access) ? PyUnicode_AsUTF8AndSize(access, &len) : NULL;
    if (!cached || !text || !expires || (size_t)len != strlen(text) || memcmp(cached, text, (size_t)len) != 0 ||
        PyLong_AsLongLong(expires) != kusto_token_expires_on(t)) {
        PyErr_Clear();
        return NULL;
    }
    PyObject *copy = PyDict_Copy(self->last_token);
    if (copy && PyDict_SetItem(copy, k[K_FROM_CACHE], kusto_token_from_cache(t) ? Py_True : Py_False) < 0)
        Py_CLEAR(copy);
    return copy;
}

static PyObject *client_token_dict(client_object *self, const kusto_token *t) {
    PyObject *dict = same_token_dict(self, t);
    if (dict || PyErr_Occurred()) return dict;
    dict = token_dict(self->st, t);
    if (dict) {
        Py_XSETREF(self->last_token, PyDict_Copy(dict));
        if (!self->last_token) PyErr_Clear(); /* only the next call's shortcut is lost */
    }
    return dict;
}

/* The scope given as acquire_token(scope) or acquire_token(scope=...): NULL with no error when there is none. */
static const char *scope_argument(client_object *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    if (nargs + nkw == 0) return NULL;
    if (nargs + nkw > 1 || (nkw && PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(kwnames, 0), "scope") != 0)) {
        PyErr_SetString(PyExc_TypeError, "acquire_token() takes one optional argument, scope");
        return NULL;
    }
    if (args[0] == Py_None) return NULL;
    if (!PyUnicode_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "scope must be a str");
        return NULL;
    }
    return kusto_py_utf8(self->st, args[0], KUSTO_E_ARGUMENT, "the scope");
}

static PyObject *client_acquire_token(client_object *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    const char *scope = scope_argument(self, args, nargs, kwnames);
    if ((!scope && PyErr_Occurred()) || client_enter(self) < 0) return NULL;
    kusto_token *token = NULL;
    kusto_error *err = NULL;
    kusto_status status;
    Py_BEGIN_ALLOW_THREADS
    status = scope ? kusto_client_acquire_token_for(self->client, scope, &token, &err)
                   : kusto_client_acquire_token(self->client, &token, &err);
    Py_END_ALLOW_THREADS
    client_exit(self);
    PyObject *result = status != KUSTO_OK ? kusto_py_raise(self->st, status, err)
                     : scope              ? token_dict(self->st, token)
                                          : client_token_dict(self, token);
    if (kusto_py_prompts_reraise(&self->prompts)) Py_CLEAR(result);
    kusto_token_free(token);
    kusto_error_free(err);
    return result;
}

/* ---- the token cache: accounts, remove_account, clear_cache ---- */

static PyObject *account_dict(const kusto_account *a) {
    return Py_BuildValue("{s:s,s:s,s:s,s:s}", "home_account_id", a->home_account_id, "username", a->username,
                         "environment", a->environment, "realm", a->realm);
}

static PyObject *client_accounts(client_object *self, PyObject *unused) {
    if (client_enter(self) < 0) return NULL;
    kusto_account *accounts = NULL;
    size_t count = 0;
    kusto_error *err = NULL;
    kusto_status status;
    Py_BEGIN_ALLOW_THREADS
    status = kusto_client_accounts(self->client, &accounts, &count, &err);
    Py_END_ALLOW_THREADS
    client_exit(self);
    PyObject *list = status == KUSTO_OK ? PyList_New((Py_ssize_t)count) : kusto_py_raise(self->st, status, err);
    for (size_t i = 0; list && i < count; i++) {
        PyObject *item = account_dict(&accounts[i]);
        if (!item) Py_CLEAR(list);
        else PyList_SET_ITEM(list, (Py_ssize_t)i, item);
    }
    kusto_accounts_free(accounts, count);
    kusto_error_free(err);
    return list;
}

static PyObject *cache_call_result(client_object *self, kusto_status status, kusto_error *err) {
    PyObject *result = status == KUSTO_OK ? Py_NewRef(Py_None) : kusto_py_raise(self->st, status, err);
    kusto_error_free(err);
    return result;
}

static PyObject *client_remove_account(client_object *self, PyObject *args) {
    const char *home_account_id;
    if (!PyArg_ParseTuple(args, "s:remove_account", &home_account_id) || client_enter(self) < 0) return NULL;
    kusto_error *err = NULL;
    kusto_status status;
    Py_BEGIN_ALLOW_THREADS
    status = kusto_client_remove_account(self->client, home_account_id, &err);
    Py_END_ALLOW_THREADS
    client_exit(self);
    return cache_call_result(self, status, err);
}

static PyObject *client_clear_cache(client_object *self, PyObject *unused) {
    if (client_enter(self) < 0) return NULL;
    kusto_error *err = NULL;
    kusto_status status;
    Py_BEGIN_ALLOW_THREADS
    status = kusto_client_clear_cache(self->client, &err);
    Py_END_ALLOW_THREADS
    client_exit(self);
    return cache_call_result(self, status, err);
}

/* The arguments of query, mgmt and _op. */
typedef struct call_args {
    const char *db, *text;
    PyObject *properties, *parameters, *request_id, *application, *user;
    kusto_py_shape shape;
    int mgmt;
} call_args;

/* -1 with an exception for callables that are not, or that do not go together. */
static int shape_check(client_object *self, kusto_py_shape *shape) {
    if (shape->on_rows == Py_None) shape->on_rows = NULL;
    if (shape->on_progress == Py_None) shape->on_progress = NULL;
    const char *wrong = shape->on_progress && !PyCallable_Check(shape->on_progress) ? "on_progress must be callable"
                      : shape->on_rows && !PyCallable_Check(shape->on_rows)         ? "on_rows must be callable"
                                                                                    : NULL;
    if (wrong) {
        PyErr_SetString(PyExc_TypeError, wrong);
        return -1;
    }
    if (shape->on_rows && shape->columnar) { /* on_rows hands rows over and keeps none: nothing to make columns of */
        PyErr_SetString(self->st->errors[-KUSTO_E_ARGUMENT],
                        "on_rows and columnar=True cannot be combined (query_iter gives rows; for columns use "
                        "query(columnar=True) or query_arrow)");
        return -1;
    }
    return 0;
}

/* Parses the arguments (`format` and `kwlist` as query's, _op's with mgmt last) and makes the request;
   NULL with an exception. */
static kusto_request *call_parse(client_object *self, call_args *a, const char *format, char **kwlist, PyObject *args,
                                 PyObject *kwargs) {
    kusto_py_shape *shape = &a->shape;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, format, kwlist, &a->db, &a->text, &a->properties, &a->request_id,
                                     &a->application, &a->user, &shape->raw_ticks, &shape->columnar, &shape->on_rows,
                                     &shape->strict, &shape->on_progress, &a->parameters, &a->mgmt) ||
        shape_check(self, shape) < 0 || kusto_py_load_types(self->st) < 0)
        return NULL;
    return kusto_py_request_from(self->st, a->properties, a->parameters, a->request_id, a->application, a->user);
}

static PyObject *client_run(client_object *self, kusto_py_call call, const char *format, char **kwlist, PyObject *args,
                            PyObject *kwargs) {
    call_args a = {0};
    kusto_request *req = call_parse(self, &a, format, kwlist, args, kwargs);
    if (!req) return NULL;
    PyObject *result = NULL;
    if (client_enter(self) == 0) {
        result = kusto_py_run(self->st, call, self->client, a.db, a.text, req, &a.shape);
        client_exit(self);
        if (kusto_py_prompts_reraise(&self->prompts)) Py_CLEAR(result);
    }
    kusto_request_free(req);
    return result;
}

/* An Op, or an Arrow stream, stays a call in flight until it is freed, so close() waits for it. */
static void call_done(PyObject *self) { client_exit((client_object *)self); }

static PyObject *client_op(client_object *self, PyObject *args, PyObject *kwargs) {
    static char *kwlist[] = {"db",          "csl",    "properties",  "client_request_id",
                             "application", "user",   "raw_ticks",   "columnar",
                             "on_rows",     "strict", "on_progress", "parameters",
                             "mgmt",        NULL};
    call_args a = {0};
    kusto_request *req = call_parse(self, &a, "zs|O$OOOppOpOOp:_op", kwlist, args, kwargs);
    if (!req) return NULL;
    if (client_enter(self) < 0) {
        kusto_request_free(req);
        return NULL;
    }
    return kusto_py_op_new(self->st, (PyObject *)self, call_done, self->client, a.mgmt, a.db, a.text, req, &a.shape);
}

static PyObject *client_query(client_object *self, PyObject *args, PyObject *kwargs) {
    static char *kwlist[] = {"db",          "csl",        "properties", "client_request_id", "application",
                             "user",        "raw_ticks",  "columnar",   "on_rows",           "strict",
                             "on_progress", "parameters", NULL};
    return client_run(self, kusto_client_query, "zs|O$OOOppOpOO:query", kwlist, args, kwargs);
}

static PyObject *client_mgmt(client_object *self, PyObject *args, PyObject *kwargs) {
    static char *kwlist[] = {"db",          "command",    "properties", "client_request_id", "application",
                             "user",        "raw_ticks",  "columnar",   "on_rows",           "strict",
                             "on_progress", "parameters", NULL};
    return client_run(self, kusto_client_mgmt, "zs|O$OOOppOpOO:mgmt", kwlist, args, kwargs);
}

static PyObject *client_query_arrow(client_object *self, PyObject *args, PyObject *kwargs) {
    static char *kwlist[] = {"db",         "csl",    "properties", "client_request_id", "application", "user",
                             "batch_rows", "strict", "stream",     "parameters",        NULL};
    const char *db, *text;
    PyObject *properties = NULL, *parameters = NULL, *request_id = NULL, *application = NULL, *user = NULL;
    Py_ssize_t batch_rows = KUSTO_ARROW_BATCH_ROWS;
    int strict = 0, stream = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "zs|O$OOOnppO:query_arrow", kwlist, &db, &text, &properties,
                                     &request_id, &application, &user, &batch_rows, &strict, &stream, &parameters))
        return NULL;
    if (batch_rows < 1) return PyErr_Format(PyExc_ValueError, "batch_rows must be at least 1");
    if (stream && strict) return kusto_py_raise_text(self->st, KUSTO_E_ARGUMENT, "strict does not go with stream=True");
    if (kusto_py_load_types(self->st) < 0) return NULL;
    kusto_request *req = kusto_py_request_from(self->st, properties, parameters, request_id, application, user);
    if (!req) return NULL;
    PyObject *result = NULL;
    if (client_enter(self) == 0) {
        if (stream) { /* the stream stays a call in flight until released (see call_done) */
            result = kusto_py_query_arrow_stream(self->st, (PyObject *)self, call_done, self->client, db, text, req,
                                                 (size_t)batch_rows);
            if (!result) client_exit(self);
        } else {
            result = kusto_py_query_arrow(self->st, kusto_client_query, self->client, db, text, req, (size_t)batch_rows,
                                          strict);
            client_exit(self);
        }
        if (kusto_py_prompts_reraise(&self->prompts)) Py_CLEAR(result);
    }
    kusto_request_free(req);
    return result;
}

static PyObject *client_close(client_object *self, PyObject *unused) {
    self->closed = 1;
    Py_CLEAR(self->last_token);
    client_release(self); /* or the last call in flight does */
    Py_RETURN_NONE;
}

static PyObject *client_context_enter(client_object *self, PyObject *unused) {
    if (self->closed) {
        PyErr_SetString(PyExc_ValueError, "operation on a closed kusto.Client");
        return NULL;
    }
    return Py_NewRef(self);
}

static PyObject *client_context_exit(client_object *self, PyObject *args) { return client_close(self, NULL); }

static PyObject *client_repr(client_object *self) {
    const char *state = self->closed ? " closed" : "";
    if (!self->data_source) return PyUnicode_FromFormat("<kusto.Client%s>", state);
    PyObject *source = PyUnicode_DecodeUTF8(self->data_source, (Py_ssize_t)strlen(self->data_source), "replace");
    PyObject *repr = source ? PyUnicode_FromFormat("<kusto.Client data_source=%R%s>", source, state) : NULL;
    Py_XDECREF(source);
    return repr;
}

static PyObject *client_get_closed(client_object *self, void *unused) { return PyBool_FromLong(self->closed); }

static PyMethodDef client_methods[] = {
    {"acquire_token", (PyCFunction)(void (*)(void))client_acquire_token, METH_FASTCALL | METH_KEYWORDS,
     "acquire_token(scope=None) -> dict\n\nA token for the cluster (access_token, token_type, expires_on, resource, "
     "authority, from_cache), from the cache while it has more than 5 minutes left. With a scope "
     "(\"{resource}/.default\" or a resource), a token for that resource by the same sign-in."},
    {"query", (PyCFunction)(void (*)(void))client_query, METH_VARARGS | METH_KEYWORDS,
     "query(db, csl, properties=None, *, client_request_id=None, application=None, user=None, raw_ticks=False,"
     " columnar=False, on_rows=None, strict=False, on_progress=None, parameters=None) -> dict\n\nRuns a query (POST "
     "/v2/rest/query;"
     " text starting with '.' is a control command and goes to /v1/rest/mgmt); db None means the connection "
     "string's database. columnar: each table has \"data\" (one list per column) instead of \"rows\". on_rows: "
     "called as on_rows(table, rows) with batches of primary-table rows as they arrive; those are not kept. "
     "A cell that cannot become its column's type arrives as sent and is listed in result[\"warnings\"]; "
     "strict=True raises ProtocolError instead. on_progress: called as on_progress(table_id, percent). "
     "parameters: {name: value} typed query parameters (int long, float real, bool, str string, datetime/date "
     "datetime (naive: UTC), timedelta/time timespan, UUID guid, Decimal decimal, dict/list/tuple dynamic, None "
     "dynamic(null)); `declare query_parameters(...)` is put after the query's leading set statements unless the "
     "query declares its own; ArgumentError for a name that is no identifier or a value Kusto cannot hold."},
    {"mgmt", (PyCFunction)(void (*)(void))client_mgmt, METH_VARARGS | METH_KEYWORDS,
     "mgmt(db, command, properties=None, *, client_request_id=None, application=None, user=None, "
     "raw_ticks=False, columnar=False, on_rows=None, strict=False, on_progress=None, parameters=None) -> dict\n\nRuns a control "
     "command (POST /v1/rest/mgmt)."},
    {"_op", (PyCFunction)(void (*)(void))client_op, METH_VARARGS | METH_KEYWORDS,
     "_op(db, csl, properties=None, *, client_request_id=None, application=None, user=None, raw_ticks=False, "
     "columnar=False, on_rows=None, strict=False, on_progress=None, parameters=None, mgmt=False) -> kusto._kusto.Op\n\nThe query (or "
     "with mgmt=True the command) as HTTP exchanges for an event loop to perform; see kusto.aio."},
    {"_query_arrow", (PyCFunction)(void (*)(void))client_query_arrow, METH_VARARGS | METH_KEYWORDS,
     "_query_arrow(db, csl, properties=None, *, client_request_id=None, application=None, user=None, "
     "batch_rows=65536, strict=False, stream=False, parameters=None) -> kusto._kusto.ArrowResult\n\nRuns a query into Arrow record batches; "
     "see kusto.Client.query_arrow."},
    {"accounts", (PyCFunction)client_accounts, METH_NOARGS,
     "accounts()\n\nThe user accounts in the token cache: dicts of home_account_id, username, environment, realm."},
    {"remove_account", (PyCFunction)client_remove_account, METH_VARARGS,
     "remove_account(home_account_id)\n\nSigns the account out of the token cache (its tokens go)."},
    {"clear_cache", (PyCFunction)client_clear_cache, METH_NOARGS,
     "clear_cache()\n\nRemoves every token and account from the client's token cache."},
    {"close", (PyCFunction)client_close, METH_NOARGS, "close()\n\nFrees the client; calls in flight finish first."},
    {"__enter__", (PyCFunction)client_context_enter, METH_NOARGS, NULL},
    {"__exit__", (PyCFunction)client_context_exit, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef client_getset[] = {
    {"closed", (getter)client_get_closed, NULL, "True after close().", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot client_slots[] = {
    {Py_tp_new, client_new},
    {Py_tp_dealloc, client_dealloc},
    {Py_tp_repr, client_repr},
    {Py_tp_methods, client_methods},
    {Py_tp_getset, client_getset},
    {Py_tp_doc, "Client(connection_string, /, **options)\n\n"
                "A Kusto client: reuses connections, the token cache and cloud metadata. Options override the "
                "connection string by snake_case name (client_id, client_secret, authority, ca_file, timeout, "
                "trusted_hosts, database, ...). Safe to share between threads."},
    {0, NULL},
};

PyType_Spec kusto_py_client_spec = {
    .name = "kusto.Client",
    .basicsize = sizeof(client_object),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE | Py_TPFLAGS_BASETYPE,
    .slots = client_slots,
};
