"""``python -m cli``: the ``claimwatch`` command."""

import sys

from cli.main import main

sys.exit(main())
