import sys

from fakebench.cli import main

sys.exit(main())
