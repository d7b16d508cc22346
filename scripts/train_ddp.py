"""Train an nndl model on many processes with PyTorch's DistributedDataParallel; save it for nndl.

Usage (any number of processes; gloo on CPU, nccl when CUDA is there)::

    torchrun --nproc_per_node=4 scripts/train_ddp.py --layers dense:100:relu,softmax:10 \\
        --steps 2000 --batch-size 32 --eta 0.1 -o ddp.npz
    torchrun --nproc_per_node=2 scripts/train_ddp.py MODEL.npz --steps 500 -o MODEL-ddp.npz

Without torchrun it runs as one process.  The model (a file of ``nndl train
--save`` or a ``--layers`` spec) becomes a ``torch.nn.Sequential`` with
:func:`nndl.export.torch.to_module`; each process trains it on its own shard of the
data (``DistributedSampler``) with nndl's own cost (:func:`nndl.export.torch.loss`)
and plain SGD; DDP averages the gradients across processes after every
backward pass, so a step is the mean gradient over ``processes × batch-size``
examples, with learning rate η.  At the end the processes check that their
replicas are identical, and process 0 turns the module back into an nndl
model (:func:`nndl.export.torch.from_module`) and saves it with
:func:`nndl.model.io.save_model`: ``nndl evaluate``, ``explain``, ``serve`` and
``predict`` then work on it.  It prints one JSON line: processes, backend,
steps, examples, accuracy before and after on the test images, seconds.
See docs/scale.md.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import time
from typing import Any

import numpy as np

from nndl.cli import _common, _preflight
from nndl.model.io import load_model, save_model
from nndl.model.sequential import Sequential


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("model", nargs="?", metavar="MODEL", help="an nndl model file to train on")
    p.add_argument("--layers", metavar="SPEC",
                   help="or a layer spec, e.g. dense:30:relu,softmax:10")
    p.add_argument("--input-shape", default=None,
                   help="with --layers: e.g. 784 or 1,28,28 (default: 1,28,28 when the spec "
                   "has conv/pool layers, else 784)")
    p.add_argument("--cost", default=None, help="with --layers (default: log_likelihood)")
    p.add_argument("--steps", type=_common.positive_int, default=500,
                   help="SGD steps (each on processes × batch-size examples)")
    p.add_argument("--batch-size", type=_common.positive_int, default=10,
                   help="examples per process per step")
    p.add_argument("--eta", type=_common.positive_float, default=0.1, help="learning rate η")
    p.add_argument("--seed", type=int, default=0, help="initial weights and data order")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="nndl model file (.npz)")
    _common.add_data_options(p)
    args = p.parse_args(argv)
    if (args.model is None) == (args.layers is None):
        p.error("give a MODEL file or --layers SPEC (one of them)")
    return args


def build_model(args: argparse.Namespace) -> Any:
    if args.model:
        return load_model(args.model)
    spatial = any(t.strip().startswith(("conv", "pool")) for t in args.layers.split(","))
    shape = args.input_shape or ("1,28,28" if spatial else "784")
    return Sequential(args.layers, input_shape=tuple(int(n) for n in shape.split(",")),
                      cost=args.cost or "log_likelihood", seed=args.seed, dtype="float32")


def batches(n: int, args: argparse.Namespace, rank: int, world: int) -> Any:
    """This process's mini-batches of indices, epoch after epoch (a DistributedSampler shard)."""
    from torch.utils.data import DistributedSampler

    # The sampler only needs len(dataset): the indices 0..n-1 stand for the examples.
    sampler: DistributedSampler[int] = DistributedSampler(
        range(n), num_replicas=world, rank=rank, shuffle=True,  # type: ignore[arg-type]
        seed=args.seed, drop_last=True)
    epoch = 0
    while True:
        sampler.set_epoch(epoch)
        order = list(sampler)
        for k in range(0, len(order) - args.batch_size + 1, args.batch_size):
            yield order[k:k + args.batch_size]
        epoch += 1


def train(module: Any, model: Any, x: Any, y: Any, args: argparse.Namespace, ctx: dict) -> None:
    """``args.steps`` SGD steps of the DDP-wrapped module on this process's shard."""
    import torch
    from torch.nn.parallel import DistributedDataParallel

    from nndl.export.torch import loss

    trunk = module[:-1]  # everything but the output activation: gives z
    ddp = DistributedDataParallel(trunk, device_ids=ctx["device_ids"])
    criterion = loss(model)
    opt = torch.optim.SGD(ddp.parameters(), lr=args.eta)
    targets = torch.eye(model.layers[-1].output_shape[0], dtype=x.dtype, device=x.device)[y]
    shard = batches(len(x), args, ctx["rank"], ctx["world"])
    module.train()
    for _ in range(args.steps):
        idx = torch.tensor(next(shard), device=x.device)
        opt.zero_grad(set_to_none=True)
        criterion(ddp(x[idx]), targets[idx]).backward()  # DDP all-reduces the gradients
        opt.step()
    module.eval()


def replicas_identical(module: Any, ctx: dict) -> bool:
    """Whether every process ends with the same weights (DDP keeps them in step)."""
    import torch
    import torch.distributed as dist

    flat = torch.cat([p.detach().reshape(-1) for p in module.parameters()])
    gathered = [torch.empty_like(flat) for _ in range(ctx["world"])]
    dist.all_gather(gathered, flat)
    return all(torch.equal(g, flat) for g in gathered)


def setup() -> dict:
    import torch
    import torch.distributed as dist

    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank, local = int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))
    cuda = torch.cuda.is_available()
    if world == 1 and "MASTER_ADDR" not in os.environ:  # plain `python train_ddp.py`
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    backend = "nccl" if cuda else "gloo"
    if cuda:
        torch.cuda.set_device(local)
    dist.init_process_group(backend, rank=rank, world_size=world)
    device = torch.device(f"cuda:{local}" if cuda else "cpu")
    return {"rank": rank, "world": world, "backend": backend, "device": device,
            "device_ids": [local] if cuda else None}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = _preflight.check_output_file(args.output, "-o")  # before any work

    import torch
    import torch.distributed as dist

    from nndl.export.torch import from_module, to_module

    ctx = setup()
    model = build_model(args)
    data = _common.load_dataset(args, dtype=str(model.dtype))
    (x, y), (xt, yt) = data.training, data.test
    before = model.score(xt, yt)
    module = to_module(model).to(ctx["device"])
    xd, yd = torch.from_numpy(x).to(ctx["device"]), torch.from_numpy(y.astype(np.int64))
    dist.barrier()
    start = time.perf_counter()
    train(module, model, xd, yd.to(ctx["device"]), args, ctx)
    seconds = time.perf_counter() - start
    same = replicas_identical(module, ctx)
    if ctx["rank"] == 0:
        trained = from_module(module.cpu(), input_shape=model.input_shape, cost=model.cost.name)
        report = {
            "processes": ctx["world"], "backend": ctx["backend"], "device": str(ctx["device"]),
            "steps": args.steps, "batch_per_process": args.batch_size,
            "examples": args.steps * args.batch_size * ctx["world"], "eta": args.eta,
            "test_images": len(xt), "accuracy_before": before,
            "accuracy_after": trained.score(xt, yt), "seconds": round(seconds, 2),
            "replicas_identical": same,
        }
        save_model(trained, out, metadata={"trained_with": "scripts/train_ddp.py", **report})
        print(json.dumps(report), flush=True)
    dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    from nndl._extras import MissingExtra

    try:
        raise SystemExit(main())
    except (ValueError, OSError, MissingExtra) as exc:  # the user's input: one line, no traceback
        print(f"train_ddp: error: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
