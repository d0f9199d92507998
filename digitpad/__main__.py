"""`python -m digitpad predict IMAGE...`: see digitpad/cli.py."""

import sys

from digitpad.cli import main

sys.exit(main())
