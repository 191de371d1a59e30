/* The token cache in MSAL's unified schema: a cJSON tree, reloaded from the file and written back under
   the cross-process lock for every operation, so processes merge rather than overwrite each other. */
#include "cache.h"

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "buf.h"
#include "cache_file.h"
#include "cache_lock.h"
#include "clock.h"
#include "endpoints.h"
#include "error.h"
#include "token.h"

const char KUSTO_CACHE_ANY_USER[] = "*";

struct kusto_cache {
    pthread_mutex_t lock;
    char *path;               /* NULL: in memory */
    cJSON *root;              /* the whole cache; in file mode valid between begin() and end() */
    int warned_corrupt;       /* the corrupt-file warning is printed once per cache */
    unsigned long generation; /* in memory: counts the changes */
};

static const char *const known_sections[] = {"AccessToken", "RefreshToken", "IdToken", "Account", "AppMetadata"};
#define SECTION_COUNT (sizeof known_sections / sizeof *known_sections)

/* ---- the tree ------------------------------------------------------------------------------------ */

static void wipe_tree(cJSON *node) {
    for (; node; node = node->next) {
        if (cJSON_IsString(node) && node->valuestring) memset(node->valuestring, 0, strlen(node->valuestring));
        wipe_tree(node->child);
    }
}

static void delete_tree(cJSON *root) {
    wipe_tree(root);
    cJSON_Delete(root);
}

static cJSON *section(cJSON *root, const char *name) {
    cJSON *s = cJSON_GetObjectItemCaseSensitive(root, name);
    if (cJSON_IsObject(s)) return s;
    if (s) cJSON_DeleteItemFromObjectCaseSensitive(root, name);
    return cJSON_AddObjectToObject(root, name);
}

static const char *text(const cJSON *entry, const char *field) {
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(entry, field));
}

/* Timestamps are decimal strings in the schema; accept numbers too (other writers). One outside
   1970..9999 reads as 0 (long expired), so that no sum or difference of timestamps overflows. */
#define LATEST_SECONDS 253402300799.0 /* 9999-12-31T23:59:59Z */
static int64_t seconds(const cJSON *entry, const char *field) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(entry, field);
    double value = 0;
    if (cJSON_IsString(item)) value = (double)strtoll(item->valuestring, NULL, 10);
    else if (cJSON_IsNumber(item)) value = item->valuedouble;
    return value >= 0 && value <= LATEST_SECONDS ? (int64_t)value : 0;
}

static int same(const char *a, const char *b) { return kusto_strcasecmp(a ? a : "", b ? b : "") == 0; }

/* Sets a field, replacing what was there; unknown fields of the entry are kept. */
static int set_text(cJSON *entry, const char *field, const char *value) {
    cJSON *item = value ? cJSON_CreateString(value) : cJSON_CreateNull();
    if (!item) return -1;
    if (cJSON_GetObjectItemCaseSensitive(entry, field)) {
        cJSON *old = cJSON_DetachItemFromObjectCaseSensitive(entry, field);
        delete_tree(old);
    }
    return cJSON_AddItemToObject(entry, field, item) ? 0 : -1;
}

static int set_seconds(cJSON *entry, const char *field, int64_t value) {
    char digits[24];
    snprintf(digits, sizeof digits, "%lld", (long long)value);
    return set_text(entry, field, digits);
}

/* The entry under `key` (lower-cased as MSAL's keys), created empty when missing. */
static cJSON *entry_at(cJSON *sect, const char *key, int lower) {
    char *k = kusto_strdup(key);
    if (!k) return NULL;
    for (char *p = k; lower && *p; p++) *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    cJSON *entry = cJSON_GetObjectItemCaseSensitive(sect, k);
    if (!cJSON_IsObject(entry)) {
        if (entry) cJSON_DeleteItemFromObjectCaseSensitive(sect, k);
        entry = cJSON_AddObjectToObject(sect, k);
    }
    free(k);
    return entry;
}

/* ---- scopes -------------------------------------------------------------------------------------- */

static int reserved_scope(const char *s, size_t n) {
    static const char *const reserved[] = {"openid", "profile", "offline_access"};
    for (size_t i = 0; i < 3; i++)
        if (strlen(reserved[i]) == n && strncmp(reserved[i], s, n) == 0) return 1;
    return 0;
}

