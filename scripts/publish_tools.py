"""Publish the shareable tools to the Hugging Face Hub: `python scripts/publish_tools.py --namespace NAME`.

A thin wrapper around `python -m hub.publish` (see README.md, "Our tools on the Hub").
"""

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from hub.publish import main

    sys.exit(main())
