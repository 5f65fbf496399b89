#!/usr/bin/env python3
"""The layering check: fails on every #include that points the wrong way.

Layers, lowest first. A file may include its own folder and any folder of a
LOWER layer; folders that share a layer are siblings and may not include each
other. The table is the include graph of the code as it is (issue 11), not a
wish; to move a folder, change the code first, then this table.

  0  core/util        errors, atomic files: needed by everything
  1  core/settings    the torch-free table of user settings (name, default,
                      range, help), read by validation, the CLI and the Studio
  2  core/io          file formats: safetensors, .ckpt, key maps, recognition
     core/text        the CLIP tokenizer
     core/video       FFmpeg decode and encode
     core/jobs        the job API (progress, log, cancel): nothing but util
  3  core/world       the toy world's procedural scenes (OpenCV), drawn as video frames
     core/figures     contact sheets and line plots drawn with OpenCV
     core/control     ControlNet driving videos: read at the generation's size,
                      preprocessed (canny, soft edges, gray) with OpenCV
  3  core/engine      devices, memory, loading tensors into modules
     core/nn          primitives every model uses, the activation checkpoint
  4  core/models      configs, blocks and assembled models per family
  5  core/adapters    LoRA, Motion Adapter, Spatial Adapters, merging
     core/diffusion   schedulers and the noise schedule
  6  core/pipelines   the video model loaded and run: prompt to frames
  7  core/datasets    frozen-video datasets, sampled through a pipeline
  8  core/training    the Still-Moving trainers, built on a pipeline's models
                      and on the datasets
  9  core/worker      the compute worker (one per device): the job queue and
                      the loaded models, running generation, datasets, training
 10  core/toyworld    the toy world's models trained from nothing, its demo:
                      jobs built from the worker's jobs
 11  core/evaluation  the comparison's measures (CLIP-T, CLIP-I, motion,
                      consistency) with the toy evaluator or a real CLIP
 12  core/comparison  the paper's comparison on a toy world: trained baselines,
                      scored videos, the results document
 13  ui               the Qt Studio
 14  app              the two executables

Besides the order: core/ never includes a Qt header (<Q...>, <Qt.../...>,
qcustomplot.h), and ui/ never includes a LibTorch header (<torch/...>,
<ATen/...>, <c10/...>): ui reaches the engine through core's headers only.
bench/, tests/ and fuzz/ are exempt. A folder of core/ missing from the table
is itself an error, so that a new folder gets a place on purpose.

Usage: tools/check_layers.py [--root DIR]   (exit status 1 on any violation)
Python standard library only.
"""
import argparse
import re
import sys
from pathlib import Path

# (layer, folder). Folders are matched by their first two path components
# under core/ and by the first one elsewhere.
LAYERS = [
    (0, "core/util"),
    (1, "core/settings"),
    (2, "core/io"),
    (2, "core/text"),
    (2, "core/video"),
    (2, "core/jobs"),
    (3, "core/world"),
    (3, "core/figures"),
    (3, "core/control"),
    (3, "core/engine"),
    (3, "core/nn"),
    (4, "core/models"),
    (5, "core/adapters"),
    (5, "core/diffusion"),
    (6, "core/pipelines"),
    (7, "core/datasets"),
    (8, "core/training"),
    (9, "core/worker"),
    (10, "core/toyworld"),
    (11, "core/evaluation"),
    (12, "core/comparison"),
    (13, "ui"),
    (14, "app"),
]
LAYER_OF = {folder: layer for layer, folder in LAYERS}
CHECKED_ROOTS = ("core", "app", "ui")
SOURCE_SUFFIXES = {".h", ".hpp", ".cpp", ".cc"}

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
QT_HEADER = re.compile(r"^(Q[A-Z][A-Za-z0-9]*|Qt[A-Za-z0-9]*/.*|qcustomplot\.h)$")
TORCH_HEADER = re.compile(r"^(torch|ATen|c10|caffe2)/")


def folder_of(path):
    """'core/io/ckpt/pickle.cpp' -> 'core/io'; 'ui/panels/x.h' -> 'ui'; None outside the checked roots."""
    parts = Path(path).parts
    if not parts or parts[0] not in CHECKED_ROOTS:
        return None
    if parts[0] == "core":
        return "/".join(parts[:2]) if len(parts) > 2 else "core"
    return parts[0]


def describe(folder):
    layer = LAYER_OF.get(folder)
    return f"{folder} (layer {layer})" if layer is not None else f"{folder} (not in the table)"


def check_file(root, path):
    """Yields one message per wrong-way include in `path` (relative to root)."""
    source = folder_of(path)
    if source not in LAYER_OF:
        yield (f"{path}: {source} is not in the layer table: give it a layer in LAYERS in "
               f"tools/check_layers.py (see the order at the top of that file)")
        return
    text = (root / path).read_text(encoding="utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), start=1):
        match = INCLUDE.match(line)
        if not match:
            continue
        kind, header = match.groups()
        where = f"{path}:{number}"
        if kind == "<":
            if source.startswith("core/") and QT_HEADER.match(header):
                yield f"{where}: {source} -> Qt <{header}>: core never includes Qt"
            elif source == "ui" and TORCH_HEADER.match(header):
                yield f"{where}: ui -> LibTorch <{header}>: ui includes core's headers, never LibTorch's"
            continue
        target = folder_of(header)
        if target is None or target == source:
            continue  # generated headers (ui_*.h, moc) and the file's own folder
        if target not in LAYER_OF:
            yield f"{where}: {describe(source)} -> {describe(target)}: \"{header}\" is in no layer"
        elif LAYER_OF[target] >= LAYER_OF[source]:
            how = "a sibling" if LAYER_OF[target] == LAYER_OF[source] else "a higher layer"
            yield f"{where}: {describe(source)} -> {describe(target)}: includes {how} (\"{header}\")"


def sources(root):
    for top in CHECKED_ROOTS:
        base = root / top
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            if path.suffix in SOURCE_SUFFIXES and path.is_file():
                yield path.relative_to(root).as_posix()


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent,
                        help="the repository to check (default: the one holding this script)")
    args = parser.parse_args(argv)
    files = list(sources(args.root))
    if not files:
        print(f"check_layers: no sources under {args.root}/{{core,app,ui}}: wrong --root?", file=sys.stderr)
        return 2
    problems = [message for path in files for message in check_file(args.root, path)]
    if problems:
        print(f"check_layers: {len(problems)} wrong-way include(s); the layers are listed at the top of "
              f"tools/check_layers.py", file=sys.stderr)
        for message in problems:
            print(message, file=sys.stderr)
        return 1
    print(f"check_layers: {len(files)} files, every include points down")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