static int has_scope(const char *list, const char *s, size_t n) {
    for (const char *p = list ? list : ""; *p;) {
        p += strspn(p, " ");
        size_t m = strcspn(p, " ");
        if (m == n && strncasecmp(p, s, n) == 0) return 1;
        p += m;
    }
    return 0;
}

/* Every scope of `wanted` is in `have` (MSAL: requested ⊆ target). */
static int scopes_cover(const char *have, const char *wanted) {
    int any = 0;
    for (const char *p = wanted ? wanted : ""; *p;) {
        p += strspn(p, " ");
        size_t n = strcspn(p, " ");
        if (n && !reserved_scope(p, n) && !has_scope(have, p, n)) return 0;
        any |= n > 0;
        p += n;
    }
    return any;
}

static int compare_strings(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* requested ∪ granted, without OIDC's reserved scopes, sorted, space-joined: MSAL's `target`. */
static char *target_of(const char *requested, const char *granted) {
    char *items[64];
    size_t count = 0;
    const char *lists[] = {requested ? requested : "", granted ? granted : ""};
    for (size_t l = 0; l < 2; l++) {
        for (const char *p = lists[l]; *p;) {
            p += strspn(p, " ");
            size_t n = strcspn(p, " ");
            int dup = 0;
            for (size_t i = 0; i < count && !dup; i++) dup = strlen(items[i]) == n && strncasecmp(items[i], p, n) == 0;
            if (n && !dup && !reserved_scope(p, n) && count < 64) items[count++] = kusto_strndup(p, n);
            p += n;
        }
    }
    qsort(items, count, sizeof *items, compare_strings);
    kusto_buf out = {0};
    kusto_buf_puts(&out, "");
    for (size_t i = 0; i < count; i++) {
        if (items[i]) kusto_buf_printf(&out, "%s%s", out.len ? " " : "", items[i]);
        free(items[i]);
    }
    return kusto_buf_take(&out);
}

/* ---- base64url JSON (client_info, id token claims) ----------------------------------------------- */

static cJSON *b64url_json(const char *in, size_t len) {
    kusto_buf b64 = {0};
    for (size_t i = 0; i < len; i++) {
        char ch = in[i] == '-' ? '+' : in[i] == '_' ? '/' : in[i];
        kusto_buf_append(&b64, &ch, 1);
    }
    while (b64.len % 4) kusto_buf_append(&b64, "=", 1);
    unsigned char *raw = b64.len ? malloc(b64.len) : NULL;
    cJSON *json = NULL;
    int n = raw ? EVP_DecodeBlock(raw, (const unsigned char *)b64.data, (int)b64.len) : -1;
    if (n > 0) {
        while (n > 0 && raw[n - 1] == 0) n--; /* EVP_DecodeBlock counts padding as zero bytes */
        json = cJSON_ParseWithLength((const char *)raw, (size_t)n);
    }
    if (raw) memset(raw, 0, b64.len);
    free(raw);
    kusto_buf_wipe(&b64);
    return json;
}

char *kusto_home_account_id(const char *client_info) {
    if (!client_info || !*client_info) return NULL;
    cJSON *json = b64url_json(client_info, strlen(client_info));
    const char *uid = text(json, "uid"), *utid = text(json, "utid");
    kusto_buf id = {0};
    if (uid && utid) kusto_buf_printf(&id, "%s.%s", uid, utid);
    cJSON_Delete(json);
    return kusto_buf_take(&id);
}

/* The claims (payload) of a JWT, not verified: only for the account's names. */
static cJSON *jwt_claims(const char *jwt) {
    const char *dot = jwt ? strchr(jwt, '.') : NULL;
    if (!dot) return NULL;
    size_t n = strcspn(dot + 1, ".");
    return b64url_json(dot + 1, n);
}

/* ---- load and save ------------------------------------------------------------------------------- */

static void warn_corrupt(kusto_cache *c, int moved) {
    if (c->warned_corrupt) return;
    c->warned_corrupt = 1;
    fprintf(stderr, "libkusto: the token cache %s is not valid JSON; %s, starting with an empty cache\n", c->path,
            moved ? "moved it to <file>.corrupt" : "could not move it aside");
}

typedef enum { FILE_GOOD, FILE_EMPTY, FILE_BAD } file_state;

/* Reads the file into c->root: FILE_GOOD (a JSON object, or no file: an empty cache), or FILE_EMPTY (0 bytes)
   / FILE_BAD (not a JSON object) with c->root NULL: another program may be writing it in place. */
static kusto_status read_root(kusto_cache *c, file_state *state, kusto_error **err) {
    kusto_buf bytes = {0};
    kusto_status status = kusto_cache_file_read(c->path, &bytes, err);
    delete_tree(c->root);
    c->root = NULL;
    *state = FILE_GOOD;
    if (status == KUSTO_OK && !bytes.data) {
        struct stat st;
        if (lstat(c->path, &st) == 0) *state = FILE_EMPTY;
        else if (!(c->root = cJSON_CreateObject())) status = kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    } else if (status == KUSTO_OK) {
        c->root = cJSON_ParseWithLength(bytes.data, bytes.len);
        if (!cJSON_IsObject(c->root)) {
            delete_tree(c->root);
            c->root = NULL;
            *state = FILE_BAD;
        }
    }
    kusto_buf_wipe(&bytes);
    return status;
}

/* Written in the last 2 s: a writer may still be at it. */
static int just_written(const char *path) {
    struct stat st;
    return lstat(path, &st) == 0 && kusto_now() - (int64_t)st.st_mtime < 2;
}

/* Under the lock: msal-extensions rewrites the file in place under it, so a bad read is read again; a
   writer that bypassed the lock (msal-extensions after its 5 s timeout) gets 100 + 200 ms more while the
   file is fresh. Only then is a non-JSON file corrupt, and a 0-byte one an empty cache. */
static kusto_status load_locked(kusto_cache *c, kusto_error **err) {
    static const int pauses_ms[] = {0, 100, 200};
    file_state state = FILE_GOOD;
    kusto_status status = KUSTO_OK;
    for (size_t i = 0; i < 3 && status == KUSTO_OK && (i == 0 || (state != FILE_GOOD && just_written(c->path))); i++) {
        if (pauses_ms[i]) kusto_sleep_until_ms(kusto_now_ms() + pauses_ms[i], 1000, NULL, NULL);
        status = read_root(c, &state, err);
    }
    if (status != KUSTO_OK || state == FILE_GOOD) return status;
    if (state == FILE_BAD) warn_corrupt(c, kusto_cache_file_quarantine(c->path) == 0);
    c->root = cJSON_CreateObject();
    return c->root ? KUSTO_OK : kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
}

static kusto_status save(kusto_cache *c, kusto_error **err) {
    char *json = cJSON_Print(c->root); /* indented, as MSAL's serialize() */
    if (!json) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    kusto_status status = kusto_cache_file_write(c->path, json, strlen(json), err);
    kusto_secret_free(json);
    return status;
}

/* Every operation runs between begin() and end(): the thread lock, then (file mode) a fresh read. A
   lookup reads without the file lock, as msal-extensions' search does (libkusto's writes are atomic
   renames), and takes it only to read again a file it found empty or torn; a change always takes it,
   and end() writes back. */
static kusto_status begin(kusto_cache *c, int changing, kusto_cache_lock **flock, kusto_error **err) {
    *flock = NULL;
    pthread_mutex_lock(&c->lock);
    if (!c->path) return KUSTO_OK;
    file_state state = FILE_BAD;
    kusto_status status = changing ? KUSTO_OK : read_root(c, &state, err);
    if (status == KUSTO_OK && state != FILE_GOOD) {
        status = kusto_cache_lock_take(c->path, flock, err);
        if (status == KUSTO_OK) status = load_locked(c, err);
    }
    if (status != KUSTO_OK) {
        kusto_cache_lock_release(*flock);
        delete_tree(c->root);
        c->root = NULL;
        pthread_mutex_unlock(&c->lock);
    }
    return status;
}

static kusto_status end(kusto_cache *c, kusto_cache_lock *flock, int changed, kusto_status status, kusto_error **err) {
    if (changed) c->generation++;
    if (c->path) {
        if (status == KUSTO_OK && changed) status = save(c, err);
        kusto_cache_lock_release(flock);
        delete_tree(c->root); /* tokens stay on disk only, not in this process between calls */
        c->root = NULL;
    }
    pthread_mutex_unlock(&c->lock);
    return status;
}

kusto_status kusto_cache_new(kusto_cache **out, const char *path, kusto_error **err) {
    *out = calloc(1, sizeof **out);
    if (!*out) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    pthread_mutex_init(&(*out)->lock, NULL);
    kusto_status status = KUSTO_OK;
    if (path && !((*out)->path = kusto_strdup(path))) status = kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    else if (path) status = kusto_cache_file_check(path, err);
    else if (!((*out)->root = cJSON_CreateObject())) status = kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    if (status != KUSTO_OK) {
        kusto_cache_free(*out);
        *out = NULL;
    }
    return status;
}

void kusto_cache_free(kusto_cache *cache) {
    if (!cache) return;
    delete_tree(cache->root);
    free(cache->path);
    pthread_mutex_destroy(&cache->lock);
    free(cache);
}

const char *kusto_cache_path(const kusto_cache *cache) { return cache->path; }

/* ---- matching ------------------------------------------------------------------------------------ */

/* Tokens written under another name of the same cloud serve too, as MSAL reads them. */
static int environment_matches(const cJSON *entry, const char *environment) {
    return kusto_login_hosts_same_cloud(text(entry, "environment"), environment);
}

static int account_matches(const cJSON *entry, const char *home_account_id) {
    const char *hid = text(entry, "home_account_id");
    if (home_account_id == KUSTO_CACHE_ANY_USER) return hid && *hid;
    return same(hid, home_account_id);
}

static int access_token_matches(const cJSON *e, const kusto_cache_key *key) {
    /* PoP, SSH-certificate and extended-key tokens are not bearer tokens for this key. */
    const char *type = text(e, "token_type");
    if (text(e, "key_id") || text(e, "ext_cache_key") || (type && kusto_strcasecmp(type, "Bearer") != 0)) return 0;
    return account_matches(e, key->home_account_id) && environment_matches(e, key->environment) &&
           same(text(e, "realm"), key->realm) && same(text(e, "client_id"), key->client_id) &&
           same(text(e, "user_assertion_hash"), key->user_assertion_hash) &&
           scopes_cover(text(e, "target"), key->target);
}

static kusto_token *token_of(const cJSON *e) {
    kusto_token *t = kusto_token_new(text(e, "secret"), text(e, "token_type"), seconds(e, "expires_on"), "", NULL);
    if (!t) return NULL;
    t->refresh_on = seconds(e, "refresh_on");
    t->ext_expires_on = seconds(e, "extended_expires_on");
    t->from_cache = 1;
    if (kusto_token_set(&t->scope, text(e, "target")) != 0) {
        kusto_token_free(t);
        return NULL;
    }
    return t;
}

kusto_status kusto_cache_find_token(kusto_cache *cache, const kusto_cache_key *key, int64_t now, int64_t margin,
                                    kusto_token **out, kusto_error **err) {
    *out = NULL;
    kusto_cache_lock *flock;
    kusto_status status = begin(cache, 0, &flock, err);
    if (status != KUSTO_OK) return status;
    const cJSON *best = NULL, *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(cache->root, "AccessToken")) {
        if (!cJSON_IsObject(e) || !text(e, "secret") || !access_token_matches(e, key)) continue;
        if (seconds(e, "expires_on") - now <= margin) continue;
        if (!best || seconds(e, "expires_on") > seconds(best, "expires_on")) best = e;
    }
    if (best && !(*out = token_of(best))) status = kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    return end(cache, flock, 0, status, err);
}

