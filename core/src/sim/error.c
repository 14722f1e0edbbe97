#include "synsim/error.h"

struct error_name {
    const char *name;
    const char *text;
};

/* Indexed by -code. */
static const struct error_name error_names[SS_ERROR_COUNT] = {
    {"SS_OK", "success"},
    {"SS_EINVAL", "invalid argument"},
    {"SS_ENOMEM", "out of memory"},
    {"SS_ERANGE", "value out of range"},
    {"SS_ENOENT", "no such object"},
    {"SS_EEXIST", "object already exists"},
    {"SS_ESTATE", "object is in the wrong state for this call"},
    {"SS_EOTHERSIM", "object belongs to another simulator"},
    {"SS_EIO", "input/output error"},
    {"SS_ESTALE", "stale handle: the object no longer exists"},
};

static const struct error_name *lookup(int code)
{
    if (code > 0 || code <= -SS_ERROR_COUNT)
        return 0;
    return &error_names[-code];
}

const char *ss_strerror(int code)
{
    const struct error_name *e = lookup(code);
    return e ? e->text : "unknown error";
}

const char *ss_errname(int code)
{
    const struct error_name *e = lookup(code);
    return e ? e->name : "SS_E?";
}
