"""The keys screen on a fixed ~/.ssh: listing, generate, randomart, copy, fix, PuTTY, register."""

from __future__ import annotations

import asyncio
import hashlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncssh
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static

from tests.conftest import wait_until
from tui.app.screens.sshkeys.dialogs import ConfirmDialog, FormDialog, TextDialog
from tui.app.screens.sshkeys.screen import KeysScreen
from tui.core.identity.generate import write_ppk_file, write_private_key
from tui.core.identity.keyfiles import load_private_key
from tui.core.identity.ppk import parse_ppk
from widgets.tables.sshkey import KeyTable

PPK_SECRET = "putty passphrase"
KEY_SECRET = "ed25519 passphrase"


def _import(private: Any, comment: str) -> asyncssh.SSHKey:
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    key = asyncssh.import_private_key(pem)
    key.set_comment(comment)
    return key


def fixed_ed25519(seed: int, comment: str) -> asyncssh.SSHKey:
    """The same ed25519 key on every run (for stable fingerprints in screenshots)."""
    return _import(ed25519.Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32), comment)


def fixed_ecdsa(seed: bytes, comment: str) -> asyncssh.SSHKey:
    # OpenSSH refuses small private scalars: derive a full-size one from the seed
    secret = int.from_bytes(hashlib.sha384(seed).digest()) >> 2
    return _import(ec.derive_private_key(secret, ec.SECP384R1()), comment)


_MADE: dict[str, tuple[bytes, int]] = {}
"""The files of `populate`, made once per test run (encrypting them is the slow part)."""


def _make(folder: Path) -> None:
    write_private_key(
        fixed_ed25519(1, "ada@workstation"), folder / "id_ed25519", passphrase=KEY_SECRET
    )
    write_private_key(fixed_ecdsa(b"ecdsa", "cluster login"), folder / "id_ecdsa", passphrase=None)
    os.chmod(folder / "id_ecdsa", 0o644)
    write_ppk_file(fixed_ed25519(7, "from PuTTYgen"), folder / "work.ppk", passphrase=PPK_SECRET)
    (folder / "broken").write_text(
        "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n"
    )
    os.chmod(folder / "broken", 0o600)


def populate(home: Path) -> Path:
    """~/.ssh (mode 755) with a protected ed25519 key, an open ECDSA key, a .ppk, a bad file."""
    ssh = home / ".ssh"
    ssh.mkdir(mode=0o755, exist_ok=True)
    os.chmod(ssh, 0o755)
    if not _MADE:
        _make(ssh)
        _MADE.update({p.name: (p.read_bytes(), mode(p)) for p in ssh.iterdir()})
        return ssh
    for name, (data, bits) in _MADE.items():
        (ssh / name).write_bytes(data)
        os.chmod(ssh / name, bits)
    return ssh


class KeysHost(App[None]):
    """Shows a `KeysScreen`; records clipboard copies and notifications."""

    def __init__(self, screen: KeysScreen) -> None:
        super().__init__()
        self.keys_screen = screen
        self.copied: list[str] = []
        self.notes: list[str] = []

    def on_mount(self) -> None:
        self.push_screen(self.keys_screen)

    def copy_to_clipboard(self, text: str) -> None:
        self.copied.append(text)

    def notify(self, message: str, **kwargs: Any) -> None:
        self.notes.append(message)
        super().notify(message, **kwargs)


@pytest.fixture
def ssh_dir(isolated_home: Path) -> Iterator[Path]:
    yield populate(isolated_home)


async def loaded(pilot: Pilot[None], screen: KeysScreen, at_least: int = 1) -> None:
    await wait_until(lambda: screen.loads >= at_least, pause=pilot.pause, what="keys loaded")
    await pilot.pause()


async def dialog(pilot: Pilot[None], kind: type[object]) -> Any:
    app = pilot.app
    await wait_until(
        lambda: isinstance(app.screen, kind) and bool(app.screen.query(Static)),
        pause=pilot.pause,
        what=kind.__name__,
    )
    return app.screen


async def submit_form(pilot: Pilot[None], **values: str) -> None:
    form = await dialog(pilot, FormDialog)
    for name, value in values.items():
        widget = form.query_one(f"#field-{name}")
        if isinstance(widget, Select):
            widget.value = value
        else:
            assert isinstance(widget, Input)
            widget.value = value
    await pilot.pause()
    await pilot.click("#submit")


def cells(screen: KeysScreen, key: str) -> list[str]:
    table = screen.query_one(KeyTable)
    return [str(cell) for cell in table.get_row(key)]


