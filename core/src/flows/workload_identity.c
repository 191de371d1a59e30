/* Workload identity (AKS and other federated hosts): the service-account token that the platform
   writes to AZURE_FEDERATED_TOKEN_FILE is the client assertion for AZURE_CLIENT_ID in AZURE_TENANT_ID. */
#include <string.h>

#include "buf.h"
#include "error.h"
#include "flows.h"

#define MAX_TOKEN_FILE (64 * 1024)

int kusto_flow_workload_identity_configured(void) {
    return kusto_flow_env("AZURE_FEDERATED_TOKEN_FILE") && kusto_flow_env("AZURE_CLIENT_ID") &&
           kusto_flow_env("AZURE_TENANT_ID");
}

/* Read at every sign-in: the platform rotates the file, and the cache keeps the tokens it earned. */
static kusto_status read_assertion(const char *path, kusto_buf *out, kusto_error **err) {
    int failed = kusto_buf_read_file(out, path, MAX_TOKEN_FILE);
    if (failed == -1) return kusto_fail(err, KUSTO_E_ARGUMENT, "cannot read the federated token file '%s'", path);
    if (failed) return kusto_fail(err, KUSTO_E_ARGUMENT, "the federated token file '%s' is too large", path);
    while (out->len && strchr(" \t\r\n", out->data[out->len - 1])) out->data[--out->len] = '\0';
    if (!out->len) return kusto_fail(err, KUSTO_E_ARGUMENT, "the federated token file '%s' is empty", path);
    return KUSTO_OK;
}

kusto_status kusto_flow_workload_identity(const kusto_flow_context *ctx, kusto_token **out, kusto_error **err) {
    *out = NULL;
    const char *path = kusto_flow_env("AZURE_FEDERATED_TOKEN_FILE"), *client_id = kusto_flow_env("AZURE_CLIENT_ID");
    if (!path || !client_id)
        return kusto_fail(err, KUSTO_E_ARGUMENT,
                          "workload identity needs AZURE_FEDERATED_TOKEN_FILE, AZURE_CLIENT_ID "
                          "and AZURE_TENANT_ID in the environment");
    kusto_authority authority = {0};
    kusto_status status = kusto_flow_env_authority(ctx, &authority, err);
    if (status != KUSTO_OK) return status;
    kusto_buf assertion = {0};
    status = read_assertion(path, &assertion, err);
    if (status == KUSTO_OK) {
        kusto_flow_context env_ctx = *ctx;
        kusto_app_credential cred = {NULL, assertion.data, NULL};
        env_ctx.authority = &authority;
        status = kusto_flow_client_credentials(&env_ctx, client_id, &cred, out, err);
    }
    kusto_buf_wipe(&assertion);
    kusto_authority_clear(&authority);
    return status;
}
