from digitlab.cli import main

raise SystemExit(main())
