/* Internal to the Python binding kusto._kusto: module state and the functions its files share. */
#ifndef PYKUSTO_H
#define PYKUSTO_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <datetime.h>

#include "kusto.h"

/* datetime.h defines a static PyDateTimeAPI in every file that includes it; the C API lives in module
   state instead (see kusto_py_load_types), so this only keeps the compiler from calling it unused. */
static inline PyDateTime_CAPI *kusto_py_static_datetime_api(void) { return PyDateTimeAPI; }

/* Takes the exception being raised: normalised, with its traceback (a new reference, or NULL); none is left set. */
static inline PyObject *kusto_py_take_exception(void) {
    PyObject *type, *exc, *traceback;
    PyErr_Fetch(&type, &exc, &traceback);
    PyErr_NormalizeException(&type, &exc, &traceback);
    if (exc && traceback) PyException_SetTraceback(exc, traceback);
    Py_XDECREF(type);
    Py_XDECREF(traceback);
    return exc;
}

/* Dictionary keys made once per module (interned), in the order of kusto_py_key_names. */
/* clang-format off */
enum kusto_py_key {
    K_ACCESS_TOKEN, K_TOKEN_TYPE, K_EXPIRES_ON, K_RESOURCE, K_AUTHORITY, K_FROM_CACHE,
    K_TABLES, K_PRIMARY_RESULTS, K_ERRORS, K_ID, K_NAME, K_KIND, K_COLUMNS, K_ROWS, K_TYPE,
    K_STATUS, K_CODE, K_AADSTS, K_PERMANENT, K_HTTP_STATUS, K_REQUEST_ID, K_RESULT,
    K_INT, K_IS_SAFE, K_PARAMETERS, K_DATA, K_WARNINGS,
    K_COUNT
};
/* clang-format on */

/* One exception class per kusto_status (index -status); [0] is kusto.Error itself. */
#define KUSTO_PY_STATUS_COUNT 14

typedef struct kusto_py_state {
    PyObject *errors[KUSTO_PY_STATUS_COUNT];
    PyTypeObject *client_type;
    PyTypeObject *arrow_type; /* kusto._kusto.ArrowResult */
    PyTypeObject *op_type;    /* kusto._kusto.Op */
    PyObject *keys[K_COUNT];
    /* Loaded on first query (kusto_py_load_types), so `import kusto` stays fast. */
    PyDateTime_CAPI *datetime_api;
    PyObject *uuid_type;                         /* uuid.UUID */
    PyObject *uuid_unknown;                      /* uuid.SafeUUID.unknown */
    Py_ssize_t uuid_int_slot, uuid_is_safe_slot; /* byte offsets of UUID's __slots__, or 0: set by name */
    PyObject *decimal_type;                      /* decimal.Decimal */
    PyObject *json_loads;                        /* json.loads, only for KUSTO_VALUE_JSON cells */
} kusto_py_state;

/* errors.c */
int kusto_py_errors_init(PyObject *module, kusto_py_state *st);
/* A new exception instance for `err` (class by status, attributes filled); NULL with an exception set. */
PyObject *kusto_py_error_object(kusto_py_state *st, const kusto_error *err, kusto_status fallback);
/* Raises the exception for `err` (or for `status` when err is NULL) and returns NULL. */
PyObject *kusto_py_raise(kusto_py_state *st, kusto_status status, const kusto_error *err);
/* Raises the exception class of `status` with a message (PyUnicode_FromFormat) and returns NULL. */
PyObject *kusto_py_raise_text(kusto_py_state *st, kusto_status status, const char *format, ...);

/* convert.c */
/* The UTF-8 text of a str (or the bytes of a bytes object) for the core, or NULL with an exception set: a NUL or
   a lone surrogate raise the kusto error of `status` naming `what` and where, never the text, which may hold a
   secret (UnicodeEncodeError would carry all of it in .object). */
const char *kusto_py_utf8(kusto_py_state *st, PyObject *text, kusto_status status, const char *what);
/* Copies keyword arguments into new options; NULL with TypeError for a value of another type, ArgumentError
   for one that is not text. */
kusto_options *kusto_py_options_from(kusto_py_state *st, PyObject *kwargs);
/* The kusto_token_callback that calls a Python callable (ud); see token_callback.c. */
int kusto_py_token_callback(void *ud, const char *resource, char **token, int64_t *expires_on, char **message);
/* Sets what the callback raised on this thread as the cause of `exc` (for KUSTO_E_AUTH), and forgets it. */
void kusto_py_chain_callback_exception(PyObject *exc, kusto_status status);
/* Text for one option value; returns a new reference to a str or bytes object, or NULL. */
PyObject *kusto_py_option_text(PyObject *name, PyObject *value);
/* A new kusto_request from a properties dict, typed query parameters (a mapping, see parameters.c) and the
   tracing arguments (each may be NULL/None). */
kusto_request *kusto_py_request_from(kusto_py_state *st, PyObject *properties, PyObject *parameters,
                                     PyObject *client_request_id, PyObject *application, PyObject *user);
