import math

import pytest

from synsim import parse_rate, parse_time


@pytest.mark.parametrize("text,ns", [
    ("10ms", 10_000_000),
    ("0.1s", 100_000_000),          # exact, not 99_999_999
    ("250us", 250_000),
    ("250µs", 250_000),
    ("1ns", 1),
    ("2min", 120_000_000_000),
    ("1h", 3_600_000_000_000),
    (" 1.5 s ", 1_500_000_000),
    ("1e-3s", 1_000_000),
    (1.5, 1_500_000_000),
    (0.1, 100_000_000),
    (3, 3_000_000_000),
    (0, 0),
])
def test_times(text, ns):
    assert parse_time(text) == ns


@pytest.mark.parametrize("bad,exc", [
    (-1, ValueError), ("-1s", ValueError), (math.nan, ValueError), (math.inf, ValueError),
    ("10 parsecs", ValueError), ("ms", ValueError), ("", ValueError), (None, TypeError),
    (True, TypeError), ([1], TypeError), ("300y", ValueError), (1e12, ValueError),
])
def test_bad_times_name_the_parameter(bad, exc):
    with pytest.raises(exc, match="delay"):
        parse_time(bad, "delay")


@pytest.mark.parametrize("text,bps", [
    ("100Mbps", 100_000_000), ("1Gbps", 10**9), ("56kbps", 56_000), ("1.5Gbps", 1_500_000_000),
    ("10bps", 10), (1e6, 1_000_000), (9600, 9600),
])
def test_rates(text, bps):
    assert parse_rate(text) == bps


@pytest.mark.parametrize("bad,exc", [
    (0, ValueError), ("0Mbps", ValueError), (-5, ValueError), ("fast", ValueError),
    ("100MBps", ValueError), (math.nan, ValueError), (None, TypeError), (False, TypeError),
])
def test_bad_rates_name_the_parameter(bad, exc):
    with pytest.raises(exc, match="rate"):
        parse_rate(bad, "rate")
