/* kusto_builder's `size`: a program built against an older kusto.h keeps working when the struct grows. */
#include <string.h>

#include "builder.h"
#include "check.h"
#include "first_builder.h"
#include "kusto.h"
#include "parser.h"

typedef struct counts {
    int rows, values, warnings, progress;
} counts;

static int on_end_row(void *ud) { return ((counts *)ud)->rows++, 0; }
static int on_value(void *ud, const kusto_value *v) { return ((counts *)ud)->values++, 0; }
static int trap_warning(void *ud, const kusto_warning *w) { return ((counts *)ud)->warnings++, 0; }
static int trap_progress(void *ud, int table_id, double percent) { return ((counts *)ud)->progress++, 0; }

static kusto_status parse(const kusto_builder *builder, counts *c) {
    kusto_parser *p = NULL;
    kusto_status status = kusto_parser_new(&p, builder, c);
    if (status == KUSTO_OK) status = kusto_parser_feed(p, MISFIT_BODY, sizeof MISFIT_BODY - 1, NULL);
    if (status == KUSTO_OK) status = kusto_parser_finish(p, NULL);
    kusto_parser_free(p);
    return status;
}

/* The newer fields lie past the older struct, in memory the caller did not mean for the library: traps. */
static void test_first_layout_keeps_working(void) {
    kusto_builder memory = {.size = sizeof memory, .warning = trap_warning, .progress = trap_progress, .strict = 1};
    first_builder first = {.size = sizeof first, .end_row = on_end_row, .value = on_value};
    memcpy(&memory, &first, sizeof first);
    kusto_builder adopted;
    kusto_error *err = NULL;
    CHECK_INT(kusto_builder_adopt(&adopted, &memory, &err), KUSTO_OK);
    CHECK(err == NULL);
    CHECK_INT(adopted.size, sizeof(kusto_builder));
    CHECK(adopted.end_row == on_end_row && adopted.value == on_value);
    CHECK(adopted.warning == NULL && adopted.progress == NULL && adopted.strict == 0);
    counts c = {0};
    CHECK_INT(parse(&adopted, &c), KUSTO_OK);
    CHECK_INT(c.rows, 2);
    CHECK_INT(c.values, 2);
    CHECK_INT(c.warnings, 0);
    CHECK_INT(c.progress, 0);
    /* The same memory read as today's builder: the newer callbacks are called, and strict fails the cell. */
    c = (counts){0};
    memory.size = sizeof memory;
    memory.strict = 0;
    CHECK_INT(kusto_builder_adopt(&adopted, &memory, NULL), KUSTO_OK);
    CHECK_INT(parse(&adopted, &c), KUSTO_OK);
    CHECK_INT(c.warnings, 1);
    CHECK_INT(c.progress, 1);
    memory.strict = 1;
    CHECK_INT(kusto_builder_adopt(&adopted, &memory, NULL), KUSTO_OK);
    CHECK_INT(parse(&adopted, &c), KUSTO_E_PROTOCOL);
}

static void test_size_not_set(void) {
    kusto_builder b = {.value = on_value};
    kusto_builder adopted;
    kusto_error *err = NULL;
    CHECK_INT(kusto_builder_adopt(&adopted, &b, &err), KUSTO_E_ARGUMENT);
    CHECK_STR(kusto_error_message(err), "the builder's size is 0: set it to sizeof(kusto_builder)");
    kusto_error_free(err);
    /* Through the public call, before any request. */
    kusto_client *client = NULL;
    CHECK_INT(kusto_client_new(&client, "Data Source=https://c.kusto.windows.net", NULL, NULL), KUSTO_OK);
    err = NULL;
    CHECK_INT(kusto_client_query(client, "db", "print 1", NULL, &b, NULL, &err), KUSTO_E_ARGUMENT);
    CHECK_STR(kusto_error_message(err), "the builder's size is 0: set it to sizeof(kusto_builder)");
    kusto_error_free(err);
    kusto_client_free(client);
}

static void test_newer_program(void) {
    struct {
        kusto_builder known;
        int (*later)(void *ud);
    } newer = {.known = {.size = sizeof newer, .value = on_value}};
    kusto_builder adopted;
    CHECK_INT(kusto_builder_adopt(&adopted, &newer.known, NULL), KUSTO_OK);
    CHECK(adopted.value == on_value);
    CHECK_INT(adopted.size, sizeof(kusto_builder));
    newer.later = on_end_row;
    kusto_error *err = NULL;
    CHECK_INT(kusto_builder_adopt(&adopted, &newer.known, &err), KUSTO_E_UNSUPPORTED);
    CHECK(strstr(kusto_error_message(err), "sets fields that libkusto " KUSTO_VERSION) != NULL);
    kusto_error_free(err);
}

static void test_no_builder(void) {
    kusto_builder adopted;
    CHECK_INT(kusto_builder_adopt(&adopted, NULL, NULL), KUSTO_OK);
    CHECK_INT(adopted.size, sizeof(kusto_builder));
    CHECK(adopted.value == NULL && adopted.warning == NULL);
    /* The builders the library hands out carry their size. */
    CHECK_INT(kusto_arrow_builder()->size, sizeof(kusto_builder));
}

int main(void) {
    test_first_layout_keeps_working();
    test_size_not_set();
    test_newer_program();
    test_no_builder();
    CHECK_DONE();
}
