"""C error codes turned into Python exceptions, in one place."""
from . import core as _c

_MESSAGES = {
    _c.SS_EINVAL: ValueError,
    _c.SS_ERANGE: ValueError,
    _c.SS_ENOENT: LookupError,
    _c.SS_EEXIST: ValueError,
    _c.SS_EOTHERSIM: ValueError,
    _c.SS_ESTATE: RuntimeError,
    _c.SS_ENOMEM: MemoryError,
    _c.SS_ESTALE: RuntimeError,
}


def check(rc, what):
    """Raise the exception for a negative C return code; `what` says which
    call or parameter it was about.  Returns rc unchanged otherwise."""
    if rc >= 0:
        return rc
    kind = _MESSAGES.get(rc, RuntimeError)
    raise kind(f"{what}: {_c.ss_strerror(rc)} ({_c.ss_errname(rc)})")
