"""Training the fix model on CPU under a wall-time budget, with resumable checkpoints.

The learning-rate schedule runs on the share of the time budget spent (warm-up, then cosine),
so a run that is stopped and resumed follows the same schedule. The loss is the next-token loss
on the answer (the rewritten region), plus a smaller weight on the prompt, which teaches the
small model the code it has to copy.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from engine.model.net import Config, FixModel
from engine.training.data import Example

PROMPT_WEIGHT = 0.2


@dataclass(frozen=True)
class Plan:
    hours: float = 1.0
    lr: float = 1.5e-3
    warmup: float = 0.03  # share of the budget
    batch_tokens: int = 6144
    checkpoint_s: float = 300.0
    seed: int = 0
    max_steps: int | None = None


def _batches(examples: list[Example], batch_tokens: int, rng: random.Random) -> list[list[int]]:
    """Indices grouped by similar length, each group under `batch_tokens` padded tokens."""
    order = sorted(
        range(len(examples)), key=lambda i: len(examples[i].prompt) + len(examples[i].answer)
    )
    groups: list[list[int]] = []
    current: list[int] = []
    longest = 0
    for i in order:
        size = len(examples[i].prompt) + len(examples[i].answer)
        if current and max(longest, size) * (len(current) + 1) > batch_tokens:
            groups.append(current)
            current, longest = [], 0
        current.append(i)
        longest = max(longest, size)
    if current:
        groups.append(current)
    rng.shuffle(groups)
    return groups


def _tensors(batch: list[Example]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    length = max(len(e.prompt) + len(e.answer) for e in batch)
    tokens = torch.zeros(len(batch), length, dtype=torch.long)
    weights = torch.zeros(len(batch), length)
    for row, example in enumerate(batch):
        sequence = example.prompt + example.answer
        tokens[row, : len(sequence)] = torch.tensor(sequence)
        weights[row, 1 : len(example.prompt)] = PROMPT_WEIGHT
        weights[row, len(example.prompt) : len(sequence)] = 1.0
    return tokens[:, :-1], tokens[:, 1:], weights[:, 1:]


def loss_of(model: FixModel, batch: list[Example]) -> torch.Tensor:
    inputs, targets, weights = _tensors(batch)
    logits = model(inputs)
    losses = F.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="none"
    )
    flat = weights.reshape(-1)
    return (losses * flat).sum() / flat.sum().clamp(min=1.0)


def answer_loss(model: FixModel, examples: list[Example]) -> float:
    """Mean next-token loss on the answers (nats per token), for validation."""
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(examples), 8):
            batch = examples[i : i + 8]
            inputs, targets, weights = _tensors(batch)
            logits = model(inputs)
            losses = F.cross_entropy(
                logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="none"
            )
            mask = (weights.reshape(-1) == 1.0).float()
            total += float((losses * mask).sum())
            count += int(mask.sum())
    return total / max(count, 1)


State = dict[str, float | int]  # step, elapsed, epoch, position, tokens: what a resume needs


def _resume(
    checkpoint: Path, model: FixModel, optimizer: torch.optim.Optimizer, log: Callable[[str], None]
) -> State:
    """The saved state (the model and optimizer loaded), or a fresh one without a checkpoint."""
    state: State = {"step": 0, "elapsed": 0.0, "epoch": 0, "position": 0, "tokens": 0}
    if checkpoint.exists():
        saved = torch.load(checkpoint, weights_only=False)
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        state = saved["state"]
        log(f"resumed at step {state['step']} ({state['elapsed'] / 60:.1f} min)")
    return state


def _learning_rate(plan: Plan, share: float) -> float:
    """Warm-up, then cosine, on the share of the budget spent (so a resume keeps the schedule)."""
    return plan.lr * (
        share / plan.warmup if share < plan.warmup else 0.5 * (1 + math.cos(math.pi * share))
    )


def _next_batch(
    train_set: list[Example], plan: Plan, state: State, batches: list[list[int]]
) -> tuple[list[Example], list[list[int]]]:
    """The next batch and the epoch's batches (reshuffled, seeded by the epoch, when one ends)."""
    if state["position"] >= len(batches):
        state["epoch"] = int(state["epoch"]) + 1
        state["position"] = 0
        batches = _batches(
            train_set, plan.batch_tokens, random.Random(plan.seed + int(state["epoch"]))
        )
    batch = [train_set[i] for i in batches[int(state["position"])]]
    state["position"] = int(state["position"]) + 1
    return batch, batches


def _step(model: FixModel, optimizer: torch.optim.Optimizer, batch: list[Example]) -> float:
    loss = loss_of(model, batch)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()  # type: ignore[no-untyped-call]
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    return float(loss.item())


def _figures(
    model: FixModel, val_set: list[Example], state: State, batches: list[list[int]]
) -> dict[str, float]:
    return {
        "steps": float(state["step"]),
        "epochs": float(state["epoch"]) + float(state["position"]) / max(len(batches), 1),
        "train_tokens": float(state["tokens"]),
        "minutes": float(state["elapsed"]) / 60,
        "val_answer_loss": answer_loss(model, val_set[:400]),
    }


def train(
    config: Config,
    train_set: list[Example],
    val_set: list[Example],
    work: Path,
    plan: Plan,
    log: Callable[[str], None] = print,
) -> tuple[FixModel, dict[str, float]]:
    """Train (resuming from `work/checkpoint.pt` if it is there); returns the model and figures."""
    torch.manual_seed(plan.seed)
    model = FixModel(config)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=plan.lr, betas=(0.9, 0.95), weight_decay=0.05
    )
    work.mkdir(parents=True, exist_ok=True)
    checkpoint = work / "checkpoint.pt"
    state = _resume(checkpoint, model, optimizer, log)
    budget = plan.hours * 3600
    rng = random.Random(plan.seed + int(state["epoch"]))
    batches = _batches(train_set, plan.batch_tokens, rng)
    started = time.monotonic() - float(state["elapsed"])
    last_save = time.monotonic()
    model.train()
    while True:
        elapsed = time.monotonic() - started
        if elapsed >= budget or (plan.max_steps is not None and state["step"] >= plan.max_steps):
            break
        lr = _learning_rate(plan, elapsed / budget)
        for group in optimizer.param_groups:
            group["lr"] = max(lr, plan.lr * 0.02)  # a floor: the last steps still learn
        batch, batches = _next_batch(train_set, plan, state, batches)
        loss = _step(model, optimizer, batch)
        state["step"] = int(state["step"]) + 1
        state["tokens"] = int(state["tokens"]) + sum(len(e.prompt) + len(e.answer) for e in batch)
        if state["step"] % 25 == 0:
            log(
                f"step {state['step']} epoch {state['epoch']} loss {loss:.3f} "
                f"lr {lr:.2e} {elapsed / 60:.1f} min"
            )
        if time.monotonic() - last_save > plan.checkpoint_s:
            state["elapsed"] = time.monotonic() - started
            _save(checkpoint, model, optimizer, state)
            last_save = time.monotonic()
    state["elapsed"] = time.monotonic() - started
    _save(checkpoint, model, optimizer, state)
    model.eval()
    figures = _figures(model, val_set, state, batches)
    (work / "figures.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return model, figures


def _save(
    path: Path, model: FixModel, optimizer: torch.optim.Optimizer, state: dict[str, float | int]
) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(
        {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "state": state}, tmp
    )
    tmp.replace(path)
