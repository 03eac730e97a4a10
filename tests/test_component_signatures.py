"""The page's component constructors carry their signature (ui/component_signatures.py), and Gradio's description of
every block, which each new session and every /config makes, is exactly what it is without them."""

from __future__ import annotations

import inspect
import json

import app
from tests.harness import local_stack
from ui.component_signatures import page_constructors, remember_signatures


def descriptions(demo) -> str:
    config = demo.default_config
    return json.dumps({key: config.config_for_block(key, [], block) for key, block in config.blocks.items()},
                      sort_keys=True, default=repr)


def test_every_constructor_on_the_page_carries_its_signature_and_the_descriptions_do_not_change(tmp_path):
    with local_stack(tmp_path) as stack:
        ui = app.SmolTraderApp(stack.settings, stack.runtime, model_factory=None)
        demo = ui.build()
        inits = page_constructors(demo)
        assert len(inits) > 10
        missing = [init.__qualname__ for init in inits if "__signature__" not in vars(init)]
        assert not missing, f"constructors Gradio would inspect on every new session: {missing}"
        remembered = descriptions(demo)
        stored = {init: vars(init).pop("__signature__") for init in inits}  # Gradio on its own, for comparison
        try:
            assert descriptions(demo) == remembered
            assert all(stored[init] == inspect.signature(init) for init in inits)
            assert remember_signatures(demo) == len(inits)
            assert remember_signatures(demo) == 0  # idempotent
        finally:
            for init, signature in stored.items():
                init.__signature__ = signature
