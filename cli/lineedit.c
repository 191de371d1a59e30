/*
 * Reading lines at the prompt: GNU readline (editing, history) when built with it (HAVE_READLINE, which the
 * Makefile sets when its header is there), else plain lines from the terminal. SIGINT is let in only while
 * pselect() waits for input, so a Ctrl-C is never missed between the check and the wait.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

#include "cli.h"

#ifdef HAVE_READLINE
#include <readline/history.h>
#include <readline/readline.h>
#endif

#define HISTORY_LINES 2000

static const char *history_file;

/* Waits until stdin has input (1) or Ctrl-C was pressed (0). */
static int wait_for_input(const sigset_t *waiting) {
    while (!cli_interrupted) {
        fd_set fds;
        FD_ZERO(&fds);
        FD_SET(STDIN_FILENO, &fds);
        if (pselect(STDIN_FILENO + 1, &fds, NULL, NULL, NULL, waiting) > 0) return 1;
    }
    return 0;
}

#ifdef HAVE_READLINE

static char *line_read;
static int line_done;

static void on_line(char *line) {
    line_read = line;
    line_done = 1;
    rl_callback_handler_remove();
}

static char *read_edited(const char *prompt, const sigset_t *waiting) {
    line_read = NULL;
    line_done = 0;
    rl_reset_screen_size(); /* the terminal may have been resized while a query ran */
    rl_callback_handler_install(prompt, on_line);
    while (!line_done && wait_for_input(waiting)) rl_callback_read_char();
    if (line_done) return line_read;
    rl_replace_line("", 0);
    rl_crlf();
    rl_callback_handler_remove();
    return NULL;
}

void lineedit_start(const char *file) {
    history_file = file;
    rl_catch_signals = 0;
    rl_readline_name = "kusto";
    rl_initialize();
    if (history_file) read_history(history_file);
}

void lineedit_remember(const char *line) {
    HIST_ENTRY *last = history_length ? history_get(history_base + history_length - 1) : NULL;
    if (last && strcmp(last->line, line) == 0) return;
    add_history(line);
    if (history_file) append_history(1, history_file);
}

void lineedit_end(void) {
    if (history_file) history_truncate_file(history_file, HISTORY_LINES);
}

#else /* plain lines: the terminal's own editing (erase, kill) and no recall */

static char *read_edited(const char *prompt, const sigset_t *waiting) {
    fputs(prompt, stdout);
    fflush(stdout);
    if (!wait_for_input(waiting)) {
        putchar('\n');
        return NULL;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, stdin);
    if (n < 0) {
        free(line);
        return NULL;
    }
    if (n && line[n - 1] == '\n') line[n - 1] = '\0';
    return line;
}

void lineedit_start(const char *file) { history_file = file; }

void lineedit_remember(const char *line) {
    FILE *f = history_file ? fopen(history_file, "a") : NULL;
    if (f) fprintf(f, "%s\n", line), fclose(f);
}

void lineedit_end(void) {}

#endif

char *lineedit_read(const char *prompt, int *dropped) {
    sigset_t sigint, waiting;
    sigemptyset(&sigint);
    sigaddset(&sigint, SIGINT);
    sigprocmask(SIG_BLOCK, &sigint, &waiting);
    char *line = read_edited(prompt, &waiting);
    *dropped = !line && cli_interrupted;
    if (*dropped) cli_interrupted = 0;
    sigprocmask(SIG_SETMASK, &waiting, NULL);
    return line;
}
