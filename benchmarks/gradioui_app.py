"""smolagents' stock GradioUI on one CodeAgent with OpenAIServerModel: the reference of bench_cold_start.py.

    python benchmarks/gradioui_app.py --port 7861 --api-base http://127.0.0.1:8000/v1
"""

from __future__ import annotations

import argparse


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api-base", required=True)
    args = parser.parse_args()
    from smolagents import CodeAgent, GradioUI, OpenAIServerModel

    model = OpenAIServerModel(model_id="scripted", api_base=args.api_base, api_key="sk-bench")
    agent = CodeAgent(tools=[], model=model, verbosity_level=0, max_steps=4, stream_outputs=True)
    GradioUI(agent, reset_agent_memory=True).launch(server_name="127.0.0.1", server_port=args.port, quiet=True,
                                                   ssr_mode=False)


if __name__ == "__main__":
    main()
