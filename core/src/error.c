/* kusto_error: what went wrong, for the caller to inspect and free. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "buf.h"

static const char *const status_names[] = {
    "KUSTO_OK",        "KUSTO_E_ARGUMENT",  "KUSTO_E_CONNSTR", "KUSTO_E_UNTRUSTED",   "KUSTO_E_NETWORK",
    "KUSTO_E_TIMEOUT", "KUSTO_E_AUTH",      "KUSTO_E_SERVICE", "KUSTO_E_THROTTLED",   "KUSTO_E_PROTOCOL",
    "KUSTO_E_PARTIAL", "KUSTO_E_CANCELLED", "KUSTO_E_NOMEM",   "KUSTO_E_UNSUPPORTED",
};

const char *kusto_status_name(kusto_status status) {
    int index = -(int)status;
    if (index < 0 || index >= (int)(sizeof status_names / sizeof *status_names)) return "KUSTO_E_UNKNOWN";
    return status_names[index];
}

static kusto_error *error_vnew(kusto_status status, const char *fmt, va_list ap) {
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    kusto_error *e = n >= 0 ? calloc(1, sizeof *e) : NULL;
    if (e) e->message = malloc((size_t)n + 1);
    if (!e || !e->message) {
        free(e);
        return NULL;
    }
    vsnprintf(e->message, (size_t)n + 1, fmt, ap);
    e->status = status;
    e->permanent = -1;
    return e;
}

kusto_error *kusto_error_new(kusto_status status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    kusto_error *e = error_vnew(status, fmt, ap);
    va_end(ap);
    return e;
}

kusto_status kusto_error_give(kusto_error **err, kusto_error *e) {
    if (!e) return KUSTO_E_NOMEM;
    kusto_status status = e->status;
    if (err) {
        kusto_error_free(*err);
        *err = e;
    } else {
        kusto_error_free(e);
    }
    return status;
}

kusto_status kusto_fail(kusto_error **err, kusto_status status, const char *fmt, ...) {
    if (!err) return status;
    va_list ap;
    va_start(ap, fmt);
    kusto_error *e = error_vnew(status, fmt, ap);
    va_end(ap);
    return kusto_error_give(err, e);
}

static void replace_string(char **field, const char *value) {
    free(*field);
    *field = kusto_strdup(value);
}

void kusto_error_set_code(kusto_error *e, const char *value) {
    if (e) replace_string(&e->code, value);
}

void kusto_error_set_request_id(kusto_error *e, const char *value) {
    if (e) replace_string(&e->request_id, value);
}

kusto_error *kusto_error_copy(const kusto_error *e) {
    if (!e) return NULL;
    kusto_error *copy = kusto_error_new(e->status, "%s", e->message);
    if (!copy) return NULL;
    copy->code = kusto_strdup(e->code);
    copy->request_id = kusto_strdup(e->request_id);
    copy->aadsts = e->aadsts;
    copy->permanent = e->permanent;
    copy->http_status = e->http_status;
    return copy;
}

kusto_status kusto_error_status(const kusto_error *e) { return e ? e->status : KUSTO_OK; }
const char *kusto_error_message(const kusto_error *e) { return e && e->message ? e->message : ""; }
const char *kusto_error_code(const kusto_error *e) { return e ? e->code : NULL; }
long kusto_error_aadsts(const kusto_error *e) { return e ? e->aadsts : 0; }
int kusto_error_permanent(const kusto_error *e) { return e ? e->permanent : -1; }
int kusto_error_http_status(const kusto_error *e) { return e ? e->http_status : 0; }
const char *kusto_error_request_id(const kusto_error *e) { return e ? e->request_id : NULL; }

void kusto_error_free(kusto_error *e) {
    if (!e) return;
    free(e->message);
    free(e->code);
    free(e->request_id);
    free(e);
}
