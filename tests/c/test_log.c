/* The log callback: which messages reach it, at which level, and that setting NULL stops them. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "kusto.h"

static char seen[4096];
static int count;

static void collect(void *ud, kusto_log_level level, const char *message) {
    count++;
    size_t len = strlen(seen);
    snprintf(seen + len, sizeof seen - len, "%s%d %s\n", (const char *)ud, (int)level, message);
}

static void new_client(const char *connstr) {
    kusto_client *client = NULL;
    kusto_error *err = NULL;
    CHECK_INT(kusto_client_new(&client, connstr, NULL, &err), KUSTO_OK);
    kusto_client_free(client);
    kusto_error_free(err);
}

static const char app[] = "Data Source=https://help.kusto.windows.net;Fed=True;Application Client Id=a;"
                          "Application Key=canary-secret";

static void test_the_sign_in_chosen_is_said_at_info(void) {
    seen[0] = '\0';
    kusto_set_log_callback(collect, "ud:", KUSTO_LOG_DEBUG);
    new_client(app);
    CHECK_STR(seen, "ud:20 sign-in for https://help.kusto.windows.net: application_secret\n");
    CHECK(!strstr(seen, "canary-secret"));
}

static void test_below_the_level_nothing_is_said(void) {
    seen[0] = '\0';
    count = 0;
    kusto_set_log_callback(collect, "ud:", KUSTO_LOG_WARNING);
    new_client(app);
    CHECK_INT(count, 0);
}

static void test_no_callback_no_messages(void) {
    count = 0;
    kusto_set_log_callback(NULL, "ignored", KUSTO_LOG_DEBUG);
    new_client(app);
    CHECK_INT(count, 0);
}

int main(void) {
    test_the_sign_in_chosen_is_said_at_info();
    test_below_the_level_nothing_is_said();
    test_no_callback_no_messages();
    CHECK_DONE();
}
