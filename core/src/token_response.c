/* Azure AD token-endpoint answers: {"access_token", "expires_in", ...} or {"error", "error_codes", ...}. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "token.h"

/* expires_in arrives as a number, or as a string in v1 and managed-identity answers. */
static int64_t json_seconds(const cJSON *item) {
    if (cJSON_IsNumber(item)) return (int64_t)item->valuedouble;
    if (cJSON_IsString(item)) return strtoll(item->valuestring, NULL, 10);
    return -1;
}

/* The first line of an error_description: the rest is trace and correlation ids. */
static int first_line_length(const char *text) {
    size_t n = strcspn(text, "\r\n");
    return n > 500 ? 500 : (int)n;
}

static kusto_status aad_error(const cJSON *json, const kusto_http_response *resp, kusto_error **err) {
    const char *code = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(json, "error"));
    const char *desc = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(json, "error_description"));
    const cJSON *codes = cJSON_GetObjectItemCaseSensitive(json, "error_codes");
    const char *correlation = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(json, "correlation_id"));
    if (!desc) desc = "no description";
    kusto_error *e = kusto_error_new(KUSTO_E_AUTH, "Azure AD refused the sign-in (%s): %.*s",
                                     code ? code : "unknown error", first_line_length(desc), desc);
    if (!e) return KUSTO_E_NOMEM;
    kusto_error_set_code(e, code);
    kusto_error_set_request_id(e, correlation);
    if (cJSON_IsArray(codes) && cJSON_IsNumber(cJSON_GetArrayItem(codes, 0)))
        e->aadsts = (long)cJSON_GetArrayItem(codes, 0)->valuedouble;
    e->http_status = (int)resp->status;
    return kusto_error_give(err, e);
}

static kusto_status unreadable_answer(const kusto_http_response *resp, kusto_error **err) {
    kusto_status status = resp->status >= 500 ? KUSTO_E_SERVICE : KUSTO_E_PROTOCOL;
    kusto_error *e = kusto_error_new(status, "Azure AD's token endpoint answered HTTP %ld with %s", resp->status,
                                     resp->body.len ? "a body that is not a token response" : "no body");
    if (e) e->http_status = (int)resp->status;
    return kusto_error_give(err, e);
}

kusto_status kusto_token_from_response(kusto_token **out, const kusto_http_response *resp, int64_t requested_at,
                                       const char *resource, const char *authority, kusto_error **err) {
    *out = NULL;
    cJSON *json = resp->body.len ? cJSON_ParseWithLength(resp->body.data, resp->body.len) : NULL;
    const char *access = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(json, "access_token"));
    kusto_status status;
    if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(json, "error"))) {
        status = aad_error(json, resp, err);
    } else if (resp->status < 200 || resp->status >= 300 || !access) {
        status = unreadable_answer(resp, err);
    } else {
        int64_t expires_in = json_seconds(cJSON_GetObjectItemCaseSensitive(json, "expires_in"));
        int64_t expires_on = json_seconds(cJSON_GetObjectItemCaseSensitive(json, "expires_on"));
        if (expires_on <= 0) expires_on = requested_at + (expires_in > 0 ? expires_in : 600);
        const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(json, "token_type"));
        *out = kusto_token_new(access, type, expires_on, resource, authority);
        status = *out ? KUSTO_OK : kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    }
    if (json && access) {
        /* The parsed tree holds a copy of the token: wipe it before it is freed. */
        memset(cJSON_GetObjectItemCaseSensitive(json, "access_token")->valuestring, 0, strlen(access));
    }
    cJSON_Delete(json);
    return status;
}
