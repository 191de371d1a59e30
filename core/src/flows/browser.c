/* Whether a person can answer a browser prompt here, and opening the browser without waiting for it. */
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "flows.h"

extern char **environ;

static int set(const char *name) {
    const char *v = getenv(name);
    return v && *v;
}

/* A browser needs somewhere to appear: a display, or a $BROWSER the user chose (which may be a text
   browser in the terminal). A terminal alone is not enough (the redirect comes back to this machine,
   so the page must open here), and none is needed: a Jupyter kernel or a GUI app has a person and a
   display but no terminal. Where there is neither (CI, cron, services, a bare ssh session) nobody is. */
int kusto_person_can_answer(const char **why) {
    if (set("DISPLAY") || set("WAYLAND_DISPLAY") || set("BROWSER")) return 1;
    *why = isatty(STDIN_FILENO)
             ? "there is no display ($DISPLAY, $WAYLAND_DISPLAY) and no $BROWSER to open the sign-in page in"
             : "stdin is not a terminal and there is no display ($DISPLAY, $WAYLAND_DISPLAY) and no $BROWSER, so "
               "nobody is there to sign in in a browser";
    return 0;
}

/* The URL is an argument of the shell, never part of its script: nothing in it is interpreted. The
   shell puts the browser in the background and exits, so only the shell is waited for. */
static int spawn_detached(const char *program, const char *url) {
    char *argv[] = {"sh", "-c", "\"$0\" \"$1\" </dev/null >/dev/null 2>&1 &", (char *)program, (char *)url, NULL};
    pid_t pid;
    if (posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ) != 0) return -1;
    int wstatus = 0;
    if (waitpid(pid, &wstatus, 0) < 0) return -1;
    return WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0 ? 0 : -1;
}

#ifdef __APPLE__
#define SYSTEM_OPENER "open"
#else
#define SYSTEM_OPENER "xdg-open"
#endif

int kusto_open_browser(const char *url) {
    const char *browser = getenv("BROWSER");
    return spawn_detached(browser && *browser ? browser : SYSTEM_OPENER, url);
}
