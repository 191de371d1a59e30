/* Internal: the sign-in flows, one file each, and what they share. */
#ifndef KUSTO_FLOWS_H
#define KUSTO_FLOWS_H

#include "authority.h"
#include "buf.h"
#include "http.h"
#include "kusto.h"
#include "options.h"

/* Kusto's public client application, used by the flows that need a person unless the connection
   string names another (Application Client Id). */
#define KUSTO_PUBLIC_CLIENT_ID "db662dc1-0cfe-4e1c-a843-19a68e65be58"

/* What every flow is given. */
typedef struct kusto_flow_context {
    kusto_http *http;
    const kusto_authority *authority;
    const char *resource;            /* e.g. https://c.kusto.windows.net; scope is resource + "/.default" */
    int64_t deadline_ms;             /* the call's (clock.h): every request and wait of the flow ends by it; 0 = none */
    int aad_v1;                      /* Azure AD v1: {authority}/oauth2/token with resource= instead of scope= */
    kusto_cancel_callback cancelled; /* asked while the flow waits; may be NULL */
    void *cancel_ud;
} kusto_flow_context;

#define KUSTO_SIGNIN_CANCELLED "the sign-in was cancelled" /* the message of a wait the callback stopped */


/* POSTs the form to the authority's token endpoint (v2, or v1 when ctx->aad_v1) and turns the answer into a token. The form
   holds secrets: it is wiped here whatever happens. */
kusto_status kusto_token_request(const kusto_flow_context *ctx, kusto_buf *form, kusto_token **out, kusto_error **err);
/* POSTs a form to any Azure AD endpoint with the headers of a token request; the form is wiped. */
kusto_status kusto_aad_post(const kusto_flow_context *ctx, const char *url, kusto_buf *form, kusto_http_response *resp,
                            kusto_error **err);

#define KUSTO_TOKEN_REQUEST_TIMEOUT_MS 120000L /* a request to Azure AD or an identity endpoint, at most */

/* When a request of the flow must be answered: the call's deadline, or sooner KUSTO_TOKEN_REQUEST_TIMEOUT_MS
   from now. */
int64_t kusto_flow_request_deadline(const kusto_flow_context *ctx);

/* Appends what the token is for: "&scope={resource}/.default", followed for a user flow (`for_user`) by
   " offline_access openid profile" as MSAL sends; or "&resource={resource}" for v1. 0 or -1 (no memory). */
int kusto_flow_put_audience(const kusto_flow_context *ctx, kusto_buf *form, int for_user);
/* The same with one more request header (e.g. "X-AnchorMailbox: upn:..."), or none when NULL. */
kusto_status kusto_token_request_with_header(const kusto_flow_context *ctx, kusto_buf *form, const char *header,
                                             kusto_token **out, kusto_error **err);

typedef struct kusto_assertion_signer kusto_assertion_signer;

/* How an application proves itself: the first that is set of `signer` (a client assertion signed with its
   certificate, see assertion.h), `assertion` (one made elsewhere, e.g. a federated token) and `secret`. */
typedef struct kusto_app_credential {
    const char *secret;
    const char *assertion;
    kusto_assertion_signer *signer;
} kusto_app_credential;

/* Appends the application's credential to a token form ("&client_secret=..." or "&client_assertion_type=...
   &client_assertion=...") and POSTs it as kusto_token_request does (the form is wiped whatever happens). */
kusto_status kusto_app_token_request(const kusto_flow_context *ctx, kusto_buf *form, const char *client_id,
                                     const kusto_app_credential *cred, kusto_token **out, kusto_error **err);

/* Application sign-in (grant_type=client_credentials) with a secret, a certificate or an assertion. */
kusto_status kusto_flow_client_credentials(const kusto_flow_context *ctx, const char *client_id,
                                           const kusto_app_credential *cred, kusto_token **out, kusto_error **err);

/* An environment variable's value, NULL when it is unset or empty. */
const char *kusto_flow_env(const char *name);

/* Managed identity: the App Service endpoint when IDENTITY_ENDPOINT and IDENTITY_HEADER are set, else
   IMDS at `endpoint` (full token URL; NULL: IMDS_ENDPOINT's host, else 169.254.169.254). `client_id`
   picks a user-assigned identity (NULL: system-assigned). */
kusto_status kusto_flow_managed_identity(const kusto_flow_context *ctx, const char *client_id, const char *endpoint,
                                         kusto_token **out, kusto_error **err);

/* AZURE_AUTHORITY_HOST, else the public cloud's login endpoint. */
const char *kusto_flow_env_login_endpoint(void);
/* The authority named by AZURE_AUTHORITY_HOST (default: the public cloud) and AZURE_TENANT_ID, its endpoints
   discovered as the client's authority's are (oidc.h) when its host is not well known. */
