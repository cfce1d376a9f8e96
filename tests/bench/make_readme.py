"""Copy every tests/bench/results/<bench>.md into README.md between its markers.

    python tests/bench/make_readme.py          # rewrite README.md
    python tests/bench/make_readme.py --check  # exit 1 when README.md differs from the results

A block is `<!-- bench:<bench> -->` ... `<!-- /bench:<bench> -->`; a results file without a block
is reported, so a new benchmark cannot be left out of the README silently.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
README = HERE.parent.parent / "README.md"


def rewrite(readme: str, results: dict[str, str]) -> tuple[str, list[str]]:
    missing = []
    for bench, table in sorted(results.items()):
        pattern = re.compile(
            rf"(<!-- bench:{re.escape(bench)} -->\n).*?(<!-- /bench:{re.escape(bench)} -->)",
            re.DOTALL,
        )
        if not pattern.search(readme):
            missing.append(bench)
            continue
        body = table.rstrip() + "\n"
        readme = pattern.sub(_replacer(body), readme)
    return readme, missing


def _replacer(body: str) -> Callable[[re.Match[str]], str]:
    return lambda match: match.group(1) + body + match.group(2)


def main(argv: list[str]) -> int:
    results = {p.stem: p.read_text() for p in sorted((HERE / "results").glob("*.md"))}
    old = README.read_text()
    new, missing = rewrite(old, results)
    for bench in missing:
        print(f"README.md has no <!-- bench:{bench} --> block for results/{bench}.md")
    if "--check" in argv:
        return 1 if new != old or missing else 0
    README.write_text(new)
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
