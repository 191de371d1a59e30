/* kusto_request: client request properties (options, parameters) and tracing values. */
#include "request.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct property {
    char *name;
    char *json;       /* options: JSON text; parameters: plain text (a KQL literal) */
    const char *type; /* a typed parameter's Kusto type (a static string), else NULL */
    struct property *next;
} property;

struct kusto_request {
    property *options;
    property *parameters;
    char *client_request_id;
    char *application;
    char *user;
};

kusto_status kusto_request_new(kusto_request **out) {
    *out = calloc(1, sizeof **out);
    return *out ? KUSTO_OK : KUSTO_E_NOMEM;
}

static void free_properties(property *p) {
    while (p) {
        property *next = p->next;
        free(p->name);
        free(p->json);
        free(p);
        p = next;
    }
}

void kusto_request_free(kusto_request *req) {
    if (!req) return;
    free_properties(req->options);
    free_properties(req->parameters);
    free(req->client_request_id);
    free(req->application);
    free(req->user);
    free(req);
}

/* Copies the list in its order (the request body lists them so). */
static int copy_properties(property **to, const property *from) {
    for (; from; from = from->next, to = &(*to)->next) {
        property *p = calloc(1, sizeof *p);
        if (!p) return -1;
        *to = p;
        p->type = from->type;
        if (!(p->name = kusto_strdup(from->name)) || !(p->json = kusto_strdup(from->json))) return -1;
    }
    return 0;
}

static int copy_text(char **to, const char *from) { return !from || (*to = kusto_strdup(from)) ? 0 : -1; }

kusto_request *kusto_request_copy(const kusto_request *req) {
    kusto_request *copy = calloc(1, sizeof *copy);
    if (copy &&
        (copy_properties(&copy->options, req->options) < 0 || copy_properties(&copy->parameters, req->parameters) < 0 ||
         copy_text(&copy->client_request_id, req->client_request_id) < 0 ||
         copy_text(&copy->application, req->application) < 0 || copy_text(&copy->user, req->user) < 0)) {
        kusto_request_free(copy);
        return NULL;
    }
    return copy;
}

static property *find(property *list, const char *name) {
    for (; list; list = list->next)
        if (strcmp(list->name, name) == 0) return list;
    return NULL;
}

/* Sets name = value (of `type`, or untyped when NULL) in the list, taking ownership of `value`. A new
   name goes last: the body and the declare statement list the parameters in the order they were set. */
static kusto_status put_typed(property **list, const char *name, const char *type, char *value) {
    if (!name || !*name || !value) {
        kusto_status status = value ? KUSTO_E_ARGUMENT : KUSTO_E_NOMEM;
        free(value);
        return status;
    }
    property *p = find(*list, name);
    if (p) {
        free(p->json);
        p->json = value;
        p->type = type;
        return KUSTO_OK;
    }
    p = calloc(1, sizeof *p);
    if (!p || !(p->name = kusto_strdup(name))) {
        free(p);
        free(value);
        return KUSTO_E_NOMEM;
    }
    p->json = value;
    p->type = type;
    while (*list) list = &(*list)->next;
    *list = p;
    return KUSTO_OK;
}

static kusto_status put(property **list, const char *name, char *value) { return put_typed(list, name, NULL, value); }

kusto_status kusto_request_set_option_string(kusto_request *req, const char *name, const char *value) {
    if (!value) return KUSTO_E_ARGUMENT;
    kusto_buf json = {0};
    if (kusto_buf_json_string(&json, value, strlen(value))) return KUSTO_E_NOMEM;
    return put(&req->options, name, kusto_buf_take(&json));
}

kusto_status kusto_request_set_option_bool(kusto_request *req, const char *name, int value) {
    return put(&req->options, name, kusto_strdup(value ? "true" : "false"));
}

