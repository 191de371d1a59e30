/* Internal: what op.c (kusto_op, kusto.h's "Without I/O") exposes for its unit tests. */
#ifndef KUSTO_OP_H
#define KUSTO_OP_H

/* The name a TLS peer at `host` is verified as: "localhost" for a loopback host (kusto_host_is_loopback:
   127.d.d.d, ::1), whose certificate (the emulator's, a local proxy's) names no IP; else `host` itself. */
const char *kusto_op_tls_name(const char *host);

#endif
