"""Screenshot of the `S` dialog (fixed text: the real one holds per-run ports and paths)."""

from __future__ import annotations

from pathlib import Path

from tests.apphelpers import AppFactory, settle_dashboard
from tests.conftest import wait_until
from tests.snapshots.conftest import Snap
from tui.app.screens.dialogs.ssh_config import SshConfigDialog
from tui.core.sshconfig.blocks import HostBlock, render_blocks

KNOWN = "/home/ada/.ssh/known_hosts /home/ada/.local/state/clusterdeck/known_hosts.jobs"
LOGIN = HostBlock(
    "clusterdeck-hpc-via-login.hpc.example.edu",
    (
        ("HostName", "login.hpc.example.edu"),
        ("Port", "22"),
        ("User", "ada"),
        ("IdentityFile", "/home/ada/.ssh/id_ed25519"),
        ("UserKnownHostsFile", KNOWN),
    ),
    "jump host ada@login.hpc.example.edu for hpc",
)
NODE = HostBlock(
    "clusterdeck-hpc-4242-node07",
    (
        ("HostName", "10.1.0.7"),
        ("Port", "22"),
        ("User", "ada"),
        ("IdentityFile", "/home/ada/.ssh/id_ed25519"),
        ("ProxyJump", LOGIN.alias),
        ("UserKnownHostsFile", KNOWN),
    ),
    "node07 of train (4242) on hpc",
)


async def test_ssh_config_dialog(app_factory: AppFactory, snap: Snap) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle_dashboard(app, pilot)
        app.push_screen(
            SshConfigDialog(
                "SSH config: node07 of train",
                render_blocks([LOGIN, NODE]),
                copy=lambda text: None,
                write=lambda path: f"wrote {path}",
                default_path=Path("~/.ssh/clusterdeck.conf"),
            )
        )
        await wait_until(
            lambda: isinstance(app.screen, SshConfigDialog), pause=pilot.pause, what="dialog"
        )
        await pilot.pause()
        snap(app, "ssh-config-dialog")