kusto_status kusto_flow_env_authority(const kusto_flow_context *ctx, kusto_authority *out, kusto_error **err);
/* 1 when AZURE_CLIENT_ID and AZURE_TENANT_ID are set, with AZURE_FEDERATED_TOKEN_FILE (workload) or
   AZURE_CLIENT_SECRET / AZURE_CLIENT_CERTIFICATE_PATH (environment). */
int kusto_flow_workload_identity_configured(void);
int kusto_flow_environment_configured(void);
/* Workload identity: client credentials with the federated token file's content as the assertion. */
kusto_status kusto_flow_workload_identity(const kusto_flow_context *ctx, kusto_token **out, kusto_error **err);
/* Environment credentials: AZURE_CLIENT_SECRET, else AZURE_CLIENT_CERTIFICATE_PATH (PEM or PFX) with
   AZURE_CLIENT_CERTIFICATE_PASSWORD and AZURE_CLIENT_SEND_CERTIFICATE_CHAIN. */
kusto_status kusto_flow_environment(const kusto_flow_context *ctx, kusto_token **out, kusto_error **err);

/* Azure CLI: `az account get-access-token --resource R --output json [--tenant T]`, run without a shell
   from PATH. `tenant` NULL or "organizations"/"common": the CLI's default. */
kusto_status kusto_flow_azure_cli(const kusto_flow_context *ctx, const char *tenant, kusto_token **out,
                                  kusto_error **err);
/* On-behalf-of: trades `user_assertion` (a token a user sent to this application) for a token to the cluster. */
kusto_status kusto_flow_on_behalf_of(const kusto_flow_context *ctx, const char *client_id,
                                     const kusto_app_credential *cred, const char *user_assertion, kusto_token **out,
                                     kusto_error **err);

/* Username and password (grant_type=password, deprecated). */
kusto_status kusto_flow_user_password(const kusto_flow_context *ctx, const char *client_id, const char *user,
                                      const char *password, kusto_token **out, kusto_error **err);

/* A token from the caller's callback (see kusto_options_set_token_callback). */
kusto_status kusto_flow_token_callback(const kusto_flow_context *ctx, kusto_token_callback callback, void *ud,
                                       kusto_token **out, kusto_error **err);

/* A user signs in on another device with a code (device authorization grant, RFC 8628), until the code
   expires or the call's deadline, whichever is first: the last poll is sent then, less the time its answer
   needs (KUSTO_LAST_POLL_MS). */
#define KUSTO_LAST_POLL_MS 500L
kusto_status kusto_flow_device_code(const kusto_flow_context *ctx, const char *client_id,
                                    kusto_device_code_callback prompt, void *ud, kusto_token **out, kusto_error **err);

/* A user signs in in a browser: authorization code + PKCE, redirected to a loopback listener.
   `wait_ms` bounds the wait for the browser, within the call's deadline; the prompts' browser callback, else
   their opener, else $BROWSER or xdg-open shows the page. */
kusto_status kusto_flow_interactive(const kusto_flow_context *ctx, const char *client_id, long wait_ms,
                                    const kusto_prompts *prompts, kusto_token **out, kusto_error **err);

/* ---- shared by the user flows (user_flow.c) ---- */

/* The scopes MSAL asks for in user flows, sorted: "{resource}/.default offline_access openid profile".
   Caller frees; NULL when out of memory. */
char *kusto_user_scope(const char *resource);
/* `nbytes` random bytes (CSPRNG) as base64url without padding into `out` (room for 4*nbytes/3+2). */
int kusto_random_b64url(char *out, size_t nbytes);
/* base64url (no padding) of `len` bytes; caller frees. */
char *kusto_b64url_encode(const unsigned char *data, size_t len);
/* The PKCE S256 challenge of a verifier: base64url(SHA-256(verifier)); caller frees. */
char *kusto_pkce_challenge(const char *verifier);
/* Checks an id token's payload: "aud" is client_id and, when `nonce` is given, "nonce" equals it.
   Neither signature nor time is checked here (the token came straight from Azure AD over TLS). */
kusto_status kusto_id_token_check(const char *id_token, const char *client_id, const char *nonce, kusto_error **err);

/* 1 when a person can answer a browser prompt here; else 0 and *why says what is missing. */
int kusto_person_can_answer(const char **why);
/* Opens the URL with $BROWSER, else xdg-open (macOS: open), without waiting for the browser; 0 when started. */
int kusto_open_browser(const char *url);

/* Silent renewal (grant_type=refresh_token) with the scope decorated as MSAL does (offline_access
   openid profile) and client_info=1; `client_secret` for a confidential client, else NULL. The answer
   usually carries a new refresh token, which replaces the old one in the cache. */
kusto_status kusto_flow_refresh_token(const kusto_flow_context *ctx, const char *client_id, const char *refresh_token,
                                      const char *client_secret, kusto_token **out, kusto_error **err);

#endif
