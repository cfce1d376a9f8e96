"""`~/.ssh/config` Host blocks for a job's nodes, so OpenSSH, VS Code, scp and rsync reach them.

`blocks` renders blocks (every value checked: it comes from the network), `build` makes them
from a provider's node, `write` merges them into a file for `Include`, replacing only blocks
clusterdeck wrote.
"""
