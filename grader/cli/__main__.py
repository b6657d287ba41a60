"""`python -m grader.cli`, as the container image runs it."""

import sys

from grader.cli import main

sys.exit(main())
