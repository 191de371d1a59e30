/* The token cache file: place, protection, cross-process lock, atomic replace. */
#include "cache_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "error.h"

#define CACHE_FILE_NAME "msal_token_cache.json"

/* ---- place --------------------------------------------------------------------------------------- */

static const char *home_dir(void) {
    const char *home = getenv("HOME");
    return home && *home ? home : NULL;
}

kusto_status kusto_cache_file_default_path(char **out, int azure_cli, kusto_error **err) {
    kusto_buf path = {0};
    const char *dir = getenv(azure_cli ? "AZURE_CONFIG_DIR" : "XDG_CACHE_HOME"), *home = home_dir();
    *out = NULL;
    if (dir && *dir) {
        kusto_buf_printf(&path, azure_cli ? "%s/" CACHE_FILE_NAME : "%s/libkusto/" CACHE_FILE_NAME, dir);
    } else if (home) {
        kusto_buf_printf(&path, azure_cli ? "%s/.azure/" CACHE_FILE_NAME : "%s/.cache/libkusto/" CACHE_FILE_NAME, home);
    } else {
        return kusto_fail(err, KUSTO_E_ARGUMENT, "no place for the token cache: HOME is not set (give cache_path)");
    }
    *out = kusto_buf_take(&path);
    return *out ? KUSTO_OK : kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
}

static char *with_suffix(const char *path, const char *suffix) {
    kusto_buf b = {0};
    kusto_buf_printf(&b, "%s%s", path, suffix);
    return kusto_buf_take(&b);
}

char *kusto_cache_file_dir(const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash) return kusto_strdup(".");
    return kusto_strndup(path, slash == path ? 1 : (size_t)(slash - path));
}

/* ---- protection ---------------------------------------------------------------------------------- */

static kusto_status io_error(kusto_error **err, const char *what, const char *path, int errnum) {
    if (errnum == ENOMEM) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    return kusto_fail(err, KUSTO_E_ARGUMENT, "token cache: cannot %s %s: %s", what, path, strerror(errnum));
}

static kusto_status check_owner_and_mode(const struct stat *st, const char *path, int is_dir, kusto_error **err) {
    if (st->st_uid != geteuid())
        return kusto_fail(err, KUSTO_E_UNTRUSTED, "token cache %s is owned by another user (uid %ld): refusing it",
                          path, (long)st->st_uid);
    if (is_dir ? !S_ISDIR(st->st_mode) : !S_ISREG(st->st_mode))
        return kusto_fail(err, KUSTO_E_UNTRUSTED, "token cache %s is not a %s: refusing it", path,
                          is_dir ? "directory" : "regular file");
    /* A directory others may write to lets them swap the file; a file others may read leaks tokens. */
    mode_t forbidden = is_dir ? (S_IWGRP | S_IWOTH) : (S_IRWXG | S_IRWXO);
    if (st->st_mode & forbidden)
        return kusto_fail(err, KUSTO_E_UNTRUSTED,
                          "token cache %s has mode %04o (%s by group or others): refusing it; chmod %s it", path,
                          (unsigned)(st->st_mode & 07777), is_dir ? "writable" : "readable or writable",
                          is_dir ? "go-w" : "600");
    return KUSTO_OK;
}

static kusto_status check_dir(const char *path, kusto_error **err) {
    char *dir = kusto_cache_file_dir(path);
    if (!dir) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    struct stat st;
    kusto_status status = KUSTO_OK;
    if (stat(dir, &st) == 0) status = check_owner_and_mode(&st, dir, 1, err);
    else if (errno != ENOENT) status = io_error(err, "inspect", dir, errno);
    free(dir);
    return status;
}

/* Opens read-only without following a symlink and checks what was opened (no race between check and
   use); -1 with *absent set when there is no file. */
static int open_checked(const char *path, int *absent, kusto_status *status, kusto_error **err) {
    *absent = 0;
    *status = check_dir(path, err);
    if (*status != KUSTO_OK) return -1;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT) *absent = 1;
        else if (errno == ELOOP)
            *status = kusto_fail(err, KUSTO_E_UNTRUSTED, "token cache %s is a symbolic link: refusing it", path);
        else *status = io_error(err, "open", path, errno);
        return -1;
    }
    struct stat st;
    *status = fstat(fd, &st) == 0 ? check_owner_and_mode(&st, path, 0, err) : io_error(err, "inspect", path, errno);
    if (*status != KUSTO_OK) {
        close(fd);
        return -1;
    }
    return fd;
}

kusto_status kusto_cache_file_check(const char *path, kusto_error **err) {
    int absent;
    kusto_status status;
    int fd = open_checked(path, &absent, &status, err);
    if (fd >= 0) close(fd);
    return status;
}

/* ---- directory ----------------------------------------------------------------------------------- */

