/* core/src/parameters.c: typed query parameters, their KQL literals and the query text sent with them. */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "error.h"
#include "kusto.h"
#include "request.h"

static char written[4096];

/* The request's properties.Parameters object as JSON. */
static const char *parameters_of(const kusto_request *req) {
    kusto_buf b = {0};
    CHECK(kusto_request_write_properties(req, NULL, &b) == 0);
    const char *at = b.data ? strstr(b.data, "\"Parameters\":") : NULL;
    snprintf(written, sizeof written, "%.*s", at ? (int)(strlen(at) - 1 - 13) : 0, at ? at + 13 : "");
    kusto_buf_free(&b);
    return written;
}

/* The query text sent for `csl` with `req`'s parameters (`control`: a control command). */
static void check_query_text(const kusto_request *req, int control, const char *csl, const char *expected) {
    kusto_buf b = {0};
    CHECK_INT(kusto_request_write_query_text(req, control, csl, &b, NULL), KUSTO_OK);
    CHECK_STR(b.data, expected);
    kusto_buf_free(&b);
}

/* The one parameter `p`'s value as sent (a JSON string holding the KQL literal). */
#define SENT(setter_call, expected)                            \
    do {                                                       \
        kusto_request *req_;                                   \
        kusto_request_new(&req_);                              \
        kusto_request *req = req_;                             \
        CHECK_INT(setter_call, KUSTO_OK);                      \
        CHECK_STR(parameters_of(req), "{\"p\":" expected "}"); \
        kusto_request_free(req);                               \
    } while (0)

static void test_long_and_bool(void) {
    SENT(kusto_request_set_parameter_long(req, "p", 0, NULL), "\"0\"");
    SENT(kusto_request_set_parameter_long(req, "p", INT64_MAX, NULL), "\"9223372036854775807\"");
    SENT(kusto_request_set_parameter_long(req, "p", INT64_MIN, NULL), "\"-9223372036854775808\"");
    SENT(kusto_request_set_parameter_bool(req, "p", 1, NULL), "\"true\"");
    SENT(kusto_request_set_parameter_bool(req, "p", 0, NULL), "\"false\"");
    SENT(kusto_request_set_parameter_bool(req, "p", 42, NULL), "\"true\"");
}

static void test_real(void) {
    SENT(kusto_request_set_parameter_real(req, "p", 0.25, NULL), "\"real(0.25)\"");
    SENT(kusto_request_set_parameter_real(req, "p", 0.1, NULL), "\"real(0.1)\"");
    SENT(kusto_request_set_parameter_real(req, "p", 1.0 / 3, NULL), "\"real(0.3333333333333333)\"");
    SENT(kusto_request_set_parameter_real(req, "p", 5.0, NULL), "\"real(5)\"");
    SENT(kusto_request_set_parameter_real(req, "p", -0.0, NULL), "\"real(-0)\"");
    SENT(kusto_request_set_parameter_real(req, "p", 1e308, NULL), "\"real(1e+308)\"");
    SENT(kusto_request_set_parameter_real(req, "p", DBL_MAX, NULL), "\"real(1.7976931348623157e+308)\"");
    SENT(kusto_request_set_parameter_real(req, "p", 5e-324, NULL), "\"real(5e-324)\"");
    SENT(kusto_request_set_parameter_real(req, "p", NAN, NULL), "\"real(nan)\"");
    SENT(kusto_request_set_parameter_real(req, "p", INFINITY, NULL), "\"real(+inf)\"");
    SENT(kusto_request_set_parameter_real(req, "p", -INFINITY, NULL), "\"real(-inf)\"");
}

static void test_string(void) {
    /* The literal is KQL text; the body then JSON-escapes it again. */
    SENT(kusto_request_set_parameter_string(req, "p", "", 0, NULL), "\"\\\"\\\"\"");
    SENT(kusto_request_set_parameter_string(req, "p", "say \"hi\"", 8, NULL), "\"\\\"say \\\\\\\"hi\\\\\\\"\\\"\"");
    SENT(kusto_request_set_parameter_string(req, "p", "a\\b", 3, NULL), "\"\\\"a\\\\\\\\b\\\"\"");
    SENT(kusto_request_set_parameter_string(req, "p", "\n\r\t\x01\x1f'", 6, NULL),
         "\"\\\"\\\\n\\\\r\\\\t\\\\u0001\\\\u001f'\\\"\"");
    SENT(kusto_request_set_parameter_string(req, "p", "ü✓", 5, NULL), "\"\\\"ü✓\\\"\"");
    SENT(kusto_request_set_parameter_string(req, "p", "ab\0c", 4, NULL), "\"\\\"ab\\\\u0000c\\\"\"");
    SENT(kusto_request_set_parameter_string(req, "p", "cut here", 3, NULL), "\"\\\"cut\\\"\"");
}

