/* The token cache: MSAL's schema on disk, file protection, the cross-process lock, corrupt files. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <valgrind/valgrind.h>

#include "buf.h"
#include "cache.h"
#include "cache_file.h"
#include "cache_lock.h"
#include "check.h"
#include "clock.h"
#include "token.h"

/* usleep is gone from POSIX 2008 (make check-posix) */
static void pause_ms_for(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

static char dir[64];

static char *path_in_dir(const char *name) {
    kusto_buf b = {0};
    kusto_buf_printf(&b, "%s/%s", dir, name);
    return kusto_buf_take(&b);
}

static cJSON *read_json(const char *path) {
    kusto_buf b = {0};
    if (kusto_cache_file_read(path, &b, NULL) != KUSTO_OK) return NULL;
    cJSON *json = b.data ? cJSON_Parse(b.data) : NULL;
    kusto_buf_free(&b);
    return json;
}

static void write_text(const char *path, const char *text, mode_t mode) {
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (write(fd, text, strlen(text)) < 0) perror("write");
    fchmod(fd, mode);
    close(fd);
}

static kusto_token *app_token(const char *secret, int64_t expires_on) {
    return kusto_token_new(secret, "Bearer", expires_on, "https://c.example", NULL);
}

static const kusto_cache_key app_key = {NULL,           "login.example.com",          "contoso",
                                        "my_client_id", "https://c.example/.default", NULL};

static void test_app_token_in_msal_schema(void) {
    char *path = path_in_dir("sub/app.json");
    kusto_cache *cache = NULL;
    CHECK_INT(kusto_cache_new(&cache, path, NULL), KUSTO_OK);
    kusto_token *t = app_token("at-1", kusto_now() + 3600);
    t->ext_expires_on = kusto_now() + 7200;
    CHECK_INT(kusto_cache_store(cache, &app_key, t, NULL), KUSTO_OK);

    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    char *sub = path_in_dir("sub");
    CHECK(stat(sub, &st) == 0 && (st.st_mode & 0777) == 0700);
    cJSON *json = read_json(path);
    cJSON *at = cJSON_GetObjectItem(cJSON_GetObjectItem(json, "AccessToken"),
                                    "-login.example.com-accesstoken-my_client_id-contoso-https://c.example/.default");
    CHECK(at != NULL);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(at, "secret")), "at-1");
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(at, "home_account_id")));
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(at, "credential_type")), "AccessToken");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(at, "realm")), "contoso");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(at, "target")), "https://c.example/.default");
    char expires[24];
    snprintf(expires, sizeof expires, "%lld", (long long)t->expires_on);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(at, "expires_on")), expires);
    CHECK(cJSON_IsString(cJSON_GetObjectItem(at, "cached_at")));
    CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(json, "AppMetadata"), "appmetadata-login.example.com-my_client_id"));
    cJSON_Delete(json);

    kusto_token *found = NULL;
    CHECK_INT(kusto_cache_find_token(cache, &app_key, kusto_now(), 300, &found, NULL), KUSTO_OK);
    CHECK(found && strcmp(found->access_token, "at-1") == 0 && found->from_cache);
    kusto_token_free(found);
    /* Another tenant, client or a token about to expire: not found. */
    kusto_cache_key other = app_key;
    other.realm = "fabrikam";
    CHECK_INT(kusto_cache_find_token(cache, &other, kusto_now(), 300, &found, NULL), KUSTO_OK);
    CHECK(found == NULL);
    CHECK_INT(kusto_cache_find_token(cache, &app_key, kusto_now() + 3400, 300, &found, NULL), KUSTO_OK);
    CHECK(found == NULL);
    kusto_token_free(t);
    kusto_cache_free(cache);
    free(sub);
    free(path);
}

