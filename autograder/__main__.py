import sys

from .common.threads import limit_grader_threads

limit_grader_threads()  # before the CLI's imports load NumPy

from .cli import main  # noqa: E402

sys.exit(main())
