"""The embedded demo cluster: asyncssh servers on loopback with real PTYs and a scripted job log."""