static void test_unknown_fields_and_sections_survive(void) {
    char *path = path_in_dir("unknown.json");
    write_text(path,
               "{\"customized\": {\"an-entry\": {\"foo\": \"bar\"}}, \"AccessToken\": {\"x\": {\"secret\": \"s\", "
               "\"client_id\": \"c\", \"environment\": \"e\", \"realm\": \"r\", \"target\": \"t\", \"expires_on\": "
               "\"9999999999\", \"home_account_id\": null, \"extra\": 7}}}",
               0600);
    kusto_cache *cache = NULL;
    CHECK_INT(kusto_cache_new(&cache, path, NULL), KUSTO_OK);
    kusto_token *t = app_token("at-2", kusto_now() + 3600);
    CHECK_INT(kusto_cache_store(cache, &app_key, t, NULL), KUSTO_OK);
    cJSON *json = read_json(path);
    CHECK_STR(cJSON_GetStringValue(
                  cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(json, "customized"), "an-entry"), "foo")),
              "bar");
    CHECK_INT(
        cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(json, "AccessToken"), "x"), "extra")->valuedouble,
        7);
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(json, "AccessToken")), 2);
    cJSON_Delete(json);
    /* Found by fields whatever its key: scopes are a subset of the target. */
    kusto_cache_key k = {NULL, "E", "r", "c", "t", NULL};
    kusto_token *found = NULL;
    CHECK_INT(kusto_cache_find_token(cache, &k, kusto_now(), 300, &found, NULL), KUSTO_OK);
    CHECK(found && strcmp(found->access_token, "s") == 0);
    kusto_token_free(found);
    kusto_token_free(t);
    kusto_cache_free(cache);
    free(path);
}

/* client_info {"uid":"u1","utid":"t1"}; id token claims {"oid":"o1","preferred_username":"ann@contoso.com"}. */
#define CLIENT_INFO "eyJ1aWQiOiJ1MSIsInV0aWQiOiJ0MSJ9"
#define ID_TOKEN "eyJhbGciOiJub25lIn0.eyJvaWQiOiJvMSIsInByZWZlcnJlZF91c2VybmFtZSI6ImFubkBjb250b3NvLmNvbSJ9."

static kusto_token *user_token(const char *at, const char *rt) {
    kusto_token *t = app_token(at, kusto_now() + 3600);
    kusto_token_set(&t->refresh_token, rt);
    kusto_token_set(&t->client_info, CLIENT_INFO);
    kusto_token_set(&t->id_token, ID_TOKEN);
    kusto_token_set(&t->scope, "https://c.example/user_impersonation openid profile offline_access");
    return t;
}

