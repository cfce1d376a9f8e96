"""The keys screen: SSH keys in ~/.ssh and the agent; make, check, copy, fix and convert them."""

from __future__ import annotations

import asyncio
import getpass
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Static

from tui.app.screens.rows import agent_key_row, key_file_row
from tui.app.screens.sshkeys.dialogs import (
    ConfirmDialog,
    Field,
    FormDialog,
    TextDialog,
    generate_fields,
)
from tui.core.errors import ClusterdeckError
from tui.core.identity.agent import agent_socket, list_agent_keys
from tui.core.identity.errors import IdentityError, PassphraseRequired, WrongPassphrase
from tui.core.identity.generate import (
    KeyRequest,
    check_new_passphrase,
    default_key_path,
    existing_files,
    generate_key,
    write_ppk_file,
    write_private_key,
)
from tui.core.identity.keyfiles import (
    KeyFile,
    KeyListing,
    PrivateKey,
    list_key_files,
    load_private_key,
    tildify,
)
from tui.core.identity.keyinfo import PublicKeyInfo
from tui.core.identity.permissions import apply_permission_fixes, plan_permission_fixes
from tui.core.identity.ppk import is_ppk
from tui.core.identity.register import registration_steps
from widgets.tables.sshkey import KeyTable

Register = Callable[[str], Awaitable[str]]
"""Registers a public key line with the provider; returns what to tell the user."""


