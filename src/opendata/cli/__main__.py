"""``python -m opendata.cli``: the ``opendata`` command."""

from opendata.cli import main

raise SystemExit(main())