static void test_user_tokens_accounts_and_rotation(int in_file) {
    char *path = in_file ? path_in_dir("user.json") : NULL;
    kusto_cache *cache = NULL;
    CHECK_INT(kusto_cache_new(&cache, path, NULL), KUSTO_OK);
    kusto_cache_key key = app_key;
    key.home_account_id = KUSTO_CACHE_ANY_USER;
    kusto_token *t = user_token("at-u", "rt-1");
    CHECK_INT(kusto_cache_store(cache, &key, t, NULL), KUSTO_OK);

    kusto_token *found = NULL;
    CHECK_INT(kusto_cache_find_token(cache, &key, kusto_now(), 300, &found, NULL), KUSTO_OK);
    CHECK(found && strcmp(found->access_token, "at-u") == 0);
    CHECK_STR(found ? found->scope : NULL, "https://c.example/.default https://c.example/user_impersonation");
    kusto_token_free(found);
    CHECK_INT(kusto_cache_find_token(cache, &app_key, kusto_now(), 300, &found, NULL), KUSTO_OK);
    CHECK(found == NULL); /* a user's token is not an application token */

    char *rt = NULL, *hid = NULL;
    CHECK_INT(kusto_cache_find_refresh_token(cache, &key, &rt, &hid, NULL), KUSTO_OK);
    CHECK_STR(rt, "rt-1");
    CHECK_STR(hid, "u1.t1");
    kusto_secret_free(rt);
    free(hid);
    kusto_token_set(&t->refresh_token, "rt-2");
    CHECK_INT(kusto_cache_store(cache, &key, t, NULL), KUSTO_OK);
    CHECK_INT(kusto_cache_find_refresh_token(cache, &key, &rt, NULL, NULL), KUSTO_OK);
    CHECK_STR(rt, "rt-2");
    kusto_secret_free(rt);
    if (path) {
        cJSON *json = read_json(path);
        CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(json, "RefreshToken")), 1);
        CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(json, "RefreshToken"),
                                  "u1.t1-login.example.com-refreshtoken-my_client_id--https://c.example/.default "
                                  "https://c.example/user_impersonation"));
        CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(json, "IdToken"),
                                  "u1.t1-login.example.com-idtoken-my_client_id-contoso-"));
        cJSON_Delete(json);
    }

    kusto_account *accounts = NULL;
    size_t count = 0;
    CHECK_INT(kusto_cache_accounts(cache, "login.example.com", &accounts, &count, NULL), KUSTO_OK);
    CHECK_INT(count, 1);
    if (count == 1) {
        CHECK_STR(accounts[0].home_account_id, "u1.t1");
        CHECK_STR(accounts[0].username, "ann@contoso.com");
        CHECK_STR(accounts[0].environment, "login.example.com");
        CHECK_STR(accounts[0].realm, "contoso");
    }
    kusto_accounts_free(accounts, count);
    CHECK_INT(kusto_cache_accounts(cache, "login.other.com", &accounts, &count, NULL), KUSTO_OK);
    CHECK_INT(count, 0);
    kusto_accounts_free(accounts, count);

    kusto_token *app = app_token("at-app", kusto_now() + 3600);
    CHECK_INT(kusto_cache_store(cache, &app_key, app, NULL), KUSTO_OK);
    CHECK_INT(kusto_cache_remove_account(cache, "u1.t1", NULL), KUSTO_OK);
    CHECK_INT(kusto_cache_find_token(cache, &key, kusto_now(), 300, &found, NULL), KUSTO_OK);
    CHECK(found == NULL);
    CHECK_INT(kusto_cache_find_refresh_token(cache, &key, &rt, NULL, NULL), KUSTO_OK);
    CHECK(rt == NULL);
    CHECK_INT(kusto_cache_accounts(cache, NULL, &accounts, &count, NULL), KUSTO_OK);
    CHECK_INT(count, 0);
    kusto_accounts_free(accounts, count);
    CHECK_INT(kusto_cache_find_token(cache, &app_key, kusto_now(), 300, &found, NULL), KUSTO_OK);
    CHECK(found != NULL); /* the application's token stays */
    kusto_token_free(found);
    CHECK_INT(kusto_cache_clear(cache, NULL), KUSTO_OK);
    CHECK_INT(kusto_cache_find_token(cache, &app_key, kusto_now(), 300, &found, NULL), KUSTO_OK);
    CHECK(found == NULL);
    kusto_token_free(app);
    kusto_token_free(t);
    kusto_cache_free(cache);
    free(path);
}

static size_t count_accounts(kusto_cache *cache, const char *environment, const char *expected_environment) {
    kusto_account *accounts = NULL;
    size_t count = 0;
    CHECK_INT(kusto_cache_accounts(cache, environment, &accounts, &count, NULL), KUSTO_OK);
    for (size_t i = 0; i < count && expected_environment; i++) CHECK_STR(accounts[i].environment, expected_environment);
    kusto_accounts_free(accounts, count);
    return count;
}

