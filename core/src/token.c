/* kusto_token: an access token and what it is for. */
#include "token.h"

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"

kusto_token *kusto_token_new(const char *access_token, const char *token_type, int64_t expires_on, const char *resource,
                             const char *authority) {
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

int64_t kusto_now(void) { return (int64_t)time(NULL); }

cJSON *kusto_jwt_claims(const char *jwt) {
    const char *start = jwt ? strchr(jwt, '.') : NULL;
    const char *end = start ? strchr(start + 1, '.') : NULL;
    if (!end) return NULL;
    size_t len = (size_t)(end - start - 1);
    kusto_buf b64 = {0};
    for (size_t i = 0; i < len; i++) {
        char ch = start[1 + i];
        ch = ch == '-' ? '+' : ch == '_' ? '/' : ch;
        if (kusto_buf_append(&b64, &ch, 1)) goto fail;
    }
    while (b64.len % 4)
        if (kusto_buf_puts(&b64, "=")) goto fail;
    unsigned char *raw = b64.len ? malloc(b64.len) : NULL;
    int n = raw ? EVP_DecodeBlock(raw, (unsigned char *)b64.data, (int)b64.len) : -1;
    cJSON *json = NULL;
    if (n > 0) {
        while (n > 0 && raw[n - 1] == '\0') n--; /* EVP_DecodeBlock counts padding as zero bytes */
        json = cJSON_ParseWithLength((const char *)raw, (size_t)n);
    }
    if (raw) OPENSSL_cleanse(raw, b64.len);
    free(raw);
    kusto_buf_wipe(&b64);
    return json;
fail:
    kusto_buf_wipe(&b64);
    return NULL;
}

int64_t kusto_jwt_expiry(const char *jwt) {
    cJSON *claims = kusto_jwt_claims(jwt);
    const cJSON *exp = cJSON_GetObjectItemCaseSensitive(claims, "exp");
    int plausible = cJSON_IsNumber(exp) && exp->valuedouble > 0 && exp->valuedouble < 9e15;
    int64_t expires_on = plausible ? (int64_t)exp->valuedouble : 0;
    cJSON_Delete(claims);
    return expires_on;
}
