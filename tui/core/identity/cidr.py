"""Access restriction rules (CIDR blocks) and a guard that checks the workstation against them.

Cloud platforms let a job accept SSH only from some networks ("Everywhere", "My Current IP",
or custom CIDR blocks). When the workstation's public address is outside the rule, SSH just
times out; the guard says so up front.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui.core.identity.errors import CidrError, PublicAddressError

if TYPE_CHECKING:
    import httpx

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

EVERYWHERE = "0.0.0.0/0"
DEFAULT_ENDPOINT = "https://api.ipify.org"
"""Answers with the caller's public address as plain text; configurable."""


def parse_cidr(text: str) -> Network:
    """One CIDR block (`203.0.113.7/32`, `2001:db8::/48`); a bare address means /32 or /128.

    Raises:
        CidrError: with what is wrong and an example of a valid block.
    """
    value = text.strip()
    if not value:
        raise CidrError("the CIDR block is empty; e.g. 203.0.113.7/32 or 0.0.0.0/0 (everywhere)")
    address, slash, prefix = value.partition("/")
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        raise CidrError(
            f"{value!r} is not a CIDR block: write an IPv4 or IPv6 address and a prefix "
            f"length, e.g. 203.0.113.7/32 or 2001:db8::/48"
        ) from None
    limit = ip.max_prefixlen
    if slash and not (prefix.isdigit() and 0 <= int(prefix) <= limit):
        raise CidrError(
            f"{value!r}: the prefix length must be a number from 0 to {limit} for IPv{ip.version}"
        )
    try:
        return ipaddress.ip_network(value if slash else f"{value}/{limit}")
    except ValueError:
        network = ipaddress.ip_network(value, strict=False)
        raise CidrError(
            f"{value!r} has host bits set; the network is {network} (or use "
            f"{address}/{limit} for this one address)"
        ) from None


def parse_rule(text: str) -> tuple[Network, ...]:
    """A rule of one or more comma-separated CIDR blocks (as Rescale's `cidrRule`).

    Raises:
        CidrError: naming the first invalid block.
    """
    blocks = [part for part in (p.strip() for p in text.split(",")) if part]
    if not blocks:
        raise CidrError("the access rule is empty; e.g. 203.0.113.7/32 or 0.0.0.0/0")
    return tuple(parse_cidr(block) for block in blocks)


def single_address_rule(address: Address) -> str:
    """The "My Current IP" rule for `address`: /32 (IPv4) or /128 (IPv6)."""
    return f"{address}/{address.max_prefixlen}"


def rule_allows(rule: tuple[Network, ...], address: Address) -> bool:
    """True when `address` is inside one of the rule's blocks (IPv4-mapped IPv6 counts)."""
    candidates: list[Address] = [address]
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        candidates.append(address.ipv4_mapped)
    return any(ip.version == net.version and ip in net for ip in candidates for net in rule)


@dataclass(frozen=True)
class GuardVerdict:
    """Whether the workstation may reach a job, and a sentence saying so."""

    address: Address
    allowed: bool
    message: str


def _address_from(body: str) -> Address:
    text = body.strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            data = {}
        text = str(data.get("ip", "")) if isinstance(data, dict) else ""
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        shown = text[:60] or "an empty answer"
        raise PublicAddressError(
            f"the address service answered {shown!r}, not an IP address"
        ) from None


class PublicAddressGuard:
    """Learns the workstation's public address from an HTTP endpoint and checks job rules.

    Args:
        endpoint: A URL answering with the caller's address (plain text, or JSON `{"ip": ..}`).
        timeout: Seconds allowed for the request.
        transport: An httpx transport (tests); None uses the network.
    """

    def __init__(
        self,
        endpoint: str = DEFAULT_ENDPOINT,
        *,
        timeout: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.endpoint = endpoint
        self._timeout = timeout
        self._transport = transport
        self._cached: Address | None = None

    @property
    def cached_address(self) -> Address | None:
        """The address learned last, without asking again (None before the first ask)."""
        return self._cached

    async def public_address(self, *, refresh: bool = False) -> Address:
        """The workstation's public address (cached; `refresh` asks again).

        Raises:
            PublicAddressError: when the endpoint cannot be reached or answers nonsense.
        """
        if self._cached is not None and not refresh:
            return self._cached
        import httpx  # here: importing it costs start-up time, and few configs use a guard

        try:
            async with httpx.AsyncClient(
                timeout=self._timeout, transport=self._transport
            ) as client:
                response = await client.get(self.endpoint)
                response.raise_for_status()
        except httpx.HTTPError as exc:
            raise PublicAddressError(
                f"cannot learn this workstation's public address from {self.endpoint}: {exc}"
            ) from None
        self._cached = _address_from(response.text)
        return self._cached

    async def check(self, rule_text: str, *, job: str = "the job") -> GuardVerdict:
        """Whether this workstation's public address is inside `rule_text`.

        Raises:
            CidrError: when the rule is invalid.
            PublicAddressError: when the address cannot be learned.
        """
        rule = parse_rule(rule_text)
        address = await self.public_address()
        if rule_allows(rule, address):
            return GuardVerdict(address, True, f"{address} is allowed by {job}'s rule")
        blocks = ", ".join(str(net) for net in rule)
        return GuardVerdict(
            address,
            False,
            f"this workstation's public address {address} is outside {job}'s access rule "
            f"({blocks}): SSH connections will time out. Add {single_address_rule(address)} "
            f"to the rule in the job's settings, or connect from an allowed network.",
        )
