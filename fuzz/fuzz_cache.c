/* libFuzzer: the token cache file (MSAL's schema) as another process may have left it. The input's
   first byte picks which writes follow the reads; the rest is the file, loaded by every operation. The
   file lives in a private directory in /dev/shm (tmpfs: the writes' fsync costs nothing). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "token.h"

static char dir[] = "/dev/shm/kusto-fuzz-cache-XXXXXX", path[128], aside[160], lock[160];

/* At a normal exit; after a crash the directory stays, with the input that crashed in it. */
static void remove_dir(void) {
    unlink(path);
    unlink(aside);
    unlink(lock);
    rmdir(dir);
}

static const char *cache_path(void) {
    if (!*path) {
        if (!mkdtemp(dir)) abort();
        snprintf(path, sizeof path, "%s/msal_token_cache.json", dir);
        snprintf(aside, sizeof aside, "%s.corrupt", path);
        snprintf(lock, sizeof lock, "%s.lockfile", path);
        atexit(remove_dir);
    }
    return path;
}

/* Dated a minute back: a bad file is then not one a writer is still at, and is not waited for (cache.c). */
static void write_file(const char *path, const unsigned char *data, size_t size) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);
    struct timespec then[2] = {{time(NULL) - 60, 0}, {time(NULL) - 60, 0}};
    if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size) || futimens(fd, then) != 0) abort();
    close(fd);
}

/* Keys as libkusto asks for an application token and for a user's (uid.utid) tokens. */
static const kusto_cache_key app_key = {
    NULL, "login.microsoftonline.com", "contoso", "my_client_id", "https://c.kusto.windows.net/.default", NULL};
static const kusto_cache_key user_key = {
    "uid.utid", "login.microsoftonline.com", "contoso", "my_client_id", "https://c.kusto.windows.net/.default openid",
    NULL};
static const kusto_cache_key any_user_key = {KUSTO_CACHE_ANY_USER,
                                             "login.microsoftonline.com",
                                             "contoso",
                                             "my_client_id",
                                             "https://c.kusto.windows.net/.default",
                                             NULL};

static void read_everything(kusto_cache *cache) {
    const kusto_cache_key *keys[] = {&app_key, &user_key, &any_user_key};
    for (size_t i = 0; i < 3; i++) {
        kusto_token *token = NULL;
        kusto_cache_find_token(cache, keys[i], 1700000000, 300, &token, NULL);
        kusto_token_free(token);
        char *refresh_token = NULL, *home_account_id = NULL;
        kusto_cache_find_refresh_token(cache, keys[i], &refresh_token, &home_account_id, NULL);
        free(refresh_token);
        free(home_account_id);
    }
    kusto_account *accounts = NULL;
    size_t count = 0;
    kusto_cache_accounts(cache, NULL, &accounts, &count, NULL);
    kusto_accounts_free(accounts, count);
    kusto_cache_accounts(cache, "login.microsoftonline.com", &accounts, &count, NULL);
    kusto_accounts_free(accounts, count);
}

/* A user token with everything a token response may bring: refresh token, id token, client_info. */
static void store_user_token(kusto_cache *cache) {
    kusto_token *t = kusto_token_new("at", "Bearer", 1700003600, "https://c.kusto.windows.net", NULL);
    if (!t) return;
    if (kusto_token_set(&t->refresh_token, "rt") == 0 &&
        kusto_token_set(&t->id_token, "x.eyJvaWQiOiJvIiwicHJlZmVycmVkX3VzZXJuYW1lIjoidUBjIn0.y") == 0 &&
        kusto_token_set(&t->client_info, "eyJ1aWQiOiJ1aWQiLCJ1dGlkIjoidXRpZCJ9") == 0 &&
        kusto_token_set(&t->scope, "https://c.kusto.windows.net/user_impersonation") == 0)
        kusto_cache_store(cache, &any_user_key, t, NULL);
    kusto_token_free(t);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    if (size < 1) return 0;
    static kusto_cache *cache;
    const char *path = cache_path();
    if (!cache && kusto_cache_new(&cache, path, NULL) != KUSTO_OK) abort();
    unsigned writes = data[0];
    write_file(path, data + 1, size - 1);
    read_everything(cache);
    if (writes & 1) store_user_token(cache);
    if (writes & 2) kusto_cache_remove_account(cache, "uid.utid", NULL);
    if (writes & 4) kusto_cache_clear(cache, NULL);
    if (writes & 7) read_everything(cache);
    return 0;
}
