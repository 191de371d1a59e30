/* A minimal test harness: CHECK records a failure and goes on; each test binary ends with
   CHECK_DONE(), which prints "N passed, N failed" and sets the exit status. */
#ifndef KUSTO_CHECK_H
#define KUSTO_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_passed, check_failed;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (cond) {                                                                  \
            check_passed++;                                                          \
        } else {                                                                     \
            check_failed++;                                                          \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                            \
    } while (0)

#define CHECK_STR(actual, expected)                                                                                    \
    do {                                                                                                               \
        const char *a_ = (actual), *e_ = (expected);                                                                   \
        if ((a_ == NULL && e_ == NULL) || (a_ && e_ && strcmp(a_, e_) == 0)) {                                         \
            check_passed++;                                                                                            \
        } else {                                                                                                       \
            check_failed++;                                                                                            \
            fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #actual, a_ ? a_ : "(null)", \
                    e_ ? e_ : "(null)");                                                                               \
        }                                                                                                              \
    } while (0)

#define CHECK_INT(actual, expected)                                                                     \
    do {                                                                                                \
        long long a_ = (long long)(actual), e_ = (long long)(expected);                                 \
        if (a_ == e_) {                                                                                 \
            check_passed++;                                                                             \
        } else {                                                                                        \
            check_failed++;                                                                             \
            fprintf(stderr, "%s:%d: %s is %lld, expected %lld\n", __FILE__, __LINE__, #actual, a_, e_); \
        }                                                                                               \
    } while (0)

#define CHECK_DONE()                                                                \
    do {                                                                            \
        printf("%s: %d passed, %d failed\n", __FILE__, check_passed, check_failed); \
        return check_failed ? 1 : 0;                                                \
    } while (0)

#endif
