import datasets
from datasets import load_dataset
from huggingface_hub import hf_hub_download, snapshot_download
from transformers import AutoModelForCausalLM, AutoTokenizer

PINNED = "0123456789abcdef0123456789abcdef01234567"


def load(model_dir, name, revision):
    # ruleid: huggingface-unpinned-revision
    model = AutoModelForCausalLM.from_pretrained("acme/chat-7b")
    # ruleid: huggingface-unpinned-revision
    tokenizer = AutoTokenizer.from_pretrained("gpt2", use_fast=True)
    # ruleid: huggingface-unpinned-revision
    data = load_dataset("acme/reviews", split="train")
    # ruleid: huggingface-unpinned-revision
    data = datasets.load_dataset("squad")
    # ruleid: huggingface-unpinned-revision
    path = hf_hub_download(repo_id="acme/chat-7b", filename="config.json")
    # ruleid: huggingface-unpinned-revision
    folder = snapshot_download("acme/chat-7b")
    # ruleid: huggingface-floating-revision
    model = AutoModelForCausalLM.from_pretrained("acme/chat-7b", revision="main")
    # ruleid: huggingface-floating-revision
    path = hf_hub_download("acme/chat-7b", "config.json", revision="v1.0.0")
    # ok: huggingface-floating-revision
    model = AutoModelForCausalLM.from_pretrained(
        "acme/chat-7b", revision="0123456789abcdef0123456789abcdef01234567"
    )
    # ok: huggingface-unpinned-revision
    model = AutoModelForCausalLM.from_pretrained("acme/chat-7b", revision=PINNED)
    # ok: huggingface-unpinned-revision
    model = AutoModelForCausalLM.from_pretrained("./checkpoints/best")
    # ok: huggingface-unpinned-revision
    model = AutoModelForCausalLM.from_pretrained("/models/chat-7b")
    # ok: huggingface-unpinned-revision
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    # ok: huggingface-floating-revision
    folder = snapshot_download("acme/chat-7b", revision=revision)
    # ruleid: trust-remote-code
    model = AutoModelForCausalLM.from_pretrained(name, trust_remote_code=True)
    # ok: trust-remote-code
    model = AutoModelForCausalLM.from_pretrained(name, trust_remote_code=True, revision=PINNED)
    # ok: trust-remote-code
    model = AutoModelForCausalLM.from_pretrained(name, trust_remote_code=False)
    return model, tokenizer, data, path, folder
