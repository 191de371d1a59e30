/* sign_in "default": DefaultAzureCredential's order without its prompts where nobody is there. Each step is a
   sign-in method of its own (its cache key, its flow); the first that gets a token becomes the client's step
   (client->signin_step; client->signin stays the chain, read without the lock). */
#include "default_chain.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "endpoints.h"
#include "error.h"
#include "log.h"
#include "seam.h"

/* A machine without IMDS leaves its connection hanging: as azure-identity, the default endpoint gets a short
   probe, not the whole call's time. */
#define IMDS_PROBE_MS 2000L

static const char *const steps[] = {"environment",  "workload_identity", "managed_identity",
                                    "shared_cache", "azure_cli",         "interactive"};

static const char *not_configured(const char *name) {
    if (strcmp(name, "environment") == 0)
        return "not configured (AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET or "
               "AZURE_CLIENT_CERTIFICATE_PATH are not all set)";
    return "not configured (AZURE_FEDERATED_TOKEN_FILE, AZURE_CLIENT_ID and AZURE_TENANT_ID are not all set)";
}

/* Why a step is not tried, or NULL when it is. */
static const char *skipped(const kusto_client *c, const kusto_signin_method *step) {
    const char *why = NULL;
    if (strcmp(step->name, "interactive") == 0) return c->prompts.browser || kusto_person_can_answer(&why) ? NULL : why;
    if (strcmp(step->name, "environment") == 0 || strcmp(step->name, "workload_identity") == 0)
        return step->applies(c) ? NULL : not_configured(step->name);
    return NULL;
}

static int default_imds(const kusto_client *c) {
    return !kusto_client_option(c, "managed_identity_endpoint") && !kusto_flow_env("IMDS_ENDPOINT") &&
           !(kusto_flow_env("IDENTITY_ENDPOINT") && kusto_flow_env("IDENTITY_HEADER"));
}

static kusto_status try_step(kusto_client *c, const kusto_signin_method *step, const kusto_signin_call *call,
                             kusto_chain_try sign_in, kusto_token **out, kusto_error **err) {
    kusto_signin_call mine = *call;
    if (strcmp(step->name, "managed_identity") == 0 && default_imds(c))
        mine.deadline = kusto_deadline_min(call->deadline, kusto_deadline_in(IMDS_PROBE_MS));
    /* The environment's own cloud must be the cluster's too: the client's trusted check was for its authority. */
    kusto_status status = step->login_endpoint ? kusto_endpoint_check(c->cluster, step->login_endpoint(),
                                                                      kusto_client_option(c, "trusted_hosts"), err)
                                               : KUSTO_OK;
    return status == KUSTO_OK ? sign_in(c, &mine, out, err) : status;
}

static void say(kusto_buf *said, const char *name, const char *message) {
    size_t line = strcspn(message, "\n");
    kusto_buf_printf(said, "\n  %s: %.*s", name, (int)line, message);
}

static int stops_the_chain(kusto_status status) {
    return status == KUSTO_E_CANCELLED || status == KUSTO_E_NOMEM || status == KUSTO_E_UNTRUSTED;
}

kusto_status kusto_default_chain(kusto_client *c, const kusto_signin_call *call, kusto_chain_try sign_in,
                                 kusto_token **out, kusto_error **err) {
    kusto_buf said = {0};
    kusto_status status = KUSTO_E_AUTH;
    int refused = 0;
    for (size_t i = 0; i < sizeof steps / sizeof *steps && status != KUSTO_OK; i++) {
        const kusto_signin_method *step = kusto_signin_method_named(steps[i]);
        const char *why = skipped(c, step);
        if (why) {
            kusto_log(KUSTO_LOG_DEBUG, "sign_in \"default\": %s skipped: %s", step->name, why);
            say(&said, step->name, why);
            continue;
        }
        kusto_error *step_err = NULL;
        /* Under sign_in_lock: the step is the client's method while it runs (its cache key, its flow), and stays
           it when it works, as DefaultAzureCredential keeps the credential that worked. */
        c->signin_step = step;
        status = try_step(c, step, call, sign_in, out, &step_err);
        if (status == KUSTO_E_WOULDBLOCK) { /* a kusto_op sends the step's request; the chain runs again then */
            c->signin_step = NULL;
            kusto_buf_free(&said);
            if (step_err) kusto_error_give(err, step_err);
            return status;
        }
        refused = refused || status == KUSTO_E_UNSUPPORTED;
        if (status != KUSTO_OK) {
            c->signin_step = NULL;
            say(&said, step->name, kusto_error_message(step_err));
            kusto_log(KUSTO_LOG_INFO, "sign_in \"default\": %s failed: %.*s", step->name,
                      (int)strcspn(kusto_error_message(step_err), "\n"), kusto_error_message(step_err));
        } else {
            kusto_log(KUSTO_LOG_INFO, "sign_in \"default\": signed in with %s", step->name);
        }
        if (stops_the_chain(status)) {
            kusto_buf_free(&said);
            return kusto_error_give(err, step_err);
        }
        kusto_error_free(step_err);
    }
    /* Inside a kusto_op the steps that need a person or a process are refused: say so by the status too. */
    if (status != KUSTO_OK)
        status = kusto_fail(err, refused ? KUSTO_E_UNSUPPORTED : KUSTO_E_AUTH,
                            "sign_in \"default\" found no credential that works%s:%s",
                            refused ? " without blocking" : "", said.data ? said.data : "");
    kusto_buf_free(&said);
    return status;
}

int kusto_signin_is_default_chain(const kusto_signin_method *method) { return strcmp(method->name, "default") == 0; }
