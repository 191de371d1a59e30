/* kusto_token: an access token and what it is for. */
#include "token.h"

#include <stdlib.h>
#include <time.h>

#include "buf.h"

kusto_token *kusto_token_new(const char *access_token, const char *token_type, int64_t expires_on,
                             const char *resource, const char *authority) {
    kusto_token *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->access_token = kusto_strdup(access_token);
    t->token_type = kusto_strdup(token_type ? token_type : "Bearer");
    t->resource = kusto_strdup(resource ? resource : "");
    t->authority = kusto_strdup(authority);
    t->expires_on = expires_on;
    if (!t->access_token || !t->token_type || !t->resource || (authority && !t->authority)) {
        kusto_token_free(t);
        return NULL;
    }
    return t;
}

kusto_token *kusto_token_copy(const kusto_token *t) {
    kusto_token *copy = kusto_token_new(t->access_token, t->token_type, t->expires_on, t->resource, t->authority);
    if (copy) copy->from_cache = t->from_cache;
    return copy;
}

const char *kusto_token_access_token(const kusto_token *t) { return t->access_token; }
const char *kusto_token_type(const kusto_token *t) { return t->token_type; }
int64_t kusto_token_expires_on(const kusto_token *t) { return t->expires_on; }
const char *kusto_token_resource(const kusto_token *t) { return t->resource; }
const char *kusto_token_authority(const kusto_token *t) { return t->authority; }
int kusto_token_from_cache(const kusto_token *t) { return t->from_cache; }

void kusto_token_free(kusto_token *t) {
    if (!t) return;
    kusto_secret_free(t->access_token);
    free(t->token_type);
    free(t->resource);
    free(t->authority);
    free(t);
}

int64_t kusto_now(void) {
    return (int64_t)time(NULL);
}
