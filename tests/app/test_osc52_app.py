"""OSC 52 from a real demo shell: malformed writes leave the local clipboard alone."""

from __future__ import annotations

import base64

from textual.pilot import Pilot

from tests.app.test_clipboard_app import node_dir
from tests.app.test_shells import open_shell
from tests.conftest import wait_until
from tui.app.app import ClusterdeckApp

Running = tuple[ClusterdeckApp, Pilot[None]]


async def test_malformed_osc52_writes_do_not_touch_the_clipboard(running_app: Running) -> None:
    app, pilot = running_app
    view = await open_shell(app, pilot)
    app.bridge.write_local("keep me")
    bad = ["!!!!****", "?", "aGk", base64.b64encode(b"\xff\xfe").decode()]
    marker = base64.b64encode(b"marker").decode()
    osc = "".join(f"\\033]52;c;{payload}\\007" for payload in [*bad, marker])
    view.send(f"printf '{osc}'\r".encode())
    await wait_until(
        lambda: app.bridge.from_cluster == "marker", pause=pilot.pause, what="the marker write"
    )
    received = [t.text for t in app.bridge.history if t.direction == "from-cluster"]
    assert received == ["marker"]  # the bad writes, sent first, never reached the bridge


async def test_an_osc52_query_gets_no_answer(running_app: Running) -> None:
    app, pilot = running_app
    view = await open_shell(app, pilot)
    app.bridge.write_local("secret on the workstation")
    view.send(b"printf '\\033]52;c;" + base64.b64encode(b"secret") + b"\\007'\r")
    await wait_until(lambda: app.bridge.from_cluster == "secret", pause=pilot.pause, what="write")
    # The query, then a status query: the shell reads back what the terminal answers. Only
    # the status reply (ESC [ 0 n) may come; the clipboard's text must not.
    view.send(
        b"stty raw -echo; printf '\\033]52;c;?\\007\\033[5n'; head -c 4 > reply.txt; stty sane\r"
    )
    reply = node_dir(app) / "reply.txt"
    await wait_until(
        lambda: reply.exists() and reply.stat().st_size == 4, pause=pilot.pause, what="reply"
    )
    assert reply.read_bytes() == b"\x1b[0n"
