#!/usr/bin/env bash
# Install everything the tests need, then run the quality gates and the whole suite.
#   bash tests/run.sh [pytest args...]
# System packages (OpenSSH client and server, less, tmux, screen, putty-tools, chromium and
# libatomic1, Xvfb and xclip, Slurm, munge, slurmdbd and MariaDB) are installed with apt-get when missing and when run as root;
# otherwise the command to install them is printed.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=()
command -v ssh >/dev/null 2>&1 || packages+=(openssh-client)
[ -x /usr/sbin/sshd ] || packages+=(openssh-server)
command -v less >/dev/null 2>&1 || packages+=(less)
command -v tmux >/dev/null 2>&1 || packages+=(tmux)  # persistent shells
command -v screen >/dev/null 2>&1 || packages+=(screen)  # persistent shells in GNU screen
command -v puttygen >/dev/null 2>&1 || packages+=(putty-tools)
command -v chromium >/dev/null 2>&1 || packages+=(chromium)  # browser tests (Playwright drives it)
# Playwright's bundled node needs libatomic.so.1, which nothing else pulls in on a minimal Debian
grep -q 'libatomic\.so\.1 ' <<<"$(/sbin/ldconfig -p 2>/dev/null)" || packages+=(libatomic1)
command -v Xvfb >/dev/null 2>&1 || packages+=(xvfb)
command -v xclip >/dev/null 2>&1 || packages+=(xclip)
[ -x /usr/sbin/slurmctld ] && [ -x /usr/sbin/slurmd ] || packages+=(slurm-wlm)
[ -x /usr/sbin/munged ] || packages+=(munge)
[ -x /usr/sbin/slurmdbd ] || packages+=(slurmdbd)         # accounting: sacct answers for real
[ -x /usr/sbin/mariadbd ] || packages+=(mariadb-server)   # slurmdbd's database, started by the tests
python3 -c 'import ensurepip' >/dev/null 2>&1 || packages+=(python3-venv)
if [ ${#packages[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "== installing system packages: ${packages[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}"
    else
        echo "warning: missing system packages: ${packages[*]}" >&2
        echo "         install them with: sudo apt-get install ${packages[*]}" >&2
    fi
fi

if [ ! -x .venv/bin/python ]; then
    echo "== creating .venv"
    python3 -m venv .venv
fi
echo "== installing clusterdeck[test] into .venv"
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy (strict on tui/ and widgets/, and over tests/)"
.venv/bin/mypy
echo "== import-linter (the layers in pyproject.toml)"
.venv/bin/lint-imports
echo "== pytest"
.venv/bin/pytest "$@"
