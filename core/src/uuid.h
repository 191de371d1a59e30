/* Internal: random (version 4) UUIDs. */
#ifndef KUSTO_UUID_H
#define KUSTO_UUID_H

#define KUSTO_UUID_LEN 36

/* Writes a UUID and a NUL into `out` (37 bytes). Returns 0, or -1 when no randomness was had. */
int kusto_uuid4(char *out);

#endif
