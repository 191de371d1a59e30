/* One kusto_client shared by 8 threads against the running emulator (see e2e_client.c): every
   query answers its own value, and the threads share one sign-in. Also built with
   ThreadSanitizer (make check-tsan). */
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "e2e.h"
#include "kusto.h"

#define THREADS 8
#define QUERIES_PER_THREAD 6

typedef struct worker {
    kusto_client *client;
    int index;
    int right, wrong;
} worker;

static void *run_worker(void *arg) {
    worker *w = arg;
    for (int i = 0; i < QUERIES_PER_THREAD; i++) {
        long long expected = w->index * 1000 + i;
        char csl[64];
        snprintf(csl, sizeof csl, "print n=%lld", expected);
        kusto_result *res = NULL;
        kusto_status status = kusto_client_query_collect(w->client, NULL, csl, NULL, &res, NULL);
        const kusto_table *primary = NULL;
        for (size_t t = 0; res && t < kusto_result_table_count(res); t++) {
            const kusto_table *table = kusto_result_table(res, t);
            if (strcmp(kusto_table_info_of(table)->kind, "PrimaryResult") == 0) primary = table;
        }
        const kusto_value *v = primary ? kusto_table_value(primary, 0, 0) : NULL;
        if (status == KUSTO_OK && v && v->kind == KUSTO_VALUE_INT && v->u.i == expected) w->right++;
        else w->wrong++;
        kusto_result_free(res);
    }
    return NULL;
}

static void test_eight_threads_share_one_client(void) {
    char token_path[200];
    snprintf(token_path, sizeof token_path, "/%s/oauth2/v2.0/token", cfg("tenant"));
    kusto_options *opts = NULL;
    kusto_client *client = NULL;
    kusto_options_new(&opts);
    kusto_options_set(opts, "ca_file", cfg("ca_file"));
    CHECK_INT(kusto_client_new(&client, cfg("connection_string"), opts, NULL), KUSTO_OK);
    kusto_options_free(opts);
    if (!client) return;
    int tokens_before = requests_to(token_path);
    worker workers[THREADS];
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++) {
        workers[i] = (worker){client, i, 0, 0};
        CHECK_INT(pthread_create(&threads[i], NULL, run_worker, &workers[i]), 0);
    }
    int right = 0, wrong = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        right += workers[i].right;
        wrong += workers[i].wrong;
    }
    CHECK_INT(right, THREADS * QUERIES_PER_THREAD);
    CHECK_INT(wrong, 0);
    CHECK_INT(requests_to(token_path) - tokens_before, 1); /* single-flight sign-in, then the cache */
    kusto_client_free(client);
}

int main(void) {
    if (load_config()) return 2;
    test_eight_threads_share_one_client();
    cJSON_Delete(config);
    CHECK_DONE();
}
