#include "cli.h"
int run_account_command(const args *a) { return 1; }
