"""Units for times and rates.

A time is a string with a unit ("10ms", "1.5s", "250us", "2min") or a number
of seconds; a rate is a string ("100Mbps", "56kbps", "1.5Gbps") or a number
of bits per second.  Strings are read exactly (decimal arithmetic), so
"0.1s" is 100,000,000 ns and not one nanosecond less.
"""
from decimal import Decimal, InvalidOperation
import math
import numbers
import re

NS_PER_S = 1_000_000_000
TIME_MAX_NS = 2**63 - 1

_TIME_UNITS = {
    "ns": Decimal(1),
    "us": Decimal(1_000),
    "µs": Decimal(1_000),
    "ms": Decimal(1_000_000),
    "s": Decimal(NS_PER_S),
    "min": Decimal(60 * NS_PER_S),
    "h": Decimal(3600 * NS_PER_S),
}
_RATE_UNITS = {
    "bps": Decimal(1),
    "kbps": Decimal(10**3),
    "Mbps": Decimal(10**6),
    "Gbps": Decimal(10**9),
    "Tbps": Decimal(10**12),
}
_NUMBER_UNIT = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([A-Za-zµ]+)\s*$")


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _split(value, name, units, what):
    m = _NUMBER_UNIT.match(value)
    if not m or m.group(2) not in units:
        raise ValueError(
            f"{name} must be a {what} such as {', '.join(repr('1' + u) for u in units)}; got {value!r}"
        )
    try:
        number = Decimal(m.group(1))
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        raise ValueError(f"{name}: cannot read the number in {value!r}") from None
    return number * units[m.group(2)]


def parse_time(value, name="time", allow_zero=True):
    """Return `value` as integer nanoseconds (rounded to the nearest ns).

    Raises TypeError for values that are neither numbers nor strings, and
    ValueError, naming `name`, for negative, NaN, infinite or unreadable ones.
    """
    if isinstance(value, str):
        ns = _split(value, name, _TIME_UNITS, "time")
    elif _is_number(value):
        if math.isnan(value) or math.isinf(value):
            raise ValueError(f"{name} must be a finite time; got {value!r}")
        ns = Decimal(repr(float(value))) * NS_PER_S if isinstance(value, float) else Decimal(value) * NS_PER_S
    else:
        raise TypeError(f"{name} must be a time: a string such as '10ms' or a number of seconds; got {type(value).__name__}")
    ns = int(ns.to_integral_value())
    if ns < 0 or (ns == 0 and not allow_zero):
        raise ValueError(f"{name} must be {'positive' if not allow_zero else 'zero or more'}; got {value!r}")
    if ns > TIME_MAX_NS:
        raise ValueError(f"{name} is too far in the future (at most {TIME_MAX_NS} ns, about 292 years); got {value!r}")
    return ns


def parse_rate(value, name="rate"):
    """Return `value` as integer bits per second (> 0)."""
    if isinstance(value, str):
        bps = _split(value, name, _RATE_UNITS, "rate")
    elif _is_number(value):
        if math.isnan(value) or math.isinf(value):
            raise ValueError(f"{name} must be a finite rate in bits per second; got {value!r}")
        bps = Decimal(repr(float(value))) if isinstance(value, float) else Decimal(value)
    else:
        raise TypeError(f"{name} must be a rate: a string such as '100Mbps' or a number of bits per second; got {type(value).__name__}")
    bps = int(bps.to_integral_value())
    if bps <= 0:
        raise ValueError(f"{name} must be a positive rate of at least 1 bps; got {value!r}")
    if bps > 10**15:
        raise ValueError(f"{name} must be at most 1 Pbps; got {value!r}")
    return bps


def seconds(ns):
    """Nanoseconds as float seconds, for display and tables."""
    return ns / NS_PER_S
