/* The in-memory token cache: a short list of (key, token), guarded by a mutex. */
#include "cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "token.h"

typedef struct cache_entry {
    char *key;
    kusto_token *token;
    struct cache_entry *next;
} cache_entry;

struct kusto_cache {
    pthread_mutex_t lock;
    cache_entry *entries;
};

kusto_status kusto_cache_new(kusto_cache **out, kusto_error **err) {
    *out = calloc(1, sizeof **out);
    if (!*out) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    pthread_mutex_init(&(*out)->lock, NULL);
    return KUSTO_OK;
}

static void entry_free(cache_entry *e) {
    free(e->key);
    kusto_token_free(e->token);
    free(e);
}

void kusto_cache_free(kusto_cache *cache) {
    if (!cache) return;
    for (cache_entry *e = cache->entries, *next; e; e = next) {
        next = e->next;
        entry_free(e);
    }
    pthread_mutex_destroy(&cache->lock);
    free(cache);
}

static cache_entry *find(kusto_cache *cache, const char *key) {
    for (cache_entry *e = cache->entries; e; e = e->next)
        if (strcmp(e->key, key) == 0) return e;
    return NULL;
}

kusto_token *kusto_cache_lookup(kusto_cache *cache, const char *key, int64_t now, int64_t margin) {
    kusto_token *copy = NULL;
    pthread_mutex_lock(&cache->lock);
    cache_entry *e = find(cache, key);
    if (e && e->token->expires_on - now > margin) copy = kusto_token_copy(e->token);
    pthread_mutex_unlock(&cache->lock);
    if (copy) copy->from_cache = 1;
    return copy;
}

kusto_status kusto_cache_store(kusto_cache *cache, const char *key, const kusto_token *token, kusto_error **err) {
    kusto_token *copy = kusto_token_copy(token);
    if (!copy) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    copy->from_cache = 0;
    pthread_mutex_lock(&cache->lock);
    cache_entry *e = find(cache, key);
    if (e) {
        kusto_token_free(e->token);
        e->token = copy;
    } else if ((e = calloc(1, sizeof *e)) && (e->key = kusto_strdup(key))) {
        e->token = copy;
        e->next = cache->entries;
        cache->entries = e;
    } else {
        free(e);
        kusto_token_free(copy);
        pthread_mutex_unlock(&cache->lock);
        return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    }
    pthread_mutex_unlock(&cache->lock);
    return KUSTO_OK;
}
