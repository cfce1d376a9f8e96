"""`python -m tui` runs the clusterdeck command."""

from tui.cli import main

raise SystemExit(main())
