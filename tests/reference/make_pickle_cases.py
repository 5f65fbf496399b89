#!/usr/bin/env python3
"""Writes the PyTorch zip checkpoint fixtures under tests/data/ckpt/.

Run with the reference environment (tests/reference/make_env.sh prints its
python). The files are small and committed; CI does not run this script.
Every value is deterministic so that the C++ tests can check elements:

  dtypes.pt        one tensor per storage dtype, values (arange(6) - 2) * step
  ordered.pt       nn.Sequential(Linear(3, 2), BatchNorm1d(2)).state_dict()
                   (an OrderedDict with `_metadata`, i.e. a BUILD opcode)
  views.pt         several views of one storage: transpose, row, slice, tail
  lightning.ckpt   {"epoch", "global_step", "state_dict", "callbacks" (an
                   inert ModelCheckpoint object and a numpy scalar), ...}
  dataparallel.pt  keys prefixed with `module.`
  parameter.pt     an nn.Parameter (torch._utils._rebuild_parameter)
  scalars.pt       a zero-dim tensor and an empty tensor
  nested.pt        nested dicts plus an `animatediff_config` dict
  proto4.pt        pickle protocol 4 (FRAME, MEMOIZE, SHORT_BINUNICODE...)
  stream.pt        saved to a stream: the root folder is `archive`
  evil_system.pt   a pickle whose REDUCE would call os.system
  evil_eval.pt     a pickle whose REDUCE would call builtins.eval
  torchscript.pt   torch.jit.save of a scripted module (to be refused)
  truncated.pt     the first half of dtypes.pt
  deflate.pt       dtypes.pt's entries re-zipped with deflate
  zip64.pt         views.pt's entries in a hand-written ZIP64 archive
"""
import collections
import io
import os
import struct
import sys
import types
import zipfile
import zlib

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "ckpt")

STEPS = {
    torch.float32: 0.5, torch.float16: 0.25, torch.bfloat16: 0.5, torch.float64: 0.125,
    torch.int64: 1000, torch.int32: 100, torch.int16: 10, torch.int8: 1,
}


def path(name):
    return os.path.join(OUT, name)


def dtypes_case():
    out = {}
    for dtype, step in STEPS.items():
        name = str(dtype).replace("torch.", "")
        out[name] = ((torch.arange(6, dtype=torch.float64) - 2) * step).to(dtype).reshape(2, 3)
    out["uint8"] = (torch.arange(6) * 40).to(torch.uint8)
    out["bool"] = torch.tensor([True, False, True, True, False, True])
    torch.save(out, path("dtypes.pt"))


def ordered_case():
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    with torch.no_grad():
        for i, p in enumerate(model.parameters()):
            p.copy_(torch.arange(p.numel(), dtype=torch.float32).reshape(p.shape) + 10 * i)
    torch.save(model.state_dict(), path("ordered.pt"))


def views_case():
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    views = {"base": base, "t": base.t(), "row": base[1], "cols": base[:, 1:3], "tail": base.view(-1)[5:]}
    torch.save(views, path("views.pt"))


def fake_module(name):
    """Registers an importable module `name` so that pickle can name a class in it."""
    parts = name.split(".")
    for i in range(1, len(parts) + 1):
        sub = ".".join(parts[:i])
        sys.modules.setdefault(sub, types.ModuleType(sub))
    return sys.modules[name]


def lightning_case():
    # pytorch_lightning is not installed: an importable stand-in gives the same pickle.
    mod = fake_module("pytorch_lightning.callbacks.model_checkpoint")

    class ModelCheckpoint:
        pass

    ModelCheckpoint.__module__ = mod.__name__
    ModelCheckpoint.__qualname__ = "ModelCheckpoint"
    mod.ModelCheckpoint = ModelCheckpoint
    callback = ModelCheckpoint()
    callback.monitor = "val_loss"
    callback.best_model_score = np.float64(0.25)
    obj = {
        "epoch": 3,
        "global_step": 100,
        "pytorch-lightning_version": "2.1.0",
        "learning_rate": 0.0001,
        "state_dict": {"model.w": torch.arange(4, dtype=torch.float32), "model.b": torch.ones(2)},
        "callbacks": {"ModelCheckpoint{'monitor': 'val_loss'}": callback},
        "optimizer_states": [{"state": {}, "param_groups": [{"lr": 0.0001, "params": [0, 1]}]}],
        "lr_schedulers": [],
    }
    torch.save(obj, path("lightning.ckpt"))


