"""Access rules: CIDR blocks validated with clear messages, addresses checked against them."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.core.identity.cidr import parse_cidr, parse_rule, rule_allows, single_address_rule
from tui.core.identity.errors import CidrError


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("10.0.0.0/33", "prefix length must be a number from 0 to 32 for IPv4"),
        ("abc", "'abc' is not a CIDR block: write an IPv4 or IPv6 address"),
        ("2001:db8::/129", "from 0 to 128 for IPv6"),
        ("10.0.0.0/x", "prefix length must be a number"),
        ("10.0.0.1/24", "has host bits set; the network is 10.0.0.0/24"),
        ("300.1.1.1/32", "is not a CIDR block"),
        ("", "empty"),
    ],
)
def test_invalid_blocks_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(CidrError, match=message):
        parse_cidr(text)


def test_valid_blocks_rules_and_membership() -> None:
    assert str(parse_cidr(" 203.0.113.7 ")) == "203.0.113.7/32"
    assert str(parse_cidr("2001:db8::/48")) == "2001:db8::/48"
    rule = parse_rule("10.0.0.0/8, 76.238.240.39/32,2001:db8::/32")
    assert len(rule) == 3
    assert rule_allows(rule, ipaddress.ip_address("10.1.2.3"))
    assert rule_allows(rule, ipaddress.ip_address("::ffff:76.238.240.39"))
    assert rule_allows(rule, ipaddress.ip_address("2001:db8::1"))
    assert not rule_allows(rule, ipaddress.ip_address("76.238.240.40"))
    assert rule_allows(parse_rule("0.0.0.0/0"), ipaddress.ip_address("198.51.100.1"))
    assert single_address_rule(ipaddress.ip_address("2001:db8::1")) == "2001:db8::1/128"
    with pytest.raises(CidrError, match="'abc'"):
        parse_rule("10.0.0.0/8, abc")
    with pytest.raises(CidrError, match="empty"):
        parse_rule(" , ")


@given(st.ip_addresses(), st.integers(min_value=0, max_value=128))
def test_any_network_round_trips_and_contains_its_addresses(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, prefix: int
) -> None:
    prefix = min(prefix, address.max_prefixlen)
    network = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
    assert parse_cidr(str(network)) == network
    assert rule_allows((network,), address)
