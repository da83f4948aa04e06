"""Speed benchmark of the guard model on this machine, one process.

    python bench/guard_speed.py

Prompts/s in batches of 256, p50/p99 single-prompt latency, cold load time (fresh interpreter:
import + load + first score) and peak RSS, for the fast tier, the cascade and a keyword baseline.
The build machine is shared, so each figure is given twice: wall-clock, and CPU time of this
process (``time.process_time``), which is what an idle machine would show. Prompts: the repo's
hand-written texts (training/data/*.jsonl, no shared data needed) that fall in the held-out test
split, so that the cascade routes as many texts to the encoder as on unseen data. The prompts
repeat to fill the batches, so the encoder's cache of recent texts is switched off for these rows
(``GARDEFOU_ENCODER_CACHE=0``): they measure the model, not the cache. A last row measures what
the cache is for: chat conversations, where the client resends every earlier turn and the
``default`` guard checks each user turn again (``Guard.check_conversation``), with the cache off
and on. Writes bench/results/guard_speed.json.
"""

from __future__ import annotations

import glob
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

# Before gardefou loads an encoder: the throughput rows must not be served from its cache.
os.environ["GARDEFOU_ENCODER_CACHE"] = "0"

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

# Cold load = import + load + the first score of one text that every tier sends through all of its
# stages (a text in the cascade's band), so that the encoder's session start is counted.
COLD = """
import time, json, sys
sys.path.insert(0, sys.argv[4])
from _peak_rss import own_peak_rss_mb
texts = json.load(open(sys.argv[2]))
t, c = time.perf_counter(), time.process_time()
from gardefou.detectors.classifier import ClassifierDetector
det = ClassifierDetector(tier=sys.argv[1])
det.score([sys.argv[3]])
cold, cold_cpu = time.perf_counter() - t, time.process_time() - c
for i in range(0, len(texts), 256):
    det.score(texts[i:i + 256])
print(json.dumps({"cold_load_s": round(cold, 3), "cold_load_cpu_s": round(cold_cpu, 3),
                  "peak_rss_mb": own_peak_rss_mb()}))
"""