/* mkdir -p with 0700 for what is created. */
static int make_dirs(const char *dir) {
    struct stat st;
    if (stat(dir, &st) == 0) return S_ISDIR(st.st_mode) ? 0 : (errno = ENOTDIR, -1);
    char *parent = kusto_cache_file_dir(dir);
    if (!parent) return errno = ENOMEM, -1;
    int failed = strcmp(parent, dir) != 0 && make_dirs(parent) != 0;
    free(parent);
    if (failed) return -1;
    return mkdir(dir, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

kusto_status kusto_cache_file_prepare_dir(const char *path, kusto_error **err) {
    char *dir = kusto_cache_file_dir(path);
    if (!dir) return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    kusto_status status = make_dirs(dir) == 0 ? KUSTO_OK : io_error(err, "create the directory", dir, errno);
    free(dir);
    return status == KUSTO_OK ? check_dir(path, err) : status;
}

/* ---- read and write ------------------------------------------------------------------------------ */

kusto_status kusto_cache_file_read(const char *path, kusto_buf *out, kusto_error **err) {
    int absent;
    kusto_status status;
    int fd = open_checked(path, &absent, &status, err);
    if (fd < 0) return absent ? KUSTO_OK : status;
    char chunk[8192];
    ssize_t n;
    while ((n = read(fd, chunk, sizeof chunk)) > 0) {
        if (kusto_buf_append(out, chunk, (size_t)n) != 0) {
            status = kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
            break;
        }
    }
    if (n < 0 && status == KUSTO_OK) status = io_error(err, "read", path, errno);
    memset(chunk, 0, sizeof chunk);
    close(fd);
    return status;
}

static int write_all(int fd, const char *data, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

static int fsync_dir(const char *path) {
    char *dir = kusto_cache_file_dir(path);
    int fd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    free(dir);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Unpredictable, so that nobody can place a file or link where the next temporary file goes. */
static unsigned long random_suffix(void) {
    unsigned long r = 0;
    RAND_bytes((unsigned char *)&r, sizeof r);
    return r;
}

/* Stamps the file with the fine clock: Linux's own mtimes come from a coarse one that may lag the
   time.time() msal-extensions compares them with, and then it would not reload. */
static void stamp_now(int fd) {
    struct timespec now[2];
    clock_gettime(CLOCK_REALTIME, &now[0]);
    now[1] = now[0];
    futimens(fd, now);
}

/* "<name>.tmp.<pid>.<random>" whose writer is gone: it was killed between create and rename, and the file
   holds tokens. */
static int abandoned_temp(const char *entry, const char *base) {
    size_t n = strlen(base);
    if (strncmp(entry, base, n) != 0 || strncmp(entry + n, ".tmp.", 5) != 0) return 0;
    char *end;
    long pid = strtol(entry + n + 5, &end, 10);
    return pid > 0 && *end == '.' && pid != (long)getpid() && kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

static void remove_abandoned_temps(const char *path) {
    char *dir = kusto_cache_file_dir(path);
    const char *slash = strrchr(path, '/');
    DIR *d = dir ? opendir(dir) : NULL;
    for (struct dirent *e; d && (e = readdir(d));) {
        struct stat st;
        if (abandoned_temp(e->d_name, slash ? slash + 1 : path) &&
            fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
            st.st_uid == geteuid())
            unlinkat(dirfd(d), e->d_name, 0);
    }
    if (d) closedir(d);
    free(dir);
}

kusto_status kusto_cache_file_write(const char *path, const char *data, size_t len, kusto_error **err) {
    kusto_status status = kusto_cache_file_prepare_dir(path, err);
    if (status != KUSTO_OK) return status;
    remove_abandoned_temps(path);
    kusto_buf tmp = {0};
    if (kusto_buf_printf(&tmp, "%s.tmp.%ld.%lx", path, (long)getpid(), random_suffix()) != 0)
        return kusto_fail(err, KUSTO_E_NOMEM, "out of memory");
    int fd = open(tmp.data, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        status = io_error(err, "create", tmp.data, errno);
    } else if (write_all(fd, data, len) != 0 || (stamp_now(fd), fsync(fd)) != 0) {
        status = io_error(err, "write", tmp.data, errno);
        unlink(tmp.data);
    } else if (rename(tmp.data, path) != 0) {
        status = io_error(err, "replace", path, errno);
        unlink(tmp.data);
    } else {
        stamp_now(fd);   /* the write time is the rename's, after any reader's last sync */
        fsync_dir(path); /* the rename is durable once the directory is */
    }
    if (fd >= 0) close(fd);
    kusto_buf_free(&tmp);
    return status;
}

int kusto_cache_file_quarantine(const char *path) {
    char *aside = with_suffix(path, ".corrupt");
    int rc = aside ? rename(path, aside) : -1;
    if (aside && rc == 0) chmod(aside, 0600);
    free(aside);
    return rc;
}
