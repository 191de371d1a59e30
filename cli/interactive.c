/*
 * The prompt: line editing with persistent history (lineedit.c), multi-line queries (a blank line or a ';'
 * at the end of a line runs them), backslash commands, a pager for results taller than the terminal, and
 * Ctrl-C cancelling the running query (or the line being typed) while the session goes on.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static const char help[] = "Type a query or a .command; a blank line or a ';' at the end of a line runs it.\n"
                           "  \\db [NAME]         show or set the database\n"
                           "  \\format [FORMAT]   show or set the output format: %s\n"
                           "  \\x                 expanded rows (one record per row) on or off\n"
                           "  \\timing            each query's time on or off\n"
                           "  \\q                 quit (or Ctrl-D)\n"
                           "Ctrl-C cancels the running query, or drops what is typed.\n";

typedef struct prompt {
    session s;
    format_id format;
    int expanded;
    const char *null_text;
    char *history; /* the history file, NULL when there is none */
    int quit;
} prompt;

/* ---- signals ------------------------------------------------------------------------------------- */

static void on_sigint(int sig) { cli_interrupted = 1; }

static void catch_sigint(void) {
    struct sigaction sa = {.sa_handler = on_sigint}; /* no SA_RESTART: the wait for input wakes up */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN); /* a pager that quits is a write error, not the end of the session */
}

/* ---- history ------------------------------------------------------------------------------------- */

/* $XDG_STATE_HOME/kusto/history, else ~/.kusto_history; created 0600. */
static char *history_path(void) {
    const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    text path = {0};
    if (state && *state) {
        text_str(&path, state);
        mkdir(path.p, 0700);
        text_str(&path, "/kusto");
        mkdir(path.p, 0700);
        text_str(&path, "/history");
    } else if (home && *home) {
        text_str(&path, home);
        text_str(&path, "/.kusto_history");
    }
    if (!path.p) return NULL;
    int fd = open(path.p, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 || fchmod(fd, 0600) != 0) {
        fprintf(stderr, "kusto: no history: cannot write %s\n", path.p);
        if (fd >= 0) close(fd);
        free(path.p);
        return NULL;
    }
    close(fd);
    return path.p;
}

/* ---- running a query through the pager ----------------------------------------------------------- */

typedef struct pager {
    char *buf;
    size_t len;
    FILE *mem, *pipe;
    size_t lines, counted;
} pager;

static size_t terminal_rows(void) {
    struct winsize ws;
    return ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row ? ws.ws_row : 24;
}

static size_t count_lines(pager *pg) {
    fflush(pg->mem);
    for (; pg->counted < pg->len; pg->counted++)
        if (pg->buf[pg->counted] == '\n') pg->lines++;
    return pg->lines;
}

/* What is buffered goes to $PAGER (unset: less; empty: none) once it is taller than the terminal. */
static void start_pager(pager *pg, printer *pr) {
    const char *command = getenv("PAGER");
    if (!command) command = "less -SR";
    if (!*command || !(pg->pipe = popen(command, "w"))) return;
    fflush(pg->mem);
    fwrite(pg->buf, 1, pg->len, pg->pipe);
    pr->out = pg->pipe;
}

static void page_if_tall(printer *pr, void *ud) {
    pager *pg = ud;
    if (pg->pipe) {
        if (ferror(pg->pipe)) pr->stopped = 1; /* the pager was quit: no one reads the rest */
        return;
    }
    if (count_lines(pg) >= terminal_rows()) start_pager(pg, pr);
}

static void pager_end(pager *pg, printer *pr) {
    page_if_tall(pr, pg);
    if (pg->pipe) {
        pclose(pg->pipe);
    } else {
        fflush(pg->mem);
        fwrite(pg->buf, 1, pg->len, stdout);
        fflush(stdout);
    }
    fclose(pg->mem);
    free(pg->buf);
}

