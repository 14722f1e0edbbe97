/* Shared CUnit scaffolding: every suite gets a leak check in its teardown,
 * and a helper that runs a scenario failing each allocation in turn. */
#ifndef SYNSIM_TESTING_H
#define SYNSIM_TESTING_H

#include <CUnit/CUnit.h>
#include <stdbool.h>

#include "sim/sim_internal.h"

/* Suite set-up and teardown: teardown fails the suite if any block the
 * library allocated during it is still outstanding. */
int testing_setup(void);
int testing_teardown(void);
/* Register a suite with the standard set-up and teardown; tests is a
 * NULL-terminated list of {name, fn}. */
typedef struct {
    const char *name;
    CU_TestFunc fn;
} testing_case;
void testing_add_suite(const char *name, const testing_case *cases);
/* Run all registered suites (CUnit basic mode) and return the exit code. */
int testing_main(void);

/* Run `scenario` with the n-th allocation failing, for n = 0, 1, ... until
 * the scenario completes without meeting a failure.  The scenario returns
 * 0 when it completed, or a negative code when an allocation failure
 * stopped it; after each run no block may be outstanding. */
typedef int (*testing_scenario)(void);
void testing_fail_each_allocation(testing_scenario scenario);

/* True when SYNSIM_QUICK is set: large randomized tests run fewer steps
 * (used under valgrind). */
bool testing_quick(void);

#endif
