"""`clusterdeck tunnel` argument handling (the running command is in tests/integration)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tui.app.commands.tunnel import Forward, TunnelOptions, parse_tunnel_args, run_tunnel_command
from tui.core.config.settings import Settings
from tui.core.errors import TunnelError
from tui.core.providers.base import Provider
from tui.core.tunnels.model import TunnelKind


def test_forwards_are_parsed_like_ssh() -> None:
    argv = "--job cfd-wing --node worker-1 -L 8888:localhost:8888 -D 1080 -L 0:gpu-3:6006"
    options = parse_tunnel_args([*argv.split(), "--poll", "2"])
    assert options == TunnelOptions(
        job="cfd-wing",
        node="worker-1",
        forwards=(
            Forward(TunnelKind.LOCAL, 8888, "127.0.0.1", "localhost", 8888),
            Forward(TunnelKind.LOCAL, 0, "127.0.0.1", "gpu-3", 6006),
            Forward(TunnelKind.SOCKS, 1080, "127.0.0.1"),
        ),
        poll=2.0,
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--job", "j", "-L", "70000:localhost:80"], "local port 70000 is out of range"),
        (["--job", "j", "-L", "x:localhost:80"], "local port 'x' is not a number"),
        (["--job", "j", "-D", "65536"], "SOCKS port 65536 is out of range"),
        (["--job", "j"], "nothing to forward: give at least one -L or -D"),
        (["-L", "8888"], "the following arguments are required: --job"),
        (["--job", "j", "-L", "1", "--poll", "0"], "--poll must be a positive number"),
    ],
)
def test_bad_arguments_exit_2_before_any_provider(
    argv: list[str], message: str, tmp_path: Path
) -> None:
    with pytest.raises(TunnelError, match=message):
        parse_tunnel_args(argv)
    built: list[str | None] = []

    def factory(name: str | None) -> Provider:
        built.append(name)
        raise AssertionError("no provider for bad arguments")

    err = io.StringIO()
    status = run_tunnel_command(
        argv, settings=Settings(state_dir=tmp_path), provider_factory=factory, err=err
    )
    assert status == 2 and built == []
    assert err.getvalue().startswith("clusterdeck tunnel: ") and message in err.getvalue()


def test_help_lists_the_options(tmp_path: Path) -> None:
    def factory(name: str | None) -> Provider:
        raise AssertionError("no provider for --help")

    out = io.StringIO()
    status = run_tunnel_command(
        ["--help"],
        settings=Settings(state_dir=tmp_path),
        provider_factory=factory,
        out=out,
    )
    assert status == 0
    for option in ("--job", "--node", "-L [BIND:]PORT:HOST:HOSTPORT", "-D [BIND:]PORT"):
        assert option in out.getvalue()
