"""`python -m tui` runs the clusterdeck command."""

from tui.app.cli import main

raise SystemExit(main())
