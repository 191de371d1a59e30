/* A libkusto writer of the token cache for tests/python/test_cache_interop.py: `cache_writer PATH TAG N STOP`
   stores application tokens (client ids "kusto-TAG-0", "kusto-TAG-1"...) in a tight loop, as fast as the
   lock lets it, at least N and until the file STOP exists, then prints how many and the longest store in
   milliseconds. Exit 1 on any failed store. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cache.h"
#include "clock.h"
#include "token.h"

int main(int argc, char **argv) {
    if (argc != 5) return 2;
    kusto_cache *cache = NULL;
    kusto_error *err = NULL;
    if (kusto_cache_new(&cache, argv[1], &err) != KUSTO_OK) {
        fprintf(stderr, "%s\n", kusto_error_message(err));
        return 1;
    }
    int64_t longest = 0;
    int i = 0;
    for (int n = atoi(argv[3]); i < n || access(argv[4], F_OK) != 0; i++) {
        char client[64];
        snprintf(client, sizeof client, "kusto-%s-%d", argv[2], i);
        kusto_cache_key key = {NULL,   "login.microsoftonline.com",  "contoso",
                               client, "https://c.example/.default", NULL};
        kusto_token *t = kusto_token_new("at", "Bearer", kusto_now() + 3600, "https://c.example", NULL);
        int64_t start = kusto_now_ms();
        if (kusto_cache_store(cache, &key, t, &err) != KUSTO_OK) {
            fprintf(stderr, "%s\n", kusto_error_message(err));
            return 1;
        }
        if (kusto_now_ms() - start > longest) longest = kusto_now_ms() - start;
        kusto_token_free(t);
    }
    printf("%d %lld\n", i, (long long)longest);
    kusto_cache_free(cache);
    return 0;
}
