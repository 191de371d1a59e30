/* Application sign-in: the OAuth 2.0 client-credentials grant, the application proven by a client secret or
   by a client assertion (RFC 7523: signed with its certificate, or a federated token). */
#include <stdlib.h>

#include "assertion.h"
#include "error.h"

#define JWT_BEARER "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

static kusto_status put_assertion(kusto_buf *form, const char *assertion, kusto_error **err) {
    if (kusto_buf_puts(form, "&client_assertion_type=") || kusto_buf_form_encode(form, JWT_BEARER) ||
        kusto_buf_puts(form, "&client_assertion=") || kusto_buf_form_encode(form, assertion))
        return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    return KUSTO_OK;
}

static kusto_status put_signed_assertion(kusto_buf *form, const kusto_flow_context *ctx, const char *client_id,
                                         kusto_assertion_signer *signer, kusto_error **err) {
    char *endpoint = kusto_authority_token_endpoint(ctx->authority);
    if (!endpoint) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    const char *assertion = NULL;
    kusto_status status = kusto_assertion_get(signer, client_id, endpoint, &assertion, err);
    free(endpoint);
    return status == KUSTO_OK ? put_assertion(form, assertion, err) : status;
}

static kusto_status put_app_credential(kusto_buf *form, const kusto_flow_context *ctx, const char *client_id,
                                       const kusto_app_credential *cred, kusto_error **err) {
    if (cred->signer) return put_signed_assertion(form, ctx, client_id, cred->signer, err);
    if (cred->assertion) return put_assertion(form, cred->assertion, err);
    if (kusto_buf_puts(form, "&client_secret=") || kusto_buf_form_encode(form, cred->secret))
        return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    return KUSTO_OK;
}

kusto_status kusto_app_token_request(const kusto_flow_context *ctx, kusto_buf *form, const char *client_id,
                                     const kusto_app_credential *cred, kusto_token **out, kusto_error **err) {
    *out = NULL;
    kusto_status status = put_app_credential(form, ctx, client_id, cred, err);
    if (status != KUSTO_OK) {
        kusto_buf_wipe(form);
        return status;
    }
    return kusto_token_request(ctx, form, out, err);
}

kusto_status kusto_flow_client_credentials(const kusto_flow_context *ctx, const char *client_id,
                                           const kusto_app_credential *cred, kusto_token **out, kusto_error **err) {
    kusto_buf form = {0};
    if (kusto_buf_puts(&form, "grant_type=client_credentials&client_id=") || kusto_buf_form_encode(&form, client_id) ||
        kusto_flow_put_audience(ctx, &form, 0) || kusto_buf_puts(&form, "&client_info=1")) {
        kusto_buf_wipe(&form);
        *out = NULL;
        return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    }
    return kusto_app_token_request(ctx, &form, client_id, cred, out, err);
}
