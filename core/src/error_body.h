/* Internal: Kusto's OneApiError objects ({"error":{"code","message","@message","@permanent","@context"}})
   as kusto_error values. */
#ifndef KUSTO_ERROR_BODY_H
#define KUSTO_ERROR_BODY_H

#include <cjson/cJSON.h>

#include "kusto.h"

/* An error with `status` from a OneApiError: either {"error":{...}} or the inner object. The message
   is "@message", else "message", else "Unknown Kusto service error"; the code is "code"; the request
   id is "@context".clientRequestId, else activityId. NULL only when out of memory. */
kusto_error *kusto_oneapi_error(const cJSON *json, kusto_status status);

#endif