static int refresh_token_matches(const cJSON *e, const kusto_cache_key *key) {
    return text(e, "secret") && account_matches(e, key->home_account_id) && environment_matches(e, key->environment) &&
           same(text(e, "client_id"), key->client_id) && same(text(e, "user_assertion_hash"), key->user_assertion_hash);
}

kusto_status kusto_cache_find_refresh_token(kusto_cache *cache, const kusto_cache_key *key, char **refresh_token,
                                            char **home_account_id, kusto_error **err) {
    *refresh_token = NULL;
    if (home_account_id) *home_account_id = NULL;
    kusto_cache_lock *flock;
    kusto_status status = begin(cache, 0, &flock, err);
    if (status != KUSTO_OK) return status;
    const cJSON *best = NULL, *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(cache->root, "RefreshToken")) {
        if (!cJSON_IsObject(e) || !refresh_token_matches(e, key)) continue;
        if (!best || seconds(e, "last_modification_time") > seconds(best, "last_modification_time")) best = e;
    }
    if (best) {
        *refresh_token = kusto_strdup(text(best, "secret"));
        if (home_account_id) *home_account_id = kusto_strdup(text(best, "home_account_id"));
        if (!*refresh_token || (home_account_id && !*home_account_id))
            status = kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    }
    status = end(cache, flock, 0, status, err);
    if (status != KUSTO_OK) {
        kusto_secret_free(*refresh_token);
        *refresh_token = NULL;
    }
    return status;
}

