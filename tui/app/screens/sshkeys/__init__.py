"""The SSH keys screen (`K`) and its dialogs: list, generate, import, fix permissions."""
