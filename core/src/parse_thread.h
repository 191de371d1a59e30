/* Internal: a call's transfer and parse on a worker thread, its builder events replayed on the caller's. */
#ifndef KUSTO_PARSE_THREAD_H
#define KUSTO_PARSE_THREAD_H

#include "kusto.h"

/* The work the worker thread does: feed a parser made with `builder` and `builder_ud` (a recording
   builder) and return the call's status. It must call nothing of the caller's: it runs on another thread. */
typedef kusto_status (*kusto_relay_work)(void *work_ud, const kusto_builder *builder, void *builder_ud,
                                         kusto_error **err);

/*
 * Runs `work` on a worker thread while this thread replays the events it records into `outer` (with
 * outer->enter before and outer->leave after each block of them), and asks outer->cancelled while it
 * waits. Every event recorded before the work ended is replayed before its status is returned.
 * A callback returning non-zero stops the work: KUSTO_E_CANCELLED, "the builder's <name> callback asked
 * to stop", as the parser says it. `cancelled` saying stop makes the worker's cancel hook say so too,
 * and the work's own error is returned (KUSTO_E_CANCELLED with `cancel_message` if the work ended well
 * before it noticed). Without a thread (pthread_create failed) the work runs here with `outer`.
 */
kusto_status kusto_relay_run(const kusto_builder *outer, void *outer_ud, kusto_relay_work work, void *work_ud,
                             const char *cancel_message, kusto_error **err);

#endif
