/* Internal: building kusto_error values and handing them to callers. */
#ifndef KUSTO_ERROR_H
#define KUSTO_ERROR_H

#include "kusto.h"

struct kusto_error {
    kusto_status status;
    char *message; /* never holds a secret */
    char *code;    /* Kusto "code" or Azure AD "error" */
    long aadsts;
    int permanent; /* 1, 0, or -1 unknown */
    int http_status;
    char *request_id;
};

/* A new error with a printf-style message; NULL only when out of memory. */
kusto_error *kusto_error_new(kusto_status status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands `e` to the caller through `err` (or frees it when err is NULL); returns e's status
   (KUSTO_E_NOMEM when e is NULL). */
kusto_status kusto_error_give(kusto_error **err, kusto_error *e);
/* kusto_error_give(err, kusto_error_new(status, fmt, ...)). */
kusto_status kusto_fail(kusto_error **err, kusto_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Replaces a string field (code, request_id) with a copy of `value` (NULL clears). */
void kusto_error_set_code(kusto_error *e, const char *value);
void kusto_error_set_request_id(kusto_error *e, const char *value);
kusto_error *kusto_error_copy(const kusto_error *e);

/* Builds the error for a failed Kusto response (status >= 300 or an "error" body): the OneApiError
   fields of {"error":{...}} when the body is JSON, else the text itself. Never NULL unless out of
   memory. Implemented in error_body.c. */
kusto_error *kusto_error_from_service_body(int http_status, const char *body, size_t len);

#endif
