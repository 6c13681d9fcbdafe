import sys

from tests.node.node import main

sys.exit(main())
