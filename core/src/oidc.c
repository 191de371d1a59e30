/* OpenID Connect discovery of an authority that is not on a well-known Microsoft host (see oidc.h). */
#include "oidc.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "endpoints.h"
#include "error.h"
#include "process_cache.h"
#include "retry.h"
#include "url.h"

/* MSAL's WELL_KNOWN_AUTHORITY_HOSTS: URLs under them are fixed, so MSAL needs no discovery to build them. */
static const char *const well_known_hosts[] = {
    "login.microsoftonline.com",  "login.microsoft.com",
    "login.windows.net",          "sts.windows.net",
    "login.chinacloudapi.cn",     "login.partner.microsoftonline.cn",
    "login.microsoftonline.de",   "login-us.microsoftonline.com",
    "login.microsoftonline.us",   "login.usgovcloudapi.net",
    "login.sovcloud-identity.fr", "login.sovcloud-identity.de",
    "login.sovcloud-identity.sg",
};

int kusto_login_host_is_well_known(const char *login_endpoint) {
    kusto_url u;
    if (!login_endpoint || kusto_url_parse(&u, login_endpoint, "login endpoint", NULL) != KUSTO_OK) return 0;
    int known = strcmp(u.scheme, "https") == 0 && kusto_endpoint_login_is_known(login_endpoint);
    for (size_t i = 0; !known && i < sizeof well_known_hosts / sizeof *well_known_hosts; i++)
        known = strcmp(u.scheme, "https") == 0 && kusto_strcasecmp(u.host, well_known_hosts[i]) == 0;
    kusto_url_clear(&u);
    return known;
}

char *kusto_oidc_document_url(const kusto_authority *a, int v1) {
    int no_version = v1 || kusto_strcasecmp(a->tenant, "adfs") == 0;
    kusto_buf b = {0};
    if (kusto_buf_printf(&b, "%s%s/.well-known/openid-configuration", a->url, no_version ? "" : "/v2.0")) return NULL;
    return kusto_buf_take(&b);
}

/* ---- the document ---------------------------------------------------------------------------------- */

static kusto_status invalid(kusto_error **err, const char *why) {
    return kusto_fail(err, KUSTO_E_PROTOCOL, "invalid OpenID configuration of the authority: %s", why);
}

/* Credentials may go to `endpoint` only: https (http to loopback), on the authority's host. */
static kusto_status check_endpoint(const char *endpoint, const char *name, const kusto_url *authority,
                                   kusto_error **err) {
    kusto_url u;
    if (kusto_url_parse(&u, endpoint, name, NULL) != KUSTO_OK)
        return kusto_fail(err, KUSTO_E_PROTOCOL,
                          "invalid OpenID configuration of the authority: %s is not an "
                          "absolute http(s) URL",
                          name);
    int loopback = kusto_host_is_loopback(u.host);
    kusto_status status = KUSTO_OK;
    if (strcmp(u.scheme, "https") != 0 && !loopback)
        status = kusto_fail(err, KUSTO_E_UNTRUSTED, "refusing the authority's %s: plain http to '%s'", name, u.host);
    else if (!(loopback && kusto_host_is_loopback(authority->host)) && kusto_strcasecmp(u.host, authority->host) != 0)
        status = kusto_fail(err, KUSTO_E_UNTRUSTED,
                            "refusing the authority's %s: its host '%s' is not the authority's host '%s'", name, u.host,
                            authority->host);
    kusto_url_clear(&u);
    return status;
}

/* MSAL's fallback when a document has no device_authorization_endpoint: "devicecode" beside the token endpoint. */
static char *devicecode_beside(const char *token_endpoint) {
    const char *slash = strrchr(token_endpoint, '/');
    kusto_buf b = {0};
    if (!slash || kusto_buf_append(&b, token_endpoint, (size_t)(slash - token_endpoint) + 1) ||
        kusto_buf_puts(&b, "devicecode")) {
        kusto_buf_free(&b);
        return NULL;
    }
    return kusto_buf_take(&b);
}

static const char *text_of(const cJSON *json, const char *name) {
    const char *text = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(json, name));
    return text && *text ? text : NULL;
}