static void test_string_literal_as_kql(void) {
    kusto_request *req;
    kusto_request_new(&req);
    CHECK_INT(kusto_request_set_parameter_string(req, "s", "\"; print 2 //\n", 14, NULL), KUSTO_OK);
    check_query_text(req, 0, "print s", "declare query_parameters(s:string);\nprint s");
    CHECK_STR(parameters_of(req), "{\"s\":\"\\\"\\\\\\\"; print 2 //\\\\n\\\"\"}");
    kusto_request_free(req);
}

static void test_datetime_and_timespan(void) {
    SENT(kusto_request_set_parameter_datetime(req, "p", 0, NULL), "\"datetime(0001-01-01T00:00:00.0000000Z)\"");
    SENT(kusto_request_set_parameter_datetime(req, "p", INT64_C(3155378975999999999), NULL),
         "\"datetime(9999-12-31T23:59:59.9999999Z)\"");
    SENT(kusto_request_set_parameter_datetime(req, "p", KUSTO_UNIX_EPOCH_TICKS + 15000001, NULL),
         "\"datetime(1970-01-01T00:00:01.5000001Z)\"");
    SENT(kusto_request_set_parameter_timespan(req, "p", 0, NULL), "\"timespan(00:00:00)\"");
    SENT(kusto_request_set_parameter_timespan(req, "p", -(INT64_C(936000000000) + 30), NULL),
         "\"timespan(-1.02:00:00.0000030)\"");
    SENT(kusto_request_set_parameter_timespan(req, "p", INT64_MAX, NULL), "\"timespan(10675199.02:48:05.4775807)\"");
    SENT(kusto_request_set_parameter_timespan(req, "p", INT64_MIN, NULL), "\"timespan(-10675199.02:48:05.4775808)\"");
}

static void test_guid_decimal_dynamic(void) {
    SENT(kusto_request_set_parameter_guid(req, "p", "12345678-9ABC-def0-1234-56789abcdef0", NULL),
         "\"guid(12345678-9abc-def0-1234-56789abcdef0)\"");
    SENT(kusto_request_set_parameter_decimal(req, "p", "-12345.678", NULL), "\"decimal(-12345.678)\"");
    SENT(kusto_request_set_parameter_decimal(req, "p", "+.5", NULL), "\"decimal(+.5)\"");
    SENT(kusto_request_set_parameter_decimal(req, "p", "7", NULL), "\"decimal(7)\"");
    SENT(kusto_request_set_parameter_dynamic(req, "p", "null", 4, NULL), "\"dynamic(null)\"");
    SENT(kusto_request_set_parameter_dynamic(
             req, "p", " { \"a\" : [1, -2.5e3, true, null, {}], \"b\\u00fc\": \"x\\/\\b\" } ", 59, NULL),
         "\"dynamic({\\\"a\\\":[1,-2.5e3,true,null,{}],\\\"bü\\\":\\\"x/\\\\u0008\\\"})\"");
    SENT(kusto_request_set_parameter_dynamic(req, "p", "[]", 2, NULL), "\"dynamic([])\"");
    SENT(kusto_request_set_parameter_dynamic(req, "p", "\"s\"", 3, NULL), "\"dynamic(\\\"s\\\")\"");
}

/* A refused value: KUSTO_E_ARGUMENT, an error naming the parameter and not quoting the value. */
static void check_refused(kusto_status status, kusto_error *err, const char *expected) {
    CHECK_INT(status, KUSTO_E_ARGUMENT);
    CHECK(err != NULL);
    if (!err) return;
    CHECK_INT(kusto_error_status(err), KUSTO_E_ARGUMENT);
    const char *message = kusto_error_message(err);
    if (!strstr(message, expected)) fprintf(stderr, "message: %s\n", message);
    CHECK(strstr(message, expected) != NULL);
    CHECK(strstr(message, "SECRET") == NULL);
    kusto_error_free(err);
}

