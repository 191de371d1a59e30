/* The POST to Azure AD's token endpoint that every flow ends with. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "error.h"
#include "flows.h"
#include "retry.h"
#include "token.h"
#include "uuid.h"

int kusto_flow_put_audience(const kusto_flow_context *ctx, kusto_buf *form, int for_user) {
    if (ctx->aad_v1) return kusto_buf_puts(form, "&resource=") || kusto_buf_form_encode(form, ctx->resource);
    /* MSAL adds these to every user flow, sorted: an id token, the profile, and a refresh token. */
    return kusto_buf_puts(form, "&scope=") || kusto_buf_form_encode(form, ctx->resource) ||
           kusto_buf_puts(form, for_user ? "%2F.default+offline_access+openid+profile" : "%2F.default");
}

int64_t kusto_flow_request_deadline(const kusto_flow_context *ctx) {
    return kusto_deadline_min(ctx->deadline_ms, kusto_deadline_in(KUSTO_TOKEN_REQUEST_TIMEOUT_MS));
}

/* POSTs the form with Azure AD's usual headers and `header` (NULL: none); wipes the form. */
static kusto_status aad_post(const kusto_flow_context *ctx, const char *url, kusto_buf *form, const char *header,
                             kusto_http_response *resp, kusto_error **err) {
    char request_id[KUSTO_UUID_LEN + 1], request_id_header[64];
    kusto_status status = KUSTO_OK;
    memset(resp, 0, sizeof *resp);
    if (!url || !form->data || kusto_uuid4(request_id) != 0) {
        status = kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    } else {
        snprintf(request_id_header, sizeof request_id_header, "client-request-id: %s", request_id);
        const char *headers[] = {"Content-Type: application/x-www-form-urlencoded",
                                 "Accept: application/json",
                                 "x-client-sku: libkusto",
                                 "x-client-ver: " KUSTO_VERSION,
                                 request_id_header,
                                 header,
                                 NULL};
        kusto_http_request req = {"POST",        url,       headers,
                                  form->data,    form->len, kusto_flow_request_deadline(ctx),
                                  NULL,          NULL,      ctx->cancelled,
                                  ctx->cancel_ud};
        status = kusto_http_send_retrying(ctx->http, &req, resp, err);
        if (status == KUSTO_OK) status = kusto_http_refuse_redirect(resp, url, err);
    }
    kusto_buf_wipe(form);
    return status;
}

kusto_status kusto_aad_post(const kusto_flow_context *ctx, const char *url, kusto_buf *form, kusto_http_response *resp,
                            kusto_error **err) {
    return aad_post(ctx, url, form, NULL, resp, err);
}

kusto_status kusto_token_request(const kusto_flow_context *ctx, kusto_buf *form, kusto_token **out, kusto_error **err) {
    return kusto_token_request_with_header(ctx, form, NULL, out, err);
}

kusto_status kusto_token_request_with_header(const kusto_flow_context *ctx, kusto_buf *form, const char *header,
                                             kusto_token **out, kusto_error **err) {
    *out = NULL;
    char *endpoint = ctx->aad_v1 ? kusto_authority_token_endpoint_v1(ctx->authority)
                                 : kusto_authority_token_endpoint(ctx->authority);
    kusto_http_response resp;
    int64_t requested_at = kusto_now();
    kusto_status status = aad_post(ctx, endpoint, form, header, &resp, err);
    if (status == KUSTO_OK)
        status = kusto_token_from_response(out, &resp, requested_at, ctx->resource, ctx->authority->url, err);
    kusto_buf_wipe(&resp.body);
    free(endpoint);
    return status;
}
