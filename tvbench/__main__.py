import sys

from tvbench.cli.main import main

sys.exit(main())