/* ---- storing ------------------------------------------------------------------------------------- */

typedef struct stored {
    const kusto_cache_key *key;
    const kusto_token *token;
    const char *hid; /* NULL for application tokens */
    const char *target;
    int64_t now;
} stored;

static char *key_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *key_text(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s) {
        va_start(ap, fmt);
        vsnprintf(s, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    return s;
}

#define OR_EMPTY(s) ((s) ? (s) : "")

static int store_access_token(cJSON *root, const stored *s) {
    const kusto_cache_key *k = s->key;
    char *key = k->user_assertion_hash ? key_text("%s-%s-accesstoken-%s-%s-%s-%s", OR_EMPTY(s->hid), k->environment,
                                                  k->client_id, OR_EMPTY(k->realm), s->target, k->user_assertion_hash)
                                       : key_text("%s-%s-accesstoken-%s-%s-%s", OR_EMPTY(s->hid), k->environment,
                                                  k->client_id, OR_EMPTY(k->realm), s->target);
    cJSON *e = key ? entry_at(section(root, "AccessToken"), key, 1) : NULL;
    free(key);
    const kusto_token *t = s->token;
    int failed = !e || set_text(e, "credential_type", "AccessToken") || set_text(e, "secret", t->access_token) ||
                 set_text(e, "home_account_id", s->hid) || set_text(e, "environment", k->environment) ||
                 set_text(e, "client_id", k->client_id) || set_text(e, "target", s->target) ||
                 set_text(e, "realm", OR_EMPTY(k->realm)) || set_text(e, "token_type", OR_EMPTY(t->token_type)) ||
                 set_seconds(e, "cached_at", s->now) || set_seconds(e, "expires_on", t->expires_on) ||
                 set_seconds(e, "extended_expires_on", t->ext_expires_on ? t->ext_expires_on : t->expires_on);
    if (!failed && t->refresh_on) failed = set_seconds(e, "refresh_on", t->refresh_on);
    if (!failed && !t->refresh_on) cJSON_DeleteItemFromObjectCaseSensitive(e, "refresh_on");
    if (!failed && k->user_assertion_hash) failed = set_text(e, "user_assertion_hash", k->user_assertion_hash);
    return failed ? -1 : 0;
}

/* Removes the entries of a section for which `doomed` says yes. */
static void remove_where(cJSON *sect, int (*doomed)(const cJSON *e, const void *arg), const void *arg) {
    cJSON *e = sect ? sect->child : NULL;
    while (e) {
        cJSON *next = e->next;
        if (doomed(e, arg)) delete_tree(cJSON_DetachItemViaPointer(sect, e));
        e = next;
    }
}

static int same_account_rt(const cJSON *e, const void *arg) {
    const stored *s = arg;
    return same(text(e, "home_account_id"), s->hid) && same(text(e, "environment"), s->key->environment) &&
           same(text(e, "client_id"), s->key->client_id) &&
           same(text(e, "user_assertion_hash"), s->key->user_assertion_hash);
}

static int store_refresh_token(cJSON *root, const stored *s) {
    const kusto_cache_key *k = s->key;
    cJSON *sect = section(root, "RefreshToken");
    if (!sect) return -1;
    remove_where(sect, same_account_rt, s); /* refresh tokens rotate: the new one replaces the old */
    char *key = key_text("%s-%s-refreshtoken-%s--%s", OR_EMPTY(s->hid), k->environment, k->client_id, s->target);
    cJSON *e = key ? entry_at(sect, key, 1) : NULL;
    free(key);
    int failed = !e || set_text(e, "credential_type", "RefreshToken") ||
                 set_text(e, "secret", s->token->refresh_token) || set_text(e, "home_account_id", s->hid) ||
                 set_text(e, "environment", k->environment) || set_text(e, "client_id", k->client_id) ||
                 set_text(e, "target", s->target) || set_seconds(e, "last_modification_time", s->now);
    if (!failed && k->user_assertion_hash) failed = set_text(e, "user_assertion_hash", k->user_assertion_hash);
    return failed ? -1 : 0;
}

static int store_id_token(cJSON *root, const stored *s) {
    const kusto_cache_key *k = s->key;
    char *key = key_text("%s-%s-idtoken-%s-%s-", OR_EMPTY(s->hid), k->environment, k->client_id, OR_EMPTY(k->realm));
    cJSON *e = key ? entry_at(section(root, "IdToken"), key, 1) : NULL;
    free(key);
    return !e || set_text(e, "credential_type", "IdToken") || set_text(e, "secret", s->token->id_token) ||
                   set_text(e, "home_account_id", s->hid) || set_text(e, "environment", k->environment) ||
                   set_text(e, "realm", OR_EMPTY(k->realm)) || set_text(e, "client_id", k->client_id)
             ? -1
             : 0;
}

static int store_account(cJSON *root, const stored *s) {
    const kusto_cache_key *k = s->key;
    cJSON *claims = jwt_claims(s->token->id_token);
    const char *local = text(claims, "oid") ? text(claims, "oid") : text(claims, "sub");
    const char *username = text(claims, "preferred_username") ? text(claims, "preferred_username")
                                                              : text(claims, "upn");
    char *key = key_text("%s-%s-%s", s->hid, k->environment, OR_EMPTY(k->realm));
    cJSON *e = key ? entry_at(section(root, "Account"), key, 1) : NULL;
    free(key);
    int failed = !e || set_text(e, "home_account_id", s->hid) || set_text(e, "environment", k->environment) ||
                 set_text(e, "realm", OR_EMPTY(k->realm)) || set_text(e, "local_account_id", OR_EMPTY(local)) ||
                 set_text(e, "username", OR_EMPTY(username)) ||
                 set_text(e, "authority_type", same(k->realm, "adfs") ? "ADFS" : "MSSTS");
    cJSON_Delete(claims);
    return failed ? -1 : 0;
}

static int store_app_metadata(cJSON *root, const stored *s) {
    char *key = key_text("appmetadata-%s-%s", s->key->environment, s->key->client_id);
    cJSON *e = key ? entry_at(section(root, "AppMetadata"), key, 0) : NULL;
    free(key);
    return !e || set_text(e, "client_id", s->key->client_id) || set_text(e, "environment", s->key->environment) ? -1
                                                                                                                : 0;
}

static int store_all(cJSON *root, const stored *s) {
    if (store_access_token(root, s)) return -1;
    if (s->token->refresh_token && s->hid && store_refresh_token(root, s)) return -1;
    if (s->token->id_token && s->hid && store_id_token(root, s)) return -1;
    if (s->token->client_info && s->hid && store_account(root, s)) return -1;
    return store_app_metadata(root, s);
}

kusto_status kusto_cache_store(kusto_cache *cache, const kusto_cache_key *key, const kusto_token *token,
                               kusto_error **err) {
    char *derived = NULL;
    const char *hid = key->home_account_id;
    if (!hid || hid == KUSTO_CACHE_ANY_USER) hid = derived = kusto_home_account_id(token->client_info);
    char *target = target_of(key->target, token->scope);
    if (!target) {
        free(derived);
        return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    }
    stored s = {key, token, hid, target, kusto_now()};
    kusto_cache_lock *flock;
    kusto_status status = begin(cache, 1, &flock, err);
    if (status == KUSTO_OK) {
        if (store_all(cache->root, &s) != 0) status = kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
        status = end(cache, flock, 1, status, err);
    }
    free(derived);
    free(target);
    return status;
}

/* ---- accounts ------------------------------------------------------------------------------------ */

void kusto_accounts_free(kusto_account *accounts, size_t count) {
    for (size_t i = 0; accounts && i < count; i++) {
        free(accounts[i].home_account_id);
        free(accounts[i].username);
        free(accounts[i].environment);
        free(accounts[i].realm);
    }
    free(accounts);
}

static int listed(const kusto_account *list, size_t count, const cJSON *e) {
    for (size_t i = 0; i < count; i++)
        if (same(list[i].home_account_id, text(e, "home_account_id")) && same(list[i].realm, text(e, "realm")))
            return 1;
    return 0;
}

/* Accounts of `environment` (all when NULL): `alias` 0 those under that very name, 1 under its aliases
   (each account once, though several aliases have it). */
static kusto_status list_accounts(const cJSON *accounts, const char *environment, int alias, kusto_account *list,
                                  size_t *count, kusto_error **err) {
    const cJSON *e;
    cJSON_ArrayForEach(e, accounts) {
        if (!cJSON_IsObject(e) || !text(e, "home_account_id")) continue;
        if (environment && (same(text(e, "environment"), environment) == alias || !environment_matches(e, environment)))
            continue;
        if (alias && listed(list, *count, e)) continue;
        kusto_account *a = &list[(*count)++];
        a->home_account_id = kusto_strdup(text(e, "home_account_id"));
        a->username = kusto_strdup(OR_EMPTY(text(e, "username")));
        a->environment = kusto_strdup(OR_EMPTY(text(e, "environment")));
        a->realm = kusto_strdup(OR_EMPTY(text(e, "realm")));
        if (!a->home_account_id || !a->username || !a->environment || !a->realm)
            return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    }
    return KUSTO_OK;
}

/* As MSAL's get_accounts: the environment's own accounts, else those under its aliases. */
kusto_status kusto_cache_accounts(kusto_cache *cache, const char *environment, kusto_account **out, size_t *count,
                                  kusto_error **err) {
    *out = NULL;
    *count = 0;
    kusto_cache_lock *flock;
    kusto_status status = begin(cache, 0, &flock, err);
    if (status != KUSTO_OK) return status;
    const cJSON *accounts = cJSON_GetObjectItemCaseSensitive(cache->root, "Account");
    kusto_account *list = calloc((size_t)cJSON_GetArraySize(accounts) + 1, sizeof *list);
    if (!list) status = kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    if (status == KUSTO_OK) status = list_accounts(accounts, environment, 0, list, count, err);
    if (status == KUSTO_OK && *count == 0 && environment)
        status = list_accounts(accounts, environment, 1, list, count, err);
    status = end(cache, flock, 0, status, err);
    if (status != KUSTO_OK) {
        kusto_accounts_free(list, *count);
        list = NULL;
        *count = 0;
    }
    *out = list;
    return status;
}

static int of_account(const cJSON *e, const void *hid) { return same(text(e, "home_account_id"), hid); }
static int any_entry(const cJSON *e, const void *unused) { return 1; }

kusto_status kusto_cache_remove_account(kusto_cache *cache, const char *home_account_id, kusto_error **err) {
    kusto_cache_lock *flock;
    kusto_status status = begin(cache, 1, &flock, err);
    if (status != KUSTO_OK) return status;
    for (size_t i = 0; i < SECTION_COUNT - 1; i++) /* not AppMetadata: it is the app's, not the account's */
        remove_where(cJSON_GetObjectItemCaseSensitive(cache->root, known_sections[i]), of_account, home_account_id);
    return end(cache, flock, 1, status, err);
}

kusto_status kusto_cache_clear(kusto_cache *cache, kusto_error **err) {
    kusto_cache_lock *flock;
    kusto_status status = begin(cache, 1, &flock, err);
    if (status != KUSTO_OK) return status;
    for (size_t i = 0; i < SECTION_COUNT; i++)
        remove_where(cJSON_GetObjectItemCaseSensitive(cache->root, known_sections[i]), any_entry, NULL);
    return end(cache, flock, 1, status, err);
}

int kusto_cache_generation(kusto_cache *cache, unsigned long *generation) {
    if (cache->path) return -1;
    pthread_mutex_lock(&cache->lock);
    *generation = cache->generation;
    pthread_mutex_unlock(&cache->lock);
    return 0;
}