def read(path: Path) -> str:
    return path.read_text()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_listing_shows_type_fingerprint_passphrase_and_permissions(ssh_dir: Path) -> None:
    screen = KeysScreen()
    app = KeysHost(screen)
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot, screen)
        table = screen.query_one(KeyTable)
        assert table.row_keys == [
            "file:broken",
            "file:id_ecdsa",
            "file:id_ed25519",
            "file:work.ppk",
        ]
        fp = fixed_ed25519(1, "").get_fingerprint().removeprefix("SHA256:")
        assert cells(screen, "file:id_ed25519") == [
            "id_ed25519", "ED25519 256", fp, "ada@worksta…", "yes", "600 ok"
        ]  # fmt: skip
        assert cells(screen, "file:id_ecdsa")[1:][-2:] == ["no", "644 open"]
        assert cells(screen, "file:work.ppk")[4] == "yes"  # read without the passphrase
        assert cells(screen, "file:broken")[2] == "unusable: see below"
        status = str(screen.query_one("#keys-status", Static).render())
        assert "~/.ssh mode 755 (open to group/others: p fixes it)" in status
        assert "agent: not running" in status
        table.select_key("file:broken")
        await pilot.pause()
        assert "bad header" in str(screen.query_one("#keys-detail", Static).render())


async def test_randomart_and_copy(ssh_dir: Path) -> None:
    screen = KeysScreen()
    app = KeysHost(screen)
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot, screen)
        screen.query_one(KeyTable).select_key("file:id_ed25519")
        await pilot.press("enter")
        shown = await dialog(pilot, TextDialog)
        text = str(shown.query_one("#dialog-text", Static).render())
        info = screen.files["file:id_ed25519"].public
        assert info is not None and text == info.report()
        assert text.splitlines()[1] == "+--[ED25519 256]--+"
        await pilot.press("escape")
        await pilot.press("c")
        await wait_until(lambda: bool(app.copied), pause=pilot.pause)
        assert app.copied == [read(ssh_dir / "id_ed25519.pub")]
        assert app.notes[-1] == "Public key of ~/.ssh/id_ed25519 copied to the clipboard."


async def test_generate_asks_again_on_mismatch_and_confirms_overwrite(ssh_dir: Path) -> None:
    screen = KeysScreen()
    app = KeysHost(screen)
    target = ssh_dir / "id_ecdsa"
    before = target.read_bytes()
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot, screen)
        await pilot.press("g")
        form = await dialog(pilot, FormDialog)
        assert all(form.query_one(f"#field-{n}", Input).password for n in ("passphrase", "confirm"))
        await submit_form(pilot, path="~/.ssh/id_ecdsa", passphrase="one", confirm="two")
        await wait_until(lambda: app.screen is not form, pause=pilot.pause)
        again = await dialog(pilot, FormDialog)
        assert again.error == "The passphrases do not match."
        assert again.query_one("#field-path", Input).value == "~/.ssh/id_ecdsa"  # kept
        assert again.query_one("#field-passphrase", Input).value == ""  # secrets are not
        for name in ("passphrase", "confirm"):
            again.query_one(f"#field-{name}", Input).value = "new secret"
        await pilot.pause()
        assert "new secret" not in app.export_screenshot()  # masked on screen
        await submit_form(pilot, kind="rsa 2048")
        await dialog(pilot, ConfirmDialog)
        await pilot.press("n")
        await wait_until(lambda: "Nothing was written." in app.notes, pause=pilot.pause)
        assert target.read_bytes() == before

        loads = screen.loads
        await pilot.press("g")
        await submit_form(pilot, kind="rsa 2048", path="~/.ssh/id_ecdsa", comment="made in test",
                          passphrase="new secret", confirm="new secret")  # fmt: skip
        await dialog(pilot, ConfirmDialog)
        await pilot.press("y")
        await wait_until(lambda: screen.loads > loads, pause=pilot.pause, within=20)
        assert screen.query_one(KeyTable).cursor_key == "file:id_ecdsa"
        assert cells(screen, "file:id_ecdsa")[1] == "RSA 2048"
        assert cells(screen, "file:id_ecdsa")[3:] == ["made in test", "yes", "600 ok"]
    assert mode(target) == 0o600 and target.read_bytes() != before
    assert load_private_key(target, "new secret").get_algorithm() == "ssh-rsa"
    assert not any("secret" in note for note in app.notes)


async def test_fix_permissions_only_after_confirm(ssh_dir: Path) -> None:
    screen = KeysScreen()
    app = KeysHost(screen)
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot, screen)
        await pilot.press("p")
        confirm = await dialog(pilot, ConfirmDialog)
        assert confirm.lines == [
            "chmod 700 ~/.ssh  (now 755: open to group and others)",
            "chmod 600 ~/.ssh/id_ecdsa  (now 644: open to group and others)",
        ]
        await pilot.press("escape")
        await wait_until(lambda: "Nothing was changed." in app.notes, pause=pilot.pause)
        assert (mode(ssh_dir), mode(ssh_dir / "id_ecdsa")) == (0o755, 0o644)
        loads = screen.loads
        await pilot.press("p")
        await dialog(pilot, ConfirmDialog)
        await pilot.press("y")
        await wait_until(lambda: screen.loads > loads, pause=pilot.pause)
        assert cells(screen, "file:id_ecdsa")[5] == "600 ok"
        assert "mode 700 (safe)" in str(screen.query_one("#keys-status", Static).render())
    assert (mode(ssh_dir), mode(ssh_dir / "id_ecdsa")) == (0o700, 0o600)


