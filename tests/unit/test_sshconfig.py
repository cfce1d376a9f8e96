"""ssh config blocks: only safe values written, and writes that touch only clusterdeck's blocks."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.core.errors import ProviderError
from tui.core.providers.slurm.shell import srun_command
from tui.core.sshconfig.blocks import HostBlock, SshConfigError, alias_for, path_value, plain_value
from tui.core.sshconfig.write import merge, write_blocks

USER_CONFIG = "Host mine\n    HostName 10.0.0.1\n\nHost *\n    ServerAliveInterval 30\n"


def block(alias: str, host: str = "10.1.2.3") -> HostBlock:
    return HostBlock(alias, (("HostName", host), ("Port", "22")), f"node {alias}")


def test_aliases_are_made_of_safe_characters_only() -> None:
    assert alias_for("hpc", "4242", "node07") == "clusterdeck-hpc-4242-node07"
    assert alias_for("my cloud", "job\n  ProxyCommand x", "*") == (
        "clusterdeck-my-cloud-job-ProxyCommand-x"
    )


@pytest.mark.parametrize(
    "value", ["10.0.0.1\n  ProxyCommand sh", "a b", "-oProxyCommand=x", 'x"y', "n#1", "a%h", ""]
)
def test_values_that_would_add_options_are_refused(value: str) -> None:
    with pytest.raises(SshConfigError, match="refusing to write HostName"):
        plain_value("HostName", value)


def test_paths_are_quoted_when_they_have_spaces_and_percent_is_doubled() -> None:
    assert path_value(Path("/home/ada/my keys/id")) == '"/home/ada/my keys/id"'
    with pytest.raises(SshConfigError):
        path_value('/tmp/x"y')
    rendered = HostBlock("a", (("IdentityFile", path_value("/k/100%")), ("Port", "2"))).render()
    assert "    IdentityFile /k/100%%\n" in rendered


def test_a_block_renders_between_markers() -> None:
    assert block("clusterdeck-a").render() == (
        "# >>> clusterdeck clusterdeck-a >>>\n"
        "# node clusterdeck-a\n"
        "Host clusterdeck-a\n"
        "    HostName 10.1.2.3\n"
        "    Port 22\n"
        "# <<< clusterdeck clusterdeck-a <<<\n"
    )


def test_merge_keeps_the_users_lines_and_replaces_clusterdecks_own_in_place() -> None:
    first, _ = merge(USER_CONFIG, [block("clusterdeck-a"), block("clusterdeck-b")])
    assert first.startswith(USER_CONFIG)
    edited = first + "\nHost after\n    User me\n"
    second, written = merge(edited, [block("clusterdeck-a", "10.9.9.9"), block("clusterdeck-c")])
    assert written.replaced == ("clusterdeck-a",) and written.added == ("clusterdeck-c",)
    assert second.startswith(USER_CONFIG) and "Host after\n    User me\n" in second
    assert "10.9.9.9" in second and "10.1.2.3" in second  # b kept as it was
    assert second.index("clusterdeck-a >>>") < second.index("Host after")  # replaced in place
    assert second.count("Host clusterdeck-a\n") == 1
    assert merge(second, [block("clusterdeck-a", "10.9.9.9")])[0] == second  # idempotent


def test_a_begin_marker_without_its_end_stops_the_write(tmp_path: Path) -> None:
    broken = block("clusterdeck-a").render().replace("# <<< clusterdeck clusterdeck-a <<<\n", "")
    path = tmp_path / "conf"
    path.write_text(USER_CONFIG + broken)
    with pytest.raises(SshConfigError, match="has no end marker"):
        write_blocks(path, [block("clusterdeck-a")])
    assert path.read_text() == USER_CONFIG + broken  # untouched


def test_writes_are_private_and_follow_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "clusterdeck.conf"
    real.parent.mkdir()
    real.write_text(USER_CONFIG)
    real.chmod(0o644)
    link = tmp_path / "ssh" / "clusterdeck.conf"
    link.parent.mkdir()
    link.symlink_to(real)
    written = write_blocks(link, [block("clusterdeck-a")])
    assert link.is_symlink() and written.path == real
    assert real.stat().st_mode & 0o777 == 0o600
    assert real.read_text().startswith(USER_CONFIG)
    new = write_blocks(tmp_path / "new" / "x.conf", [block("clusterdeck-a")])
    assert new.path.stat().st_mode & 0o777 == 0o600 and "added clusterdeck-a" in new.summary
    with pytest.raises(SshConfigError, match="not a regular file"):
        write_blocks(tmp_path, [block("clusterdeck-a")])


def test_srun_commands_take_only_slurm_job_ids_and_node_names() -> None:
    assert srun_command("42", "node01") == "srun --jobid=42 --overlap -w node01 --pty $SHELL -l"
    assert srun_command("42_3", "n1", srun="/opt/slurm/bin/srun", command="echo hi") == (
        "/opt/slurm/bin/srun --jobid=42_3 --overlap -w n1 --pty $SHELL -lc 'echo hi'"
    )
    for job, node in (("42;rm -rf ~", "n1"), ("42", "n1 -o x"), ("42", "$(id)")):
        with pytest.raises(ProviderError, match="refusing to run srun"):
            srun_command(job, node)