static kusto_status read_endpoints(kusto_authority *a, const cJSON *json, const kusto_url *authority,
                                   kusto_error **err) {
    const char *token = text_of(json, "token_endpoint"), *authorize = text_of(json, "authorization_endpoint");
    const char *device = text_of(json, "device_authorization_endpoint");
    if (!token || !authorize) return invalid(err, "no token_endpoint or authorization_endpoint");
    char *derived = device ? NULL : devicecode_beside(token);
    kusto_status status = check_endpoint(token, "token_endpoint", authority, err);
    if (status == KUSTO_OK) status = check_endpoint(authorize, "authorization_endpoint", authority, err);
    if (status == KUSTO_OK && (device || derived))
        status = check_endpoint(device ? device : derived, "device_authorization_endpoint", authority, err);
    char *copies[3] = {kusto_strdup(token), kusto_strdup(authorize), device ? kusto_strdup(device) : derived};
    if (status == KUSTO_OK && (!copies[0] || !copies[1] || !copies[2]))
        status = kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    if (status != KUSTO_OK) {
        for (int i = 0; i < 3; i++) free(copies[i]);
        return status;
    }
    free(a->token_endpoint);
    free(a->authorization_endpoint);
    free(a->device_authorization_endpoint);
    a->token_endpoint = copies[0];
    a->authorization_endpoint = copies[1];
    a->device_authorization_endpoint = copies[2];
    return KUSTO_OK;
}

kusto_status kusto_oidc_parse(kusto_authority *a, const char *body, size_t len, kusto_error **err) {
    kusto_url authority;
    kusto_status status = kusto_url_parse(&authority, a->login_endpoint, "the authority", err);
    if (status != KUSTO_OK) return status;
    cJSON *json = body && len ? cJSON_ParseWithLength(body, len) : NULL;
    status = cJSON_IsObject(json) ? read_endpoints(a, json, &authority, err)
                                  : invalid(err, "the answer is not a JSON object");
    cJSON_Delete(json);
    kusto_url_clear(&authority);
    return status;
}

/* ---- the request ----------------------------------------------------------------------------------- */

/* A 4xx is the user's configuration (an unknown tenant: Azure AD's invalid_tenant, AADSTS90002). */
static kusto_status refused(const kusto_http_response *resp, const char *url, kusto_error **err) {
    cJSON *json = resp->body.len ? cJSON_ParseWithLength(resp->body.data, resp->body.len) : NULL;
    const char *code = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(json, "error"));
    const cJSON *codes = cJSON_GetObjectItemCaseSensitive(json, "error_codes");
    const cJSON *first = cJSON_GetArrayItem(codes, 0);
    kusto_status status = resp->status < 500 ? KUSTO_E_AUTH : KUSTO_E_SERVICE;
    kusto_error *e = kusto_error_new(status,
                                     "OpenID Connect discovery of the authority failed: %s answered HTTP %ld%s%s", url,
                                     resp->status, code ? ": " : "", code ? code : "");
    if (e) {
        e->http_status = (int)resp->status;
        kusto_error_set_code(e, code);
        if (cJSON_IsNumber(first) && first->valuedouble > 0 && first->valuedouble < 1e9)
            e->aadsts = (long)first->valuedouble;
    }
    cJSON_Delete(json);
    return kusto_error_give(err, e);
}

kusto_status kusto_oidc_discover(kusto_authority *a, kusto_http *http, int v1, int64_t deadline_ms, kusto_error **err) {
    char *url = kusto_oidc_document_url(a, v1);
    if (!url) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    const char *headers[] = {"Accept: application/json", "x-client-sku: libkusto", "x-client-ver: " KUSTO_VERSION,
                             NULL};
    int64_t deadline = kusto_deadline_min(deadline_ms, kusto_deadline_in(KUSTO_OIDC_TIMEOUT_MS));
    kusto_http_request req = {"GET", url, headers, NULL, 0, deadline, NULL, NULL, NULL, NULL};
    kusto_http_response resp = {0};
    int kept = kusto_process_cache_get(url, &resp.status, &resp.body); /* another client's answer */
    kusto_status status = kept ? KUSTO_OK : kusto_http_send_retrying(http, &req, &resp, err);
    if (status == KUSTO_OK) status = kusto_http_refuse_redirect(&resp, url, err);
    if (status == KUSTO_OK && resp.status == 200) status = kusto_oidc_parse(a, resp.body.data, resp.body.len, err);
    else if (status == KUSTO_OK) status = refused(&resp, url, err);
    if (status == KUSTO_OK && !kept) kusto_process_cache_put(url, resp.status, &resp.body);
    kusto_http_response_clear(&resp);
    free(url);
    return status;
}

kusto_status kusto_oidc_discover_unless_well_known(kusto_authority *a, kusto_http *http, int v1, int64_t deadline_ms,
                                                   kusto_error **err) {
    return kusto_login_host_is_well_known(a->login_endpoint) ? KUSTO_OK
                                                             : kusto_oidc_discover(a, http, v1, deadline_ms, err);
}