/* MSAL.NET writes login.windows.net where MSAL Python writes login.microsoftonline.com: one cloud. */
static void test_tokens_of_another_name_of_the_cloud(void) {
    kusto_cache *cache = NULL;
    CHECK_INT(kusto_cache_new(&cache, NULL, NULL), KUSTO_OK);
    kusto_cache_key written = {KUSTO_CACHE_ANY_USER, "login.windows.net",          "contoso",
                               "my_client_id",       "https://c.example/.default", NULL};
    kusto_token *t = user_token("at-net", "rt-net");
    CHECK_INT(kusto_cache_store(cache, &written, t, NULL), KUSTO_OK);

    kusto_cache_key wanted = written;
    wanted.environment = "login.microsoftonline.com";
    kusto_token *found = NULL;
    CHECK_INT(kusto_cache_find_token(cache, &wanted, kusto_now(), 300, &found, NULL), KUSTO_OK);
    CHECK_STR(found ? found->access_token : NULL, "at-net");
    kusto_token_free(found);
    char *rt = NULL;
    wanted.environment = "sts.windows.net";
    CHECK_INT(kusto_cache_find_refresh_token(cache, &wanted, &rt, NULL, NULL), KUSTO_OK);
    CHECK_STR(rt, "rt-net");
    kusto_secret_free(rt);
    CHECK_INT(count_accounts(cache, "login.microsoftonline.com", "login.windows.net"), 1);
    kusto_cache_key second_alias = written;
    second_alias.environment = "sts.windows.net";
    CHECK_INT(kusto_cache_store(cache, &second_alias, t, NULL), KUSTO_OK);
    CHECK_INT(count_accounts(cache, "login.microsoftonline.com", NULL), 1); /* once, though under two aliases */

    /* Another cloud shares nothing. */
    wanted.environment = "login.microsoftonline.us";
    CHECK_INT(kusto_cache_find_token(cache, &wanted, kusto_now(), 300, &found, NULL), KUSTO_OK);
    CHECK(found == NULL);
    CHECK_INT(kusto_cache_find_refresh_token(cache, &wanted, &rt, NULL, NULL), KUSTO_OK);
    CHECK(rt == NULL);
    CHECK_INT(count_accounts(cache, "login.microsoftonline.us", NULL), 0);

    /* The same account under the environment's own name: listed once, by that name. */
    kusto_cache_key own = written;
    own.environment = "login.microsoftonline.com";
    CHECK_INT(kusto_cache_store(cache, &own, t, NULL), KUSTO_OK);
    CHECK_INT(count_accounts(cache, "login.microsoftonline.com", "login.microsoftonline.com"), 1);
    CHECK_INT(count_accounts(cache, NULL, NULL), 3);
    kusto_token_free(t);
    kusto_cache_free(cache);
}

static void check_refused(const char *path, const char *named, const char *fragment) {
    kusto_cache *cache = NULL;
    kusto_error *err = NULL;
    CHECK_INT(kusto_cache_new(&cache, path, &err), KUSTO_E_UNTRUSTED);
    CHECK(err && strstr(kusto_error_message(err), named) && strstr(kusto_error_message(err), fragment));
    if (err && !strstr(kusto_error_message(err), fragment)) fprintf(stderr, "message: %s\n", kusto_error_message(err));
    kusto_error_free(err);
}

static void test_unsafe_files_are_refused(void) {
    char *open_file = path_in_dir("open.json");
    write_text(open_file, "{}", 0644);
    check_refused(open_file, open_file, "mode 0644");
    char *link = path_in_dir("link.json");
    unlink(link);
    CHECK(symlink(open_file, link) == 0);
    check_refused(link, link, "symbolic link");
    char *shared_dir = path_in_dir("shared");
    mkdir(shared_dir, 0777);
    chmod(shared_dir, 0777);
    char *in_shared = path_in_dir("shared/cache.json");
    check_refused(in_shared, shared_dir, "writable by group or others");
    /* A store through a refused file fails too, and reads nothing. */
    chmod(open_file, 0600);
    kusto_cache *cache = NULL;
    CHECK_INT(kusto_cache_new(&cache, open_file, NULL), KUSTO_OK);
    chmod(open_file, 0640);
    kusto_token *found = NULL;
    kusto_error *err = NULL;
    CHECK_INT(kusto_cache_find_token(cache, &app_key, kusto_now(), 300, &found, &err), KUSTO_E_UNTRUSTED);
    kusto_error_free(err);
    kusto_cache_free(cache);
    free(open_file);
    free(link);
    free(shared_dir);
    free(in_shared);
}

