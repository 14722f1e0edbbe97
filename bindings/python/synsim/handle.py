"""What every object that stands for something inside a Simulator shares.

Such an object (a Simulator, node, link, capture, listener, connection,
app, a host's settings) is a handle: it names one C object and, for a
connection, holds it (ss_tcp_conn_hold) so that its slot is never given to
another connection while the handle lives.  A copy would be a second
handle without its own hold, and a pickle would name memory of another
process, so both are refused: nothing a user does can make a handle reach
an object other than its own."""

__all__ = ["Handle"]


class Handle:
    """Refuses copy.copy(), copy.deepcopy() and pickle with a TypeError."""

    __slots__ = ()

    def _refuse(self, what):
        raise TypeError(f"a synsim.{type(self).__name__} cannot be {what}: it stands for one object inside "
                        f"one Simulator; keep a reference to it, or save what it reports (conn.info, "
                        f"dict(host.tcp), the tables); to repeat a run, build it again from the same seed "
                        f"and script")

    def __copy__(self):
        self._refuse("copied")

    def __deepcopy__(self, memo):
        self._refuse("copied")

    def __reduce_ex__(self, protocol):
        self._refuse("pickled")
