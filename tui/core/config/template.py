"""The commented starter config that `clusterdeck init` writes.

Settings shown commented out (`# key = value`, `# [section]`) are valid as they stand: uncommenting
any of them (a whole example section at a time) gives a config that loads. A test checks that.
"""

from __future__ import annotations

STARTER_CONFIG = """\
# clusterdeck configuration (TOML). Check it with:  clusterdeck config check
# Lines starting with "# " followed by a setting are examples: remove the "# " to use them.
# Every key is optional unless marked "required". Unknown keys and bad values are reported
# with file:line, never ignored. Full reference: the README's "Configuration" section.

[ui]
# theme = "textual-dark"         # any Textual theme (ctrl+p, "Change theme", lists them)
# log_max_lines = 100000         # lines the live log keeps: 1000 to 10000000
# poll_interval = 2.0            # seconds between job and node refreshes: 0.2 to 3600
# confirm_quit = true            # ask before quitting while shells or tunnels are open

[demo]
enabled = true                   # the embedded demo cluster (false: hide it)
# seed = 1                       # same seed, same demo jobs and log lines
# speed = 1.0                    # 2.0 runs demo time twice as fast: 0.1 to 100
# persistent = "off"             # shells in tmux on the demo's nodes: auto, tmux, screen, off

[clipboard]
# backend = "auto"               # auto, native (xclip, xsel, wl-clipboard, pbcopy), osc52, buffer
# remote_file = "clipboard.txt"  # where "send to file" writes on a node (relative: home dir)

[recording]
# folder = "~/casts"             # where alt+r recordings go (default: the state dir's recordings)
# input = false                  # also record typed input (passwords at a prompt left out)

[files]
# download_dir = "~/Downloads/clusterdeck"  # downloads go to <download_dir>/<job name>
# verify = "sha256"              # sha256: size and SHA-256 after every transfer; size: size only
# on_conflict = "ask"            # ask, skip, overwrite, rename (keep both: "name (1).ext")

# [identity]
# Before opening a shell, check that this workstation's public address is inside the job's
# access rule (CIDR), when the provider reports one. The URL answers with your address
# (plain text, or JSON {"ip": ...}); unset: no check, nothing is sent anywhere.
# address_url = "https://api.ipify.org"

# [watch]
# Node metrics of the highlighted job: one small sh loop per node over its SSH connection.
# metrics = "auto"               # auto: up to max_nodes nodes; on: any number; off: only the
#                                #   nodes you press m on
# max_nodes = 64                 # 1 to 100000
# interval = 2                   # seconds between samples of a node: 1 to 60
# history = 300                  # seconds of samples kept per node: 30 to 3600
# nvidia_smi = "nvidia-smi"      # the command on the nodes (name on their PATH or a path)

# [notify]
# Notifications: in the app and on the desktop.
# events = ["started", "completed", "failed", "time", "pattern", "tunnel"]
# patterns = ["NaN", "Traceback", "converged"]   # log lines containing one of these
# toast = true                   # show them inside the app
# desktop = "auto"               # auto, notify-send, osc777, osc9, bell or off

[keys]
# Remap a binding: its id = "key" or "key1,key2". Press ? in the app to see every id.
# focus-log = "L"
# quit = "q,ctrl+q"

# --- Providers: where your clusters come from ---------------------------------------------------
# Each [providers.NAME] section adds one; NAME is what the jobs pane shows. `type` is required.

# A Slurm cluster, through its login host over SSH.
# [providers.uni]
# type = "slurm"
# host = "login.hpc.example.edu"   # the login host (or, instead, a Host of ~/.ssh/config:
#                                  #   ssh_alias = "hpc")
# user = "ada"                     # default: ~/.ssh/config, else your local user name
# port = 22                        # the login host's SSH port
# key = "~/.ssh/id_ed25519"        # for the login host and the compute nodes
# all_users = false                # true: everyone's jobs, not only yours
# poll_interval = 2.0              # seconds between job checks while following a log
# node_port = 22                   # SSH port of the compute nodes
# node_shell = "auto"              # shells on nodes: auto (ssh, else srun --overlap), ssh, srun
# bin_dir = "/opt/slurm/bin"       # where squeue, sinfo, scancel and sacct are, if not on PATH
# history_days = 7                 # finished jobs from sacct of the last N days (0: none)
# persistent = "auto"              # any provider: shells in tmux on the nodes (auto: when
#                                  #   the node has tmux), "tmux", "screen" or "off"
# persistent_nodes = { "gpu*" = "off" }   # node-name patterns overriding `persistent`

# Rescale, through its REST API. The API key comes from RESCALE_API_KEY, else from
# api_key_file (mode 0600), else from Rescale's own ~/.config/rescale/apiconfig.
# [providers.rescale]
# type = "rescale"
# region = "platform"              # platform (US), eu, jp, kr or itar
# base_url = "https://platform.rescale.com"   # instead of region, for another API host
# api_key_file = "~/.config/clusterdeck/rescale.key"
# profile = "default"              # the profile of ~/.config/rescale/apiconfig
# ssh_key = "~/.ssh/id_rsa"        # its public half is in Rescale's job SSH settings
# poll_interval = 10               # seconds between job list refreshes
# tail_interval = 5                # seconds between live log polls
# tail_lines = 500                 # lines per live log poll: 10 to 2000
# timeout = 20                     # seconds per API request
# retries = 4                      # retries of a failed GET: 0 to 10

# Your own machines: clusters and nodes listed here, and/or every Host of ~/.ssh/config.
# Each cluster shows as a running "job"; enter opens a shell on a node. user, port, key and
# jump can be set for the whole provider, a cluster or a node (the nearest one wins).
# [providers.machines]
# type = "inventory"
# ssh_config = true                # every Host of ~/.ssh/config (with Include) as a cluster
#                                  #   of one (wildcard patterns skipped), or a file path
# user = "ada"                     # login user for every node that sets none
# port = 22                        # SSH port for every node that sets none
# key = "~/.ssh/id_ed25519"        # private key for every node that sets none
# jump = "ada@login.example.org:22"   # jump host: "[user@]host[:port]" or a Host alias
# log_command = "journalctl -f -n 100"   # log of every cluster that sets none
# probe = true                     # see if each node's SSH server answers: running or down
# probe_timeout = 1.0              # seconds per check: 0.1 to 10
#
# Each [[providers.machines.clusters]] block below adds one cluster. The same can be written
# on one line, as in:  clusters = [{ name = "lab", nodes = ["10.1.2.3", "10.1.2.4"] }]
# [[providers.machines.clusters]]
# name = "lab"                     # required: shown in the jobs pane
# log_command = "tail -F /var/log/syslog"   # the cluster's log: its output, over SSH
# log_node = "gpu1"                # the node it runs on (default: the first)
# jump = "none"                    # no jump host for this cluster's nodes
# nodes = [                        # required: tables, or strings "[user@]host[:port]";
#                                  #   a node's first tag is its role
#   { name = "gpu1", host = "10.1.2.3", port = 22, user = "ada", tags = ["gpu"] },
#   { name = "gpu2", host = "10.1.2.4", tags = ["gpu"] },
#   "ada@10.1.2.5:2222",
# ]
"""
