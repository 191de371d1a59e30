/* Internal: the sign-in flows, one file each, and what they share. */
#ifndef KUSTO_FLOWS_H
#define KUSTO_FLOWS_H

#include "authority.h"
#include "buf.h"
#include "http.h"
#include "kusto.h"

/* What every flow is given. */
typedef struct kusto_flow_context {
    kusto_http *http;
    const kusto_authority *authority;
    const char *resource;  /* e.g. https://c.kusto.windows.net; scope is resource + "/.default" */
    long timeout_ms;
    int aad_v1;            /* Azure AD v1: {authority}/oauth2/token with resource= instead of scope= */
} kusto_flow_context;

/* POSTs the form to the authority's token endpoint (v2, or v1 when ctx->aad_v1) and turns the answer into a token. The form
   holds secrets: it is wiped here whatever happens. */
kusto_status kusto_token_request(const kusto_flow_context *ctx, kusto_buf *form, kusto_token **out,
                                 kusto_error **err);

/* Appends "&scope={resource}/.default", or "&resource={resource}" for v1. 0 or -1 (no memory). */
int kusto_flow_put_audience(const kusto_flow_context *ctx, kusto_buf *form);

/* Application sign-in with a client secret (grant_type=client_credentials). */
kusto_status kusto_flow_client_secret(const kusto_flow_context *ctx, const char *client_id, const char *secret,
                                      kusto_token **out, kusto_error **err);

/* Application sign-in with a signed assertion instead of a secret (client_assertion, jwt-bearer). */
kusto_status kusto_flow_client_assertion(const kusto_flow_context *ctx, const char *client_id, const char *assertion,
                                         kusto_token **out, kusto_error **err);

/* Managed identity: the App Service endpoint when IDENTITY_ENDPOINT and IDENTITY_HEADER are set, else
   IMDS at `endpoint` (full token URL; NULL: IMDS_ENDPOINT's host, else 169.254.169.254). `client_id`
   picks a user-assigned identity (NULL: system-assigned). */
kusto_status kusto_flow_managed_identity(const kusto_flow_context *ctx, const char *client_id, const char *endpoint,
                                         kusto_token **out, kusto_error **err);

/* AZURE_AUTHORITY_HOST, else the public cloud's login endpoint. */
const char *kusto_flow_env_login_endpoint(void);
/* The authority named by AZURE_AUTHORITY_HOST (default: the public cloud) and AZURE_TENANT_ID. */
kusto_status kusto_flow_env_authority(kusto_authority *out, kusto_error **err);
/* 1 when AZURE_CLIENT_ID and AZURE_TENANT_ID are set, with AZURE_FEDERATED_TOKEN_FILE (workload) or
   AZURE_CLIENT_SECRET / AZURE_CLIENT_CERTIFICATE_PATH (environment). */
int kusto_flow_workload_identity_configured(void);
int kusto_flow_environment_configured(void);
/* Workload identity: client credentials with the federated token file's content as the assertion. */
kusto_status kusto_flow_workload_identity(const kusto_flow_context *ctx, kusto_token **out, kusto_error **err);
/* Environment credentials: AZURE_CLIENT_SECRET (a certificate is not supported yet). */
kusto_status kusto_flow_environment(const kusto_flow_context *ctx, kusto_token **out, kusto_error **err);

/* Azure CLI: `az account get-access-token --resource R --output json [--tenant T]`, run without a shell
   from PATH. `tenant` NULL or "organizations"/"common": the CLI's default. */
kusto_status kusto_flow_azure_cli(const kusto_flow_context *ctx, const char *tenant, kusto_token **out,
                                  kusto_error **err);

#endif
