"""Hub benchmark: prints a table (no asserts). Everything runs against the 127.0.0.1 Hub stand-in,
so the figures are our + huggingface_hub's client-side cost, not the real Hub's latency.

    python benchmarks/bench_hub.py

1. Publish all shareable tools (10 Spaces: push_to_hub + README/requirements commit) and the collection.
2. Load those 10 tools back with load_remote_tools (cold cache, then warm cache).
3. load_remote_tools with the Hub down: 3 entries (fail fast instead of ~20 s of download retries each).
4. Deploy this checkout: files and bytes uploaded, time.
Timings are measured inside the child process (interpreter start excluded).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from standins.hub import HubServer, hub_env, run_python  # noqa: E402

TIMED_PUBLISH = (
    "import json, time\n"
    "from hub.client import use_configured_endpoint; use_configured_endpoint()\n"
    "from hub.publish import publish_tools, shareable_tools\n"
    "tools = shareable_tools(); t = time.perf_counter()\n"
    "r = publish_tools('bench', tools)\n"
    "print(json.dumps({'s': time.perf_counter() - t, 'n': len(r.tools), 'slug': r.collection_slug}))\n"
)
TIMED_LOAD = (
    "import json, time\n"
    "from core.settings import load_settings\n"
    "from hub.remote_tools import load_remote_tools\n"
    "settings = load_settings(dotenv_path=None); out = []\n"
    "for _ in range(2):\n"
    "    t = time.perf_counter(); tools, report = load_remote_tools(settings)\n"
    "    out.append({'s': time.perf_counter() - t, 'n': sum(map(len, tools.values())), 'report': report})\n"
    "print(json.dumps(out))\n"
)
TIMED_DEPLOY = (
    "import json, time, pathlib\n"
    "from hub.client import use_configured_endpoint; use_configured_endpoint()\n"
    "from hub.deploy import deploy\n"
    "root = pathlib.Path({root!r}); t = time.perf_counter()\n"
    "r = deploy('bench/smol-trader', root)\n"
    "print(json.dumps({{'s': time.perf_counter() - t, 'files': len(r.files), "
    "'bytes': sum((root / f).stat().st_size for f in r.files)}}))\n"
)


def row(name: str, value: str, note: str = "") -> None:
    print(f"| {name:<58} | {value:>14} | {note:<34} |")


def last_json(proc):
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    root = Path(__file__).resolve().parent.parent
    print(f"| {'measurement':<58} | {'value':>14} | {'note':<34} |")
    print(f"|{'-' * 60}|{'-' * 16}|{'-' * 36}|")
    with tempfile.TemporaryDirectory() as tmp, HubServer(user="bench") as hub:
        published = last_json(run_python(["-c", TIMED_PUBLISH], hub_env(hub.url, f"{tmp}/p")))
        requests = len(hub.state.received)
        row(f"publish {published['n']} tools + collection", f"{published['s']:.2f} s",
            f"{requests} HTTP requests")
        row("  per tool", f"{published['s'] / published['n'] * 1000:.0f} ms")

        entries = ",".join(f"trader:{repo[1]}" for repo in hub.state.repos)
        loads = last_json(run_python(["-c", TIMED_LOAD], hub_env(hub.url, f"{tmp}/l", HUB_TOOLS=entries,
                                                                  HUB_TOOLS_TRUSTED="true")))
        row(f"load_remote_tools, {loads[0]['n']} tools, cold cache", f"{loads[0]['s']:.2f} s")
        row(f"load_remote_tools, {loads[1]['n']} tools, warm cache", f"{loads[1]['s']:.2f} s",
            "still checks each Space's revision")

        down = HubServer.down()
        downs = last_json(run_python(["-c", TIMED_LOAD], hub_env(down, f"{tmp}/d", HUB_TOOLS="a/b,web:c/d,e/f",
                                                                  HUB_TOOLS_TRUSTED="true")))
        row("load_remote_tools, Hub down, 3 entries", f"{downs[0]['s'] * 1000:.0f} ms",
            f"{len(downs[0]['report'])} report lines, app goes on")

        if not (root / "README.md").is_file():
            row("deploy this checkout", "skipped", "no README.md (Space config) yet")
            return
        before = len(hub.state.received)
        deployed = last_json(run_python(["-c", TIMED_DEPLOY.format(root=str(root))], hub_env(hub.url, f"{tmp}/x")))
        row(f"deploy this checkout ({deployed['files']} files)", f"{deployed['s']:.2f} s",
            f"{deployed['bytes'] / 1024:.0f} kB, {len(hub.state.received) - before} HTTP requests")


if __name__ == "__main__":
    main()
