/* The connection table: one ss_tcp_record per connection, kept in step
 * with it as it goes, read from Python as one block. */
#include <string.h>

#include "synsim/error.h"
#include "tcp/tcp_internal.h"

_Static_assert(sizeof(ss_tcp_record) == 104, "record layout is shared with Python");

void tcp_record_new(ss_tcp_conn *c)
{
    struct tcp_part *part = c->stack->part;
    if (part->not_recording)
        return;
    if (ss_reserve(&part->records, &part->record_cap, part->record_count + 1, sizeof *part->records, 256) < 0 ||
        ss_reserve(&part->record_owner, &part->record_owner_cap, part->record_count + 1, sizeof *part->record_owner,
                   256) < 0) {
        ss_sim_fail(c->stack->sim, SS_ENOMEM);
        return;
    }
    part->record_owner[part->record_count] = c;
    c->record = (uint32_t)++part->record_count;
    tcp_record_sync(c);
}

void tcp_record_release(ss_tcp_conn *c)
{
    if (!c->record)
        return;
    tcp_record_sync(c);
    c->stack->part->record_owner[c->record - 1] = NULL;
    c->record = 0;
}

void tcp_record_drop(ss_tcp_conn *c)
{
    struct tcp_part *part = c->stack->part;
    if (c->record && c->record == part->record_count)
        part->record_count--;
    tcp_record_release(c);
}

void tcp_record_sync(const ss_tcp_conn *c)
{
    if (!c->record)
        return;
    ss_tcp_record *r = &c->stack->part->records[c->record - 1];
    *r = (ss_tcp_record){
        .t_open = c->t_open,
        .t_established = c->t_established,
        .t_accepted = c->t_accepted,
        .t_closed = c->t_closed,
        .bytes_sent = c->app_queued,
        .bytes_acked = c->bytes_acked,
        .bytes_received = c->bytes_received,
        .id = c->id,
        .node = c->stack->node->id,
        .local_addr = c->h.t.laddr,
        .remote_addr = c->h.t.raddr,
        .iss = c->iss,
        .irs = c->irs,
        .syn_retransmits = c->syn_retransmits,
        .retransmits = c->data_retransmits,
        .local_port = c->h.t.lport,
        .remote_port = c->h.t.rport,
        .mss = c->mss,
        .error = (uint16_t)c->error,
        .state = (uint8_t)c->state,
        .passive = c->passive,
        .cookie = c->cookie,
    };
}

int ss_tcp_set_recording(ss_sim *sim, bool on)
{
    if (!sim)
        return SS_EINVAL;
    struct tcp_part *part = tcp_part_get(sim);
    if (!part)
        return SS_ENOMEM;
    part->not_recording = !on;
    return 0;
}

size_t ss_tcp_record_count(ss_sim *sim)
{
    const struct tcp_part *part = sim ? sim->part[SS_PART_TCP] : NULL;
    return part ? part->record_count : 0;
}

size_t ss_tcp_records_copy(ss_sim *sim, size_t first, ss_tcp_record *out, size_t max)
{
    const struct tcp_part *part = sim ? sim->part[SS_PART_TCP] : NULL;
    if (!part || !out || first >= part->record_count)
        return 0;
    size_t n = part->record_count - first < max ? part->record_count - first : max;
    /* Every row as its connection is now, not as it was at its last state
     * change: the connections still alive are synced first. */
    for (size_t i = first; i < first + n; i++)
        if (part->record_owner[i])
            tcp_record_sync(part->record_owner[i]);
    memcpy(out, part->records + first, n * sizeof *out);
    return n;
}