/* A timedelta's 100 ns ticks. */
int64_t kusto_py_timedelta_ticks(PyObject *delta);

/* parameters.c: each item of a mapping {name: Python value} as a typed query parameter; -1 with ArgumentError
   (or MemoryError) when a name or value cannot be sent. Needs kusto_py_load_types. */
int kusto_py_set_parameters(kusto_py_state *st, kusto_request *req, PyObject *parameters);
int kusto_py_load_types(kusto_py_state *st);

/* builder.c */
typedef kusto_status (*kusto_py_call)(kusto_client *client, const char *db, const char *text, const kusto_request *req,
                                      const kusto_builder *builder, void *ud, kusto_error **err);
/* How a result is built. */
typedef struct kusto_py_shape {
    int raw_ticks;         /* datetime and timespan as int ticks */
    int columnar;          /* each table gets "data": one list per column, instead of "rows" */
    PyObject *on_rows;     /* borrowed; when set, called as on_rows(table, rows) with batches of primary-table
                          rows as they arrive, and those rows are not kept in the result */
    PyObject *on_progress; /* borrowed; when set, called as on_progress(table_id, percent) */
    int strict;            /* a cell that cannot become its column's type raises instead of a warning */
} kusto_py_shape;

/* Runs a query or command with the GIL released, building the result dict; NULL with an exception. */
PyObject *kusto_py_run(kusto_py_state *st, kusto_py_call call, kusto_client *client, const char *db, const char *text,
                       const kusto_request *req, const kusto_py_shape *shape);

/* The same builder for a caller that holds the GIL throughout and drives the core itself (op.c): fills
   `callbacks` (ud: the builder) and returns a new builder of a result shaped by `shape`, which must outlive
   it; NULL with an exception. */
typedef struct py_builder kusto_py_builder;
kusto_py_builder *kusto_py_builder_new(kusto_py_state *st, const kusto_py_shape *shape, kusto_builder *callbacks);
/* The call's result dict for `status`/`err`, as kusto_py_run returns it; NULL with the exception set. */
PyObject *kusto_py_builder_outcome(kusto_py_builder *b, kusto_status status, const kusto_error *err);
void kusto_py_builder_free(kusto_py_builder *b);

/* prompts.c: the callables of device_code_callback / browser_callback, kept by a client, and the signal
   check that lets Ctrl-C stop a sign-in */
typedef struct kusto_py_prompts {
    PyObject *device_code;
    PyObject *browser;
    PyObject *raised; /* what a callable raised: it cancelled the sign-in and is raised by the call */
} kusto_py_prompts;
/* Keeps the prompt callables of `kwargs`; returns a new dict of the other options (NULL with an exception). */
PyObject *kusto_py_prompts_take(kusto_py_prompts *p, PyObject *kwargs);
/* Points the options' callbacks at `p`, which must outlive the client made with them. */
void kusto_py_prompts_install(kusto_py_prompts *p, kusto_options *opts);
/* When a callable raised: sets that exception (replacing any) and returns 1; else 0. */
int kusto_py_prompts_reraise(kusto_py_prompts *p);
void kusto_py_prompts_clear(kusto_py_prompts *p);

/* arrow.c: runs a query or command into Arrow record batches with the GIL released throughout; a new
   kusto._kusto.ArrowResult, or NULL with an exception (PartialResultError/ProtocolError carry it as .result). */
PyObject *kusto_py_query_arrow(kusto_py_state *st, kusto_py_call call, kusto_client *client, const char *db,
                               const char *text, const kusto_request *req, size_t batch_rows, int strict);
extern PyType_Spec kusto_py_arrow_spec;
/* arrow.c: the first primary result's batches while they arrive (kusto_client_query_arrow_stream), as a tuple
   of new "arrow_array_stream" and "arrow_schema" capsules; the stream keeps `owner` (the client) alive and
   calls done(owner) when released (not when NULL is returned). NULL with an exception when the query failed
   before the table began. */
PyObject *kusto_py_query_arrow_stream(kusto_py_state *st, PyObject *owner, void (*done)(PyObject *owner),
                                      kusto_client *client, const char *db, const char *text, const kusto_request *req,
                                      size_t batch_rows);

/* op.c: a new kusto._kusto.Op for a query or (mgmt) a command, which takes `req` and keeps `owner` alive,
   calling done(owner) once when the op is freed (also when NULL is returned, with an exception). */
PyObject *kusto_py_op_new(kusto_py_state *st, PyObject *owner, void (*done)(PyObject *owner), kusto_client *client,
                          int mgmt, const char *db, const char *text, kusto_request *req, const kusto_py_shape *shape);
extern PyType_Spec kusto_py_op_spec;

/* client.c */
extern PyType_Spec kusto_py_client_spec;

/* Sends the core's log messages to logging.getLogger("kusto") (log.c), from module exec to module free. */
void kusto_py_log_install(void);
void kusto_py_log_uninstall(void);

#endif
