/* Internal: the in-memory token cache shared by a client's calls and threads. */
#ifndef KUSTO_CACHE_H
#define KUSTO_CACHE_H

#include "kusto.h"

typedef struct kusto_cache kusto_cache;

kusto_status kusto_cache_new(kusto_cache **out, kusto_error **err);
void kusto_cache_free(kusto_cache *cache);
/* A copy (from_cache = 1) of the token stored under `key` when it has more than `margin` seconds
   left at `now`, else NULL. */
kusto_token *kusto_cache_lookup(kusto_cache *cache, const char *key, int64_t now, int64_t margin);
/* Stores a copy of `token` under `key`, replacing what was there. */
kusto_status kusto_cache_store(kusto_cache *cache, const char *key, const kusto_token *token, kusto_error **err);

#endif