def prompts(n: int = 5120) -> list[str]:
    """Benchmark prompts: the repo's held-out labelled texts, repeated to ``n``."""
    from gardefou.model import load_train_config
    from gardefou.model._dataset import split_of
    from gardefou.model._sources import load_repo_file

    cfg, _ = load_train_config(ROOT / "training/default.yaml")
    texts = []
    for path in sorted(glob.glob(str(ROOT / "training/data/*.jsonl"))):
        for ex in load_repo_file(Path(path)):
            if split_of(ex, cfg.seed, cfg.test_fraction, cfg.calibration_fraction) == "test":
                texts.append(ex.text)
    if not texts:
        texts = ["how do I kill a python process", "quelle est la capitale du Brésil ?"]
    return (texts * (n // len(texts) + 1))[:n]


def _banded_text(texts: list[str]) -> str:
    """A prompt that the cascade sends to the encoder (the first prompt if there is no encoder)."""
    from gardefou.detectors.classifier import ClassifierDetector

    model = ClassifierDetector(tier="cascade").model
    if not hasattr(model, "route"):
        return texts[0]
    routed = model.route(model.fast.predict_proba(texts[:256]))
    return texts[int(routed.argmax())] if routed.any() else texts[0]


def measure(score: Any, texts: list[str]) -> dict[str, float]:
    """Throughput in batches of 256 and single-prompt latency percentiles."""
    score(texts[:256])
    start, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(texts), 256):
        score(texts[i : i + 256])
    per_s = len(texts) / (time.perf_counter() - start)
    per_cpu_s = len(texts) / max(time.process_time() - cpu, 1e-9)
    lat, lat_cpu = [], []
    for t in texts[:1000]:
        s, c = time.perf_counter(), time.process_time()
        score([t])
        lat.append((time.perf_counter() - s) * 1000)
        lat_cpu.append((time.process_time() - c) * 1000)
    return {
        "prompts_per_s": round(per_s, 1),
        "prompts_per_cpu_s": round(per_cpu_s, 1),
        "p50_ms": round(float(np.percentile(lat, 50)), 3),
        "p99_ms": round(float(np.percentile(lat, 99)), 3),
        "p50_cpu_ms": round(float(np.percentile(lat_cpu, 50)), 3),
    }


def conversations(texts: list[str], turns: int = 6, chats: int = 30) -> dict[str, Any]:
    """Requests/s of ``default`` checking chats turn by turn, the encoder cache off, then on.

    Each chat has ``turns`` user messages (distinct held-out prompts, a short assistant reply
    between them); at every turn the whole conversation so far is checked, as the gateway does
    with each chat completion request.
    """
    from gardefou import Guard
    from gardefou.detectors.classifier import cached_model

    model = cached_model(None, "cascade")
    encoder = getattr(model, "encoder", None)
    unique = list(dict.fromkeys(texts))[: turns * chats]
    requests = []
    for c in range(len(unique) // turns):
        messages: list[dict[str, str]] = []
        for t in unique[c * turns : (c + 1) * turns]:
            messages = [*messages, {"role": "user", "content": t}]
            requests.append(messages)
            messages = [*messages, {"role": "assistant", "content": "Sure, here you go."}]
    guard = Guard.from_policy("default")
    out: dict[str, Any] = {"turns_per_chat": turns, "requests": len(requests)}
    for name, size in (("cache_off", 0), ("cache_on", 4096)):
        if encoder is not None:
            encoder.cache_size = size
            encoder._cache.clear()
        start = time.perf_counter()
        for messages in requests:
            guard.check_conversation(messages)
        out[f"requests_per_s_{name}"] = round(len(requests) / (time.perf_counter() - start), 1)
    if encoder is not None:
        encoder.cache_size = 0
        encoder._cache.clear()
    return out


def main() -> None:
    """Run the benchmark, print a table and write the JSON results."""
    from gardefou.detectors.classifier import ClassifierDetector
    from guard_quality import keyword_score

    texts = prompts()
    tmp = ROOT / "bench/results/.speed_prompts.json"
    tmp.write_text(json.dumps(texts[:2560]), "utf-8")
    results: dict[str, Any] = {
        "machine": f"{platform.machine()} {os.cpu_count()} CPUs, {platform.python_version()}",
        "load_average": os.getloadavg(),
        "mean_prompt_chars": round(sum(map(len, texts)) / len(texts), 1),
    }
    banded = _banded_text(texts)
    for tier in ("fast", "cascade", "ensemble"):
        det = ClassifierDetector(tier=tier)
        row = measure(det.score, texts)
        model = det.model
        if hasattr(model, "route"):
            routed = model.route(model.fast.predict_proba(texts))
            row["routed_fraction"] = round(float(routed.mean()), 4)
        out = subprocess.run(
            [sys.executable, "-c", COLD, tier, str(tmp), banded, str(ROOT / "bench")],
            capture_output=True,
            text=True,
            check=True,
        )
        row.update(json.loads(out.stdout))
        results[tier] = row
    results["keyword_baseline"] = measure(lambda b: keyword_score(list(b)), texts)
    results["chat_conversations"] = conversations(texts)
    tmp.unlink()
    out_path = ROOT / "bench/results/guard_speed.json"
    out_path.write_text(json.dumps(results, indent=1) + "\n", "utf-8")
    print(
        f"{'':18} {'prompts/s':>10} {'(CPU)':>8} {'p50 ms':>8} {'(CPU)':>7} {'p99 ms':>8} "
        f"{'cold s':>7} {'(CPU)':>7} {'RSS MB':>7}"
    )
    for name in ("fast", "cascade", "ensemble", "keyword_baseline"):
        r = results[name]
        print(
            f"{name:18} {r['prompts_per_s']:>10} {r['prompts_per_cpu_s']:>8} {r['p50_ms']:>8} "
            f"{r['p50_cpu_ms']:>7} {r['p99_ms']:>8} {r.get('cold_load_s', '–'):>7} "
            f"{r.get('cold_load_cpu_s', '–'):>7} {r.get('peak_rss_mb', '–'):>7}"
        )
    print(f"cascade: {results['cascade'].get('routed_fraction')} of the prompts go to the encoder")
    chat = results["chat_conversations"]
    print(
        f"chats of {chat['turns_per_chat']} turns, `default` guard, each request re-checking the "
        f"conversation: {chat['requests_per_s_cache_off']} requests/s with the encoder cache off, "
        f"{chat['requests_per_s_cache_on']} with it on"
    )
    print(f"load average during the run: {results['load_average']}; wrote {out_path}")


if __name__ == "__main__":
    main()
