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

int kusto_token_set(char **field, const char *value) {
    char *copy = kusto_strdup(value);
    if (value && !copy) return -1;
    kusto_secret_free(*field);
    *field = copy;
    return 0;
}

kusto_token *kusto_token_copy(const kusto_token *t) {
    kusto_token *copy = kusto_token_new(t->access_token, t->token_type, t->expires_on, t->resource, t->authority);
    if (!copy) return NULL;
    copy->from_cache = t->from_cache;
    copy->refresh_on = t->refresh_on;
    copy->ext_expires_on = t->ext_expires_on;
    if (kusto_token_set(&copy->refresh_token, t->refresh_token) || kusto_token_set(&copy->id_token, t->id_token) ||
        kusto_token_set(&copy->client_info, t->client_info) || kusto_token_set(&copy->scope, t->scope)) {
        kusto_token_free(copy);
        return NULL;
    }
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
    kusto_secret_free(t->refresh_token);
    kusto_secret_free(t->id_token);
    free(t->client_info);
    free(t->scope);
    free(t);
}

int64_t kusto_now(void) {
    return (int64_t)time(NULL);
}
