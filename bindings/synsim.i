/* SWIG interface of synsim: the public headers as they are, plus typemaps
 * for out-parameters and one buffer copy for trace records.  The Pythonic
 * layer (units, validation, errors, DataFrames) lives in the package's .py
 * files, not here. */
%module(package="synsim") core

%{
#include "synsim/error.h"
#include "synsim/sim.h"
#include "synsim/rng.h"
#include "synsim/net.h"
#include "synsim/trace.h"
#include "synsim/tcp.h"
#include "synsim/pcap.h"
#include "synsim/app.h"
%}

%include <stdint.i>
%include <pybuffer.i>
%include <constraints.i>

/* No handle may be None: a call from Python with one raises ValueError
 * instead of reaching C with a NULL pointer. */
%apply Pointer NONNULL { ss_sim *sim, const ss_sim *sim, ss_node *node, const ss_node *node, ss_node *host,
                         ss_node *a, ss_node *b, ss_node *from, ss_link *link, const ss_link *link,
                         ss_tcp_conn *conn, const ss_tcp_conn *conn, ss_tcp_listener *listener,
                         const ss_tcp_listener *listener, ss_pcap *pcap, const ss_pcap *pcap,
                         const ss_app_clients *app, const ss_app_server *app, const ss_app_flood *app,
                         ss_packet *packet, const ss_packet *packet, ss_link_config *config,
                         const ss_link_config *config, ss_node_stats *out, ss_link_stats *out, ss_tcp_info *out,
                         ss_tcp_listener_info *out, ss_client_record *out, const ss_clients_config *config,
                         const ss_flood_config *config };

/* `T **out` parameters become a second return value: (rc, object). */
%define SS_OUT_POINTER(TYPE)
%typemap(in, numinputs=0) TYPE **out (TYPE *tmp) {
    tmp = NULL;
    $1 = &tmp;
}
%typemap(argout) TYPE **out {
    $result = SWIG_Python_AppendOutput($result, SWIG_NewPointerObj(SWIG_as_voidptr(*$1), $*1_descriptor, 0), 1);
}
%enddef
SS_OUT_POINTER(ss_sim)
SS_OUT_POINTER(ss_node)
SS_OUT_POINTER(ss_link)
SS_OUT_POINTER(ss_packet)
SS_OUT_POINTER(ss_tcp_conn)
SS_OUT_POINTER(ss_tcp_listener)
SS_OUT_POINTER(ss_pcap)
SS_OUT_POINTER(ss_app_clients)
SS_OUT_POINTER(ss_app_server)
SS_OUT_POINTER(ss_app_flood)

/* Numbers read through an out-parameter become a second return value. */
%typemap(in, numinputs=0) int64_t *value (int64_t tmp) {
    tmp = 0;
    $1 = &tmp;
}
%typemap(argout) int64_t *value {
    $result = SWIG_Python_AppendOutput($result, PyLong_FromLongLong(*$1), 1);
}
%typemap(in, numinputs=0) uint64_t *value (uint64_t tmp) {
    tmp = 0;
    $1 = &tmp;
}
%typemap(argout) uint64_t *value {
    $result = SWIG_Python_AppendOutput($result, PyLong_FromUnsignedLongLong(*$1), 1);
}

%typemap(in, numinputs=0) uint32_t *out (uint32_t tmp) {
    tmp = 0;
    $1 = &tmp;
}
%typemap(argout) uint32_t *out {
    $result = SWIG_Python_AppendOutput($result, PyLong_FromUnsignedLong(*$1), 1);
}

/* A run slice's end-of-run flag becomes a second return value. */
%typemap(in, numinputs=0) bool *done (bool tmp) {
    tmp = false;
    $1 = &tmp;
}
%typemap(argout) bool *done {
    $result = SWIG_Python_AppendOutput($result, PyBool_FromLong(*$1), 1);
}

/* A slice runs without the GIL, so that other Python threads go on while
 * the simulator computes.  That is safe because nothing in the core calls
 * back into Python: the C API's callbacks (ss_tcp_callbacks) can hold only
 * C functions, as SWIG turns no Python callable into a C function pointer,
 * and the package passes NULL for them.  Should
 * a Python callback ever be added, it must take the GIL again
 * (PyGILState_Ensure) or slices that can reach it must keep the GIL. */
%exception ss_sim_run_slice {
    Py_BEGIN_ALLOW_THREADS
    $action
    Py_END_ALLOW_THREADS
}

/* The timer's fields and the packet's link bookkeeping are private. */
%ignore ss_timer;
%ignore ss_timer_init;
%ignore ss_timer_arm;
%ignore ss_timer_arm_in;
%ignore ss_timer_cancel;
%ignore ss_timer_armed;
%ignore ss_timer_when;
%ignore ss_packet::arrive_at;
%ignore ss_packet::next;
%ignore ss_packet::link;
%ignore ss_packet::dir;
%ignore ss_packet::lost;
%ignore ss_node_set_receiver;
%ignore ss_trace_copy;
%ignore ss_route_lookup;
%ignore ss_addr_format;
%ignore ss_tcp_setting_range;
%ignore ss_tcp_records_copy;

%include "synsim/error.h"
%include "synsim/sim.h"
%include "synsim/rng.h"
%include "synsim/net.h"
%include "synsim/trace.h"
%include "synsim/tcp.h"
%include "synsim/pcap.h"
%include "synsim/app.h"

%apply int64_t *value { int64_t *max_out, int64_t *def_out };
%inline %{
/* A setting's allowed range and default, as a 3-tuple for Python. */
int ss_tcp_setting_bounds(const char *name, int64_t *value, int64_t *max_out, int64_t *def_out)
{
    return ss_tcp_setting_range(name, value, max_out, def_out);
}
%}

%pybuffer_mutable_binary(char *buffer, size_t size);
%inline %{
/* Copy trace records from `first` into a writable buffer (a numpy array of
 * the matching dtype); returns the number of records copied. */
size_t ss_trace_copy_into(ss_sim *sim, size_t first, char *buffer, size_t size)
{
    return ss_trace_copy(sim, first, (ss_trace_record *)(void *)buffer, size / sizeof(ss_trace_record));
}
size_t ss_trace_record_size(void)
{
    return sizeof(ss_trace_record);
}
/* The connection table into a writable buffer, likewise. */
size_t ss_tcp_records_copy_into(ss_sim *sim, size_t first, char *buffer, size_t size)
{
    return ss_tcp_records_copy(sim, first, (ss_tcp_record *)(void *)buffer, size / sizeof(ss_tcp_record));
}
size_t ss_tcp_record_size(void)
{
    return sizeof(ss_tcp_record);
}
/* Every client record as 7 int64 each (conn, start, established, closed,
 * error, syn_retransmits, done) into a writable buffer; returns how many. */
size_t ss_app_clients_copy_into(const ss_app_clients *app, char *buffer, size_t size)
{
    size_t n = ss_app_clients_count(app), max = size / (7 * sizeof(int64_t));
    int64_t *out = (int64_t *)(void *)buffer;
    ss_client_record r;
    for (size_t i = 0; i < n && i < max; i++, out += 7) {
        ss_app_clients_record(app, i, &r);
        out[0] = r.conn, out[1] = r.start, out[2] = r.established, out[3] = r.closed;
        out[4] = r.error, out[5] = r.syn_retransmits, out[6] = r.done;
    }
    return n < max ? n : max;
}
/* The address as text, for Python. */
const char *ss_addr_text(uint32_t addr)
{
    static char buf[16];
    ss_addr_format(addr, buf);
    return buf;
}
%}
