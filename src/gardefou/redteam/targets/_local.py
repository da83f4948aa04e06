"""Local targets: the gardefou guard, any command-line program, a transformers causal LM."""

from __future__ import annotations

import json
import shlex
import subprocess
import threading
from pathlib import Path
from typing import Any

from gardefou.errors import ConfigError, MissingDependencyError, ModelError
from gardefou.guard import Guard
from gardefou.policy import load_policy
from gardefou.redteam.attacks import Message
from gardefou.redteam.targets._base import Response, estimate_tokens, render_conversation, target


def build_guard(policy: str = "default", detectors: str | list[str] | None = None) -> Guard:
    """A guard from a policy, optionally keeping only some of its detectors (by name)."""
    pol = load_policy(policy)
    if detectors:
        names = detectors.split(",") if isinstance(detectors, str) else list(detectors)
        names = [n.strip() for n in names if n.strip()]
        kept = [d for d in pol.detectors if d.name in names]
        known = {d.name for d in pol.detectors}
        missing = [n for n in names if n not in known]
        if missing:
            raise ConfigError(
                f"guard: detector(s) {', '.join(missing)} not in policy {pol.name!r} "
                f"(it has: {', '.join(sorted(known))})"
            )
        pol = pol.model_copy(update={"detectors": kept})
    return Guard.from_policy(pol)


@target("guard")
class GuardTarget:
    """The gardefou guard on the prompt: an attack succeeds when the guard lets it through.

    ``flag_counts`` (default true): a *flag* counts as detected, like a block. ``detectors``
    (comma-separated names) keeps only those detectors of the policy, e.g. ``rules``.
    """

    self_judging = True
    max_concurrency: int | None = None

    def __init__(
        self,
        policy: str = "default",
        *,
        guard: Guard | None = None,
        flag_counts: bool = True,
        detectors: str | list[str] | None = None,
    ) -> None:
        self.name = "guard"
        self.guard = guard if guard is not None else build_guard(policy, detectors)
        self.flag_counts = flag_counts

    def generate(self, messages: list[Message]) -> Response:
        user_turns = [m for m in messages if m.get("role") == "user"]
        if len(messages) == 1:
            verdict = self.guard.check(messages[0]["content"], "input")
        else:
            verdict = self.guard.check_conversation(messages, "input")
        detected = verdict.action == "block" or (self.flag_counts and verdict.action == "flag")
        text = "\n".join(m["content"] for m in user_turns)
        return Response(
            text="" if detected else "(allowed by the guard)",
            blocked=detected,
            tokens_in=estimate_tokens(text),
            error=verdict.error,
            detail={
                "action": verdict.action,
                "triggered": verdict.triggered,
                "unsafe": verdict.unsafe_score,
                "evidence": verdict.evidence[:5],
            },
        )

    def close(self) -> None:
        """Nothing to release."""


@target("command")
class CommandTarget:
    """Any program: the prompt on stdin, the answer on stdout.

    ``input_format``: ``text`` (the prompt, or a transcript for conversations) or ``json`` (the
    messages as a JSON list). ``blocked_exit_code``: an exit status meaning "blocked" (e.g. 1 for
    ``gardefou guard check``); any other non-zero status is an error.
    """

    self_judging = False
    max_concurrency: int | None = None

    def __init__(
        self,
        command: str | list[str],
        *,
        timeout: float = 60.0,
        input_format: str = "text",
        blocked_exit_code: int | None = None,
    ) -> None:
        self.name = "command"
        if not isinstance(command, str | list):  # a CLI value such as "true" parsed as a bool
            command = str(command).lower() if isinstance(command, bool) else str(command)
        self.argv = shlex.split(command) if isinstance(command, str) else list(command)
        if not self.argv:
            raise ConfigError("command target: 'command' is empty")
        if input_format not in ("text", "json"):
            raise ConfigError("command target: input_format must be 'text' or 'json'")
        self.timeout = float(timeout)
        self.input_format = input_format
        self.blocked_exit_code = blocked_exit_code

    def generate(self, messages: list[Message]) -> Response:
        stdin = (
            json.dumps(messages, ensure_ascii=False)
            if self.input_format == "json"
            else render_conversation(messages)
        )
        try:
            proc = subprocess.run(
                self.argv,
                input=stdin,
                capture_output=True,
                text=True,
                encoding="utf-8",
                errors="replace",
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return Response(error=f"command timed out after {self.timeout:g}s")
        except OSError as exc:
            return Response(error=f"command failed to start: {exc.strerror or exc}")
        out = proc.stdout.strip()
        if self.blocked_exit_code is not None and proc.returncode == self.blocked_exit_code:
            return Response(text=out, blocked=True, tokens_in=estimate_tokens(stdin))
        if proc.returncode != 0:
            return Response(error=f"command exited with status {proc.returncode}")
        return Response(text=out, tokens_in=estimate_tokens(stdin), tokens_out=estimate_tokens(out))

    def close(self) -> None:
        """Nothing to release."""


@target("hf")
class HFTarget:
    """A local transformers causal LM, prompted with its chat template (greedy decoding).

    ``model`` is a local directory (nothing is downloaded). Needs ``pip install 'gardefou[tamper]'``.
    """

    self_judging = False
    max_concurrency: int | None = 1

    def __init__(
        self,
        model: str,
        *,
        max_new_tokens: int = 128,
        device: str = "cpu",
        system: str | None = None,
    ) -> None:
        try:
            import torch  # noqa: F401
            import transformers
        except ImportError:
            raise MissingDependencyError("transformers", "tamper") from None
        if not Path(model).is_dir():
            raise ModelError(f"hf target: model directory not found: {model}")
        self.name = "hf"
        try:
            self.tokenizer: Any = transformers.AutoTokenizer.from_pretrained(
                model, local_files_only=True
            )
            auto: Any = transformers.AutoModelForCausalLM
            self.model: Any = auto.from_pretrained(model, local_files_only=True).to(device)
        except (OSError, ValueError) as exc:
            raise ModelError(f"hf target: cannot load model from {model}: {exc}") from None
        self.model.eval()
        self.device = device
        self.max_new_tokens = int(max_new_tokens)
        self.system = system
        self._lock = threading.Lock()

    def _encode(self, messages: list[Message]) -> Any:
        chat = ([{"role": "system", "content": self.system}] if self.system else []) + messages
        if getattr(self.tokenizer, "chat_template", None):
            return self.tokenizer.apply_chat_template(
                chat, add_generation_prompt=True, return_tensors="pt", return_dict=True
            )["input_ids"]
        return self.tokenizer(render_conversation(chat), return_tensors="pt")["input_ids"]

    def generate(self, messages: list[Message]) -> Response:
        import torch

        with self._lock, torch.no_grad():
            ids = self._encode(messages).to(self.device)
            pad = self.tokenizer.pad_token_id
            if pad is None:
                pad = self.tokenizer.eos_token_id
            out = self.model.generate(
                ids,
                attention_mask=torch.ones_like(ids),
                max_new_tokens=self.max_new_tokens,
                do_sample=False,
                pad_token_id=pad,
            )
        new = out[0, ids.shape[1] :]
        text = self.tokenizer.decode(new, skip_special_tokens=True)
        return Response(text=text, tokens_in=int(ids.shape[1]), tokens_out=int(new.shape[0]))

    def close(self) -> None:
        """Drop the model."""
        self.model = None
