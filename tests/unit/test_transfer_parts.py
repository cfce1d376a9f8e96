"""The transfer engine's pure parts: sha256sum output, free names, progress, previews, rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.app.screens.files.listing import file_rows, preview_lines
from tui.core.ssh.files import RemoteEntry, RemoteStat
from tui.core.transfers.checksum import parse_sha256sum, sha256_file
from tui.core.transfers.model import Progress, TransferError, human_eta
from tui.core.transfers.paths import check_name, free_name, job_download_dir, part_name

A = "a" * 64
B = "b" * 64


def test_sha256sum_output_with_escaped_names() -> None:
    output = f"{A}  plain name\n\\{B}  new\\nline and back\\\\slash\n{A} *binary mode\n"
    assert parse_sha256sum(output) == {
        "plain name": A,
        "new\nline and back\\slash": B,
        "binary mode": A,
    }
    assert parse_sha256sum("sha256sum: x: Permission denied\n") == {}


def test_sha256_file_of_a_prefix(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"hello world")
    import hashlib

    assert sha256_file(path, limit=5).hexdigest() == hashlib.sha256(b"hello").hexdigest()
    assert sha256_file(path).hexdigest() == hashlib.sha256(b"hello world").hexdigest()


def test_free_names_keep_the_extension() -> None:
    taken = {"a.txt", "a (1).txt", ".bashrc", "README"}
    assert free_name("a.txt", taken.__contains__) == "a (2).txt"
    assert free_name(".bashrc", taken.__contains__) == ".bashrc (1)"
    assert free_name("README", taken.__contains__) == "README (1)"
    assert free_name("new.txt", taken.__contains__) == "new.txt"


@pytest.mark.parametrize("name", ["", ".", "..", "a/b", "nul\x00"])
def test_names_that_are_not_plain_are_refused(name: str) -> None:
    with pytest.raises(TransferError, match="not a plain name"):
        check_name(name)


def test_job_folders_and_partial_names() -> None:
    assert job_download_dir(Path("/dl"), "cfd/wing\x1b[2J") == Path("/dl/cfd_wing_[2J")
    assert job_download_dir(None, "x").parts[-2:] == ("clusterdeck", "x")
    assert part_name("out.dat") == ".out.dat.clusterdeck-part"


def test_progress_rate_and_eta() -> None:
    progress = Progress(total=1000)
    progress.sample(0.0)
    progress.done = 500
    progress.sample(1.0)
    assert progress.rate == 500 and progress.eta == 1.0 and progress.fraction == 0.5
    assert human_eta(65) == "1:05" and human_eta(3725) == "1:02:05" and human_eta(None) == "--:--"


def test_preview_of_text_tail_and_binary() -> None:
    assert preview_lines(b"one\ntwo\n", size=8, offset=0) == ["one", "two"]
    tail = preview_lines(b"cut line\nlast\n", size=10_000, offset=9_986)
    assert tail[1:] == ["last"] and tail[0].startswith("… the last")
    assert preview_lines(b"\x00\x01ELF", size=4, offset=0)[0].startswith("binary file")


def entry(name: str, *, size: int = 1, folder: bool = False, mtime: float = 0) -> RemoteEntry:
    kind = 0o040000 if folder else 0o100000
    return RemoteEntry(name, RemoteStat(size, 0o644, folder, mtime, kind=kind))


def test_rows_folders_first_sorted_filtered_hidden_inert() -> None:
    entries = [
        entry("b.txt", size=5, mtime=2),
        entry("A.txt", size=9, mtime=1),
        entry("dir", folder=True),
        entry(".hidden"),
        entry("evil\x1b]0;x\x07"),
    ]
    rows = file_rows(entries)
    assert [r.key for r in rows] == ["..", "dir", "A.txt", "b.txt", "evil\x1b]0;x\x07"]
    assert rows[-1].name == "evil\\x1b]0;x\\x07" and rows[1].name == "dir/"
    assert [r.key for r in file_rows(entries, sort="size")][2:4] == ["A.txt", "b.txt"]
    assert [r.key for r in file_rows(entries, sort="modified")][2:4] == ["b.txt", "A.txt"]
    assert ".hidden" in [r.key for r in file_rows(entries, hidden=True)]
    assert [r.key for r in file_rows(entries, needle="TXT", at_root=True)] == ["A.txt", "b.txt"]


def test_files_settings_are_validated_with_their_line(tmp_path: Path) -> None:
    from tui.core.config.settings import parse_settings
    from tui.core.errors import ConfigError

    good = parse_settings(
        '[files]\ndownload_dir = "~/dl"\nverify = "size"\non_conflict = "rename"\n', "c.toml"
    )
    assert good.download_dir == Path("~/dl").expanduser()
    assert (good.files_verify, good.files_conflict) == ("size", "rename")
    assert parse_settings("", "c.toml").download_dir is None
    afile = tmp_path / "a-file"
    afile.write_text("")
    for text, problem in (
        (f'[files]\n\ndownload_dir = "{afile}"\n', "is a file"),
        ('[files]\n\ndownload_dir = "relative/dir"\n', "absolute path"),
        ('[files]\n\nverify = "md5"\n', "must be one of sha256, size"),
    ):
        with pytest.raises(ConfigError, match=problem) as caught:
            parse_settings(text, "c.toml")
        assert caught.value.line == 3
