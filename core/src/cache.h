/* Internal: the token cache, in MSAL's unified schema (AccessToken, RefreshToken, IdToken, Account,
   AppMetadata), in memory or in a file shared with other processes, MSAL and the Azure CLI. Tokens are
   found by their fields, as MSAL does, never by key strings; fields and sections libkusto does not know
   survive every rewrite. Thread-safe. */
#ifndef KUSTO_CACHE_H
#define KUSTO_CACHE_H

#include "kusto.h"

typedef struct kusto_cache kusto_cache;

/* home_account_id value for a lookup meaning "whichever user account has a token" (user flows). */
extern const char KUSTO_CACHE_ANY_USER[];

/* What a token is for and whose it is: the fields MSAL matches on. */
typedef struct kusto_cache_key {
    const char *home_account_id; /* "uid.utid"; NULL: an application token (or derive from client_info
                                        when storing) */
    const char *environment;     /* authority host, lower case, without port (as MSAL Python); tokens
                                        under another name of its cloud match too (login.windows.net...) */
    const char *realm;           /* tenant segment of the authority */
    const char *client_id;
    const char *target;              /* requested scopes, space-separated, any order */
    const char *user_assertion_hash; /* on-behalf-of: base64url(SHA-256(assertion)); NULL otherwise */
} kusto_cache_key;

/* `path` NULL: in memory only. Otherwise the file is checked (kusto_cache_file_check) but not read. */
kusto_status kusto_cache_new(kusto_cache **out, const char *path, kusto_error **err);
void kusto_cache_free(kusto_cache *cache);
const char *kusto_cache_path(const kusto_cache *cache); /* NULL in memory */

/* The access token for `key` with more than `margin` seconds left at `now` (from_cache = 1,
   refresh_on kept), or *out NULL. */
kusto_status kusto_cache_find_token(kusto_cache *cache, const kusto_cache_key *key, int64_t now, int64_t margin,
                                    kusto_token **out, kusto_error **err);
/* The newest refresh token of the account (home_account_id, environment, client_id; not realm or
   target), or *out NULL; also the account's home_account_id when the key says KUSTO_CACHE_ANY_USER. */
kusto_status kusto_cache_find_refresh_token(kusto_cache *cache, const kusto_cache_key *key, char **refresh_token,
                                            char **home_account_id, kusto_error **err);
/* Stores what a token response brought: the access token, and the refresh token (replacing the
   account's old ones), id token, account and app metadata when there are. `key->target` is the
   requested scopes; the stored target adds the granted ones. */
kusto_status kusto_cache_store(kusto_cache *cache, const kusto_cache_key *key, const kusto_token *token,
                               kusto_error **err);

/* Accounts in `environment` or, when it has none, under the other names of its cloud (as MSAL's
   get_accounts); all when NULL. Free with kusto_accounts_free. */
kusto_status kusto_cache_accounts(kusto_cache *cache, const char *environment, kusto_account **out, size_t *count,
                                  kusto_error **err);
/* Removes the account and all its tokens, in every environment and tenant. */
kusto_status kusto_cache_remove_account(kusto_cache *cache, const char *home_account_id, kusto_error **err);
/* Removes every token, account and app metadata entry; unknown sections stay. */
kusto_status kusto_cache_clear(kusto_cache *cache, kusto_error **err);

/* In memory: sets how many changes the cache has seen, so a caller may reuse what it found while
   nothing changed; returns 0. A file cache is shared with other processes: returns -1. */
int kusto_cache_generation(kusto_cache *cache, unsigned long *generation);

/* "uid.utid" from a client_info value (base64url JSON); NULL when absent or malformed. Caller frees. */
char *kusto_home_account_id(const char *client_info);

#endif
