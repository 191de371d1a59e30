/* The core's response parser alone (not a test): a generated v2 body (bench/gen.py) fed from memory in
   16 KiB chunks, or fetched over loopback from bench/server.py, into a builder that does nothing
   (dynamic cells as JSON text) and one that takes dynamic events (as Python and Lua do); over loopback also
   the Arrow builder (kusto_arrow: every cell into Arrow columns, as query_arrow). Prints MB/s.
   `arrow-only` runs the Arrow builder from memory and nothing else, `no-op-only` the no-op builder (for perf
   and callgrind, to compare what the Arrow builder adds).

     parse_bench BODY.json [RUNS] [PORT ROWS [loopback-only [plain]]]     (make bench-parse)
     parse_bench BODY.json RUNS arrow-only|no-op-only */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kusto.h"
#include "parser.h"

#define CHUNK 16384

struct counts {
    size_t values, events;
    double sum; /* keeps the values used so nothing is optimised away */
};

static int on_value(void *ud, const kusto_value *v) {
    struct counts *c = ud;
    c->values++;
    if (v->kind == KUSTO_VALUE_REAL) c->sum += v->u.r;
    else if (v->kind == KUSTO_VALUE_INT || v->kind == KUSTO_VALUE_DATETIME) c->sum += (double)(v->u.i & 0xFF);
    return 0;
}
static int on_event(void *ud) {
    ((struct counts *)ud)->events++;
    return 0;
}
static int on_key(void *ud, const char *ptr, size_t len) {
    ((struct counts *)ud)->events += len > 0;
    return 0;
}

static const kusto_builder no_op = {.size = sizeof(kusto_builder), .value = on_value};
/* clang-format off */
static const kusto_builder with_events = {.size = sizeof(kusto_builder), .value = on_value, .begin_array = on_event,
                                          .end_array = on_event, .begin_object = on_event, .end_object = on_event,
                                          .key = on_key};
/* clang-format on */

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *read_all(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc(*len ? *len : 1);
    if (data && fread(data, 1, *len, f) != *len) {
        free(data);
        data = NULL;
    }
    fclose(f);
    return data;
}

static double from_memory(const char *body, size_t len, const kusto_builder *b, void *c) {
    kusto_parser *p;
    kusto_error *err = NULL;
    double start = now();
    if (kusto_parser_new(&p, b, c) != KUSTO_OK) exit(1);
    for (size_t at = 0; at < len; at += CHUNK) {
        size_t n = len - at < CHUNK ? len - at : CHUNK;
        if (kusto_parser_feed(p, body + at, n, &err) != KUSTO_OK) {
            fprintf(stderr, "feed: %s\n", kusto_error_message(err));
            exit(1);
        }
    }
    if (kusto_parser_finish(p, &err) != KUSTO_OK) {
        fprintf(stderr, "finish: %s\n", kusto_error_message(err));
        exit(1);
    }
    kusto_parser_free(p);
    return now() - start;
}

/* `form` "plain" asks bench/server.py for the body in one DataTable frame. */
static double over_loopback(const char *port, const char *rows, const char *form, const kusto_builder *b, void *c) {
    char connstr[128], csl[96];
    snprintf(connstr, sizeof connstr, "Data Source=http://127.0.0.1:%s;Initial Catalog=bench", port);
    snprintf(csl, sizeof csl, "bench | take rows=%s form=%s", rows, form);
    kusto_client *client;
    kusto_error *err = NULL;
    if (kusto_client_new(&client, connstr, NULL, &err) != KUSTO_OK) {
        fprintf(stderr, "client: %s\n", kusto_error_message(err));
        exit(1);
    }
    double start = now();
    if (kusto_client_query(client, NULL, csl, NULL, b, c, &err) != KUSTO_OK) {
        fprintf(stderr, "query: %s\n", kusto_error_message(err));
        exit(1);
    }
    double took = now() - start;
    kusto_client_free(client);
    return took;
}

/* Memory into the Arrow builder; the primary table's row count goes to c->values. */
static double arrow_from_memory(const char *body, size_t len, struct counts *c) {
    kusto_arrow *arrow = NULL;
    if (kusto_arrow_new(&arrow, 0) != KUSTO_OK) exit(1);
    double took = from_memory(body, len, kusto_arrow_builder(), arrow);
    c->values = kusto_arrow_table_row_count(arrow, (size_t)kusto_arrow_primary_index(arrow));
    kusto_arrow_free(arrow);
    return took;
}

static void report(const char *what, const double *times, int runs, size_t len, const struct counts *c) {
    double best = times[0];
    for (int i = 1; i < runs; i++)
        if (times[i] < best) best = times[i];
    printf("%-28s best %.3f s  %7.0f MB/s  (%zu values, %zu events)\n", what, best, (double)len / best / 1e6, c->values,
           c->events);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s BODY.json [RUNS] [PORT ROWS]\n", argv[0]);
        return 2;
    }
    size_t len;
    char *body = read_all(argv[1], &len);
    if (!body) {
        perror(argv[1]);
        return 1;
    }
    int runs = argc > 2 ? atoi(argv[2]) : 5;
    if (runs < 1 || runs > 100) runs = 5;
    double times[100];
    const kusto_builder *builders[] = {&no_op, &with_events};
    const char *names[] = {"no-op builder", "dynamic events"};
    int arrow_only = argc == 4 && strcmp(argv[3], "arrow-only") == 0;
    if (arrow_only || (argc == 4 && strcmp(argv[3], "no-op-only") == 0)) {
        struct counts c = {0};
        for (int i = 0; i < runs; i++) {
            c = (struct counts){0};
            times[i] = arrow_only ? arrow_from_memory(body, len, &c) : from_memory(body, len, &no_op, &c);
        }
        report(arrow_only ? "memory, Arrow builder" : "memory, no-op builder", times, runs, len, &c);
        free(body);
        return 0;
    }
    for (int b = 0; b < 2 && argc <= 5; b++) {
        struct counts c = {0};
        for (int i = 0; i < runs; i++) {
            c = (struct counts){0};
            times[i] = from_memory(body, len, builders[b], &c);
        }
        char what[64];
        snprintf(what, sizeof what, "memory, %s", names[b]);
        report(what, times, runs, len, &c);
    }
    const char *form = argc > 6 ? argv[6] : "fragmented";
    if (argc > 4) {
        for (int b = 0; b < 2; b++) {
            struct counts c = {0};
            for (int i = 0; i < runs; i++) {
                c = (struct counts){0};
                times[i] = over_loopback(argv[3], argv[4], form, builders[b], &c);
            }
            char what[64];
            snprintf(what, sizeof what, "loopback, %s", names[b]);
            report(what, times, runs, len, &c);
        }
        struct counts none = {0};
        for (int i = 0; i < runs; i++) {
            kusto_arrow *arrow = NULL;
            if (kusto_arrow_new(&arrow, 0) != KUSTO_OK) exit(1);
            times[i] = over_loopback(argv[3], argv[4], form, kusto_arrow_builder(), arrow);
            none.values = kusto_arrow_table_row_count(arrow, (size_t)kusto_arrow_primary_index(arrow));
            kusto_arrow_free(arrow);
        }
        report("loopback, Arrow builder", times, runs, len, &none);
    }
    free(body);
    return 0;
}