class KeysScreen(Screen[None]):
    """Keys in `~/.ssh` and the agent, with the actions to make, check and share them.

    Args:
        directory: The `.ssh` directory to list (default `~/.ssh`).
        agent_socket: The agent socket (default `SSH_AUTH_SOCK` at load time).
        provider_type: The provider in use, for the registration steps.
        register: Registers a public key through the provider's API, where it has one.
    """

    DEFAULT_CSS = """
    #keys-status { height: auto; padding: 0 1; background: $panel; }
    #keys-status.-unsafe { color: $warning; text-style: bold; }
    #keys-table { height: 1fr; border: round $accent; }
    #keys-detail { height: auto; min-height: 2; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="keys-back"),
        Binding("g", "generate", "Generate", id="keys-generate"),
        Binding("v", "show", "Randomart", id="keys-randomart"),
        Binding("c", "copy", "Copy", id="keys-copy"),
        Binding("p", "fix_permissions", "Fix perms", id="keys-fix-permissions"),
        Binding("i", "import_ppk", "Import .ppk", id="keys-import-ppk"),
        Binding("e", "export_ppk", "Export .ppk", id="keys-export-ppk"),
        Binding("u", "register", "Register", id="keys-register"),
        Binding("r", "refresh", "Refresh", id="keys-refresh", show=False),
        Binding(
            "a", "app.ask_again_for_skipped_keys", "Ask skipped", id="keys-ask-skipped", show=False
        ),
    ]

    def __init__(
        self,
        *,
        directory: Path | None = None,
        agent_socket: str | None = None,
        provider_type: str = "",
        register: Register | None = None,
    ) -> None:
        super().__init__()
        self.directory = directory
        self._agent_socket = agent_socket
        self._provider_type = provider_type
        self._register = register
        self.listing: KeyListing | None = None
        self.files: dict[str, KeyFile] = {}
        self.agent_keys: dict[str, PublicKeyInfo] = {}
        self.loads = 0
        """How many times the keys were (re)loaded; tests wait on it."""

    def compose(self) -> ComposeResult:
        yield Static("Reading keys…", id="keys-status")
        yield KeyTable(id="keys-table")
        yield Static("", id="keys-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(KeyTable).border_title = "SSH keys"
        self.query_one(KeyTable).focus()
        self.refresh_keys()

    # --- loading --------------------------------------------------------------------------

    @work(exclusive=True, group="keys-load", exit_on_error=False)
    async def refresh_keys(self, select: str | None = None) -> None:
        """Read the key files and ask the agent, then show both."""
        status: list[str] = []
        unsafe = False
        try:
            self.listing = await asyncio.to_thread(list_key_files, self.directory)
        except IdentityError as exc:
            self.listing = None
            status.append(exc.message)
            self.notify(exc.message, title=exc.title, severity="error")
        if self.listing is not None:
            folder, mode = tildify(self.listing.directory), self.listing.mode
            if mode is None:
                status.append(f"{folder} does not exist yet (g makes a key there)")
            else:
                unsafe = not self.listing.directory_safe
                state = "open to group/others: p fixes it" if unsafe else "safe"
                status.append(f"{folder} mode {mode:o} ({state})")
            status.append(f"{len(self.listing.keys)} key file(s)")
        sock = self._agent_socket or agent_socket()
        agent: list[PublicKeyInfo] = []
        try:
            agent = await list_agent_keys(sock) if sock else []
            status.append(f"agent: {len(agent)} key(s)" if sock else "agent: not running")
        except IdentityError as exc:
            status.append("agent: unreachable")
            self.notify(exc.message, title=exc.title, severity="warning")
        self.files = {f"file:{k.path.name}": k for k in (self.listing.keys if self.listing else ())}
        self.agent_keys = {f"agent:{i}": info for i, info in enumerate(agent)}
        rows = [key_file_row(k) for k in self.files.values()]
        rows += [agent_key_row(i, info) for i, info in enumerate(agent)]
        table = self.query_one(KeyTable)
        table.update_keys(rows)
        if select is not None:
            table.select_key(select)
        line = self.query_one("#keys-status", Static)
        line.update(Text("  ·  ".join(status)))
        line.set_class(unsafe, "-unsafe")
        self._show_detail(table.cursor_key)
        self.loads += 1

    @on(KeyTable.RowHighlighted, "#keys-table")
    def _highlighted(self, event: KeyTable.RowHighlighted) -> None:
        self._show_detail(event.key)

    @on(KeyTable.RowChosen, "#keys-table")
    def _enter(self) -> None:
        self.action_show()

    def _show_detail(self, key: str | None) -> None:
        detail = self.query_one("#keys-detail", Static)
        file, info = self.files.get(key or ""), self.agent_keys.get(key or "")
        if file is not None:
            public = file.public
            parts = [tildify(file.path), f"{file.format} format"]
            if public is not None:
                parts += [public.fingerprint, public.comment or "no comment"]
            problem = ("\n" + file.problem, "red") if file.problem else ""
            detail.update(Text.assemble("  ·  ".join(parts), problem))
        elif info is not None:
            detail.update(Text(f"agent  ·  {info.fingerprint}  ·  {info.comment or 'no comment'}"))
        else:
            detail.update("No key selected: g generates one.")

    def _current(self) -> tuple[KeyFile | None, PublicKeyInfo | None]:
        key = self.query_one(KeyTable).cursor_key or ""
        file = self.files.get(key)
        return file, file.public if file is not None else self.agent_keys.get(key)

    # --- actions --------------------------------------------------------------------------

    def action_back(self) -> None:
        self.dismiss(None)

    def action_refresh(self) -> None:
        self.refresh_keys()

    def action_show(self) -> None:
        file, info = self._current()
        if info is None:
            self.notify("Pick a key whose public key is known.", severity="warning")
            return
        name = tildify(file.path) if file else "agent key"
        self.app.push_screen(TextDialog(f"{name}: ssh-keygen -lv", info.report()))

    def action_copy(self) -> None:
        file, info = self._current()
        if info is None:
            self.notify("Pick a key whose public key is known.", severity="warning")
            return
        self.app.copy_to_clipboard(info.openssh_line + "\n")
        name = tildify(file.path) if file else "the agent key"
        self.notify(f"Public key of {name} copied to the clipboard.", title="Keys")

    async def _confirm_replace(self, paths: Sequence[Path]) -> bool:
        lines = [f"{tildify(p)} will be overwritten." for p in paths]
        dialog = ConfirmDialog("Replace existing files?", [*lines, "", "This cannot be undone."])
        if await self.app.push_screen_wait(dialog):
            return True
        self.notify("Nothing was written.", title="Keys")
        return False

    @work(exclusive=True, group="keys-action", exit_on_error=False)
    async def action_generate(self) -> None:
        """Ask for type, comment, path and passphrase (twice); write the pair on confirm."""
        values = {"kind": "ed25519 256", "comment": f"{getpass.getuser()}@{socket.gethostname()}"}
        error = ""
        while True:
            answer = await self.app.push_screen_wait(
                FormDialog(
                    "Generate a key pair", generate_fields(values), submit="Generate", error=error
                )
            )
            if answer is None:
                return
            values = {k: answer[k] for k in ("kind", "comment", "path")}
            error = check_new_passphrase(answer["passphrase"], answer["confirm"]) or ""
            if not error:
                break
        kind, bits = values["kind"].split()
        path = _expand(values["path"]) if values["path"] else default_key_path(kind)
        request = KeyRequest(path, kind, int(bits), values["comment"], answer["passphrase"])
        del answer
        found = existing_files(path)
        if found and not await self._confirm_replace(found):
            return
        try:
            made = await asyncio.to_thread(generate_key, request, overwrite=bool(found))
        except IdentityError as exc:
            self.notify(exc.message, title=exc.title, severity="error")
            return
        fp = made.public.fingerprint if made.public else ""
        self.notify(f"New key {tildify(path)} ({fp}).", title="Key generated")
        self.refresh_keys(select=f"file:{path.name}")

    @work(exclusive=True, group="keys-action", exit_on_error=False)
    async def action_fix_permissions(self) -> None:
        """List the chmods OpenSSH needs; apply them only after a confirm."""
        try:
            plan = await asyncio.to_thread(plan_permission_fixes, self.directory)
        except IdentityError as exc:
            self.notify(exc.message, title=exc.title, severity="error")
            return
        if not plan:
            self.notify("~/.ssh and its keys already have safe permissions.", title="Keys")
            return
        lines = [change.describe() for change in plan]
        if not await self.app.push_screen_wait(
            ConfirmDialog("Fix permissions?", lines, yes="Apply")
        ):
            self.notify("Nothing was changed.", title="Keys")
            return
        problems = await asyncio.to_thread(apply_permission_fixes, plan)
        if problems:
            self.notify("\n".join(problems), title="Some permissions not fixed", severity="error")
        else:
            self.notify(f"{len(plan)} permission(s) fixed.", title="Keys")
        self.refresh_keys()

    async def _unlock(
        self, title: str, fields: list[Field], source_field: str
    ) -> tuple[dict[str, str], PrivateKey] | None:
        """Ask `fields` until the key named by `source_field` opens with the passphrase."""
        error = ""
        while True:
            answer = await self.app.push_screen_wait(
                FormDialog(title, fields, submit="OK", error=error)
            )
            if answer is None:
                return None
            fields = [f if f.password else replace(f, value=answer[f.name]) for f in fields]
            source = _expand(answer[source_field])
            try:
                key = await asyncio.to_thread(
                    load_private_key, source, answer["passphrase"] or None
                )
            except PassphraseRequired:
                error = "This key is protected by a passphrase: type it."
            except WrongPassphrase:
                error = "Wrong passphrase; try again."
            except IdentityError as exc:
                error = exc.message
            else:
                return answer, key

    @work(exclusive=True, group="keys-action", exit_on_error=False)
    async def action_import_ppk(self) -> None:
        """Turn a PuTTY `.ppk` key into an OpenSSH key file (same passphrase)."""
        file, _ = self._current()
        start = tildify(file.path) if file and file.format == "ppk" else "~/.ssh/"
        fields = [
            Field("source", "PuTTY key file (.ppk)", start),
            Field("dest", "Save as OpenSSH key (empty: same name without .ppk)"),
            Field("passphrase", "Passphrase of the .ppk (kept on the new file)", password=True),
        ]
        unlocked = await self._unlock("Import a PuTTY key", fields, "source")
        if unlocked is None:
            return
        answer, key = unlocked
        source = _expand(answer["source"])
        if not is_ppk(await asyncio.to_thread(source.read_bytes)):
            self.notify(f"{tildify(source)} is not a PuTTY .ppk file.", severity="error")
            return
        dest = _expand(answer["dest"]) if answer["dest"] else source.with_suffix("")
        secret = answer["passphrase"]
        await self._save(
            lambda over: write_private_key(key, dest, passphrase=secret, overwrite=over),
            existing_files(dest),
            f"Imported {tildify(source)} as {tildify(dest)}.",
        )

    @work(exclusive=True, group="keys-action", exit_on_error=False)
    async def action_export_ppk(self) -> None:
        """Save the selected key as a PuTTY `.ppk` file (same passphrase)."""
        file, _ = self._current()
        if file is None or not file.usable:
            self.notify("Pick a usable key file to export.", severity="warning")
            return
        fields = [
            Field("source", "Key to export", tildify(file.path)),
            Field("dest", "Save as", tildify(file.path.with_suffix(".ppk"))),
            Field(
                "version",
                "PPK format",
                "3",
                choices=(("version 3 (PuTTY 0.75+)", "3"), ("version 2 (older PuTTY)", "2")),
            ),
            Field("passphrase", "Passphrase of the key (kept on the .ppk)", password=True),
        ]
        unlocked = await self._unlock("Export as PuTTY key", fields, "source")
        if unlocked is None:
            return
        answer, key = unlocked
        dest = _expand(answer["dest"])
        found = await asyncio.to_thread(lambda: [dest] if dest.exists() else [])
        secret, version = answer["passphrase"], int(answer["version"])
        await self._save(
            lambda over: write_ppk_file(
                key, dest, passphrase=secret, version=version, overwrite=over
            ),
            found,
            f"Saved {tildify(dest)} for PuTTY.",
        )

    async def _save(
        self, write: Callable[[bool], object], found: Sequence[Path], done: str
    ) -> None:
        if found and not await self._confirm_replace(found):
            return
        try:
            await asyncio.to_thread(write, bool(found))
        except IdentityError as exc:
            self.notify(exc.message, title=exc.title, severity="error")
            return
        self.notify(done, title="Keys")
        self.refresh_keys()

    @work(exclusive=True, group="keys-action", exit_on_error=False)
    async def action_register(self) -> None:
        """Give the public key to the provider, or show the exact steps to do it by hand."""
        file, info = self._current()
        if info is None:
            self.notify("Pick a key whose public key is known.", severity="warning")
            return
        self.app.copy_to_clipboard(info.openssh_line + "\n")
        if self._register is not None:
            try:
                self.notify(await self._register(info.openssh_line), title="Key registered")
            except ClusterdeckError as exc:
                self.notify(exc.message, title=exc.title, severity="error")
            return
        pub = f"{tildify(file.path)}.pub" if file else "<key>.pub"
        steps = registration_steps(self._provider_type, info.openssh_line, pub)
        await self.app.push_screen_wait(TextDialog("Register the public key", steps))


def _expand(text: str) -> Path:
    return Path(text.strip()).expanduser()
