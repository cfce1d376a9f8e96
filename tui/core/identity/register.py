"""How to give a public key to a provider: the exact steps when its API cannot take it."""

from __future__ import annotations

_RESCALE = """\
Rescale has no API for the SSH key of your job settings, so add it by hand:
  1. The public key is on your clipboard (c on the keys screen copies it again):
       {key}
  2. Open the Rescale web app: your name (top right) > Settings > Job Settings.
  3. Paste it into "SSH Public Key" and press Save.
  4. Under "Access Restriction" choose "My Current IP Address" (or a custom CIDR block).
  5. The key applies to jobs started from now on; running jobs keep the key they started with."""

_AUTHORIZED_KEYS = """\
Add the public key to ~/.ssh/authorized_keys on the {where}:
  1. The public key is on your clipboard (c on the keys screen copies it again):
       {key}
  2. From a shell that can already log in there, run:
       mkdir -p ~/.ssh && chmod 700 ~/.ssh
       echo '{key}' >> ~/.ssh/authorized_keys && chmod 600 ~/.ssh/authorized_keys
     or, from this workstation:  ssh-copy-id -i {pub} <user>@<host>"""

_DEMO = """\
The demo cluster only lets clusterdeck's own generated demo key log in; nothing to register.
The public key is on your clipboard:
  {key}"""

_WHERE = {"slurm": "Slurm login host", "inventory": "cluster's login host"}


def registration_steps(provider_type: str, public_key_line: str, pub_path: str) -> str:
    """The steps that give `public_key_line` to a `provider_type` cluster, word for word.

    Args:
        provider_type: The provider's type name (`rescale`, `slurm`, `inventory`, `demo`...).
        public_key_line: The OpenSSH public key line.
        pub_path: Where the `.pub` file is, as the user reads it (`~/.ssh/id_ed25519.pub`).
    """
    key = public_key_line.strip()
    if provider_type == "rescale":
        return _RESCALE.format(key=key)
    if provider_type == "demo":
        return _DEMO.format(key=key)
    where = _WHERE.get(provider_type, "host you log in to")
    return _AUTHORIZED_KEYS.format(where=where, key=key, pub=pub_path)
