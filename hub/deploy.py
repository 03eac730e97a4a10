"""Deploy this app to a Hugging Face Space: upload exactly the app's files, then list the secrets to set.

Command (documented in README.md, "Our tools on the Hub"):

    python -m hub.deploy --space OWNER/NAME [--private] [--update] [--dry-run]

What is uploaded is an explicit allow-list: the files git tracks, minus
everything a running Space does not need or must never see (tests,
benchmarks, scripts, docs, local data, ledgers, `.env` files, keys). The
README's front matter (sdk: gradio, app_file, ...) is the Space's
configuration, so it is checked before anything is sent. Secrets are never
uploaded: the command prints their NAMES for the person to set in the Space
settings.
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hub.client import HubCommandError, explain_hub_error, use_configured_endpoint
from hub.space_python import ensure_space_python, pins

# Secrets the app reads (Settings fields of type Secret), by environment variable name.
SECRET_ENV_VARS: tuple[str, ...] = (
    "HF_TOKEN",
    "OPENAI_API_KEY",
    "ALPACA_API_KEY",
    "ALPACA_SECRET_KEY",
    "APP_PASSWORD",
    "LANGFUSE_PUBLIC_KEY",
    "LANGFUSE_SECRET_KEY",
    "OTEL_EXPORTER_OTLP_HEADERS",
    "METRICS_TOKEN",
    "DATABASE_URL",
    "SESSION_HASH_SECRET",
)
# Plain (non-secret) settings a Space commonly needs, set as Space variables.
VARIABLE_ENV_VARS: tuple[str, ...] = (
    "MODEL_BACKEND",
    "MODEL_ID",
    "HF_PROVIDER",
    "OPENAI_API_BASE",
    "APP_USERNAME",
    "ALPACA_PAPER",
    "TRADING_LIVE_ENABLED",
    "LANGFUSE_HOST",
    "HUB_TOOLS",
    "HUB_TOOLS_TRUSTED",
)
REQUIRED_SECRETS = ("HF_TOKEN",)  # the default model backend needs it
SECRET_PURPOSES = {  # what each secret is for, in the table `--dry-run` and a deploy print
    "HF_TOKEN": "the model (Hugging Face inference, the default backend); also Hub tools and backups",
    "OPENAI_API_KEY": "the model, when MODEL_BACKEND=openai (any OpenAI-compatible server)",
    "ALPACA_API_KEY": "Alpaca paper or live trading (without it: the built-in paper broker)",
    "ALPACA_SECRET_KEY": "Alpaca, with ALPACA_API_KEY",
    "APP_PASSWORD": "a username/password login in front of the app (with APP_USERNAME)",
    "LANGFUSE_PUBLIC_KEY": "traces in Langfuse",
    "LANGFUSE_SECRET_KEY": "traces in Langfuse, with LANGFUSE_PUBLIC_KEY",
    "OTEL_EXPORTER_OTLP_HEADERS": "traces to another OpenTelemetry collector",
    "METRICS_TOKEN": "/metrics on a public Space (Prometheus bearer token)",
    "DATABASE_URL": "every store in one PostgreSQL database (replicas; a Space keeps SQLite in /data)",
    "SESSION_HASH_SECRET": "the key of the session label spans carry (empty: a random key per start)",
}

EXCLUDED_DIRS = ("tests/", "benchmarks/", "evals/", "standins/", "scripts/", "docs/", "site/", "data/", ".ci/",
                 ".github/", ".git/", "__pycache__/")
EXCLUDED_NAMES = (
    ".env", ".env.*", "*.sqlite3", "*.sqlite3-*", "*.sqlite", "*.db", "*.pyc", "*.pem", "*.key",
    "requirements-test.txt", "requirements-docs.txt", "mkdocs.yml", "pytest.ini", "conftest.py", ".gitignore", "*.log",
)
ALLOWED_DESPITE_EXCLUSION = (".env.example",)  # a template without values


@dataclass
class DeployResult:
    space_id: str
    url: str
    files: list[str] = field(default_factory=list)
    secrets: tuple[str, ...] = SECRET_ENV_VARS
    variables: tuple[str, ...] = VARIABLE_ENV_VARS


def is_deployable(path: str) -> bool:
    """Whether a repo-relative path belongs in the Space."""
    path = path.replace(os.sep, "/")
    name = path.rsplit("/", 1)[-1]
    if name in ALLOWED_DESPITE_EXCLUSION:
        return True
    if any(path.startswith(d) or f"/{d}" in f"/{path}" for d in EXCLUDED_DIRS):
        return False
    return not any(fnmatch.fnmatch(name, pattern) for pattern in EXCLUDED_NAMES)


def candidate_files(root: Path) -> list[str]:
    """Files git tracks under `root` (or, outside a git checkout, every file)."""
    try:
        out = subprocess.run(["git", "-C", str(root), "ls-files", "-z"], capture_output=True, check=True)
        files = [f for f in out.stdout.decode("utf-8").split("\0") if f]
    except (OSError, subprocess.CalledProcessError):
        files = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and ".git" not in p.parts]
    return sorted(f for f in files if (root / f).is_file())


def deploy_files(root: Path) -> list[str]:
    """The exact allow-list of files to upload."""
    return [f for f in candidate_files(root) if is_deployable(f)]


def check_space_config(root: Path, files: list[str]) -> dict:
    """The README front matter, checked: it must configure a Gradio Space whose app file is uploaded."""
    from huggingface_hub.repocard import metadata_load

    readme = root / "README.md"
    if "README.md" not in files or not readme.is_file():
        raise HubCommandError("README.md is missing; a Space needs it (front matter: sdk: gradio, app_file: app.py).")
    meta = metadata_load(readme) or {}
    if meta.get("sdk") != "gradio":
        raise HubCommandError(f"README.md front matter must say `sdk: gradio` (found {meta.get('sdk')!r}).")
    app_file = meta.get("app_file", "app.py")
    if app_file not in files:
        raise HubCommandError(f"the Space's app_file {app_file!r} is not among the files to upload.")
    requirements = root / "requirements.txt"
    if "requirements.txt" in files and requirements.is_file():
        text = requirements.read_text(encoding="utf-8")
        gradio_pin = dict(pins(text)).get("gradio")
        if gradio_pin and str(meta.get("sdk_version")) != gradio_pin:
            raise HubCommandError(f"README.md front matter says sdk_version {meta.get('sdk_version')!r} but "
                                  f"requirements.txt pins gradio=={gradio_pin}; make them equal.")
        meta["python_check"] = ensure_space_python(text, meta.get("python_version"))
    return meta


def deploy(space_id: str, root: Path, *, token: str | None = None, private: bool = False,
           update: bool = False) -> DeployResult:
    """Create (or, with update=True, reuse) the Space and upload the allow-listed files in one commit."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    if space_id.count("/") != 1 or not all(space_id.split("/")):
        raise HubCommandError("--space must look like OWNER/NAME, e.g. alice/smol-trader.")
    files = deploy_files(root)
    check_space_config(root, files)
    api = HfApi(token=token)
    try:
        api.create_repo(space_id, repo_type="space", space_sdk="gradio", private=private)
    except HfHubHTTPError as exc:
        if exc.response is None or exc.response.status_code != 409:
            raise
        if not update:
            raise HubCommandError(
                f"the Space {space_id} already exists (409). Pass --update to deploy over it."
            ) from None
    api.upload_folder(
        repo_id=space_id,
        repo_type="space",
        folder_path=root,
        allow_patterns=files,
        delete_patterns=["*"],  # files removed from the app disappear from the Space too
        commit_message="Deploy Smol Trader",
    )
    return DeployResult(space_id=space_id, url=f"{api.endpoint}/spaces/{space_id}", files=files)


