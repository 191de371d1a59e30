/* Environment credentials: AZURE_CLIENT_ID and AZURE_TENANT_ID with AZURE_CLIENT_SECRET, else with
   AZURE_CLIENT_CERTIFICATE_PATH (+ AZURE_CLIENT_CERTIFICATE_PASSWORD, AZURE_CLIENT_SEND_CERTIFICATE_CHAIN); the
   authority host from AZURE_AUTHORITY_HOST; as azure-identity's EnvironmentCredential reads them. */
#include <stdlib.h>

#include "assertion.h"
#include "buf.h"
#include "error.h"
#include "oidc.h"

const char *kusto_flow_env(const char *name) {
    const char *value = getenv(name);
    return value && *value ? value : NULL;
}

const char *kusto_flow_env_login_endpoint(void) {
    const char *host = kusto_flow_env("AZURE_AUTHORITY_HOST");
    return host ? host : KUSTO_PUBLIC_LOGIN_ENDPOINT;
}

kusto_status kusto_flow_env_authority(const kusto_flow_context *ctx, kusto_authority *out, kusto_error **err) {
    const char *tenant = kusto_flow_env("AZURE_TENANT_ID");
    if (!tenant) return kusto_fail(err, KUSTO_E_ARGUMENT, "the AZURE_TENANT_ID environment variable is not set");
    kusto_buf url = {0};
    if (kusto_buf_puts(&url, kusto_flow_env_login_endpoint())) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    while (url.len && url.data[url.len - 1] == '/') url.data[--url.len] = '\0';
    kusto_status status = kusto_buf_printf(&url, "/%s", tenant) ? kusto_fail(err, KUSTO_E_NOMEM, "out of memory")
                                                                : kusto_authority_resolve(out, url.data, NULL, err);
    kusto_buf_free(&url);
    if (status == KUSTO_OK)
        status = kusto_oidc_discover_unless_well_known(out, ctx->http, ctx->aad_v1, ctx->deadline_ms, err);
    if (status != KUSTO_OK) kusto_authority_clear(out);
    return status;
}

int kusto_flow_environment_configured(void) {
    return kusto_flow_env("AZURE_CLIENT_ID") && kusto_flow_env("AZURE_TENANT_ID") &&
           (kusto_flow_env("AZURE_CLIENT_SECRET") || kusto_flow_env("AZURE_CLIENT_CERTIFICATE_PATH"));
}

/* "true" or "1", as the Azure SDKs read it. */
static int send_chain(void) {
    const char *value = kusto_flow_env("AZURE_CLIENT_SEND_CERTIFICATE_CHAIN");
    return value && (kusto_strcasecmp(value, "true") == 0 || kusto_strcasecmp(value, "1") == 0);
}

/* The certificate is loaded at every sign-in: the file may be renewed, and the cache keeps the tokens. */
static kusto_status load_certificate(kusto_assertion_signer **out, kusto_error **err) {
    kusto_certificate_source src = {NULL,
                                    kusto_flow_env("AZURE_CLIENT_CERTIFICATE_PATH"),
                                    kusto_flow_env("AZURE_CLIENT_CERTIFICATE_PASSWORD"),
                                    NULL,
                                    send_chain(),
                                    "AZURE_CLIENT_CERTIFICATE_PATH",
                                    "AZURE_CLIENT_CERTIFICATE_PASSWORD"};
    return kusto_assertion_signer_new(out, &src, err);
}

kusto_status kusto_flow_environment(const kusto_flow_context *ctx, kusto_token **out, kusto_error **err) {
    *out = NULL;
    const char *client_id = kusto_flow_env("AZURE_CLIENT_ID");
    kusto_app_credential cred = {kusto_flow_env("AZURE_CLIENT_SECRET"), NULL, NULL};
    if (!client_id) return kusto_fail(err, KUSTO_E_ARGUMENT, "the AZURE_CLIENT_ID environment variable is not set");
    if (!cred.secret && !kusto_flow_env("AZURE_CLIENT_CERTIFICATE_PATH"))
        return kusto_fail(err, KUSTO_E_ARGUMENT,
                          "neither AZURE_CLIENT_SECRET nor AZURE_CLIENT_CERTIFICATE_PATH is "
                          "set in the environment");
    kusto_authority authority = {0};
    kusto_status status = kusto_flow_env_authority(ctx, &authority, err);
    if (status == KUSTO_OK && !cred.secret) status = load_certificate(&cred.signer, err);
    if (status == KUSTO_OK) {
        kusto_flow_context env_ctx = *ctx;
        env_ctx.authority = &authority;
        status = kusto_flow_client_credentials(&env_ctx, client_id, &cred, out, err);
    }
    kusto_assertion_signer_free(cred.signer);
    kusto_authority_clear(&authority);
    return status;
}
