/* Internal: a caller's kusto_builder in this version's layout, whatever kusto.h it was built with. */
#ifndef KUSTO_BUILDER_H
#define KUSTO_BUILDER_H

#include "kusto.h"

/* The first layout's size: every field up to parse_in_background. A smaller `size` is not a builder. */
#define KUSTO_BUILDER_FIRST_SIZE offsetof(kusto_builder, warning)

/* Copies the fields within `given->size` into `out`, the others NULL / 0, and sets out->size; `given` NULL
   is a builder without callbacks. KUSTO_E_ARGUMENT for a size below the first layout's (not set),
   KUSTO_E_UNSUPPORTED when a newer program sets fields this version does not have. */
kusto_status kusto_builder_adopt(kusto_builder *out, const kusto_builder *given, kusto_error **err);

#endif
