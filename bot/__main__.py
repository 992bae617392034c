"""`python -m bot` runs the redline CLI."""

import sys

from bot.cli.main import main

sys.exit(main())
