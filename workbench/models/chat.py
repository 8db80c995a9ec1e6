"""A generator's own chat template, rendered with jinja2 (no transformers import at inference)."""

from __future__ import annotations

import json
from pathlib import Path

from jinja2.sandbox import ImmutableSandboxedEnvironment


def load_chat_template(folder: Path) -> str | None:
    """The template saved with the tokenizer: chat_template.jinja, or the key in tokenizer_config.json."""
    folder = Path(folder)
    if (folder / "chat_template.jinja").exists():
        return (folder / "chat_template.jinja").read_text(encoding="utf-8")
    config = folder / "tokenizer_config.json"
    if config.exists():
        return json.loads(config.read_text(encoding="utf-8")).get("chat_template")
    return None


class TemplateRefusal(ValueError):
    """Raised by a chat template's own `raise_exception` call."""


def _template_error(message: str):
    raise TemplateRefusal(f"The model's chat template refused the prompt: {message}")


class ChatFormatter:
    """Turns (system, user) messages into the prompt text the model was trained on."""

    def __init__(self, template: str | None, special_tokens: dict[str, str]):
        # Sandboxed: a model folder from elsewhere must not run code through its template.
        environment = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                                    extensions=["jinja2.ext.loopcontrols"])
        environment.globals["raise_exception"] = _template_error
        self.template = environment.from_string(template) if template else None
        self.special_tokens = special_tokens

    def prompt(self, user: str, system: str | None = None) -> str:
        messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": user}]
        if self.template is None:  # a plain model without a chat template: the text itself
            return "\n\n".join(m["content"] for m in messages) + "\n\n"
        try:
            return self._render(messages)
        except TemplateRefusal:
            if not system:
                raise
            # Gemma's and Mistral v0.1-v0.2's templates refuse a system turn; their later versions put its text
            # before the user's, which is what this does.
            return self._render([{"role": "user", "content": f"{system}\n\n{user}"}])

    def _render(self, messages: list[dict[str, str]]) -> str:
        return self.template.render(messages=messages, add_generation_prompt=True, **self.special_tokens)
