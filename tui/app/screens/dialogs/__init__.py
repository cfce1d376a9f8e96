"""Small modal dialogs: confirm, details, passphrase, host keys, access rule, help."""
