/* Internal: the sign-in flows, one file each, and what they share. */
#ifndef KUSTO_FLOWS_H
#define KUSTO_FLOWS_H

#include "authority.h"
#include "buf.h"
#include "http.h"
#include "kusto.h"

/* Kusto's public client application, used by the flows that need a person unless the connection
   string names another (Application Client Id). */
#define KUSTO_PUBLIC_CLIENT_ID "db662dc1-0cfe-4e1c-a843-19a68e65be58"

/* What every flow is given. */
typedef struct kusto_flow_context {
    kusto_http *http;
    const kusto_authority *authority;
    const char *resource;  /* e.g. https://c.kusto.windows.net; scope is resource + "/.default" */
    long timeout_ms;
} kusto_flow_context;

/* POSTs the form to the authority's token endpoint (v2) and turns the answer into a token. The form
   holds secrets: it is wiped here whatever happens. */
kusto_status kusto_token_request(const kusto_flow_context *ctx, kusto_buf *form, kusto_token **out,
                                 kusto_error **err);
/* POSTs a form to any Azure AD endpoint with the headers of a token request; the form is wiped. */
kusto_status kusto_aad_post(const kusto_flow_context *ctx, const char *url, kusto_buf *form, long timeout_ms,
                            kusto_http_response *resp, kusto_error **err);

/* Application sign-in with a client secret (grant_type=client_credentials). */
kusto_status kusto_flow_client_secret(const kusto_flow_context *ctx, const char *client_id, const char *secret,
                                      kusto_token **out, kusto_error **err);

/* A user signs in on another device with a code (device authorization grant, RFC 8628).
   `limit_ms` > 0 caps the whole sign-in below the code's own lifetime. */
kusto_status kusto_flow_device_code(const kusto_flow_context *ctx, const char *client_id, long limit_ms,
                                    kusto_device_code_callback prompt, void *ud, kusto_token **out,
                                    kusto_error **err);

/* A user signs in in a browser: authorization code + PKCE, redirected to a loopback listener.
   `wait_ms` bounds the wait for the browser. */
kusto_status kusto_flow_interactive(const kusto_flow_context *ctx, const char *client_id, long wait_ms,
                                    kusto_browser_callback open_browser, void *ud, kusto_token **out,
                                    kusto_error **err);

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
kusto_status kusto_id_token_check(const char *id_token, const char *client_id, const char *nonce,
                                  kusto_error **err);

/* 1 when a person can answer a browser prompt here; else 0 and *why says what is missing. */
int kusto_person_can_answer(const char **why);
/* Opens the URL with $BROWSER, else xdg-open, without waiting for the browser; 0 when started. */
int kusto_open_browser(const char *url);

#endif
