"""TCP flags as tcpdump prints them, both ways.  A leaf module: it imports
nothing else of the package, so that simulator.py and trace.py can both use
it without importing each other."""
from . import core as _c

_FLAG_BITS = {"S": _c.SS_TCP_SYN, "F": _c.SS_TCP_FIN, "R": _c.SS_TCP_RST, "P": _c.SS_TCP_PSH, ".": _c.SS_TCP_ACK}


def flags_text(flags):
    """TCP flags as tcpdump prints them: 'S', 'S.', '.', 'F.', 'R'."""
    return "".join(ch for ch, bit in _FLAG_BITS.items() if flags & bit)


def parse_flags(value):
    """The bits of a flags string such as 'S.'; TypeError or ValueError
    naming `flags` when it is not made of S F R P and '.'."""
    if not isinstance(value, str):
        raise TypeError(f"flags must be a string of S F R P . (as tcpdump prints them); got {type(value).__name__}")
    bits = 0
    for ch in value:
        if ch not in _FLAG_BITS:
            raise ValueError(f"flags must be made of S F R P . (as tcpdump prints them); got {value!r}")
        bits |= _FLAG_BITS[ch]
    return bits
