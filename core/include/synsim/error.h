/* synsim error codes.
 *
 * Every fallible function of the C API returns 0 on success or one of the
 * negative codes below; it never aborts on a caller's input.  The names are
 * defined once here and named by ss_strerror() / ss_errname(). */
#ifndef SYNSIM_ERROR_H
#define SYNSIM_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

enum {
    SS_OK = 0,
    SS_EINVAL = -1,   /* an argument is not allowed (NULL, negative, NaN, ...) */
    SS_ENOMEM = -2,   /* an allocation failed; nothing was changed */
    SS_ERANGE = -3,   /* a number is outside the range the call accepts */
    SS_ENOENT = -4,   /* no such object (name, address, port) */
    SS_EEXIST = -5,   /* the object already exists (name, address, port) */
    SS_ESTATE = -6,   /* the object is not in a state that allows the call */
    SS_EOTHERSIM = -7, /* the object belongs to another simulator */
    SS_EIO = -8        /* a file could not be written */
};

/* Number of error codes, SS_OK included. */
#define SS_ERROR_COUNT 9

/* A sentence describing `code` ("invalid argument"); never NULL. */
const char *ss_strerror(int code);
/* The constant's name ("SS_EINVAL"); "SS_E?" for an unknown code. */
const char *ss_errname(int code);

#ifdef __cplusplus
}
#endif
#endif
