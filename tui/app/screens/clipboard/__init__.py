"""The clipboard bridge screen and its paste confirmation."""
