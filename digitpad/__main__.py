"""`python -m digitpad predict IMAGE...` or `export-web DIR`: see digitpad/cli.py."""

import os
import sys

from digitpad.cli import main

try:
    sys.exit(main())
except BrokenPipeError:  # The reader left (`... | head`): stop quietly, as Unix tools do.
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(1)
