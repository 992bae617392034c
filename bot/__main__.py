"""`python -m bot` runs the redline CLI."""

import sys

from bot.cli import main

sys.exit(main())
