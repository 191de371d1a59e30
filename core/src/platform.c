/* The portable forms behind platform.h. The one-call forms close races (a descriptor leaking into a child another
   thread spawns between accept and fcntl) or save a system call; the plain ones are what POSIX guarantees. */
#include <stdlib.h>
#include <string.h>

#if !defined(KUSTO_PORTABLE_FALLBACKS) && defined(__GLIBC__) && defined(_GNU_SOURCE)
#define HAVE_LINUX_CALLS 1
#endif
#if !defined(KUSTO_PORTABLE_FALLBACKS) && (defined(__APPLE__) || defined(__FreeBSD__) || defined(__NetBSD__) || \
                                           defined(__OpenBSD__) || defined(__DragonFly__))
#define HAVE_GETPROGNAME 1
#endif

#include "platform.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef HAVE_LINUX_CALLS
static int close_on_exec(int fd) {
    int flags = fcntl(fd, F_GETFD);
    return flags < 0 ? -1 : fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

/* Closes the descriptor of a call that failed after creating it, keeping that failure's errno; -1. */
static int fail_closing(int fd) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
}
#endif

int kusto_socket_private(int domain, int type) {
#if defined(SOCK_CLOEXEC) && !defined(KUSTO_PORTABLE_FALLBACKS)
    return socket(domain, type | SOCK_CLOEXEC, 0);
#else
    int fd = socket(domain, type, 0);
    return fd >= 0 && close_on_exec(fd) != 0 ? fail_closing(fd) : fd;
#endif
}

int kusto_accept_private(int listen_fd) {
#ifdef HAVE_LINUX_CALLS
    return accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
#else
    int fd = accept(listen_fd, NULL, NULL);
    if (fd < 0) return -1;
    if (close_on_exec(fd) != 0) return fail_closing(fd);
#if defined(SO_NOSIGPIPE) && !defined(KUSTO_PORTABLE_FALLBACKS)
    int on = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof on) != 0) return fail_closing(fd);
#endif
    return fd;
#endif
}

int kusto_pipe_private(int fds[2]) {
#ifdef HAVE_LINUX_CALLS
    return pipe2(fds, O_CLOEXEC);
#else
    if (pipe(fds) != 0) return -1;
    if (close_on_exec(fds[0]) == 0 && close_on_exec(fds[1]) == 0) return 0;
    fail_closing(fds[0]);
    fail_closing(fds[1]);
    fds[0] = fds[1] = -1;
    return -1;
#endif
}

#if !(defined(MSG_NOSIGNAL) && !defined(KUSTO_PORTABLE_FALLBACKS)) && \
    !(defined(SO_NOSIGPIPE) && !defined(KUSTO_PORTABLE_FALLBACKS))
static int sigpipe_pending(void) {
    sigset_t pending;
    return sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1;
}

/* SIGPIPE for a socket goes to the sending thread: blocked there, it stays pending and is taken back
   (unless one was pending before, which is not ours), so no handler or default action ever sees it. */
static ssize_t send_blocking_sigpipe(int fd, const void *data, size_t len) {
    sigset_t pipe_only, old;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    int was_pending = sigpipe_pending();
    pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
    ssize_t n = send(fd, data, len, 0);
    int e = errno;
    int sig;
    if (n < 0 && e == EPIPE && !was_pending && sigpipe_pending()) sigwait(&pipe_only, &sig);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = e;
    return n;
}
#endif

ssize_t kusto_send_nosignal(int fd, const void *data, size_t len) {
#if defined(MSG_NOSIGNAL) && !defined(KUSTO_PORTABLE_FALLBACKS)
    return send(fd, data, len, MSG_NOSIGNAL);
#elif defined(SO_NOSIGPIPE) && !defined(KUSTO_PORTABLE_FALLBACKS)
    return send(fd, data, len, 0); /* kusto_accept_private set SO_NOSIGPIPE */
#else
    return send_blocking_sigpipe(fd, data, len);
#endif
}

double kusto_strtod_l(const char *text, char **end, locale_t locale) {
#ifdef HAVE_LINUX_CALLS
    return strtod_l(text, end, locale);
#else
    locale_t previous = uselocale(locale);
    double d = strtod(text, end);
    uselocale(previous);
    return d;
#endif
}

/* Debian/Ubuntu/Arch, Fedora/RHEL, openSUSE, RHEL 7, Alpine/macOS/BSD (Go's crypto/x509 looks in the same). */
/* clang-format off */
static const char *const ca_files[] = {
    "/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/ca-bundle.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", "/etc/ssl/cert.pem",
};
/* clang-format on */

const char *kusto_system_ca_file(const char *compiled_in) {
    if (compiled_in && access(compiled_in, R_OK) == 0) return NULL;
    for (size_t i = 0; i < sizeof ca_files / sizeof ca_files[0]; i++)
        if (access(ca_files[i], R_OK) == 0) return ca_files[i];
    return NULL;
}

const char *kusto_program_name(void) {
#if defined(HAVE_LINUX_CALLS)
    return program_invocation_short_name;
#elif defined(HAVE_GETPROGNAME)
    const char *name = getprogname();
    return name ? name : "libkusto";
#else
    return "libkusto";
#endif
}