static void run_query(prompt *p, const char *query) {
    pager pg = {0};
    if (!(pg.mem = open_memstream(&pg.buf, &pg.len))) return;
    printer pr = {.format = p->format,
                  .out = pg.mem,
                  .expanded = p->expanded,
                  .null_text = p->null_text,
                  .dim_null = !!isatty(STDOUT_FILENO),
                  .row_written = page_if_tall,
                  .row_written_ud = &pg};
    kusto_error *err = NULL;
    cli_interrupted = 0;
    kusto_status status = session_run(&p->s, query, &pr, &err);
    pager_end(&pg, &pr);
    session_timing(&p->s);
    if (status == KUSTO_E_CANCELLED) fputs(pr.stopped ? "" : "kusto: cancelled\n", stderr);
    else if (status != KUSTO_OK) report(status, err);
    kusto_error_free(err);
    cli_interrupted = 0;
}

/* ---- backslash commands -------------------------------------------------------------------------- */

static void set_database(prompt *p, const char *name) {
    if (!*name) {
        printf("database: %s\n", p->s.database ? p->s.database : "(the connection string's)");
        return;
    }
    free(p->s.database);
    p->s.database = strdup(name);
    printf("database: %s\n", name);
}

static void set_format(prompt *p, const char *name) {
    int format = *name ? format_by_name(name) : (int)p->format;
    if (format < 0) fprintf(stderr, "kusto: unknown format %s (%s)\n", name, format_names);
    else if (format_is_binary((format_id)format))
        fprintf(stderr, "kusto: %s writes binary, not for the prompt: kusto -F %s QUERY > FILE\n", name, name);
    else printf("format: %s\n", format_name(p->format = (format_id)format));
}

static void backslash(prompt *p, char *line) {
    char *name = line + 1, *arg = name + strcspn(name, " \t");
    if (*arg) *arg++ = '\0';
    arg += strspn(arg, " \t");
    arg[strcspn(arg, " \t")] = '\0';
    if (!strcmp(name, "q")) p->quit = 1;
    else if (!strcmp(name, "db")) set_database(p, arg);
    else if (!strcmp(name, "format")) set_format(p, arg);
    else if (!strcmp(name, "x")) printf("expanded rows: %s\n", (p->expanded = !p->expanded) ? "on" : "off");
    else if (!strcmp(name, "timing")) printf("timing: %s\n", (p->s.timing = !p->s.timing) ? "on" : "off");
    else if (!strcmp(name, "?")) printf(help, format_names);
    else fprintf(stderr, "kusto: unknown command \\%s (\\? lists them)\n", name);
}

/* ---- the loop ------------------------------------------------------------------------------------ */

static void handle_line(prompt *p, splitter *sp, char *line) {
    int oom;
    if (line[strspn(line, " \t")] && strcmp(line, "\\q") != 0) lineedit_remember(line);
    if (line[0] == '\\' && !splitter_pending(sp)) {
        backslash(p, line);
        return;
    }
    char *query = splitter_line(sp, line, &oom);
    if (oom) fputs("kusto: out of memory\n", stderr);
    if (query) run_query(p, query);
    free(query);
}

static void loop(prompt *p) {
    splitter sp = {0};
    text prompt_text = {0};
    while (!p->quit) {
        prompt_text.len = 0;
        text_str(&prompt_text, p->s.database ? p->s.database : "kusto");
        text_str(&prompt_text, splitter_pending(&sp) ? "-> " : "> ");
        int dropped;
        char *line = lineedit_read(prompt_text.p, &dropped);
        if (dropped) {
            splitter_reset(&sp);
            continue;
        }
        if (!line) { /* Ctrl-D: what is typed runs, then the session ends */
            char *query = splitter_end(&sp);
            putchar('\n');
            if (query) run_query(p, query);
            free(query);
            break;
        }
        handle_line(p, &sp, line);
        free(line);
    }
    splitter_reset(&sp);
    free(prompt_text.p);
}

int run_interactive(const args *a) {
    prompt p = {.format = a->format < 0 ? FORMAT_TABLE : (format_id)a->format,
                .expanded = a->expanded,
                .null_text = a->null_text ? a->null_text : "null"};
    kusto_error *err = NULL;
    catch_sigint();
    kusto_status status = session_open(&p.s, a, &err);
    if (status != KUSTO_OK) {
        report(status, err);
        kusto_error_free(err);
        session_close(&p.s);
        return exit_status(status);
    }
    p.history = history_path();
    lineedit_start(p.history);
    printf("kusto %s: \\? for help, \\q to quit\n", KUSTO_VERSION);
    loop(&p);
    lineedit_end();
    free(p.history);
    session_close(&p.s);
    return 0;
}
