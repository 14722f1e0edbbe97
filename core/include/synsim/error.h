/* synsim error codes.
 *
 * Every fallible function of the C API returns 0 on success or one of the
 * negative codes below; it never aborts on a caller's input.  The names are
 * defined once here and named by ss_strerror() / ss_errname().
 *
 * Handles.  A function that returns an int returns SS_EINVAL for a NULL
 * handle or a NULL pointer it must write through (optional outputs are
 * said so where they are declared), and SS_ESTALE for a connection that
 * has been freed.  A getter returns its neutral value instead: 0, false,
 * NULL, "" for a name, SS_TCP_CLOSED for a state, SS_NODE_HOST for a kind;
 * a getter that fills a structure zeroes it.  A function returning void
 * does nothing.  Connection pointers stay valid while the connection lives
 * or is held (ss_tcp_conn_hold); a caller who keeps one beyond that keeps
 * an ss_tcp_handle, which detects a slot reused by another connection. */
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
    SS_EIO = -8,       /* a file could not be written */
    SS_ESTALE = -9     /* the handle's object is gone (a connection finished and freed) */
};

/* Number of error codes, SS_OK included. */
#define SS_ERROR_COUNT 10

/* A sentence describing `code` ("invalid argument"); never NULL. */
const char *ss_strerror(int code);
/* The constant's name ("SS_EINVAL"); "SS_E?" for an unknown code. */
const char *ss_errname(int code);

#ifdef __cplusplus
}
#endif
#endif