#define REFUSED(call, expected)                \
    do {                                       \
        kusto_error *err = NULL;               \
        kusto_status status_ = (call);         \
        check_refused(status_, err, expected); \
    } while (0)

static void test_refused_values(void) {
    kusto_request *req;
    kusto_request_new(&req);
    REFUSED(kusto_request_set_parameter_string(req, "p", "SECRET\xff", 7, &err), "p: the string is not valid");
    REFUSED(kusto_request_set_parameter_datetime(req, "when", -1, &err), "when: the datetime is outside");
    REFUSED(kusto_request_set_parameter_datetime(req, "when", INT64_C(3155378976000000000), &err), "outside");
    const char *guids[] = {"SECRET", "12345678-1234-1234-1234-1234567890", "12345678-1234-1234-1234-1234567890abc",
                           "12345678_1234-1234-1234-123456789012", "g2345678-1234-1234-1234-123456789012"};
    for (size_t i = 0; i < sizeof guids / sizeof *guids; i++) {
        REFUSED(kusto_request_set_parameter_guid(req, "id", guids[i], &err), "id: a guid must read");
    }
    const char *decimals[] = {"NaN", "Infinity", "1e5", "1.2.3", "", "-", ".", "1 ", "SECRET"};
    for (size_t i = 0; i < sizeof decimals / sizeof *decimals; i++) {
        REFUSED(kusto_request_set_parameter_decimal(req, "price", decimals[i], &err),
                "price: Kusto's decimal has no NaN");
    }
    const char *jsons[] = {"",   "{",       "[1,]", "{\"a\" 1}", "nul",           "1 2",     "01",
                           "1.", "\"\\x\"", "NaN",  "[1] x",     "{\"SECRET\":}", "\"\xff\""};
    for (size_t i = 0; i < sizeof jsons / sizeof *jsons; i++) {
        REFUSED(kusto_request_set_parameter_dynamic(req, "bag", jsons[i], strlen(jsons[i]), &err),
                "bag: the value is not one JSON value");
    }
    char deep[300];
    memset(deep, '[', 150);
    memset(deep + 150, ']', 150);
    REFUSED(kusto_request_set_parameter_dynamic(req, "bag", deep, 300, &err), "not one JSON value");
    REFUSED(kusto_request_set_parameter_string(req, "p", NULL, 0, &err), "p: no value given");
    CHECK_STR(parameters_of(req), "{}");
    CHECK(!kusto_request_has_typed_parameters(req));
    kusto_request_free(req);
}

static void test_bad_names(void) {
    kusto_request *req;
    kusto_request_new(&req);
    const char *names[] = {"", "1a", "a b", "a-b", "a); print 2; declare query_parameters(c", "ü", "a.b"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        REFUSED(kusto_request_set_parameter_long(req, names[i], 1, &err), "is not a Kusto identifier");
    }
    REFUSED(kusto_request_set_parameter_long(req, NULL, 1, &err), "(null)");
    CHECK_INT(kusto_request_set_parameter_long(NULL, "a", 1, NULL), KUSTO_E_ARGUMENT);
    CHECK_INT(kusto_request_set_parameter_long(req, "_a1", 1, NULL), KUSTO_OK);
    CHECK_INT(kusto_request_set_parameter_long(req, "A_b", 2, NULL), KUSTO_OK);
    CHECK_STR(parameters_of(req), "{\"_a1\":\"1\",\"A_b\":\"2\"}");
    kusto_request_free(req);
}

/* The query text sent for `csl` with parameters n:long (and s:string when `two`), or NULL with `*status`. */
static char *text_for(const char *csl, int control, int two, kusto_status *status) {
    kusto_request *req;
    kusto_request_new(&req);
    kusto_request_set_parameter_long(req, "n", 1, NULL);
    if (two) kusto_request_set_parameter_string(req, "s", "x", 1, NULL);
    kusto_buf b = {0};
    kusto_error *err = NULL;
    *status = kusto_request_write_query_text(req, control, csl, &b, &err);
    if (*status != KUSTO_OK) {
        CHECK(strstr(kusto_error_message(err), "control command") != NULL);
        kusto_error_free(err);
    }
    kusto_request_free(req);
    return *status == KUSTO_OK ? kusto_buf_take(&b) : NULL;
}