def dataparallel_case():
    sd = {"module.conv.weight": torch.full((2, 1, 1, 1), 2.0), "module.conv.bias": torch.zeros(2)}
    torch.save(sd, path("dataparallel.pt"))


def parameter_case():
    torch.save({"p": torch.nn.Parameter(torch.arange(3, dtype=torch.float32))}, path("parameter.pt"))


def scalars_case():
    torch.save({"scalar": torch.tensor(3.5), "empty": torch.zeros(0, 4)}, path("scalars.pt"))


def nested_case():
    obj = {
        "encoder": {"layer": {"weight": torch.ones(2, 2)}, "bias": torch.zeros(2)},
        "head.weight": torch.arange(2, dtype=torch.float16),
        "animatediff_config": {"use_motion_mid_block": True, "motion_max_seq_length": 32},
        "note": "hello",
    }
    torch.save(obj, path("nested.pt"))


def proto4_case():
    torch.save({"a": torch.arange(4, dtype=torch.int32), "b": torch.ones(1, dtype=torch.float64)},
               path("proto4.pt"), pickle_protocol=4)


def stream_case():
    buf = io.BytesIO()
    torch.save({"x": torch.arange(3, dtype=torch.int64)}, buf)
    with open(path("stream.pt"), "wb") as f:
        f.write(buf.getvalue())


class EvilSystem:
    def __reduce__(self):
        return (os.system, ("echo pwned > /tmp/sm_pwned",))


class EvilEval:
    def __reduce__(self):
        return (eval, ("__import__('os').system('echo pwned > /tmp/sm_pwned')",))


def evil_cases():
    torch.save({"w": torch.ones(1), "x": EvilSystem()}, path("evil_system.pt"))
    torch.save({"w": torch.ones(1), "x": EvilEval()}, path("evil_eval.pt"))


def torchscript_case():
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), path("torchscript.pt"))


def truncated_case():
    with open(path("dtypes.pt"), "rb") as f:
        data = f.read()
    with open(path("truncated.pt"), "wb") as f:
        f.write(data[: len(data) // 2])


def deflate_case():
    with zipfile.ZipFile(path("dtypes.pt")) as src, zipfile.ZipFile(path("deflate.pt"), "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info))


def zip64_case():
    """A ZIP64 archive written by hand: zipfile only uses ZIP64 in the central
    directory when sizes need it, so small files would never test that path."""
    with zipfile.ZipFile(path("views.pt")) as src:
        entries = [(i.filename, src.read(i)) for i in src.infolist()]
    out = bytearray()
    central = bytearray()
    for name, data in entries:
        name_b = name.encode()
        crc = zlib.crc32(data)
        offset = len(out)
        local_extra = struct.pack("<HHQQ", 1, 16, len(data), len(data))
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0, crc, 0xFFFFFFFF, 0xFFFFFFFF,
                           len(name_b), len(local_extra))
        out += name_b + local_extra + data
        cd_extra = struct.pack("<HHQQQ", 1, 24, len(data), len(data), offset)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 0, 0, 0, crc, 0xFFFFFFFF,
                               0xFFFFFFFF, len(name_b), len(cd_extra), 0, 0, 0, 0, 0xFFFFFFFF)
        central += name_b + cd_extra
    cd_offset = len(out)
    out += central
    eocd64_offset = len(out)
    out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, len(entries), len(entries),
                       len(central), cd_offset)
    out += struct.pack("<IIQI", 0x07064B50, 0, eocd64_offset, 1)
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    with open(path("zip64.pt"), "wb") as f:
        f.write(out)
    # Python's own reader must agree that this is a valid archive.
    with zipfile.ZipFile(path("zip64.pt")) as check:
        assert [i.filename for i in check.infolist()] == [n for n, _ in entries]
        assert all(check.read(n) == d for n, d in entries)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    for case in (dtypes_case, ordered_case, views_case, lightning_case, dataparallel_case, parameter_case,
                 scalars_case, nested_case, proto4_case, stream_case, evil_cases, torchscript_case,
                 truncated_case, deflate_case, zip64_case):
        case()
    print("wrote", sorted(os.listdir(OUT)))


if __name__ == "__main__":
    main()
