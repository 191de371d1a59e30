/* Internal to the Python binding: typed cells to Python objects. */
#ifndef PYKUSTO_VALUES_H
#define PYKUSTO_VALUES_H

#include "pykusto.h"

/* A new reference for one cell (kusto_py_load_types must have run), or NULL with an exception set.
   `raw_ticks` keeps datetime and timespan as int ticks. */
PyObject *kusto_py_value(kusto_py_state *st, const kusto_value *v, int raw_ticks);
/* The same, but a cell Python cannot hold as its kind (text that is not UTF-8, a decimal Python cannot
   read...) becomes its nearest lossless form (bytes, or the text as str) and *reason says why; *reason
   stays NULL otherwise. Only out of memory (or an interrupt) still fails. */
PyObject *kusto_py_value_tolerant(kusto_py_state *st, const kusto_value *v, int raw_ticks, const char **reason);
/* A str of `len` bytes that may not be UTF-8 (invalid bytes as \x escapes): for messages and excerpts. */
PyObject *kusto_py_text_lenient(const char *text, size_t len);

#endif