static void test_corrupt_file_is_moved_aside(void) {
    char *path = path_in_dir("torn.json");
    write_text(path, "{\"AccessToken\": {\"k\": {\"secret\": \"tru", 0600);
    kusto_cache *cache = NULL;
    CHECK_INT(kusto_cache_new(&cache, path, NULL), KUSTO_OK);
    kusto_token *found = NULL;
    CHECK_INT(kusto_cache_find_token(cache, &app_key, kusto_now(), 300, &found, NULL), KUSTO_OK);
    CHECK(found == NULL);
    char *aside = path_in_dir("torn.json.corrupt");
    struct stat st;
    CHECK(stat(aside, &st) == 0 && st.st_size > 0);
    CHECK(stat(path, &st) != 0); /* the bad file is gone; the next store starts a good one */
    kusto_token *t = app_token("at-3", kusto_now() + 3600);
    CHECK_INT(kusto_cache_store(cache, &app_key, t, NULL), KUSTO_OK);
    cJSON *json = read_json(path);
    CHECK(cJSON_IsObject(json));
    cJSON_Delete(json);
    kusto_token_free(t);
    kusto_cache_free(cache);
    free(aside);
    free(path);
}

/* Processes writing at once lose nothing: every write is a read-merge-write under the lock, and readers
   never see a partial file. */
static void test_concurrent_processes(void) {
#if defined(__SANITIZE_ADDRESS__)
    int writes = 100; /* the full run is the plain build's */
#else
    int writes = RUNNING_ON_VALGRIND                 ? 20
               : getenv("KUSTO_CACHE_STRESS_WRITES") ? atoi(getenv("KUSTO_CACHE_STRESS_WRITES"))
                                                     : 200;
#endif
    const int processes = 4;
    char *path = path_in_dir("shared.json");
    for (int p = 0; p < processes; p++) {
        if (fork() != 0) continue;
        kusto_cache *cache = NULL;
        int failures = kusto_cache_new(&cache, path, NULL) != KUSTO_OK;
        for (int i = 0; i < writes && !failures; i++) {
            char client[32];
            snprintf(client, sizeof client, "client-%d-%d", p, i);
            kusto_cache_key key = app_key;
            key.client_id = client;
            kusto_token *t = app_token("at", kusto_now() + 3600);
            failures += kusto_cache_store(cache, &key, t, NULL) != KUSTO_OK;
            kusto_token_free(t);
            kusto_buf b = {0};
            /* A plain read, without the lock, as another program would do. */
            int fd = open(path, O_RDONLY);
            char chunk[4096];
            ssize_t n;
            while (fd >= 0 && (n = read(fd, chunk, sizeof chunk)) > 0) kusto_buf_append(&b, chunk, (size_t)n);
            if (fd >= 0) close(fd);
            cJSON *json = b.data ? cJSON_Parse(b.data) : NULL;
            failures += !cJSON_IsObject(json);
            cJSON_Delete(json);
            kusto_buf_free(&b);
        }
        kusto_cache_free(cache);
        free(path); /* the child's copy: valgrind checks each child's leaks too */
        _exit(failures ? 1 : 0);
    }
    int ok = 0, status;
    for (int p = 0; p < processes; p++)
        if (wait(&status) > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) ok++;
    CHECK_INT(ok, processes);
    cJSON *json = read_json(path);
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(json, "AccessToken")), processes * writes);
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(json, "AppMetadata")), processes * writes);
    cJSON_Delete(json);
    char *lock = path_in_dir("shared.json.lockfile");
    CHECK(access(lock, F_OK) != 0); /* removed after each write */
    free(lock);
    free(path);
}

/* Another program's writer, as msal-extensions' FilePersistence under its lock: the lock file created
   exclusively with "pid name" in it, the cache truncated, a pause, the content, the lock removed. */
