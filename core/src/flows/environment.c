/* Environment credentials: AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET, the authority host
   from AZURE_AUTHORITY_HOST, as azure-identity's EnvironmentCredential reads them. */
#include <stdlib.h>

#include "buf.h"
#include "error.h"
#include "flows.h"

static const char *env(const char *name) {
    const char *value = getenv(name);
    return value && *value ? value : NULL;
}

const char *kusto_flow_env_login_endpoint(void) {
    const char *host = env("AZURE_AUTHORITY_HOST");
    return host ? host : KUSTO_PUBLIC_LOGIN_ENDPOINT;
}

kusto_status kusto_flow_env_authority(kusto_authority *out, kusto_error **err) {
    const char *tenant = env("AZURE_TENANT_ID");
    if (!tenant) return kusto_fail(err, KUSTO_E_ARGUMENT, "the AZURE_TENANT_ID environment variable is not set");
    kusto_buf url = {0};
    if (kusto_buf_puts(&url, kusto_flow_env_login_endpoint()))
        return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    while (url.len && url.data[url.len - 1] == '/') url.data[--url.len] = '\0';
    kusto_status status = kusto_buf_printf(&url, "/%s", tenant)
                              ? kusto_fail(err, KUSTO_E_NOMEM, "out of memory")
                              : kusto_authority_resolve(out, url.data, NULL, err);
    kusto_buf_free(&url);
    return status;
}

int kusto_flow_environment_configured(void) {
    return env("AZURE_CLIENT_ID") && env("AZURE_TENANT_ID") &&
           (env("AZURE_CLIENT_SECRET") || env("AZURE_CLIENT_CERTIFICATE_PATH"));
}

kusto_status kusto_flow_environment(const kusto_flow_context *ctx, kusto_token **out, kusto_error **err) {
    *out = NULL;
    const char *client_id = env("AZURE_CLIENT_ID"), *secret = env("AZURE_CLIENT_SECRET");
    if (!client_id) return kusto_fail(err, KUSTO_E_ARGUMENT, "the AZURE_CLIENT_ID environment variable is not set");
    if (!secret && env("AZURE_CLIENT_CERTIFICATE_PATH"))
        return kusto_fail(err, KUSTO_E_UNSUPPORTED, "AZURE_CLIENT_CERTIFICATE_PATH: certificate sign-in from the "
                                                    "environment is not in this version yet (use AZURE_CLIENT_SECRET)");
    if (!secret) return kusto_fail(err, KUSTO_E_ARGUMENT, "the AZURE_CLIENT_SECRET environment variable is not set");
    kusto_authority authority;
    kusto_status status = kusto_flow_env_authority(&authority, err);
    if (status != KUSTO_OK) return status;
    kusto_flow_context env_ctx = *ctx;
    env_ctx.authority = &authority;
    status = kusto_flow_client_secret(&env_ctx, client_id, secret, out, err);
    kusto_authority_clear(&authority);
    return status;
}
