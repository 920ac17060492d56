"""`python -m engine ...` is the same as the `segue` command."""
import sys

from engine.cli import main

sys.exit(main())