static void rewrite_in_place_as_msal_extensions(const char *path, const char *content, int pause_ms) {
    kusto_buf lock = {0};
    kusto_buf_printf(&lock, "%s.lockfile", path);
    int lfd = open(lock.data, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (lfd < 0) _exit(3);
    char text[32];
    if (write(lfd, text, (size_t)snprintf(text, sizeof text, "%ld python", (long)getpid())) < 0) _exit(3);
    close(lfd);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    pause_ms_for(pause_ms);
    if (write(fd, content, strlen(content)) < 0) _exit(3);
    close(fd);
    unlink(lock.data);
    kusto_buf_free(&lock);
}

/* A lookup that meets the file half-written (here: 0 bytes) by a writer holding the lock waits for it
   and finds the token, instead of taking the file as empty or corrupt. */
static void test_reader_waits_for_a_rewrite_in_place(void) {
    char *path = path_in_dir("inplace.json");
    kusto_cache *cache = NULL;
    CHECK_INT(kusto_cache_new(&cache, path, NULL), KUSTO_OK);
    kusto_token *t = app_token("at-inplace", kusto_now() + 3600);
    CHECK_INT(kusto_cache_store(cache, &app_key, t, NULL), KUSTO_OK);
    kusto_buf content = {0};
    CHECK_INT(kusto_cache_file_read(path, &content, NULL), KUSTO_OK);
    int ready[2];
    CHECK(pipe(ready) == 0);
    pid_t child = fork();
    if (child == 0) {
        close(ready[0]);
        kusto_buf lock = {0};
        kusto_buf_printf(&lock, "%s.lockfile", path);
        /* Signal once the file is empty and the lock held, then finish the write 300 ms later. */
        int lfd = open(lock.data, O_WRONLY | O_CREAT | O_EXCL, 0600);
        int fd = open(path, O_RDWR | O_TRUNC);
        if (write(ready[1], "x", 1) < 0 || lfd < 0 || fd < 0) _exit(3);
        pause_ms_for(300);
        if (write(fd, content.data, content.len) < 0) _exit(3);
        close(fd);
        unlink(lock.data);
        close(lfd);
        kusto_buf_free(&lock); /* the child's copies: valgrind checks each child's leaks too */
        kusto_buf_free(&content);
        kusto_token_free(t);
        kusto_cache_free(cache);
        free(path);
        _exit(0);
    }
    close(ready[1]);
    char x;
    CHECK(read(ready[0], &x, 1) == 1);
    close(ready[0]);
    kusto_token *found = NULL;
    CHECK_INT(kusto_cache_find_token(cache, &app_key, kusto_now(), 300, &found, NULL), KUSTO_OK);
    CHECK(found && strcmp(found->access_token, "at-inplace") == 0);
    int status;
    CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    char *aside = path_in_dir("inplace.json.corrupt");
    CHECK(access(aside, F_OK) != 0);
    /* A writer in place that finishes within the lock leaves an intact file for the next store too. */
    pid_t again = fork();
    if (again == 0) {
        rewrite_in_place_as_msal_extensions(path, content.data, 50);
        kusto_buf_free(&content);
        kusto_token_free(t);
        kusto_cache_free(cache);
        free(aside);
        free(path);
        _exit(0);
    }
    pause_ms_for(10);
    kusto_cache_key other = app_key;
    other.client_id = "other";
    CHECK_INT(kusto_cache_store(cache, &other, t, NULL), KUSTO_OK);
    CHECK(waitpid(again, &status, 0) == again && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    cJSON *json = read_json(path);
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(json, "AccessToken")), 2);
    cJSON_Delete(json);
    kusto_buf_free(&content);
    kusto_token_free(found);
    kusto_token_free(t);
    kusto_cache_free(cache);
    free(aside);
    free(path);
}

/* The lock file is unlinked before it is unlocked: a writer that waited on its flock (as msal-extensions does
   after its 5 s timeout) gets a deleted file, which it can tell, never the lock of a path someone else has. */
