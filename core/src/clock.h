/* Internal: the monotonic clock in milliseconds, for deadlines and waits. */
#ifndef KUSTO_CLOCK_H
#define KUSTO_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t kusto_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A deadline is a point on kusto_now_ms's clock by which a call must be done; 0 means none. One is
   taken when a call starts and shared by every request, wait and retry the call makes. */
static inline int64_t kusto_deadline_in(long ms) { return ms > 0 ? kusto_now_ms() + ms : 0; }

/* The earlier of two deadlines. */
static inline int64_t kusto_deadline_min(int64_t a, int64_t b) { return !a ? b : !b ? a : a < b ? a : b; }

/* Sleeps until `until_ms` (kusto_now_ms) in slices of at most `slice_ms`, asking `cancelled` (may be NULL)
   before each: -1 as soon as it says stop, else 0. */
static inline int kusto_sleep_until_ms(int64_t until_ms, long slice_ms, int (*cancelled)(void *ud), void *ud) {
    for (int64_t left; (left = until_ms - kusto_now_ms()) > 0;) {
        if (cancelled && cancelled(ud)) return -1;
        if (left > slice_ms) left = slice_ms;
        struct timespec step = {left / 1000, (left % 1000) * 1000000L};
        nanosleep(&step, NULL);
    }
    return 0;
}

#endif
