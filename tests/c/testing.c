#include "testing.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>

static long outstanding_at_setup;

int testing_setup(void)
{
    outstanding_at_setup = ss_alloc_outstanding();
    return 0;
}

int testing_teardown(void)
{
    long leaked = ss_alloc_outstanding() - outstanding_at_setup;
    if (leaked != 0) {
        fprintf(stderr, "\nleak check: %ld block(s) still allocated\n", leaked);
        return 1; /* CUnit reports the suite's cleanup as failed */
    }
    return 0;
}

void testing_add_suite(const char *name, const testing_case *cases)
{
    CU_pSuite suite = CU_add_suite(name, testing_setup, testing_teardown);
    if (!suite) {
        fprintf(stderr, "cannot add suite %s\n", name);
        exit(2);
    }
    for (const testing_case *c = cases; c->name; c++)
        CU_add_test(suite, c->name, c->fn);
}

int testing_main(void)
{
    CU_basic_set_mode(CU_BRM_NORMAL);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_suites_failed() +
                      CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}

void testing_fail_each_allocation(testing_scenario scenario)
{
    for (long n = 0;; n++) {
        long before = ss_alloc_outstanding();
        ss_alloc_fail_after(n);
        int rc = scenario();
        ss_alloc_fail_after(-1);
        CU_ASSERT_EQUAL_FATAL(ss_alloc_outstanding(), before);
        if (rc == 0)
            break;
        CU_ASSERT_EQUAL_FATAL(rc, -2 /* SS_ENOMEM */);
        if (n > 100000) {
            CU_FAIL_FATAL("scenario never completed");
        }
    }
}

bool testing_quick(void)
{
    const char *q = getenv("SYNSIM_QUICK");
    return q && *q && *q != '0';
}
