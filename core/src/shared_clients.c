/* One client per connection string and options for the whole process (kusto_client_shared), so that
   one-shot calls share tokens, cloud metadata and connections. */
#include "shared_clients.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "client.h"
#include "error.h"
#include "options.h"
#include "process_cache.h"

typedef struct kusto_shared_client {
    char *key;
    kusto_client *client;
    int holders;   /* callers that have not let go */
    int forgotten; /* out of the table: freed when its last holder lets go */
    struct kusto_shared_client *next;
} shared;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static shared *table;

/* The cancel callback and page opener of this thread's call on a shared client: the client's own ask them. */
static _Thread_local kusto_prompts current;

static int current_call_cancelled(void *unused) {
    return current.cancelled ? current.cancelled(current.cancelled_ud) : 0;
}

/* Set only on a client whose callers all have an opener (key_of tells them apart). */
static int current_call_opener(void *unused, const char *url) {
    return current.opener ? current.opener(current.opener_ud, url) : 0;
}

/* The child of a fork must not use the parent's connections: it forgets the table (without freeing what
   the parent still uses) and makes its own clients. */
static void before_fork(void) { pthread_mutex_lock(&lock); }
static void after_fork_in_parent(void) { pthread_mutex_unlock(&lock); }
static void after_fork_in_child(void) {
    pthread_mutex_init(&lock, NULL);
    table = NULL;
}
static void install_fork_handlers(void) { pthread_atfork(before_fork, after_fork_in_parent, after_fork_in_child); }

/* The connection string and every option as given, in order, and whether the caller shows the sign-in page
   itself: equal keys make equal clients. It holds the secrets they hold: wiped when freed. */
static char *key_of(const char *connstr, const kusto_options *opts) {
    kusto_buf key = {0};
    kusto_buf_printf(&key, "%s\n%s", opts && kusto_options_prompts(opts).opener ? "opener" : "", connstr);
    for (size_t i = 0; opts && i < kusto_options_count(opts); i++) {
        const char *value = kusto_options_value(opts, i);
        kusto_buf_printf(&key, "\n%s%s%s", kusto_options_name(opts, i), value ? "=" : "", value ? value : "");
    }
    return kusto_buf_take(&key);
}

/* The caller's options without its cancel callback and page opener, which are per call here (current). */
static kusto_status options_for_sharing(const kusto_options *opts, kusto_options **out) {
    if (kusto_options_new(out) != KUSTO_OK) return KUSTO_E_NOMEM;
    kusto_status status = kusto_options_set_cancel_callback(*out, current_call_cancelled, NULL);
    if (status == KUSTO_OK && opts && kusto_options_prompts(opts).opener)
        status = kusto_options_set_browser_opener(*out, current_call_opener, NULL);
    for (size_t i = 0; opts && status == KUSTO_OK && i < kusto_options_count(opts); i++)
        status = kusto_options_set(*out, kusto_options_name(opts, i), kusto_options_value(opts, i));
    return status;
}

static shared *find(const char *key) {
    for (shared *s = table; s; s = s->next)
        if (strcmp(s->key, key) == 0) return s;
    return NULL;
}

static kusto_status add(char *key, const char *connstr, const kusto_options *opts, shared **out, kusto_error **err) {
    kusto_options *copy = NULL;
    shared *s = calloc(1, sizeof *s);
    kusto_status status = s ? options_for_sharing(opts, &copy) : KUSTO_E_NOMEM;
    if (status != KUSTO_OK) status = kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    if (status == KUSTO_OK) status = kusto_client_new(&s->client, connstr, copy, err);
    kusto_options_free(copy);
    if (status != KUSTO_OK) {
        free(s);
        kusto_secret_free(key);
        return status;
    }
    s->key = key;
    s->client->shared = s;
    s->next = table;
    table = *out = s;
    return KUSTO_OK;
}

kusto_status kusto_client_shared(kusto_client **out, const char *connstr, const kusto_options *opts,
                                 kusto_error **err) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, install_fork_handlers);
    *out = NULL;
    kusto_prompts prompts = opts ? kusto_options_prompts(opts) : (kusto_prompts){0};
    void *ud;
    if (opts && (kusto_options_token_callback(opts, &ud) || prompts.device_code || prompts.browser))
        return kusto_client_new(out, connstr, opts, err);
    char *key = connstr ? key_of(connstr, opts) : NULL;
    if (!key)
        return connstr ? kusto_fail(err, KUSTO_E_NOMEM, "out of memory") : kusto_client_new(out, connstr, opts, err);
    pthread_mutex_lock(&lock);
    shared *s = find(key);
    kusto_status status = KUSTO_OK;
    if (s) kusto_secret_free(key);
    else status = add(key, connstr, opts, &s, err);
    if (status == KUSTO_OK) {
        s->holders++;
        *out = s->client;
    }
    pthread_mutex_unlock(&lock);
    if (status == KUSTO_OK) current = prompts;
    return status;
}

static void drop(shared *s) {
    s->client->shared = NULL;
    kusto_client_free(s->client);
    kusto_secret_free(s->key);
    free(s);
}

int kusto_shared_client_release(kusto_client *client) {
    current = (kusto_prompts){0};
    pthread_mutex_lock(&lock);
    shared *s = client->shared;
    int last = --s->holders == 0 && s->forgotten;
    if (last) {
        client->shared = NULL;
        kusto_secret_free(s->key);
        free(s);
    }
    pthread_mutex_unlock(&lock);
    return last;
}

void kusto_process_state_clear(void) {
    pthread_mutex_lock(&lock);
    for (shared *s = table, *next; s; s = next) {
        next = s->next;
        s->forgotten = 1;
        if (s->holders == 0) drop(s);
    }
    table = NULL;
    pthread_mutex_unlock(&lock);
    kusto_process_cache_clear();
}
