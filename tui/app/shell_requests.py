"""The app's shell requests: open a shell on a node (embedded, or OpenSSH's `ssh` outside the
dashboard), restore sessions, and warn when this workstation is outside a job's access rule."""

from __future__ import annotations

import shlex
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import App

from tui.app.screens.dashboard.main import MainScreen
from tui.app.screens.shells.terminals import TerminalScreen
from tui.core.config.settings import Settings
from tui.core.errors import ClusterdeckError
from tui.core.identity.cidr import GuardVerdict, PublicAddressGuard
from tui.core.models import Job, SshTarget
from tui.core.providers.base import Capability, Provider, capability_note

if TYPE_CHECKING:
    from tui.app.screens.shells.opener import ShellOpener


class ShellRequests(App[None]):
    """The shell handlers of `ClusterdeckApp` (which sets the services declared here)."""

    settings: Settings
    provider: Provider
    main_screen: MainScreen
    shells: ShellOpener
    access_guard: PublicAddressGuard | None
    access_verdicts: dict[str, GuardVerdict]

    async def on_main_screen_shell_requested(self, event: MainScreen.ShellRequested) -> None:
        no_shell = capability_note(self.provider, Capability.SHELL, event.job)
        if no_shell is not None:
            self.notify(no_shell, title="No shell", severity="warning")
            return
        try:
            target = self.provider.ssh_target(event.node)
        except ClusterdeckError as exc:
            self.notify(exc.message, title=exc.title, severity="warning")
            return
        if event.external:
            try:
                command = await self.provider.ssh_config_command(event.node)
            except ClusterdeckError as exc:
                self.notify(exc.message, title=exc.title, severity="warning")
                return
            self.run_system_ssh(target, remote_command=command)
            return
        target = replace(target, trust_scope=event.job.key)
        if self.settings.address_url:
            self.run_worker(
                self._guard_access(event.job), group="access-guard", exit_on_error=False
            )
        await self.shells.open_shell(event.job, event.node, target)

    async def on_terminal_screen_restore_requested(
        self, event: TerminalScreen.RestoreRequested
    ) -> None:
        await self.shells.restore_all()

    def action_node_sessions(self) -> None:
        """P: the highlighted node's tmux sessions (attach, rename, kill)."""
        self.shells.node_sessions(self.main_screen.selected, self.main_screen.highlighted_node)

    async def _guard_access(self, job: Job) -> None:
        """Warn before a connection times out when this workstation is outside the job's rule."""
        details = await self.provider.job_details(job)
        rule = next((v for k, v in details.items() if "CIDR" in k), None)
        if not rule or not self.settings.address_url:
            return
        guard = self.access_guard
        assert guard is not None
        try:
            verdict = await guard.check(rule.split(" (")[0], job=job.name)
        except ClusterdeckError as exc:
            self.notify(exc.message, title="Access rule not checked", severity="warning")
            return
        self.access_verdicts[job.key] = verdict
        if not verdict.allowed:
            self.notify(
                verdict.message,
                title="Outside the job's access rule",
                severity="warning",
                timeout=20,
            )

    def run_system_ssh(self, target: SshTarget, *, remote_command: str | None = None) -> None:
        """Suspend the dashboard and run OpenSSH's `ssh` on `target` (on its jump host running
        `remote_command`, for nodes that take no SSH logins), then come back."""
        command = system_ssh_command(
            target, known_hosts=self.settings.known_hosts_path, remote_command=remote_command
        )
        try:
            with self.suspend():
                print(f"$ {shlex.join(command)}\n(the dashboard comes back when ssh exits)")
                result = subprocess.run(command, check=False)
        except FileNotFoundError:
            self.notify(
                "OpenSSH's ssh is not installed (Debian: apt install openssh-client).",
                title="System ssh",
                severity="error",
            )
            return
        except Exception as exc:  # suspend is unsupported in some environments (tests, web)
            self.notify(
                f"Cannot hand the terminal to ssh here: {exc}", title="System ssh", severity="error"
            )
            return
        self.notify(f"ssh exited with status {result.returncode}", title="System ssh")


def system_ssh_command(
    target: SshTarget, *, known_hosts: Path, remote_command: str | None = None
) -> list[str]:
    """The OpenSSH command line for `target`, trusting the user's and the app's known_hosts.

    With `remote_command` (Slurm's `srun --overlap ...` where nodes take no SSH logins) it logs
    in to the target's jump host instead and runs that command on a terminal (`-t`)."""
    if remote_command is not None and target.jump is not None:
        login = system_ssh_command(target.jump, known_hosts=known_hosts)
        return [login[0], "-t", *login[1:], remote_command]
    command = ["ssh", "-p", str(target.port)]
    if target.key_path is not None:
        command += ["-i", str(target.key_path)]
    command += ["-o", f"UserKnownHostsFile=~/.ssh/known_hosts {known_hosts} {known_hosts}.jobs"]
    if target.jump is not None:
        command += ["-J", str(target.jump)]
    command.append(f"{target.user}@{target.host}" if target.user else target.host)
    return command
