"""The tunnel manager screen (`t`) and its add-tunnel dialog."""
