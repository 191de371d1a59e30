/* The process's log callback: one for all clients (as libgit2's git_trace_set). It is called outside the lock:
   a callback that waits for an interpreter lock must not block a thread that holds it and sets the callback. */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static kusto_log_callback callback;
static void *callback_ud;
static atomic_int level_wanted = KUSTO_LOG_OFF; /* the cheap check before any formatting */

void kusto_set_log_callback(kusto_log_callback fn, void *ud, kusto_log_level level) {
    pthread_mutex_lock(&lock);
    callback = fn;
    callback_ud = fn ? ud : NULL;
    atomic_store(&level_wanted, fn ? (int)level : KUSTO_LOG_OFF);
    pthread_mutex_unlock(&lock);
}

void kusto_log(kusto_log_level level, const char *fmt, ...) {
    if ((int)level < atomic_load_explicit(&level_wanted, memory_order_relaxed)) return;
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&lock);
    kusto_log_callback fn = callback;
    void *ud = callback_ud;
    pthread_mutex_unlock(&lock);
    if (fn) fn(ud, level, message);
}