async def test_import_ppk_asks_again_after_a_wrong_passphrase(ssh_dir: Path) -> None:
    screen = KeysScreen()
    app = KeysHost(screen)
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot, screen)
        screen.query_one(KeyTable).select_key("file:work.ppk")
        await pilot.press("i")
        form = await dialog(pilot, FormDialog)
        assert form.query_one("#field-source", Input).value == "~/.ssh/work.ppk"
        await submit_form(pilot, passphrase="not it")
        await wait_until(lambda: app.screen is not form, pause=pilot.pause)
        again = await dialog(pilot, FormDialog)
        assert again.error == "Wrong passphrase; try again."
        loads = screen.loads
        await submit_form(pilot, passphrase=PPK_SECRET)
        await wait_until(lambda: screen.loads > loads, pause=pilot.pause, within=20)
        assert "file:work" in screen.files
        assert cells(screen, "file:work")[2] == cells(screen, "file:work.ppk")[2]
    assert mode(ssh_dir / "work") == 0o600
    assert load_private_key(ssh_dir / "work", PPK_SECRET).get_comment() == "from PuTTYgen"


async def test_export_ppk_and_register_steps(ssh_dir: Path) -> None:
    screen = KeysScreen(provider_type="rescale")
    app = KeysHost(screen)
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot, screen)
        screen.query_one(KeyTable).select_key("file:id_ecdsa")
        await pilot.press("e")
        form = await dialog(pilot, FormDialog)
        assert form.query_one("#field-dest", Input).value == "~/.ssh/id_ecdsa.ppk"
        await submit_form(pilot, version="2")
        out = ssh_dir / "id_ecdsa.ppk"
        await wait_until(out.exists, pause=pilot.pause, within=20)
        await pilot.press("u")
        steps = await dialog(pilot, TextDialog)
        text = str(steps.query_one("#dialog-text", Static).render())
    ppk = parse_ppk(out.read_bytes())
    assert ppk.version == 2 and not ppk.encrypted and mode(out) == 0o600
    line = (ssh_dir / "id_ecdsa.pub").read_text().strip()
    assert ppk.public().openssh_line == line
    assert "Job Settings" in text and "SSH Public Key" in text and line in text
    assert app.copied == [line + "\n"]


async def test_a_provider_api_registers_the_key(ssh_dir: Path) -> None:
    sent: list[str] = []

    async def register(line: str) -> str:
        sent.append(line)
        return "Key added to your account."

    screen = KeysScreen(register=register)
    app = KeysHost(screen)
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot, screen)
        screen.query_one(KeyTable).select_key("file:id_ed25519")
        await pilot.press("u")
        await wait_until(lambda: "Key added to your account." in app.notes, pause=pilot.pause)
    assert sent == [(ssh_dir / "id_ed25519.pub").read_text().strip()]


async def test_an_unusable_ssh_dir_is_reported(isolated_home: Path) -> None:
    (isolated_home / ".ssh").write_text("oops")
    screen = KeysScreen()
    app = KeysHost(screen)
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot, screen)
        assert screen.query_one(KeyTable).row_keys == []
        assert "~/.ssh is not a directory" in str(screen.query_one("#keys-status", Static).render())
        assert "~/.ssh is not a directory" in app.notes
        await pilot.press("p")
        await wait_until(lambda: len(app.notes) >= 2, pause=pilot.pause)
        assert not isinstance(app.screen, ConfirmDialog)


@pytest.mark.sshd
async def test_agent_keys_are_listed(tmp_path: Path, ssh_dir: Path) -> None:
    from tests.integration.test_identity_sshconfig import ssh_agent

    sock = tmp_path / "agent.sock"
    with ssh_agent(sock):
        env = {**os.environ, "SSH_AUTH_SOCK": str(sock)}
        os.chmod(ssh_dir / "id_ecdsa", 0o600)  # ssh-add refuses keys others can read
        proc = await asyncio.create_subprocess_exec(
            "ssh-add", "-q", str(ssh_dir / "id_ecdsa"), env=env
        )
        assert await proc.wait() == 0
        screen = KeysScreen(agent_socket=str(sock))
        app = KeysHost(screen)
        async with app.run_test(size=(120, 36)) as pilot:
            await loaded(pilot, screen)
            assert cells(screen, "agent:0")[:5] == [
                "agent",
                *cells(screen, "file:id_ecdsa")[1:4],
                "agent",
            ]
            assert "agent: 1 key(s)" in str(screen.query_one("#keys-status", Static).render())
