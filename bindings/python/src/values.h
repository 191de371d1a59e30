/* Internal to the Python binding: typed cells to Python objects. */
#ifndef PYKUSTO_VALUES_H
#define PYKUSTO_VALUES_H

#include "pykusto.h"

/* A new reference for one cell (kusto_py_load_types must have run), or NULL with an exception set.
   `raw_ticks` keeps datetime and timespan as int ticks. */
PyObject *kusto_py_value(kusto_py_state *st, const kusto_value *v, int raw_ticks);

#endif
