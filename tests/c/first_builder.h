/* kusto_builder as it was before warning, progress and strict were added at its end: what a program built
   against that kusto.h passes in. And a response that would call those newer fields. */
#ifndef KUSTO_TEST_FIRST_BUILDER_H
#define KUSTO_TEST_FIRST_BUILDER_H

#include "kusto.h"

typedef struct first_builder {
    size_t size;
    int (*begin_table)(void *ud, const kusto_table_info *table);
    int (*end_table)(void *ud);
    int (*begin_row)(void *ud);
    int (*end_row)(void *ud);
    int (*value)(void *ud, const kusto_value *value);
    int (*begin_array)(void *ud);
    int (*end_array)(void *ud);
    int (*begin_object)(void *ud);
    int (*key)(void *ud, const char *ptr, size_t len);
    int (*end_object)(void *ud);
    int (*replace_rows)(void *ud);
    int (*partial_error)(void *ud, const kusto_error *error);
    void (*enter)(void *ud);
    void (*leave)(void *ud);
    int (*cancelled)(void *ud);
    int parse_in_background;
} first_builder;

/* Two rows of a long column, the second's cell "x" (a warning, or a failure when strict), and a
   TableProgress frame. */
static const char MISFIT_BODY[] =
    "[{\"FrameType\":\"DataSetHeader\",\"IsProgressive\":true,\"Version\":\"v2.0\"},"
    "{\"FrameType\":\"TableHeader\",\"TableId\":1,\"TableKind\":\"PrimaryResult\",\"TableName\":\"T\","
    "\"Columns\":[{\"ColumnName\":\"n\",\"ColumnType\":\"long\"}]},"
    "{\"FrameType\":\"TableFragment\",\"TableFragmentType\":\"DataAppend\",\"TableId\":1,\"Rows\":[[1],[\"x\"]]},"
    "{\"FrameType\":\"TableProgress\",\"TableId\":1,\"TableProgress\":50.0},"
    "{\"FrameType\":\"TableCompletion\",\"TableId\":1,\"RowCount\":2},"
    "{\"FrameType\":\"DataSetCompletion\",\"HasErrors\":false,\"Cancelled\":false}]";

#endif
