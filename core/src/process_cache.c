/* Accepted GET answers shared by every client of the process (cloud metadata, OpenID configurations). */
#include "process_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "error.h"

#define KEPT_MS (24 * 3600 * 1000LL)

typedef struct answer {
    char *url;
    long status;
    kusto_buf body;
    int64_t expires_ms;
    struct answer *next;
} answer;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static answer *answers;

static void before_fork(void) { pthread_mutex_lock(&lock); }
static void after_fork(void) { pthread_mutex_unlock(&lock); }
static void install_fork_handlers(void) { pthread_atfork(before_fork, after_fork, after_fork); }
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void free_answer(answer *a) {
    free(a->url);
    kusto_buf_free(&a->body);
    free(a);
}

/* The live answer for `url`; expired ones on the way are dropped. Under the lock. */
static answer *find(const char *url) {
    int64_t now = kusto_now_ms();
    for (answer **p = &answers; *p;) {
        answer *a = *p;
        if (a->expires_ms <= now) {
            *p = a->next;
            free_answer(a);
        } else if (strcmp(a->url, url) == 0) {
            return a;
        } else {
            p = &a->next;
        }
    }
    return NULL;
}

int kusto_process_cache_get(const char *url, long *status, kusto_buf *body) {
    pthread_once(&once, install_fork_handlers);
    pthread_mutex_lock(&lock);
    answer *a = find(url);
    int found = a && kusto_buf_append(body, a->body.data ? a->body.data : "", a->body.len) == 0;
    if (found) *status = a->status;
    pthread_mutex_unlock(&lock);
    return found;
}

void kusto_process_cache_put(const char *url, long status, const kusto_buf *body) {
    pthread_once(&once, install_fork_handlers);
    answer *a = calloc(1, sizeof *a);
    if (!a || !(a->url = kusto_strdup(url)) || kusto_buf_append(&a->body, body->data ? body->data : "", body->len)) {
        if (a) free_answer(a);
        return; /* not kept: the next client asks again */
    }
    a->status = status;
    a->expires_ms = kusto_now_ms() + KEPT_MS;
    pthread_mutex_lock(&lock);
    for (answer **p = &answers; *p; p = &(*p)->next) {
        if (strcmp((*p)->url, url) == 0) {
            answer *old = *p;
            *p = old->next;
            free_answer(old);
            break;
        }
    }
    a->next = answers;
    answers = a;
    pthread_mutex_unlock(&lock);
}

void kusto_process_cache_clear(void) {
    pthread_mutex_lock(&lock);
    while (answers) {
        answer *a = answers;
        answers = a->next;
        free_answer(a);
    }
    pthread_mutex_unlock(&lock);
}
