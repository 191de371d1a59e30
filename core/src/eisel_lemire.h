/* Internal: w * 10^q as the correctly rounded double without strtod, by the Eisel-Lemire method. */
#ifndef KUSTO_EISEL_LEMIRE_H
#define KUSTO_EISEL_LEMIRE_H

#include <stdint.h>

/* 0 and *out set when it can decide the rounding; -1 when it cannot (an exact halfway case, a result
   outside the normal double range, q outside [-342, 308]): then ask strtod. `w` must be exact. */
int kusto_eisel_lemire(uint64_t w, int q, int negative, double *out);

#endif
