from scanner.cli.commands import main

raise SystemExit(main())