static void test_lock_is_unlinked_before_unlock(void) {
    char *path = path_in_dir("order.json");
    kusto_buf lock_path = {0};
    kusto_buf_printf(&lock_path, "%s.lockfile", path);
    int ready[2];
    CHECK(pipe(ready) == 0);
    pid_t holder = fork();
    if (holder == 0) { /* holds the lock 100 ms; the test's process never holds it, so no fd of it is inherited */
        kusto_cache_lock *lock = NULL;
        int ok = kusto_cache_lock_take(path, &lock, NULL) == KUSTO_OK && write(ready[1], "x", 1) == 1;
        pause_ms_for(100);
        kusto_cache_lock_release(lock);
        kusto_buf_free(&lock_path);
        free(path);
        _exit(ok ? 0 : 1);
    }
    char x;
    CHECK(read(ready[0], &x, 1) == 1);
    int fd = open(lock_path.data, O_RDWR);
    struct stat st;
    CHECK(fd >= 0 && flock(fd, LOCK_EX) == 0 && fstat(fd, &st) == 0);
    CHECK_INT(st.st_nlink, 0);
    if (fd >= 0) close(fd);
    int status;
    CHECK(waitpid(holder, &status, 0) == holder && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(access(lock_path.data, F_OK) != 0);
    close(ready[0]);
    close(ready[1]);
    kusto_buf_free(&lock_path);
    free(path);
}

static pid_t dead_pid(void) {
    pid_t pid = fork();
    if (pid == 0) _exit(0);
    waitpid(pid, NULL, 0);
    return pid;
}

/* A lock file left by a killed writer is removed; one held (flocked) by a live writer is waited for;
   temp files of killed writers (they hold tokens) are removed by the next write. */
static void test_stale_locks_and_temp_files(void) {
    char *path = path_in_dir("stale.json");
    kusto_buf lock = {0}, temp = {0}, live_temp = {0};
    kusto_buf_printf(&lock, "%s.lockfile", path);
    pid_t gone = dead_pid();
    char text[32];
    snprintf(text, sizeof text, "%ld python", (long)gone);
    write_text(lock.data, text, 0600);
    kusto_buf_printf(&temp, "%s.tmp.%ld.1f", path, (long)gone);
    kusto_buf_printf(&live_temp, "%s.tmp.%ld.2f", path, (long)getppid());
    write_text(temp.data, "{\"secret\": 1}", 0600);
    write_text(live_temp.data, "{}", 0600);
    kusto_cache *cache = NULL;
    CHECK_INT(kusto_cache_new(&cache, path, NULL), KUSTO_OK);
    kusto_token *t = app_token("at-stale", kusto_now() + 3600);
    CHECK_INT(kusto_cache_store(cache, &app_key, t, NULL), KUSTO_OK);
    CHECK(access(lock.data, F_OK) != 0);
    CHECK(access(temp.data, F_OK) != 0);
    CHECK(access(live_temp.data, F_OK) == 0); /* its writer may still rename it */
    unlink(live_temp.data);

    /* msal-extensions with portalocker: holds a flock on the lock file it created, 400 ms. */
    int ready[2];
    CHECK(pipe(ready) == 0);
    pid_t holder = fork();
    if (holder == 0) {
        int fd = open(lock.data, O_RDWR | O_CREAT | O_EXCL, 0600);
        if (fd < 0 || flock(fd, LOCK_EX) != 0 || write(ready[1], "x", 1) != 1) _exit(3);
        pause_ms_for(400);
        flock(fd, LOCK_UN);
        close(fd);
        unlink(lock.data);
        kusto_buf_free(&lock);
        kusto_buf_free(&temp);
        kusto_buf_free(&live_temp);
        kusto_token_free(t);
        kusto_cache_free(cache);
        free(path);
        _exit(0);
    }
    char x;
    CHECK(read(ready[0], &x, 1) == 1);
    int64_t start = kusto_now_ms();
    kusto_cache_key other = app_key;
    other.client_id = "after-the-holder";
    CHECK_INT(kusto_cache_store(cache, &other, t, NULL), KUSTO_OK);
    CHECK(kusto_now_ms() - start >= 300);
    int status;
    CHECK(waitpid(holder, &status, 0) == holder && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(ready[0]);
    close(ready[1]);
    kusto_token_free(t);
    kusto_cache_free(cache);
    kusto_buf_free(&lock);
    kusto_buf_free(&temp);
    kusto_buf_free(&live_temp);
    free(path);
}

/* The file's mtime is the write time on the fine clock, never behind it: msal-extensions reloads only
   when mtime > the time.time() of its last sync. */
static void test_mtime_is_the_write_time(void) {
    char *path = path_in_dir("mtime.json");
    kusto_cache *cache = NULL;
    CHECK_INT(kusto_cache_new(&cache, path, NULL), KUSTO_OK);
    kusto_token *t = app_token("at-m", kusto_now() + 3600);
    for (int i = 0; i < 20; i++) {
        struct timespec before;
        clock_gettime(CLOCK_REALTIME, &before);
        CHECK_INT(kusto_cache_store(cache, &app_key, t, NULL), KUSTO_OK);
        struct stat st;
        CHECK(stat(path, &st) == 0);
        CHECK(st.st_mtim.tv_sec > before.tv_sec ||
              (st.st_mtim.tv_sec == before.tv_sec && st.st_mtim.tv_nsec > before.tv_nsec));
    }
    kusto_token_free(t);
    kusto_cache_free(cache);
    free(path);
}

static void test_home_account_id(void) {
    char *hid = kusto_home_account_id(CLIENT_INFO);
    CHECK_STR(hid, "u1.t1");
    free(hid);
    CHECK(kusto_home_account_id("not base64 json") == NULL);
    CHECK(kusto_home_account_id(NULL) == NULL);
}

static void test_default_paths(void) {
    char *path = NULL;
    setenv("XDG_CACHE_HOME", "/x/cache", 1);
    CHECK_INT(kusto_cache_file_default_path(&path, 0, NULL), KUSTO_OK);
    CHECK_STR(path, "/x/cache/libkusto/msal_token_cache.json");
    free(path);
    unsetenv("XDG_CACHE_HOME");
    setenv("HOME", "/home/ann", 1);
    CHECK_INT(kusto_cache_file_default_path(&path, 0, NULL), KUSTO_OK);
    CHECK_STR(path, "/home/ann/.cache/libkusto/msal_token_cache.json");
    free(path);
    CHECK_INT(kusto_cache_file_default_path(&path, 1, NULL), KUSTO_OK);
    CHECK_STR(path, "/home/ann/.azure/msal_token_cache.json");
    free(path);
    setenv("AZURE_CONFIG_DIR", "/cfg/az", 1);
    CHECK_INT(kusto_cache_file_default_path(&path, 1, NULL), KUSTO_OK);
    CHECK_STR(path, "/cfg/az/msal_token_cache.json");
    free(path);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/kusto-cache-test-XXXXXX");
    if (!mkdtemp(dir)) return 2;
    test_app_token_in_msal_schema();
    test_unknown_fields_and_sections_survive();
    test_user_tokens_accounts_and_rotation(0);
    test_user_tokens_accounts_and_rotation(1);
    test_tokens_of_another_name_of_the_cloud();
    test_unsafe_files_are_refused();
    test_corrupt_file_is_moved_aside();
    test_concurrent_processes();
    test_reader_waits_for_a_rewrite_in_place();
    test_stale_locks_and_temp_files();
    test_lock_is_unlinked_before_unlock();
    test_mtime_is_the_write_time();
    test_home_account_id();
    test_default_paths();
    char command[96];
    snprintf(command, sizeof command, "rm -rf %s", dir);
    if (system(command) != 0) return 2;
    CHECK_DONE();
}
