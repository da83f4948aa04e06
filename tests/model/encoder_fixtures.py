"""A tiny encoder tier built in the test: a WordPiece tokenizer and a bag-of-embeddings ONNX graph.

The graph has the shipped model's interface (``input_ids``, ``attention_mask`` → ``logits``):
masked mean of 2-d token embeddings (dimension 0 "harm", 1 "benign"), then a linear head.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gardefou.model._encoder import write_encoder_json
from gardefou.taxonomy import SCORE_KEYS

HARM_WORDS = ["bomb", "poison", "steal", "hack", "harass", "launder", "kill", "boss"]
BENIGN_WORDS = ["cake", "recipe", "poem", "sea", "capital", "python", "process", "passport"]
OTHER = ["how", "do", "i", "a", "the", "my", "to", "write", "give", "me", "?", "."]


def write_tokenizer(path: Path) -> dict[str, int]:
    """A lower-casing WordPiece tokenizer over the fixture words; returns its vocabulary."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", *HARM_WORDS, *BENIGN_WORDS, *OTHER]
    vocab = {w: i for i, w in enumerate(words)}
    tok = Tokenizer(models.WordPiece(vocab=vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    tok.save(str(path))
    return vocab


def write_graph(path: Path, vocab: dict[str, int], labels: list[str]) -> None:
    """The bag-of-embeddings classifier as an ONNX file."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    emb = np.zeros((len(vocab), 2), dtype=np.float32)
    for w in HARM_WORDS:
        emb[vocab[w], 0] = 4.0
    for w in BENIGN_WORDS:
        emb[vocab[w], 1] = 4.0
    head = np.zeros((2, len(labels)), dtype=np.float32)
    head[0, :] = 1.0  # harm raises every label
    head[1, :] = -1.0
    bias = np.full(len(labels), -0.2, dtype=np.float32)
    nodes = [
        helper.make_node("Gather", ["emb", "input_ids"], ["tok"]),
        helper.make_node("Cast", ["attention_mask"], ["maskf"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["maskf", "axis2"], ["mask3"]),
        helper.make_node("Mul", ["tok", "mask3"], ["masked"]),
        helper.make_node("ReduceSum", ["masked", "axis1"], ["summed"], keepdims=0),
        helper.make_node("ReduceSum", ["maskf", "axis1"], ["count"], keepdims=1),
        helper.make_node("Div", ["summed", "count"], ["pooled"]),
        helper.make_node("MatMul", ["pooled", "head"], ["scores"]),
        helper.make_node("Add", ["scores", "bias"], ["logits"]),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny-encoder",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["b", "t"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["b", "t"]),
        ],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["b", len(labels)])],
        [
            numpy_helper.from_array(emb, "emb"),
            numpy_helper.from_array(head, "head"),
            numpy_helper.from_array(bias, "bias"),
            numpy_helper.from_array(np.array([2], dtype=np.int64), "axis2"),
            numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))


def write_tiny_encoder(
    directory: Path,
    labels: list[str] | None = None,
    calibration: dict[str, tuple[float, float]] | None = None,
) -> None:
    """Write ``encoder.onnx``, ``tokenizer.json`` and ``encoder.json`` into ``directory``."""
    labels = labels or list(SCORE_KEYS)
    directory.mkdir(parents=True, exist_ok=True)
    vocab = write_tokenizer(directory / "tokenizer.json")
    write_graph(directory / "encoder.onnx", vocab, labels)
    cal = calibration or {k: (1.0, 0.0) for k in labels}
    write_encoder_json(directory, labels, cal, 32, {"trained_with": "tests"})
