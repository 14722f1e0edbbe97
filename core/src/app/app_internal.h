/* The app layer's internal header: the app part of a simulator, a list of
 * apps each freed with it.  Apps use TCP through its public header only
 * (synsim/tcp.h, synsim/app.h) and the sim layer for memory and streams. */
#ifndef SYNSIM_APP_APP_INTERNAL_H
#define SYNSIM_APP_APP_INTERNAL_H

#include "sim/sim_internal.h"
#include "synsim/app.h"
#include "synsim/net.h"

/* The first member of every app. */
struct app_base {
    struct app_base *next;
    void (*destroy)(ss_sim *sim, struct app_base *app);
    ss_sim *sim;
    ss_node *host;
    ss_rng rng;   /* drawn from the stream named `stream` */
    char *stream; /* "" for an app that draws nothing */
};

typedef void (*app_destroy_fn)(ss_sim *sim, struct app_base *app);

/* An app's random stream is named by what the app is, never by when it
 * was made:
 *
 *     app:KIND:HOST>DEST:PORT[:NAME]
 *
 * KIND "clients", "synflood" or "ackflood"; HOST the node it runs on; DEST
 * the name of the node holding the destination address (the dotted address
 * when no node holds it); NAME the caller's name, left out when NULL or "".
 * Node names are unique, so the name depends on nothing but the app (see
 * synsim/app.h).  SS_EINVAL for a NAME longer than SS_APP_NAME_MAX. */
#define APP_STREAM_MAX (32 + 3 * (SS_APP_NAME_MAX + 1))
int app_stream_name(char out[APP_STREAM_MAX], const char *kind, const ss_node *host, uint32_t dst, uint16_t port,
                    const char *name);

/* A zeroed app of `size` bytes on `host`, seeded from `stream` (NULL: an
 * app that draws nothing) and registered with the simulator, which frees it
 * with `destroy`.  NULL and *rc set, nothing changed, when memory ran out
 * (SS_ENOMEM) or another app already draws from `stream` (SS_EEXIST: two
 * apps of one identity would draw the same numbers). */
void *app_new(ss_node *host, size_t size, const char *stream, app_destroy_fn destroy, int *rc);

#endif
