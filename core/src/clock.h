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

#endif
