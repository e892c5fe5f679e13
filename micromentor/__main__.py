import sys

from micromentor.cli import main

sys.exit(main())
