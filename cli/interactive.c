#include "cli.h"
int run_interactive(const args *a) { return 1; }
