"""Deploy the app to a Hugging Face Space: `python scripts/deploy_space.py --space OWNER/NAME`.

A thin wrapper around `python -m hub.deploy` (see README.md, "Our tools on the Hub").
"""

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from hub.deploy import main

    sys.exit(main())
