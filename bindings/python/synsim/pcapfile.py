"""Reading synsim's pcap files by their record headers, and cutting a file
back to its last whole record.

synsim writes whole records only, and defers the signals that would end the
process in the middle of a write (SIGTERM, SIGINT, SIGHUP, ...).  SIGKILL
cannot be deferred: Linux may stop a write() that spans several pages at a
page boundary (generic_perform_write() checks fatal_signal_pending() before
each page), so a capture of a process killed with SIGKILL while it was
writing can end inside a record, always at a multiple of the page size.
`repair_capture()` cuts such a file back to its last whole record."""
import os
import struct

__all__ = ["capture_records", "repair_capture"]

_HEADER = struct.Struct("<IHHiIII")
_RECORD = struct.Struct("<IIII")
_MAGICS = (0xa1b2c3d4, 0xa1b23c4d)  # microsecond and nanosecond pcap


def _scan(data):
    """(whole records, bytes they end at) of a little-endian pcap."""
    if len(data) < _HEADER.size:
        raise ValueError(f"not a pcap file: {len(data)} bytes, less than its 24-byte header")
    magic, _, _, _, _, snaplen, _ = _HEADER.unpack_from(data)
    if magic not in _MAGICS:
        raise ValueError(f"not a little-endian pcap file (magic {magic:#010x})")
    off, n = _HEADER.size, 0
    while off + _RECORD.size <= len(data):
        _, _, incl, orig = _RECORD.unpack_from(data, off)
        if incl > orig or incl > max(snaplen, 65535):
            raise ValueError(f"record {n} at byte {off} has a bad header (incl_len {incl}, orig_len {orig})")
        if off + _RECORD.size + incl > len(data):
            break
        off += _RECORD.size + incl
        n += 1
    return n, off


def capture_records(path):
    """(records, bytes they fill, file size) of a pcap file: the file is
    whole when the last two are equal."""
    with open(path, "rb") as f:
        data = f.read()
    n, end = _scan(data)
    return n, end, len(data)


def repair_capture(path):
    """Cut a pcap file back to its last whole record (a no-op on a whole
    file) and return the number of records it holds."""
    n, end, size = capture_records(path)
    if end < size:
        os.truncate(path, end)
    return n
