"""The Textual application: the app, its factory, the command line, screens and bindings.

Everything here may import the core (`tui.core`) and `widgets`; nothing below imports it.
"""