kusto_status kusto_request_set_option_int(kusto_request *req, const char *name, int64_t value) {
    kusto_buf json = {0};
    if (kusto_buf_printf(&json, "%" PRId64, value)) return KUSTO_E_NOMEM;
    return put(&req->options, name, kusto_buf_take(&json));
}

kusto_status kusto_request_set_option_real(kusto_request *req, const char *name, double value) {
    if (!isfinite(value)) return KUSTO_E_ARGUMENT;
    kusto_buf json = {0};
    if (kusto_buf_printf(&json, "%.17g", value)) return KUSTO_E_NOMEM;
    return put(&req->options, name, kusto_buf_take(&json));
}

kusto_status kusto_request_set_parameter(kusto_request *req, const char *name, const char *value) {
    if (!value) return KUSTO_E_ARGUMENT;
    return put(&req->parameters, name, kusto_strdup(value));
}

kusto_status kusto_request_put_typed(kusto_request *req, const char *name, const char *type, char *literal) {
    return put_typed(&req->parameters, name, type, literal);
}

int kusto_request_write_declared(const kusto_request *req, kusto_buf *out) {
    int failed = 0;
    const char *separator = "";
    for (property *p = req ? req->parameters : NULL; p && !failed; p = p->next) {
        if (!p->type) continue;
        failed = kusto_buf_printf(out, "%s%s:%s", separator, p->name, p->type);
        separator = ", ";
    }
    return failed;
}

int kusto_request_has_typed_parameters(const kusto_request *req) {
    for (property *p = req ? req->parameters : NULL; p; p = p->next)
        if (p->type) return 1;
    return 0;
}

static kusto_status replace(char **field, const char *value) {
    char *copy = kusto_strdup(value);
    if (value && !copy) return KUSTO_E_NOMEM;
    free(*field);
    *field = copy;
    return KUSTO_OK;
}

kusto_status kusto_request_set_client_request_id(kusto_request *req, const char *id) {
    return replace(&req->client_request_id, id);
}
kusto_status kusto_request_set_application(kusto_request *req, const char *app) {
    return replace(&req->application, app);
}
kusto_status kusto_request_set_user(kusto_request *req, const char *user) { return replace(&req->user, user); }

const char *kusto_request_option(const kusto_request *req, const char *name) {
    property *p = req ? find(req->options, name) : NULL;
    return p ? p->json : NULL;
}

const char *kusto_request_client_request_id(const kusto_request *req) { return req ? req->client_request_id : NULL; }
const char *kusto_request_application(const kusto_request *req) { return req ? req->application : NULL; }
const char *kusto_request_user(const kusto_request *req) { return req ? req->user : NULL; }

static int write_member(kusto_buf *out, int *first, const char *name, const char *json) {
    int failed = (*first ? 0 : kusto_buf_puts(out, ",")) || kusto_buf_json_string(out, name, strlen(name)) ||
                 kusto_buf_puts(out, ":") || kusto_buf_puts(out, json);
    *first = 0;
    return failed;
}

int kusto_request_write_properties(const kusto_request *req, const char *const *defaults, kusto_buf *out) {
    int first = 1, failed = kusto_buf_puts(out, "{\"Options\":{");
    for (property *p = req ? req->options : NULL; p && !failed; p = p->next)
        failed = write_member(out, &first, p->name, p->json);
    for (size_t i = 0; defaults && defaults[i] && !failed; i += 2)
        if (!kusto_request_option(req, defaults[i])) failed = write_member(out, &first, defaults[i], defaults[i + 1]);
    failed = failed || kusto_buf_puts(out, "},\"Parameters\":{");
    first = 1;
    for (property *p = req ? req->parameters : NULL; p && !failed; p = p->next) {
        failed = (first ? 0 : kusto_buf_puts(out, ",")) || kusto_buf_json_string(out, p->name, strlen(p->name)) ||
                 kusto_buf_puts(out, ":") || kusto_buf_json_string(out, p->json, strlen(p->json));
        first = 0;
    }
    return failed || kusto_buf_puts(out, "}}");
}
