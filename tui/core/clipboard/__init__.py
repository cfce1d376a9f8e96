"""The clipboard bridge between the workstation and the cluster."""
