"""Build a tiny random-weight COMET checkpoint offline: ``python comet_tiny.py OUT_DIR``.

A test fixture (``tiny_comet`` in ``tests/conftest.py``), not part of the package. Runs in
the COMET interpreter (``tvbench setup comet``), never in tvbench's: it needs
unbabel-comet and transformers<5. The checkpoint is a real ``regression_metric`` over a
2-layer XLM-R with a byte-level BPE trained on a few sentences, so tests exercise COMET's own
loading and ``predict`` code path without the hub. Seeded: the same folder gives the same
scores. ``hparams.yaml`` records the encoder's absolute path, so build it where it is used.

Layout: ``OUT/hparams.yaml``, ``OUT/checkpoints/model.ckpt``, ``OUT/encoder/``.
Recipe: shared/reference/offline-recipes.md §12.
"""

from __future__ import annotations

import os
import sys

_CORPUS = [
    "The cat is on the table.", "O gato está em cima da mesa.", "Die Katze ist auf dem Tisch.",
    "El gato está sobre la mesa.", "Le chat est sur la table.", "Kočka je na stole.",
    "Кошка на столе.", "猫在桌子上。", "القطة على الطاولة.",
    "Hello world, this is a test translation.",
]


def build(out: str) -> str:
    """Write the checkpoint under ``out``; returns the path of ``model.ckpt``."""
    import pytorch_lightning as pl
    import torch
    import yaml
    from comet.models import RegressionMetric
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import XLMRobertaConfig, XLMRobertaModel, XLMRobertaTokenizerFast

    out = os.path.abspath(out)
    enc_dir = os.path.join(out, "encoder")
    os.makedirs(enc_dir, exist_ok=True)
    tk = Tokenizer(models.BPE())
    tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
    tk.decoder = decoders.ByteLevel()
    # XLM-R's special-token ids are 0..3 (<s>, <pad>, </s>, <unk>); keep that order.
    trainer = trainers.BpeTrainer(vocab_size=400, show_progress=False,
                                  special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tk.train_from_iterator(_CORPUS * 30, trainer)
    tk.post_processor = processors.RobertaProcessing(sep=("</s>", 2), cls=("<s>", 0))
    tok = XLMRobertaTokenizerFast(tokenizer_object=tk, bos_token="<s>", eos_token="</s>",
                                  sep_token="</s>", cls_token="<s>", unk_token="<unk>",
                                  pad_token="<pad>", mask_token="<mask>")
    tok.save_pretrained(enc_dir)
    torch.manual_seed(0)
    config = XLMRobertaConfig(vocab_size=len(tok), hidden_size=32, num_hidden_layers=2,
                              num_attention_heads=2, intermediate_size=64,
                              max_position_embeddings=130, pad_token_id=1, bos_token_id=0,
                              eos_token_id=2)
    XLMRobertaModel(config, add_pooling_layer=False).save_pretrained(enc_dir)
    metric = RegressionMetric(encoder_model="XLM-RoBERTa", pretrained_model=enc_dir,
                              hidden_sizes=[64], layer="mix", layer_transformation="softmax",
                              pool="avg", final_activation=None, load_pretrained_weights=True,
                              local_files_only=True)
    os.makedirs(os.path.join(out, "checkpoints"), exist_ok=True)
    hparams = dict(metric.hparams)
    hparams["class_identifier"] = "regression_metric"
    with open(os.path.join(out, "hparams.yaml"), "w") as f:
        yaml.safe_dump(hparams, f)
    ckpt = os.path.join(out, "checkpoints", "model.ckpt")
    torch.save({"state_dict": metric.state_dict(), "hyper_parameters": dict(metric.hparams),
                "pytorch-lightning_version": pl.__version__}, ckpt)
    return ckpt


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python comet_tiny.py OUT_DIR", file=sys.stderr)
        return 2
    print(build(argv[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
