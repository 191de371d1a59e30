/* Azure AD token-endpoint answers: {"access_token", "expires_in", ...} or {"error", "error_codes", ...}. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "token.h"

/* expires_in arrives as a number, or as a string in v1 and managed-identity answers. */
static int64_t json_seconds(const cJSON *item) {
    /* Out-of-range doubles cannot be converted (found by fuzz/fuzz_token_response): treat as invalid. */
    if (cJSON_IsNumber(item))
        return item->valuedouble >= 0 && item->valuedouble < 1e12 ? (int64_t)item->valuedouble : -1;
    if (cJSON_IsString(item)) {
        long long seconds = strtoll(item->valuestring, NULL, 10);
        return seconds >= 0 && seconds < 1000000000000LL ? seconds : -1;
    }
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
    double first = cJSON_IsArray(codes) && cJSON_IsNumber(cJSON_GetArrayItem(codes, 0))
                     ? cJSON_GetArrayItem(codes, 0)->valuedouble
                     : 0;
    if (first > 0 && first < 1e9) e->aadsts = (long)first; /* AADSTS numbers are small; others: none */
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

static const char *text_of(const cJSON *json, const char *name) {
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(json, name));
}

static int add_optional_fields(kusto_token *t, const cJSON *json, int64_t requested_at) {
    int64_t refresh_in = json_seconds(cJSON_GetObjectItemCaseSensitive(json, "refresh_in"));
    int64_t ext_expires_in = json_seconds(cJSON_GetObjectItemCaseSensitive(json, "ext_expires_in"));
    if (refresh_in > 0) t->refresh_on = requested_at + refresh_in;
    if (ext_expires_in > 0) t->ext_expires_on = requested_at + ext_expires_in;
    return kusto_token_set(&t->refresh_token, text_of(json, "refresh_token")) ||
           kusto_token_set(&t->id_token, text_of(json, "id_token")) ||
           kusto_token_set(&t->client_info, text_of(json, "client_info")) ||
           kusto_token_set(&t->scope, text_of(json, "scope"));
}

/* The parsed tree holds copies of the secrets: wipe them before it is freed. */
static void wipe_secrets(cJSON *json) {
    static const char *const secrets[] = {"access_token", "refresh_token", "id_token"};
    for (size_t i = 0; i < sizeof secrets / sizeof *secrets; i++) {
        char *value = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(json, secrets[i]));
        if (value) memset(value, 0, strlen(value));
    }
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
        status = *out && add_optional_fields(*out, json, requested_at) == 0
                   ? KUSTO_OK
                   : kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
        if (status != KUSTO_OK) {
            kusto_token_free(*out);
            *out = NULL;
        }
    }
    wipe_secrets(json);
    cJSON_Delete(json);
    return status;
}
