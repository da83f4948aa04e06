"""Run attacks against a target, judge the answers and write results as they come.

``results.jsonl`` gets one line per attempt as soon as it finishes (Ctrl-C keeps what is done);
``resume=True`` skips the attempts already there. ``summary.json`` and ``report.html`` are
written at the end (and after an interruption, from what was done).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gardefou.errors import InputError
from gardefou.redteam.attacks import Attack, AttackPrompt, Message
from gardefou.redteam.behaviors import Behavior
from gardefou.redteam.judges import Judge, Judgment
from gardefou.redteam.metrics import summarize
from gardefou.redteam.targets import Response, Target
from gardefou.refusal import refusal_score

RESULTS = "results.jsonl"
SUMMARY = "summary.json"
REPORT = "report.html"


@dataclass(frozen=True)
class Task:
    """One planned attempt: an attack prompt for a behavior, or a benign prompt."""

    key: str
    kind: str
    behavior: Behavior
    attack: Attack | None
    prompt: AttackPrompt


def plan(
    behaviors: Sequence[Behavior],
    attack_list: Sequence[Attack],
    benign: Sequence[Behavior] = (),
    *,
    seed: int = 0,
) -> list[Task]:
    """Every attempt of a run, in a deterministic order; each (attack, behavior) gets its own rng."""
    tasks: list[Task] = []
    for attack in attack_list:
        for b in behaviors:
            rng = random.Random(f"{seed}|{attack.label}|{b.id}")
            for ap in attack.generate(b, rng):
                key = f"attack|{b.id}|{attack.label}|{ap.variant}"
                tasks.append(Task(key, "attack", b, attack, ap))
    for b in benign:
        tasks.append(Task(f"benign|{b.id}", "benign", b, None, AttackPrompt(b.text, "plain")))
    return tasks


def _messages(prompt: AttackPrompt) -> list[Message]:
    if isinstance(prompt.prompt, str):
        return [{"role": "user", "content": prompt.prompt}]
    return [dict(m) for m in prompt.prompt]


def _ask(target: Target, messages: list[Message]) -> Response:
    try:
        return target.generate(messages)
    except Exception as exc:  # a target bug must not stop the run: record it as an error
        return Response(error=f"target failed: {type(exc).__name__}")


def _converse(target: Target, prompt: AttackPrompt) -> tuple[Response, list[Message], int, int]:
    """Send the prompt; interactive conversations are played one user turn at a time."""
    messages = _messages(prompt)
    if not prompt.interactive:
        resp = _ask(target, messages)
        return resp, messages, resp.tokens_in, resp.tokens_out
    history: list[Message] = []
    tokens_in = tokens_out = 0
    resp = Response(error="empty conversation")
    for m in messages:
        if m["role"] != "user":
            history.append(m)
            continue
        history.append(m)
        resp = _ask(target, list(history))
        tokens_in += resp.tokens_in
        tokens_out += resp.tokens_out
        if resp.blocked or resp.error:
            break
        history.append({"role": "assistant", "content": resp.text})
    return resp, history, tokens_in, tokens_out


def execute(task: Task, target: Target, judge_list: Sequence[Judge]) -> dict[str, Any]:
    """Run one task against the target, judge it, and return its results record."""
    start = time.perf_counter()
    resp, transcript, tokens_in, tokens_out = _converse(target, task.prompt)
    seconds = time.perf_counter() - start
    record: dict[str, Any] = {
        "key": task.key,
        "kind": task.kind,
        "behavior": task.behavior.to_dict(),
        "attack": task.attack.label if task.attack else "plain",
        "attack_id": task.attack.id if task.attack else "plain",
        "family": task.attack.family if task.attack else "baseline",
        "variant": task.prompt.variant,
        "notes": task.prompt.notes,
        "prompt": task.prompt.prompt,
        "answer": resp.text,
        "blocked": resp.blocked,
        "error": resp.error,
        "target_detail": resp.detail,
        "tokens_in": tokens_in,
        "tokens_out": tokens_out,
        "seconds": round(seconds, 4),
    }
    if task.prompt.interactive:
        record["transcript"] = transcript
    if task.kind == "benign":
        if resp.error:
            record["refused"] = None
        else:
            record["refused"] = resp.blocked or (
                not target.self_judging and refusal_score(resp.text) >= 0.5
            )
        return record
    judgments: dict[str, dict[str, Any]] = {}
    success: bool | None
    if resp.error:
        success = None
    elif resp.blocked:
        success = False
    elif target.self_judging:
        success = True
    else:
        jstart = time.perf_counter()
        for j in judge_list:
            try:
                jd = j.judge(task.behavior.text, resp.text)
            except Exception as exc:  # a judge bug must not stop the run
                jd = Judgment(None, {"error": type(exc).__name__})
            judgments[j.name] = {"score": jd.score, "success": jd.success, "detail": jd.detail}
        record["judge_seconds"] = round(time.perf_counter() - jstart, 4)
        success = judgments[judge_list[0].name]["success"] if judge_list else None
    record["judges"] = judgments
    record["success"] = success
    return record


def read_results(path: Path) -> Iterator[dict[str, Any]]:
    """Records from a results.jsonl (a last line cut by an interruption is ignored)."""
    if not path.exists():
        return
    with path.open(encoding="utf-8") as f:
        lines = f.readlines()
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except json.JSONDecodeError:
            if n == len(lines):
                return
            raise InputError("not valid JSON", path=str(path), line=n) from None


def _drop_partial_line(path: Path) -> None:
    """Cut a last line left incomplete by a hard kill, so that appending stays valid JSONL."""
    if not path.exists():
        return
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        path.write_bytes(data[: data.rfind(b"\n") + 1])


ProgressHook = Callable[[int, int], None]


def run(
    target: Target,
    attack_list: Sequence[Attack],
    judge_list: Sequence[Judge],
    behaviors: Sequence[Behavior],
    out_dir: str | Path,
    *,
    benign: Sequence[Behavior] = (),
    seed: int = 0,
    concurrency: int = 4,
    resume: bool = False,
    meta: dict[str, Any] | None = None,
    on_progress: ProgressHook | None = None,
) -> dict[str, Any]:
    """Run every attempt, append each record to ``results.jsonl``, write ``summary.json``.

    Returns the summary. On KeyboardInterrupt the finished attempts are kept, the summary is
    written from them (``"interrupted": true``) and the interrupt is re-raised.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    results_path = out / RESULTS
    tasks = plan(behaviors, attack_list, benign, seed=seed)
    done = {r.get("key") for r in read_results(results_path)} if resume else set()
    if not resume and results_path.exists():
        results_path.unlink()
    _drop_partial_line(results_path)
    todo = [t for t in tasks if t.key not in done]
    workers = max(1, min(concurrency, target.max_concurrency or concurrency))
    run_meta = {
        **(meta or {}),
        "seed": seed,
        "planned": len(tasks),
        "resumed": len(tasks) - len(todo),
    }
    started = time.time()
    interrupted = False
    finished = len(tasks) - len(todo)
    if on_progress:
        on_progress(finished, len(tasks))
    with results_path.open("a", encoding="utf-8") as sink:
        pool = ThreadPoolExecutor(max_workers=workers)
        pending: set[Future[dict[str, Any]]] = set()
        queue = iter(todo)
        try:
            while True:
                while len(pending) < workers:  # no queue ahead: a Ctrl-C stops at once
                    task = next(queue, None)
                    if task is None:
                        break
                    pending.add(pool.submit(execute, task, target, judge_list))
                if not pending:
                    break
                completed, pending = wait(pending, return_when=FIRST_COMPLETED)
                failure: BaseException | None = None
                for fut in completed:
                    exc = fut.exception()
                    if exc is not None:
                        failure = failure or exc
                        continue
                    sink.write(json.dumps(fut.result(), ensure_ascii=False) + "\n")
                    sink.flush()
                    finished += 1
                    if on_progress:
                        on_progress(finished, len(tasks))
                if failure is not None:
                    raise failure
        except KeyboardInterrupt:
            interrupted = True
            for fut in pending:
                fut.cancel()
        finally:
            pool.shutdown(wait=not interrupted, cancel_futures=True)
    run_meta.update(
        {
            "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
            "wall_seconds": round(time.time() - started, 3),
            "interrupted": interrupted,
        }
    )
    summary = write_summary(out, run_meta, keys={t.key for t in tasks})
    if interrupted:
        raise KeyboardInterrupt
    return summary


def write_summary(
    out_dir: str | Path, meta: dict[str, Any] | None = None, *, keys: set[str] | None = None
) -> dict[str, Any]:
    """Recompute ``summary.json`` from ``results.jsonl`` (keeping the previous run metadata).

    With ``keys``, only those attempts count (a resumed run with fewer attacks ignores the rest).
    """
    out = Path(out_dir)
    if meta is None:
        previous = out / SUMMARY
        meta = (
            json.loads(previous.read_text(encoding="utf-8")).get("run", {})
            if previous.exists()
            else {}
        )
    records = read_results(out / RESULTS)
    if keys is not None:
        records = (r for r in records if r.get("key") in keys)
    summary = summarize(records, meta)
    (out / SUMMARY).write_text(
        json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return summary
