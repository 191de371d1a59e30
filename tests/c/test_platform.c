/* core/src/platform.c: descriptors closed on exec, sends to a closed peer that fail with EPIPE instead of killing
   the process, strtod in the C locale, the program's name. `make check-posix` runs it on the portable forms. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "platform.h"

static int closed_on_exec(int fd) { return (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0; }

static volatile sig_atomic_t sigpipes;
static void count_sigpipe(int sig) { sigpipes++; }

/* A listening loopback socket, a client connected to it, and the accepted end. */
static void connected_pair(int *listener, int *client, int *accepted) {
    struct sockaddr_in addr = {.sin_family = AF_INET};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    *listener = kusto_socket_private(AF_INET, SOCK_STREAM);
    CHECK(*listener >= 0 && closed_on_exec(*listener));
    CHECK(bind(*listener, (struct sockaddr *)&addr, sizeof addr) == 0 && listen(*listener, 1) == 0 &&
          getsockname(*listener, (struct sockaddr *)&addr, &len) == 0);
    *client = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(connect(*client, (struct sockaddr *)&addr, sizeof addr) == 0);
    *accepted = kusto_accept_private(*listener);
    CHECK(*accepted >= 0 && closed_on_exec(*accepted));
}

static void test_a_closed_peer_is_epipe_not_a_signal(void) {
    int listener, client, accepted;
    connected_pair(&listener, &client, &accepted);
    CHECK_INT(kusto_send_nosignal(accepted, "hello", 5), 5);
    close(client);
    struct sigaction counting = {.sa_handler = count_sigpipe}, old;
    sigemptyset(&counting.sa_mask);
    sigaction(SIGPIPE, &counting, &old);
    /* The first sends after the close may succeed or meet the peer's reset; then comes EPIPE, the signal's case. */
    ssize_t n = 0;
    int e = 0;
    for (int i = 0; i < 100 && e != EPIPE; i++) {
        n = kusto_send_nosignal(accepted, "hello", 5);
        e = n < 0 ? errno : 0;
    }
    CHECK_INT(n, -1);
    CHECK_INT(e, EPIPE);
    CHECK_INT(sigpipes, 0);
    sigset_t pending;
    sigpending(&pending);
    CHECK_INT(sigismember(&pending, SIGPIPE), 0);
    sigaction(SIGPIPE, &old, NULL);
    close(accepted);
    close(listener);
}

static void test_pipes_are_closed_on_exec(void) {
    int fds[2] = {-1, -1};
    CHECK_INT(kusto_pipe_private(fds), 0);
    CHECK(closed_on_exec(fds[0]) && closed_on_exec(fds[1]));
    CHECK_INT(write(fds[1], "x", 1), 1);
    char c = 0;
    CHECK(read(fds[0], &c, 1) == 1 && c == 'x');
    close(fds[0]);
    close(fds[1]);
}

static void test_strtod_in_the_given_locale_leaves_the_threads_own(void) {
    locale_t c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    locale_t before = uselocale((locale_t)0);
    char *end = NULL;
    const char *text = "2.5e-3x";
    CHECK(kusto_strtod_l(text, &end, c_locale) == 2.5e-3);
    CHECK(end == text + 6);
    CHECK(uselocale((locale_t)0) == before);
    freelocale(c_locale);
}

static void test_a_missing_compiled_in_ca_file_falls_back_to_the_systems(void) {
    CHECK(kusto_system_ca_file(NULL) == NULL || access(kusto_system_ca_file(NULL), R_OK) == 0);
    const char *found = kusto_system_ca_file("/nonexistent/ca-bundle.crt");
    if (access("/etc/ssl/certs/ca-certificates.crt", R_OK) == 0) {
        CHECK_STR(found, "/etc/ssl/certs/ca-certificates.crt");
        CHECK(kusto_system_ca_file("/etc/ssl/certs/ca-certificates.crt") == NULL); /* libcurl's own is there */
    }
}

static void test_program_name(void) {
#ifdef KUSTO_PORTABLE_FALLBACKS
    CHECK_STR(kusto_program_name(), "libkusto");
#else
    CHECK_STR(kusto_program_name(), "test_platform");
#endif
}

int main(void) {
    test_a_closed_peer_is_epipe_not_a_signal();
    test_pipes_are_closed_on_exec();
    test_strtod_in_the_given_locale_leaves_the_threads_own();
    test_a_missing_compiled_in_ca_file_falls_back_to_the_systems();
    test_program_name();
    CHECK_DONE();
}
