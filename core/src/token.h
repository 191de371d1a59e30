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
    /* What Azure AD may add, kept for the cache and for refreshing; NULL/0 when absent. */
    char *refresh_token;    /* secret */
    char *id_token;         /* secret-ish: wiped too */
    char *client_info;      /* base64url of {"uid", "utid"} */
    char *scope;            /* granted scopes, space-separated */
    int64_t refresh_on;     /* Unix seconds: renew proactively after this */
    int64_t ext_expires_on; /* Unix seconds */
};

/* Replaces a string field of a token with a copy of `value` (NULL clears); -1 when out of memory. */
int kusto_token_set(char **field, const char *value);

/* A token with copies of the strings (authority may be NULL); NULL when out of memory. */
kusto_token *kusto_token_new(const char *access_token, const char *token_type, int64_t expires_on, const char *resource,
                             const char *authority);
kusto_token *kusto_token_copy(const kusto_token *t);

/* Turns the token endpoint's answer into a token (2xx with access_token) or a KUSTO_E_AUTH error
   carrying Azure AD's error, AADSTS code and correlation id. `requested_at` (Unix seconds, taken
   before the request) anchors expires_in. */
kusto_status kusto_token_from_response(kusto_token **out, const kusto_http_response *resp, int64_t requested_at,
                                       const char *resource, const char *authority, kusto_error **err);

/* The claims (payload) of a JWT, not verified; NULL when `jwt` (may be NULL) is not one. Caller deletes. */
struct cJSON *kusto_jwt_claims(const char *jwt);
/* The `exp` claim of a JWT (Unix seconds), 0 when it is not a JWT or has none. */
int64_t kusto_jwt_expiry(const char *jwt);

/* Current Unix time in seconds. */
int64_t kusto_now(void);

#endif
