"""Tunnel input validation, `-L`/`-D` parsing, local URLs and the saved form of a spec."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.core.errors import TunnelError
from tui.core.models import SshTarget
from tui.core.tunnels.model import (
    PRESETS_BY_KEY,
    TunnelKind,
    TunnelSpec,
    check_bind_address,
    check_local_port,
    local_url,
    parse_dynamic,
    parse_forward,
    parse_port,
    validate,
)
from tui.core.tunnels.specjson import spec_from_json, spec_to_json


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("65536", "local port 65536 is out of range: ports go from 1 to 65535 or 0 for any"),
        ("70000", "local port 70000 is out of range"),
        ("abc", "local port 'abc' is not a number: type 1-65535 (or 0 for any free port)"),
        ("-1", "is not a number"),
        ("8888.5", "is not a number"),
    ],
)
def test_bad_local_ports_say_what_to_type(text: str, message: str) -> None:
    with pytest.raises(TunnelError) as info:
        parse_port(text, what="local port", allow_any=True)
    assert message in info.value.message


def test_port_zero_means_any_only_where_allowed() -> None:
    assert parse_port("0", allow_any=True) == 0
    assert parse_port("any", allow_any=True) == 0
    assert parse_port("", allow_any=True) == 0
    with pytest.raises(TunnelError, match="remote port 0 is not a port: type 1-65535"):
        parse_port("0", what="remote port")
    with pytest.raises(TunnelError, match="an empty field"):
        parse_port("", what="remote port")


@given(st.integers(min_value=1, max_value=65535))
def test_every_valid_port_parses(port: int) -> None:
    assert parse_port(f" {port} ") == port


def test_privileged_port_refused_unless_root() -> None:
    with pytest.raises(TunnelError) as info:
        check_local_port(80, is_root=False)
    assert "local port 80 is privileged (below 1024): only root may listen there" in str(info.value)
    assert "or 0 for any free port" in str(info.value)
    warnings = check_local_port(80, is_root=True)
    assert warnings and "privileged" in warnings[0]
    assert check_local_port(8080, is_root=False) == []
    assert check_local_port(0, is_root=False) == []


def test_bind_address_other_than_loopback_warns() -> None:
    assert check_bind_address("127.0.0.1") == []
    assert check_bind_address("::1") == []
    assert check_bind_address("localhost") == []
    assert "other machines" in check_bind_address("0.0.0.0")[0]
    with pytest.raises(TunnelError, match="not an IP address"):
        check_bind_address("my laptop")


def test_validate_normalises_and_collects_warnings() -> None:
    spec, warnings = validate(
        TunnelSpec(node=" master-0 ", remote_port=8888, remote_host=" [::1] ", bind_address=""),
        is_root=False,
    )
    assert (spec.node, spec.remote_host, spec.bind_address) == ("master-0", "::1", "127.0.0.1")
    assert warnings == []
    with pytest.raises(TunnelError, match="remote port 70000 is out of range"):
        validate(TunnelSpec(node="n", remote_port=70000))
    with pytest.raises(TunnelError, match="local port 70000 is out of range"):
        validate(TunnelSpec(node="n", remote_port=80, local_port=70000))
    with pytest.raises(TunnelError, match="choose the node"):
        validate(TunnelSpec(node=" ", remote_port=80))
    _, warnings = validate(TunnelSpec(node="n", kind=TunnelKind.SOCKS, bind_address="0.0.0.0"))
    assert len(warnings) == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8888", (8888, "localhost", 8888, "127.0.0.1")),
        ("8888:9999", (8888, "localhost", 9999, "127.0.0.1")),
        ("0:localhost:8888", (0, "localhost", 8888, "127.0.0.1")),
        ("8888:gpu-node-3:8888", (8888, "gpu-node-3", 8888, "127.0.0.1")),
        ("0.0.0.0:8888:localhost:80", (8888, "localhost", 80, "0.0.0.0")),
        ("8888:[::1]:8888", (8888, "::1", 8888, "127.0.0.1")),
    ],
)
def test_parse_forward(text: str, expected: tuple[int, str, int, str]) -> None:
    assert parse_forward(text) == expected


def test_parse_forward_errors() -> None:
    with pytest.raises(TunnelError, match="is not LOCAL_PORT:HOST:REMOTE_PORT"):
        parse_forward("1:2:3:4:5")
    with pytest.raises(TunnelError, match="remote port 65536 is out of range"):
        parse_forward("8888:localhost:65536")
    assert parse_dynamic("1080") == (1080, "127.0.0.1")
    assert parse_dynamic("0.0.0.0:1080") == (1080, "0.0.0.0")
    with pytest.raises(TunnelError, match="SOCKS port 'x' is not a number"):
        parse_dynamic("x")


def test_local_urls_keep_the_path_and_token() -> None:
    jupyter = TunnelSpec(node="n", remote_port=8888, url_path="/lab?token=abc")
    assert local_url(jupyter, 18888) == "http://127.0.0.1:18888/lab?token=abc"
    vnc = TunnelSpec(node="n", remote_port=5901, scheme="")
    assert local_url(vnc, 5901) == "127.0.0.1:5901"
    socks = TunnelSpec(node="n", kind=TunnelKind.SOCKS, bind_address="0.0.0.0")
    assert local_url(socks, 1080) == "socks5h://127.0.0.1:1080"
    v6 = TunnelSpec(node="n", remote_port=80, bind_address="::1")
    assert local_url(v6, 8080) == "http://[::1]:8080/"
    assert PRESETS_BY_KEY["jupyter"].port == 8888
    assert PRESETS_BY_KEY["paraview"].port == 11111


specs = st.builds(
    TunnelSpec,
    node=st.text(min_size=1, max_size=12),
    remote_port=st.integers(0, 65535),
    remote_host=st.sampled_from(["localhost", "10.0.0.4", "::1"]),
    local_port=st.integers(0, 65535),
    kind=st.sampled_from(list(TunnelKind)),
    name=st.text(max_size=8),
    job_key=st.one_of(st.none(), st.just("demo:4207")),
    target=st.one_of(
        st.none(),
        st.just(SshTarget("h", 2222, "u", Path("/k"), jump=SshTarget("j", 22, None, None))),
    ),
    url_path=st.sampled_from(["/", "/lab?token=x"]),
)


@given(specs, st.integers(0, 65535))
def test_spec_json_round_trip(spec: TunnelSpec, bound: int) -> None:
    assert spec_from_json(spec_to_json(spec, bound_port=bound)) == (spec, bound)


def test_spec_from_json_rejects_garbage() -> None:
    with pytest.raises(TunnelError, match="not a saved tunnel"):
        spec_from_json({"node": "n", "kind": "teleport"})
    with pytest.raises(TunnelError, match="not a saved tunnel"):
        spec_from_json(["node"])