def secrets_message(result: DeployResult, environ: dict[str, str] | None = None) -> str:
    """What the person must set in the Space settings: names only, never values."""
    environ = os.environ if environ is None else environ

    def mark(name: str) -> str:
        return f"  {name}" + ("  (set in your local environment)" if environ.get(name) else "")

    return "\n".join([
        f"Now open {result.url}/settings -> 'Variables and secrets'.",
        "Secrets to add (only the ones for the services you use; " + ", ".join(REQUIRED_SECRETS) + " is required):",
        *(mark(name) for name in result.secrets),
        "Variables you may set:",
        *(mark(name) for name in result.variables),
    ])


def secrets_table(secrets: Sequence[str] = SECRET_ENV_VARS) -> str:
    """The secrets to set on the Space, required first, as a Markdown table (names only, never values)."""
    ordered = sorted(secrets, key=lambda name: name not in REQUIRED_SECRETS)
    rows = [f"| {name} | {'required' if name in REQUIRED_SECRETS else 'optional'} | "
            f"{SECRET_PURPOSES.get(name, '')} |" for name in ordered]
    return "\n".join(["| secret | needed | what for |", "|---|---|---|", *rows])


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m hub.deploy",
        description="Deploy Smol Trader to a Hugging Face Space (uploads the app's files, never secrets or local "
                    "data) and print the secrets to set. Needs HF_TOKEN (a write token) or a `hf auth login`.",
    )
    parser.add_argument("--space", required=True, help="OWNER/NAME of the Space")
    parser.add_argument("--root", default=str(Path(__file__).resolve().parent.parent), help="the app's folder")
    parser.add_argument("--private", action="store_true", help="create a private Space")
    parser.add_argument("--update", action="store_true", help="deploy over a Space that already exists")
    parser.add_argument("--dry-run", action="store_true", help="list the files that would be uploaded, upload nothing")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    root = Path(args.root).resolve()
    use_configured_endpoint()
    try:
        if args.dry_run:
            files = deploy_files(root)
            meta = check_space_config(root, files)
            print("\n".join(files))
            if meta.get("python_check"):
                print(meta["python_check"])
            print(f"{len(files)} files would be uploaded to {args.space}.")
            print("\nSecrets to set in the Space's settings ('Variables and secrets'):\n")
            print(secrets_table())
            return 0
        from core.settings import load_settings

        token = load_settings(dotenv_path=str(root / ".env")).hf_token.reveal() or None
        result = deploy(args.space, root, token=token, private=args.private, update=args.update)
    except Exception as exc:
        print(explain_hub_error(exc, action=f"deploy to the Space {args.space}"), file=sys.stderr)
        return 1
    print(f"Deployed {len(result.files)} files to {result.url}")
    print(secrets_message(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
