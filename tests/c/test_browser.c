/* Whether a person can answer a browser prompt here (core/src/flows/browser.c): a display or a $BROWSER is
   someone, with or without a terminal; with neither nobody is, and the reason says what is missing. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "flows/flows.h"

static void clear_environment(void) {
    unsetenv("DISPLAY");
    unsetenv("WAYLAND_DISPLAY");
    unsetenv("BROWSER");
}

static void test_nobody_without_a_display_or_browser(void) {
    clear_environment();
    const char *why = NULL;
    CHECK_INT(kusto_person_can_answer(&why), 0);
    CHECK(why && strstr(why, "no display ($DISPLAY, $WAYLAND_DISPLAY) and no $BROWSER"));
    setenv("DISPLAY", "", 1); /* set but empty is not a display */
    CHECK_INT(kusto_person_can_answer(&why), 0);
}

static void test_a_display_or_browser_is_someone(void) {
    static const char *const names[] = {"DISPLAY", "WAYLAND_DISPLAY", "BROWSER"};
    static const char *const values[] = {":0", "wayland-0", "/usr/bin/firefox"};
    for (int i = 0; i < 3; i++) {
        clear_environment();
        setenv(names[i], values[i], 1);
        const char *why = NULL;
        CHECK_INT(kusto_person_can_answer(&why), 1);
        CHECK(why == NULL);
    }
}

int main(void) {
    test_nobody_without_a_display_or_browser();
    test_a_display_or_browser_is_someone();
    CHECK_DONE();
}
