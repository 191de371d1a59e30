/* core/src/error_body.c: Kusto error bodies (OneApiError JSON or text) as kusto_error. */
#include <string.h>

#include "check.h"
#include "error.h"
#include "kusto.h"
#include "error_body.h"

static const char semantic_error[] =
    "{\"error\":{\"code\":\"General_BadRequest\",\"message\":\"Request is invalid and cannot be executed.\","
    "\"@type\":\"Kusto.Data.Exceptions.KustoBadRequestException\","
    "\"@message\":\"Request is invalid and cannot be processed: Semantic error: SEM0100: 'foo' failed\","
    "\"@context\":{\"timestamp\":\"2024-01-01T00:00:00Z\",\"clientRequestId\":\"KLC.execute;123\","
    "\"activityId\":\"a57ec272-8846-49e6-b458-460b841ed47d\"},\"@permanent\":true}}";

static kusto_error *from_body(int http_status, const char *body) {
    return kusto_error_from_service_body(http_status, body, body ? strlen(body) : 0);
}

static void test_json_error(void) {
    kusto_error *e = from_body(400, semantic_error);
    CHECK_INT(kusto_error_status(e), KUSTO_E_SERVICE);
    CHECK_STR(kusto_error_code(e), "General_BadRequest");
    CHECK_STR(kusto_error_message(e),
              "Request is invalid and cannot be processed: Semantic error: SEM0100: 'foo' failed");
    CHECK_INT(kusto_error_permanent(e), 1);
    CHECK_INT(kusto_error_http_status(e), 400);
    CHECK_STR(kusto_error_request_id(e), "KLC.execute;123");
    kusto_error_free(e);
}

static void test_json_error_without_extras(void) {
    /* No @message: "message"; no clientRequestId: activityId; no @permanent: -1. */
    kusto_error *e = from_body(500, "{\"error\":{\"code\":\"Internal\",\"message\":\"boom\","
                                    "\"@context\":{\"activityId\":\"act-1\"}}}");
    CHECK_INT(kusto_error_status(e), KUSTO_E_SERVICE);
    CHECK_STR(kusto_error_message(e), "boom");
    CHECK_STR(kusto_error_request_id(e), "act-1");
    CHECK_INT(kusto_error_permanent(e), -1);
    kusto_error_free(e);

    e = from_body(400, "{\"error\":{}}");
    CHECK_STR(kusto_error_message(e), "Unknown Kusto service error");
    CHECK(kusto_error_code(e) == NULL);
    CHECK(kusto_error_request_id(e) == NULL);
    kusto_error_free(e);

    e = from_body(503, "{\"error\":{\"code\":\"ServiceUnavailable\",\"message\":\"busy\",\"@permanent\":false}}");
    CHECK_INT(kusto_error_permanent(e), 0);
    kusto_error_free(e);
}

static void test_status_by_http(void) {
    kusto_error *e = from_body(401, "");
    CHECK_INT(kusto_error_status(e), KUSTO_E_AUTH);
    CHECK_STR(kusto_error_message(e), "Kusto answered HTTP 401 with no error details");
    kusto_error_free(e);
    e = from_body(403, semantic_error);
    CHECK_INT(kusto_error_status(e), KUSTO_E_AUTH);
    CHECK_STR(kusto_error_code(e), "General_BadRequest");
    kusto_error_free(e);
    e = from_body(429, "Too many requests");
    CHECK_INT(kusto_error_status(e), KUSTO_E_THROTTLED);
    CHECK_STR(kusto_error_message(e), "Too many requests");
    CHECK_INT(kusto_error_http_status(e), 429);
    kusto_error_free(e);
    e = from_body(404, NULL);
    CHECK_INT(kusto_error_status(e), KUSTO_E_SERVICE);
    CHECK_STR(kusto_error_message(e), "Kusto answered HTTP 404 with no error details");
    kusto_error_free(e);
}

static void test_text_error(void) {
    const char *text = "General_BadRequest: Request is invalid and cannot be executed.\r\nError details:\n"
                       "ClientRequestId='KGC.execute;d0b7', ActivityId='1c8f', Timestamp='2024-01-01'.\n";
    kusto_error *e = from_body(400, text);
    CHECK_INT(kusto_error_status(e), KUSTO_E_SERVICE);
    CHECK_STR(kusto_error_message(e), "General_BadRequest: Request is invalid and cannot be executed. \nError "
                                      "details:\nClientRequestId='KGC.execute;d0b7', ActivityId='1c8f', "
                                      "Timestamp='2024-01-01'.");
    CHECK_STR(kusto_error_code(e), "General_BadRequest");
    CHECK_STR(kusto_error_request_id(e), "KGC.execute;d0b7");
    CHECK_INT(kusto_error_permanent(e), -1);
    kusto_error_free(e);

    /* A colon after an ordinary word is not a code; JSON without "error" is text. */
    e = from_body(500, "Error: something");
    CHECK(kusto_error_code(e) == NULL);
    kusto_error_free(e);
    e = from_body(500, "{\"Message\":\"x\"}");
    CHECK_STR(kusto_error_message(e), "{\"Message\":\"x\"}");
    kusto_error_free(e);

    /* Long text is cut; control characters become spaces. */
    char big[3000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    big[10] = '\x01';
    e = from_body(502, big);
    CHECK_INT(strlen(kusto_error_message(e)), 1000);
    CHECK(kusto_error_message(e)[10] == ' ');
    kusto_error_free(e);
}

static void test_oneapi_object(void) {
    cJSON *json = cJSON_Parse("{\"code\":\"LimitsExceeded\",\"@message\":\"too much\"}");
    kusto_error *e = kusto_oneapi_error(json, KUSTO_E_PARTIAL);
    CHECK_INT(kusto_error_status(e), KUSTO_E_PARTIAL);
    CHECK_STR(kusto_error_code(e), "LimitsExceeded");
    CHECK_STR(kusto_error_message(e), "too much");
    CHECK_INT(kusto_error_http_status(e), 0);
    kusto_error_free(e);
    cJSON_Delete(json);
}

int main(void) {
    test_json_error();
    test_json_error_without_extras();
    test_status_by_http();
    test_text_error();
    test_oneapi_object();
    CHECK_DONE();
}