#define TEXT(csl, expected)                          \
    do {                                             \
        kusto_status status_;                        \
        char *text_ = text_for(csl, 0, 1, &status_); \
        CHECK_STR(text_, expected);                  \
        free(text_);                                 \
    } while (0)

#define DECLARE "declare query_parameters(n:long, s:string);\n"

static void test_declare_placement(void) {
    TEXT("print n", DECLARE "print n");
    TEXT("set notruncation;\nprint n", "set notruncation;\n" DECLARE "print n");
    TEXT("  set a = 1; set b=\"x;y\" ; // c; set\n  print n",
         "  set a = 1; set b=\"x;y\" ; // c; set\n  " DECLARE "print n");
    TEXT("// set x;\nprint n", "// set x;\n" DECLARE "print n");
    TEXT("settings | take n", DECLARE "settings | take n");
    TEXT("set x", "set x" DECLARE);
    TEXT("", DECLARE);
}

static void test_already_declared(void) {
    TEXT("declare query_parameters(n:int);\nprint n", "declare query_parameters(n:int);\nprint n");
    TEXT("set a;\ndeclare  // hm\n query_parameters(n:int); print n",
         "set a;\ndeclare  // hm\n query_parameters(n:int); print n");
    /* In a string or a comment, or part of another word, it declares nothing. */
    TEXT("print s = 'declare query_parameters(x:long)'", DECLARE "print s = 'declare query_parameters(x:long)'");
    TEXT("print s = \"\\\" declare query_parameters(\"", DECLARE "print s = \"\\\" declare query_parameters(\"");
    TEXT("print s = @'a\\'' declare query_parameters('", DECLARE "print s = @'a\\'' declare query_parameters('");
    TEXT("print s = @'a\\', declare query_parameters(x:long); print x",
         "print s = @'a\\', declare query_parameters(x:long); print x");
    TEXT("print s = ```\ndeclare query_parameters(x:long)```",
         DECLARE "print s = ```\ndeclare query_parameters(x:long)```");
    TEXT("print n // declare query_parameters(x:long)", DECLARE "print n // declare query_parameters(x:long)");
    TEXT("print undeclare query_parameters", DECLARE "print undeclare query_parameters");
    TEXT("print declare query_parameters_x", DECLARE "print declare query_parameters_x");
}

static void test_untyped_and_control_commands(void) {
    kusto_request *req;
    kusto_request_new(&req);
    kusto_request_set_parameter(req, "n", "7");
    check_query_text(req, 1, ".show tables", ".show tables");
    /* A typed parameter set again untyped is no longer declared. */
    kusto_request_set_parameter_long(req, "m", 1, NULL);
    kusto_request_set_parameter(req, "m", "2");
    CHECK(!kusto_request_has_typed_parameters(req));
    check_query_text(req, 0, "print n", "print n");
    kusto_request_free(req);
    kusto_status status;
    CHECK(text_for(".show tables", 1, 0, &status) == NULL);
    CHECK_INT(status, KUSTO_E_ARGUMENT);
    CHECK(text_for("declare query_parameters(n:long); .show tables", 1, 0, &status) == NULL);
    CHECK_INT(status, KUSTO_E_ARGUMENT);
}

static void test_copy_keeps_types_and_order(void) {
    kusto_request *req;
    kusto_request_new(&req);
    kusto_request_set_parameter_real(req, "b", 1.5, NULL);
    kusto_request_set_parameter_long(req, "a", 1, NULL);
    kusto_request_set_parameter_long(req, "b", 2, NULL); /* replaces, keeps its place */
    kusto_request *copy = kusto_request_copy(req);
    kusto_request_free(req);
    check_query_text(copy, 0, "print a, b", "declare query_parameters(b:long, a:long);\nprint a, b");
    CHECK_STR(parameters_of(copy), "{\"b\":\"2\",\"a\":\"1\"}");
    kusto_request_free(copy);
}

int main(void) {
    test_long_and_bool();
    test_real();
    test_string();
    test_string_literal_as_kql();
    test_datetime_and_timespan();
    test_guid_decimal_dynamic();
    test_refused_values();
    test_bad_names();
    test_declare_placement();
    test_already_declared();
    test_untyped_and_control_commands();
    test_copy_keeps_types_and_order();
    CHECK_DONE();
}
