"""`python -m digitpad predict IMAGE...` or `export-web DIR`: see digitpad/cli.py."""

import sys

from digitpad.cli import main

sys.exit(main())
