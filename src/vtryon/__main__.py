import sys

from vtryon.app.cli import main

sys.exit(main())
