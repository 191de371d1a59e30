/* The sign-in prompts of kusto.Client (device_code_callback, browser_callback, and the webbrowser that shows the
   sign-in page without one): Python callables that the core calls from the signing-in thread, with the GIL
   released around it. */
#include "pykusto.h"

static const char *const prompt_names[] = {"device_code_callback", "browser_callback"};

PyObject *kusto_py_prompts_take(kusto_py_prompts *p, PyObject *kwargs) {
    if (!kwargs) return NULL;
    PyObject *rest = PyDict_Copy(kwargs);
    PyObject **slots[] = {&p->device_code, &p->browser};
    for (int i = 0; rest && i < 2; i++) {
        PyObject *fn = PyDict_GetItemString(rest, prompt_names[i]); /* borrowed */
        if (!fn) continue;
        if (fn != Py_None && !PyCallable_Check(fn)) {
            PyErr_Format(PyExc_TypeError, "option '%s' must be callable", prompt_names[i]);
            Py_CLEAR(rest);
            break;
        }
        if (fn != Py_None) Py_XSETREF(*slots[i], Py_NewRef(fn));
        if (PyDict_DelItemString(rest, prompt_names[i]) < 0) Py_CLEAR(rest);
    }
    return rest;
}

/* Keeps the exception being raised (with the GIL) for the call to raise: it cancelled the sign-in. */
static void keep_raised(kusto_py_prompts *p) { Py_XSETREF(p->raised, kusto_py_take_exception()); }

/* Calls fn(arg) with the GIL; an exception cancels the sign-in and is kept to be raised by the call. */
static int call_prompt(kusto_py_prompts *p, PyObject *fn, PyObject *arg) {
    PyObject *result = arg ? PyObject_CallOneArg(fn, arg) : NULL;
    Py_XDECREF(arg);
    if (result) {
        Py_DECREF(result);
        return 0;
    }
    keep_raised(p);
    return 1;
}

/* While a sign-in waits: Python's signal handlers run (in the main thread), and what they raise
   (KeyboardInterrupt on Ctrl-C) stops the sign-in and is raised by the call. */
static int signals_cancel(void *ud) {
    kusto_py_prompts *p = ud;
    PyGILState_STATE gil = PyGILState_Ensure();
    int cancel = PyErr_CheckSignals() < 0;
    if (cancel) keep_raised(p);
    PyGILState_Release(gil);
    return cancel;
}

static int device_code_prompt(void *ud, const kusto_device_code_info *info) {
    kusto_py_prompts *p = ud;
    PyGILState_STATE gil = PyGILState_Ensure();
    PyObject *arg = Py_BuildValue("{s:s,s:s,s:s,s:L}", "message", info->message, "verification_uri",
                                  info->verification_uri, "user_code", info->user_code, "expires_on",
                                  (long long)info->expires_on);
    int cancel = call_prompt(p, p->device_code, arg);
    PyGILState_Release(gil);
    return cancel;
}

static int browser_prompt(void *ud, const char *url) {
    kusto_py_prompts *p = ud;
    PyGILState_STATE gil = PyGILState_Ensure();
    int cancel = call_prompt(p, p->browser, PyUnicode_FromString(url));
    PyGILState_Release(gil);
    return cancel;
}

/* Without a browser_callback the page is shown by kusto._browser (Python's webbrowser): it works in a Jupyter
   kernel or a GUI app, where the core's $BROWSER / xdg-open and stderr may reach nobody. */
static int webbrowser_prompt(void *ud, const char *url) {
    kusto_py_prompts *p = ud;
    PyGILState_STATE gil = PyGILState_Ensure();
    PyObject *module = PyImport_ImportModule("kusto._browser");
    PyObject *show = module ? PyObject_GetAttrString(module, "show_sign_in_page") : NULL;
    Py_XDECREF(module);
    int cancel = 1;
    if (show) cancel = call_prompt(p, show, PyUnicode_FromString(url));
    else keep_raised(p);
    Py_XDECREF(show);
    PyGILState_Release(gil);
    return cancel;
}

void kusto_py_prompts_install(kusto_py_prompts *p, kusto_options *opts) {
    if (p->device_code) kusto_options_set_device_code_callback(opts, device_code_prompt, p);
    if (p->browser) kusto_options_set_browser_callback(opts, browser_prompt, p);
    kusto_options_set_browser_opener(opts, webbrowser_prompt, p);
    kusto_options_set_cancel_callback(opts, signals_cancel, p);
}

int kusto_py_prompts_reraise(kusto_py_prompts *p) {
    if (!p->raised) return 0;
    PyObject *raised = p->raised;
    p->raised = NULL;
    PyErr_SetObject((PyObject *)Py_TYPE(raised), raised);
    Py_DECREF(raised);
    return 1;
}

void kusto_py_prompts_clear(kusto_py_prompts *p) {
    Py_CLEAR(p->device_code);
    Py_CLEAR(p->browser);
    Py_CLEAR(p->raised);
}
