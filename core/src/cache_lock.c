/* The token cache's cross-process lock, interoperating with msal-extensions' CrossPlatLock. */
#include "cache_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cache_file.h"
#include "clock.h"
#include "error.h"
#include "token.h"

#define GIVE_UP_MS 30000   /* a live writer holding the lock this long is stuck */
#define STALE_CHECK_MS 250 /* msal-extensions' own poll interval */
#define STALE_AGE_S 10     /* no writer holds the lock this long: a crash left it */
#define LONGEST_POLL_MS 250
#define LONGEST_GAP_MS 100
#define QUEUE_WAIT_MS 10000

struct kusto_cache_lock {
    char *path;
    int fd;
    int queue_fd; /* the directory, flocked: libkusto's own queue; -1 where flock on it fails */
    int64_t taken_us;
};

/* ---- the libkusto queue -------------------------------------------------------------------------- */

static void sleep_ms(int64_t ms) { kusto_sleep_until_ms(kusto_now_ms() + ms, 1000, NULL, NULL); }

static int64_t now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Polled, not a blocking flock: a child forked while its parent held the queue keeps it until it exits, and
   after QUEUE_WAIT_MS the lock file alone (still safe, only less fair) has to do. */
static int join_queue(const char *cache_path) {
    char *dir = kusto_cache_file_dir(cache_path);
    int fd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    free(dir);
    for (int64_t start = kusto_now_ms(); fd >= 0;) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) return fd;
        if ((errno != EWOULDBLOCK && errno != EINTR) || kusto_now_ms() - start >= QUEUE_WAIT_MS) break;
        sleep_ms(2);
    }
    if (fd >= 0) close(fd); /* a file system without flock, or a queue stuck: no queue */
    return -1;
}

/* ---- the lock file ------------------------------------------------------------------------------- */

/* The descriptor is still the file at `path`: nobody removed or replaced it since it was opened. */
static int still_at_path(int fd, const char *path) {
    struct stat mine, there;
    return fstat(fd, &mine) == 0 && mine.st_nlink > 0 && lstat(path, &there) == 0 && mine.st_dev == there.st_dev &&
           mine.st_ino == there.st_ino;
}

