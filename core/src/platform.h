/* Internal: what differs between the POSIX systems libkusto builds on (Linux, macOS, the BSDs), in one place.
   Where the system has a one-call form (Linux with _GNU_SOURCE: accept4, pipe2, MSG_NOSIGNAL, strtod_l,
   program_invocation_short_name) it is used; elsewhere a sequence of plain POSIX calls does the same.
   KUSTO_PORTABLE_FALLBACKS forces the plain sequences everywhere (`make check-posix` builds and tests them). */
#ifndef KUSTO_PLATFORM_H
#define KUSTO_PLATFORM_H

#include <locale.h>
#include <stddef.h>
#include <sys/types.h>

/* socket(2) closed on exec; -1 and errno on failure. */
int kusto_socket_private(int domain, int type);

/* accept(2) whose descriptor is closed on exec and whose sends never raise SIGPIPE; -1 and errno on failure. */
int kusto_accept_private(int listen_fd);

/* pipe(2) with both ends closed on exec; 0, or -1 and errno (neither end left open). */
int kusto_pipe_private(int fds[2]);

/* send(2) that reports a closed peer as EPIPE instead of killing the process with SIGPIPE. */
ssize_t kusto_send_nosignal(int fd, const void *data, size_t len);

/* strtod in the given locale (the caller passes a "C" one), whatever the thread's own locale is. */
double kusto_strtod_l(const char *text, char **end, locale_t locale);

/* The system's CA bundle when libcurl's compiled-in one (`compiled_in`, may be NULL) is not there, as when a
   libcurl built on Debian comes in a wheel to Fedora: the first readable of the places distributions use. NULL
   when libcurl's own is there or none is found (libcurl's default then stands). */
const char *kusto_system_ca_file(const char *compiled_in);

/* The running program's short name (for x-ms-app), or "libkusto" where the system cannot say. */
const char *kusto_program_name(void);

#endif
