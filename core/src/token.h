/* Internal: tokens, and Azure AD token-endpoint answers turned into tokens or errors. */
#ifndef KUSTO_TOKEN_H
#define KUSTO_TOKEN_H

#include "http.h"
#include "kusto.h"

struct kusto_token {
    char *access_token; /* secret */
    char *token_type;
    int64_t expires_on; /* Unix seconds */
    char *resource;
    char *authority;
    int from_cache;
};

/* A token with copies of the strings (authority may be NULL); NULL when out of memory. */
kusto_token *kusto_token_new(const char *access_token, const char *token_type, int64_t expires_on,
                             const char *resource, const char *authority);
kusto_token *kusto_token_copy(const kusto_token *t);

/* Turns the token endpoint's answer into a token (2xx with access_token) or a KUSTO_E_AUTH error
   carrying Azure AD's error, AADSTS code and correlation id. `requested_at` (Unix seconds, taken
   before the request) anchors expires_in. */
kusto_status kusto_token_from_response(kusto_token **out, const kusto_http_response *resp, int64_t requested_at,
                                       const char *resource, const char *authority, kusto_error **err);

/* Current Unix time in seconds. */
int64_t kusto_now(void);

#endif
