"""Allow ``python -m nndl``."""

from nndl.cli import main

raise SystemExit(main())
