/* Managed identity: a token from the host's identity endpoint (Azure VM IMDS, or App Service / Functions). */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "endpoints.h"
#include "error.h"
#include "flows.h"
#include "retry.h"
#include "token.h"
#include "url.h"

#define IMDS_DEFAULT_HOST "http://169.254.169.254"
#define IMDS_PATH "/metadata/identity/oauth2/token"
#define IMDS_API_VERSION "2018-02-01"
#define APP_SERVICE_API_VERSION "2019-08-01"

typedef struct identity_endpoint {
    kusto_buf url; /* with the query */
    const char *api_version;
    const char *secret_name; /* header carrying `secret`, or NULL */
    const char *secret;
} identity_endpoint;

/* The endpoint lives on the machine (link-local or loopback), so plain http is the protocol there;
   anywhere else it must be https. */
static kusto_status check_scheme(const char *url, kusto_error **err) {
    kusto_url u;
    kusto_status status = kusto_url_parse(&u, url, "the managed identity endpoint", err);
    if (status != KUSTO_OK) return status;
    int local = kusto_host_is_loopback(u.host) || strncmp(u.host, "169.254.", 8) == 0;
    if (strcmp(u.scheme, "https") != 0 && !local)
        status = kusto_fail(err, KUSTO_E_UNTRUSTED,
                            "refusing the managed identity endpoint '%s': plain http is only "
                            "for link-local or loopback hosts",
                            u.host);
    kusto_url_clear(&u);
    return status;
}

static kusto_status choose_endpoint(identity_endpoint *ep, const char *override, kusto_error **err) {
    const char *app_service = kusto_flow_env("IDENTITY_ENDPOINT"), *header = kusto_flow_env("IDENTITY_HEADER");
    int failed;
    if (!override && app_service && header) {
        ep->api_version = APP_SERVICE_API_VERSION;
        ep->secret_name = "X-IDENTITY-HEADER";
        ep->secret = header;
        failed = kusto_buf_puts(&ep->url, app_service);
    } else if (override) {
        ep->api_version = IMDS_API_VERSION;
        failed = kusto_buf_puts(&ep->url, override);
    } else {
        const char *host = kusto_flow_env("IMDS_ENDPOINT");
        ep->api_version = IMDS_API_VERSION;
        failed = kusto_buf_puts(&ep->url, host ? host : IMDS_DEFAULT_HOST);
        while (!failed && ep->url.len && ep->url.data[ep->url.len - 1] == '/') ep->url.data[--ep->url.len] = '\0';
        failed = failed || kusto_buf_puts(&ep->url, IMDS_PATH);
    }
    if (failed) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    return check_scheme(ep->url.data, err);
}

static int add_query(identity_endpoint *ep, const char *resource, const char *client_id) {
    int failed = kusto_buf_printf(&ep->url, "%sapi-version=%s&resource=", strchr(ep->url.data, '?') ? "&" : "?",
                                  ep->api_version) ||
                 kusto_buf_form_encode(&ep->url, resource);
    if (!failed && client_id)
        failed = kusto_buf_puts(&ep->url, "&client_id=") || kusto_buf_form_encode(&ep->url, client_id);
    return failed;
}

static const char *text_of(const cJSON *json, const char *name) {
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(json, name));
}

/* IMDS answers {"error", "error_description"}; App Service {"statusCode", "message", "correlationId"}. */
static kusto_status identity_error(const kusto_http_response *resp, kusto_error **err) {
    cJSON *json = resp->body.len ? cJSON_ParseWithLength(resp->body.data, resp->body.len) : NULL;
    const char *code = text_of(json, "error");
    const char *desc = text_of(json, "error_description");
    if (!desc) desc = text_of(json, "message");
    kusto_status status = resp->status == 429 ? KUSTO_E_THROTTLED
                        : resp->status >= 500 ? KUSTO_E_SERVICE
                                              : KUSTO_E_AUTH;
    int desc_len = desc ? (int)strcspn(desc, "\r\n") : 0;
    kusto_error *e = kusto_error_new(status,
                                     "the managed identity endpoint refused the token request (HTTP %ld%s%s)"
                                     "%s%.*s",
                                     resp->status, code ? ", " : "", code ? code : "", desc ? ": " : "",
                                     desc_len > 500 ? 500 : desc_len, desc ? desc : "");
    if (e) {
        kusto_error_set_code(e, code);
        kusto_error_set_request_id(e, text_of(json, "correlationId"));
        e->http_status = (int)resp->status;
    }
    cJSON_Delete(json);
    return kusto_error_give(err, e);
}

static kusto_status request_token(const kusto_flow_context *ctx, const identity_endpoint *ep, kusto_token **out,
                                  kusto_error **err) {
    kusto_buf secret_header = {0};
    if (ep->secret_name && kusto_buf_printf(&secret_header, "%s: %s", ep->secret_name, ep->secret))
        return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    const char *headers[] = {"Accept: application/json", ep->secret_name ? secret_header.data : "Metadata: true", NULL};
    kusto_http_request req = {"GET", ep->url.data, headers, NULL, 0, kusto_flow_request_deadline(ctx),
                              NULL,  NULL,         NULL,    NULL};
    kusto_http_response resp;
    int64_t requested_at = kusto_now();
    kusto_status status = kusto_http_send_retrying(ctx->http, &req, &resp, err);
    if (status == KUSTO_OK) status = kusto_http_refuse_redirect(&resp, ep->url.data, err);
    kusto_buf_wipe(&secret_header);
    if (status == KUSTO_OK && (resp.status < 200 || resp.status >= 300)) status = identity_error(&resp, err);
    else if (status == KUSTO_OK) status = kusto_token_from_response(out, &resp, requested_at, ctx->resource, NULL, err);
    kusto_buf_wipe(&resp.body);
    return status;
}

kusto_status kusto_flow_managed_identity(const kusto_flow_context *ctx, const char *client_id, const char *endpoint,
                                         kusto_token **out, kusto_error **err) {
    *out = NULL;
    identity_endpoint ep = {{0}, NULL, NULL, NULL};
    kusto_status status = choose_endpoint(&ep, endpoint && *endpoint ? endpoint : NULL, err);
    if (status == KUSTO_OK && add_query(&ep, ctx->resource, client_id && *client_id ? client_id : NULL))
        status = kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    if (status == KUSTO_OK) status = request_token(ctx, &ep, out, err);
    kusto_buf_free(&ep.url);
    return status;
}
