"""`python -m ledgerlens.cli`: what the benchmark runs, one phase per process."""

import sys

from ledgerlens.cli import main

sys.exit(main())