/* One try: the locked descriptor, or -1 with errno EEXIST / EAGAIN (someone holds it) or another error. */
static int try_create(const char *lock_path) {
    int fd = open(lock_path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return -1;
    /* A timed-out msal-extensions may have opened and locked the new file already, or removed it. */
    if (flock(fd, LOCK_EX | LOCK_NB) != 0 || !still_at_path(fd, lock_path)) {
        close(fd);
        errno = EAGAIN;
        return -1;
    }
    char text[48];
    int n = snprintf(text, sizeof text, "%ld libkusto", (long)getpid());
    if (write(fd, text, (size_t)n) < 0) { /* the pid only helps people and stale checks */
    }
    return fd;
}

static long holder_pid(int fd, char *text, size_t size) {
    ssize_t n = pread(fd, text, size - 1, 0);
    text[n > 0 ? n : 0] = '\0';
    text[strcspn(text, "\r\n")] = '\0';
    return n > 0 ? strtol(text, NULL, 10) : 0;
}

/* Removes a lock file that no writer holds: nobody flocks it (msal-extensions with portalocker holds a
   flock; without it, it does not) and its pid is gone, or it is older than any write takes. 1 when the
   path is free now. */
static int remove_if_stale(const char *lock_path) {
    int fd = open(lock_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT;
    int removed = 0;
    char text[64];
    struct stat st;
    if (flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &st) == 0) {
        long pid = holder_pid(fd, text, sizeof text);
        int dead = pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH;
        int old = kusto_now() - (int64_t)st.st_mtime >= STALE_AGE_S;
        if ((dead || old) && still_at_path(fd, lock_path) && unlink(lock_path) == 0) {
            fprintf(stderr, "libkusto: removed the stale token cache lock %s (%s)\n", lock_path,
                    dead ? "its process is gone" : "left over 10 s ago");
            removed = 1;
        }
    }
    close(fd);
    return removed;
}

/* Different in every process and call (random() would repeat the same sequence in each process). */
static uint64_t jitter_bits(void) {
    static _Atomic uint64_t counter;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t z = ((uint64_t)getpid() << 40) ^ (uint64_t)ts.tv_nsec ^ (counter++ * 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u; /* splitmix64's finaliser */
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* Waits 4 ms doubling to 250 ms (msal-extensions polls every 250 ms), each jittered down by up to half,
   so that waiters do not poll in step. */
static int64_t poll_interval(int attempt) {
    int64_t base = attempt < 6 ? (int64_t)4 << attempt : LONGEST_POLL_MS;
    if (base > LONGEST_POLL_MS) base = LONGEST_POLL_MS;
    return base / 2 + (int64_t)(jitter_bits() % (uint64_t)(base / 2 + 1));
}

static kusto_status held_too_long(const char *lock_path, kusto_error **err) {
    char text[64] = "";
    int fd = open(lock_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
        holder_pid(fd, text, sizeof text);
        close(fd);
    }
    return kusto_fail(err, KUSTO_E_ARGUMENT,
                      "token cache: the lock %s has been held for %d s (by \"%s\"); remove it if that process "
                      "is stuck",
                      lock_path, GIVE_UP_MS / 1000, text);
}

static int wait_for_lock_file(const char *lock_path, kusto_status *status, kusto_error **err) {
    int64_t start = kusto_now_ms(), next_stale_check = start + STALE_CHECK_MS;
    for (int attempt = 0;; attempt++) {
        int fd = try_create(lock_path);
        if (fd >= 0) return fd;
        if (errno != EEXIST && errno != EAGAIN) {
            *status = kusto_fail(err, errno == ENOMEM ? KUSTO_E_NOMEM : KUSTO_E_ARGUMENT,
                                 "token cache: cannot create the lock %s: %s", lock_path, strerror(errno));
            return -1;
        }
        int64_t now = kusto_now_ms();
        if (now >= next_stale_check) {
            next_stale_check = now + STALE_CHECK_MS;
            if (remove_if_stale(lock_path)) continue;
        }
        if (now - start >= GIVE_UP_MS) {
            *status = held_too_long(lock_path, err);
            return -1;
        }
        sleep_ms(poll_interval(attempt));
    }
}

kusto_status kusto_cache_lock_take(const char *path, kusto_cache_lock **out, kusto_error **err) {
    *out = NULL;
    kusto_status status = kusto_cache_file_prepare_dir(path, err);
    if (status != KUSTO_OK) return status;
    kusto_cache_lock *lock = calloc(1, sizeof *lock);
    kusto_buf lock_path = {0};
    if (!lock || kusto_buf_printf(&lock_path, "%s.lockfile", path) != 0) {
        free(lock);
        return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    }
    lock->path = kusto_buf_take(&lock_path);
    lock->queue_fd = join_queue(path);
    lock->fd = wait_for_lock_file(lock->path, &status, err);
    if (lock->fd < 0) {
        if (lock->queue_fd >= 0) close(lock->queue_fd);
        free(lock->path);
        free(lock);
        return status;
    }
    lock->taken_us = now_us();
    *out = lock;
    return KUSTO_OK;
}

void kusto_cache_lock_release(kusto_cache_lock *lock) {
    if (!lock) return;
    int64_t held_us = now_us() - lock->taken_us;
    unlink(lock->path); /* while still locked: whoever flocks this inode next sees it unlinked */
    close(lock->fd);
    if (lock->queue_fd >= 0) {
        /* The lock file stays free a while before the next libkusto process may take it: other programs
           poll for it every 250 ms and would otherwise never find it free under libkusto load. */
        int64_t gap_us = held_us < LONGEST_GAP_MS * 1000 ? held_us : LONGEST_GAP_MS * 1000;
        struct timespec gap = {gap_us / 1000000, (gap_us % 1000000) * 1000};
        nanosleep(&gap, NULL);
        close(lock->queue_fd);
    }
    free(lock->path);
    free(lock);
}
