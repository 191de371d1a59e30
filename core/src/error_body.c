/* Kusto's error bodies: OneApiError JSON ({"error":{...}}) or plain text, as kusto_error values. */
#include "error_body.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"

/* Longest error text kept from a plain-text body. */
#define MAX_TEXT_MESSAGE 1000

static const char *string_field(const cJSON *obj, const char *name) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(item) && item->valuestring[0] ? item->valuestring : NULL;
}

static int permanent_flag(const cJSON *obj) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, "@permanent");
    return cJSON_IsBool(item) ? cJSON_IsTrue(item) : -1;
}

kusto_error *kusto_oneapi_error(const cJSON *json, kusto_status status) {
    const cJSON *inner = cJSON_GetObjectItemCaseSensitive(json, "error");
    const cJSON *obj = cJSON_IsObject(inner) ? inner : json;
    const char *message = string_field(obj, "@message");
    if (!message) message = string_field(obj, "message");
    kusto_error *e = kusto_error_new(status, "%s", message ? message : "Unknown Kusto service error");
    if (!e) return NULL;
    e->permanent = permanent_flag(obj);
    kusto_error_set_code(e, string_field(obj, "code"));
    const cJSON *context = cJSON_GetObjectItemCaseSensitive(obj, "@context");
    const char *request_id = string_field(context, "clientRequestId");
    kusto_error_set_request_id(e, request_id ? request_id : string_field(context, "activityId"));
    return e;
}

static kusto_status status_for_http(int http_status) {
    if (http_status == 401 || http_status == 403) return KUSTO_E_AUTH;
    if (http_status == 429) return KUSTO_E_THROTTLED;
    return KUSTO_E_SERVICE;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* The text without surrounding space, control characters as spaces, at most MAX_TEXT_MESSAGE bytes. */
static char *printable_text(const char *body, size_t len) {
    while (len && is_space(*body)) body++, len--;
    while (len && is_space(body[len - 1])) len--;
    if (len > MAX_TEXT_MESSAGE) len = MAX_TEXT_MESSAGE;
    char *text = kusto_strndup(body, len);
    for (size_t i = 0; text && i < len; i++)
        if ((unsigned char)text[i] < 0x20 && text[i] != '\n') text[i] = ' ';
    return text;
}

/* "General_BadRequest: ..." names its code first: an identifier with an '_' before ": ". */
static char *leading_code(const char *text) {
    size_t n = strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");
    if (n == 0 || strncmp(text + n, ": ", 2) != 0 || !memchr(text, '_', n)) return NULL;
    return kusto_strndup(text, n);
}

/* The value of "ClientRequestId='...'" in a text error. */
static char *quoted_request_id(const char *text) {
    static const char key[] = "ClientRequestId='";
    const char *start = strstr(text, key);
    if (!start) return NULL;
    start += sizeof key - 1;
    const char *end = strchr(start, '\'');
    return end && end > start ? kusto_strndup(start, (size_t)(end - start)) : NULL;
}

static kusto_error *text_error(kusto_status status, int http_status, const char *body, size_t len) {
    char *text = printable_text(body, len);
    if (!text) return NULL;
    kusto_error *e = text[0]     ? kusto_error_new(status, "%s", text)
                   : http_status ? kusto_error_new(status, "Kusto answered HTTP %d with no error details", http_status)
                                 : kusto_error_new(status, "Kusto answered with an empty error");
    if (e) {
        e->code = leading_code(text);
        e->request_id = quoted_request_id(text);
    }
    free(text);
    return e;
}

kusto_error *kusto_error_from_service_body(int http_status, const char *body, size_t len) {
    kusto_status status = status_for_http(http_status);
    cJSON *json = body && len ? cJSON_ParseWithLength(body, len) : NULL;
    const cJSON *inner = cJSON_GetObjectItemCaseSensitive(json, "error");
    kusto_error *e = cJSON_IsObject(inner) ? kusto_oneapi_error(json, status)
                                           : text_error(status, http_status, body ? body : "", body ? len : 0);
    cJSON_Delete(json);
    if (e) e->http_status = http_status;
    return e;
}
