# Smol Trader as a container: the same app.py and requirements.txt as the Hugging Face Space.
# Build: docker build -t smol-trader .  (podman: podman build --format docker -t smol-trader . or the HEALTHCHECK is dropped)
# Run:   docker run -p 7860:7860 -v smol-data:/data --env-file .env smol-trader
# The Python here matches `python_version` in README.md's front matter (pandas 3 and numpy 2.4 need 3.11+).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    GRADIO_ANALYTICS_ENABLED=False \
    GRADIO_SERVER_NAME=0.0.0.0 \
    GRADIO_SERVER_PORT=7860 \
    DATA_DIR=/data \
    PAPER_LEDGER_PATH=/data/paper_ledger.sqlite3 \
    HOME=/home/user

# uid 1000: the user a Docker Space runs as, and never root.
RUN useradd --create-home --uid 1000 user \
    && mkdir -p /data \
    && chown user:user /data

WORKDIR /home/user/app
COPY --chown=user:user requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
COPY --chown=user:user . .
# PYTHONDONTWRITEBYTECODE keeps a running container from writing .pyc files, so compile the app's own modules here,
# once: otherwise every start compiles them again (~0.3 s of a cold start on 2 cores; pip already compiled the
# libraries).
RUN python -m compileall -q -j 0 -x '(^|/)(tests|benchmarks|docs|site)/' .

USER user
# Every database of the app (paper ledger, runs, workspaces) lives in DATA_DIR: keep it on a volume.
VOLUME ["/data"]
EXPOSE 7860

HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('GRADIO_SERVER_PORT', '7860') + '/', timeout=4)"]

CMD ["python", "app.py"]
