from feedwatch.cli import main

raise SystemExit(main())
