"""``python -m qcsim`` is the ``qcsim`` command."""
import sys

from qcsim.cli import main

sys.exit(main())
